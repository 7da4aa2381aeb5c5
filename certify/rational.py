"""Exact numbers: every weight in certify is a rational (python-flint ``fmpq``).

Nothing on the way in passes through a Python float. A decimal string is the rational it
denotes; a float64/float32 value (from ``.npz`` or safetensors) is its exact dyadic value.

>>> parse_number("-3/4")
-3/4
>>> parse_number("0.125")
1/8
>>> parse_number("-1e-3")
-1/1000
>>> parse_number(7)
7
>>> parse_number("6/8")
3/4
>>> from_float(0.1)
3602879701896397/36028797018963968
>>> to_string(parse_number("2.50"))
'5/2'
>>> decimal(parse_number("1/3"), 5)
'0.33333'
>>> parse_number("abc", where="W_hh[3][7]")
Traceback (most recent call last):
...
certify.errors.InputError: W_hh[3][7]="abc" is not a number (expected an integer, "p/q" or a decimal like "0.125")
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any, TypeAlias

from flint import fmpq, fmpz

from certify.errors import InputError

Q: TypeAlias = fmpq

ZERO = fmpq(0)
ONE = fmpq(1)

#: Longest number string accepted (a long stack value has thousands of digits; a million is absurd).
MAX_NUMBER_CHARS = 1_000_000
#: Largest decimal exponent accepted in "1e-3" notation; beyond it the integer itself is absurd.
MAX_DECIMAL_EXPONENT = 100_000

_INT = re.compile(r"[+-]?\d+")
_RATIO = re.compile(r"([+-]?\d+)/(\d+)")
_DECIMAL = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?")


class JsonDecimal(str):
    """The exact text of a JSON number that had a fraction or exponent (never converted to float)."""


class JsonConstant(str):
    """A JSON constant such as NaN or Infinity, kept so that the error can say where it was."""


def _fail(value: Any, where: str, why: str) -> InputError:
    shown = f'"{value}"' if isinstance(value, str) else repr(value)
    if len(shown) > 60:
        shown = shown[:57] + '..."'
    prefix = f"{where}=" if where else ""
    return InputError(f"{prefix}{shown} {why}")


def parse_number(value: Any, where: str = "") -> fmpq:
    """Parse an exact rational from an int, a string ("p/q", "0.125", "-1e-3"), or an fmpq.

    ``where`` names the value in error messages (e.g. ``"W_hh[3][7]"``).
    Python floats are refused here: use :func:`from_float` when a float *is* the data.
    """
    if isinstance(value, fmpq):
        return value
    if isinstance(value, bool):
        raise _fail(value, where, "is a boolean, not a number")
    if isinstance(value, int):
        return fmpq(value)
    if isinstance(value, fmpz):
        return fmpq(value)
    if isinstance(value, Fraction):
        return fmpq(value.numerator, value.denominator)
    if isinstance(value, JsonConstant):
        raise _fail(value, where, "is not a finite number")
    if isinstance(value, float):
        raise _fail(value, where, "is a binary float; write it as an exact string such as \"0.125\"")
    if not isinstance(value, str):
        raise _fail(value, where, f"is a {type(value).__name__}, not a number")
    text = value.strip()
    if len(text) > MAX_NUMBER_CHARS:
        raise _fail(text[:20], where, f"is a number string longer than {MAX_NUMBER_CHARS} characters")
    if _INT.fullmatch(text):
        return fmpq(_fmpz(text))
    m = _RATIO.fullmatch(text)
    if m:
        den = fmpz(m.group(2))
        if den == 0:
            raise _fail(value, where, "has a zero denominator")
        return fmpq(_fmpz(m.group(1)), den)
    m = _DECIMAL.fullmatch(text)
    if m and (m.group(2) or m.group(3)):
        sign, whole, frac, exp = m.group(1), m.group(2) or "", m.group(3) or "", m.group(4)
        e = int(exp) if exp is not None else 0
        if abs(e) > MAX_DECIMAL_EXPONENT:
            raise _fail(value, where, f"has a decimal exponent beyond ±{MAX_DECIMAL_EXPONENT}")
        mantissa = fmpz((whole + frac) or "0")
        e -= len(frac)
        result = fmpq(mantissa * fmpz(10) ** e) if e >= 0 else fmpq(mantissa, fmpz(10) ** (-e))
        return -result if sign == "-" else result
    if text.lower().lstrip("+-") in {"nan", "inf", "infinity"}:
        raise _fail(value, where, "is not a finite number")
    raise _fail(value, where, 'is not a number (expected an integer, "p/q" or a decimal like "0.125")')


def _fmpz(digits: str) -> fmpz:
    """Integer text (optionally signed) to fmpz; flint parses any length, unlike int()."""
    return fmpz(digits[1:]) if digits.startswith("+") else fmpz(digits)


def from_float(value: float, where: str = "") -> fmpq:
    """The exact dyadic rational a finite binary float denotes (float64, or float32 widened exactly).

    >>> from_float(0.5)
    1/2
    >>> from_float(float("nan"), where="b[2]")
    Traceback (most recent call last):
    ...
    certify.errors.InputError: b[2]=nan is not a finite number
    """
    f = float(value)  # widening a float32/float16 to float64 is exact
    if not math.isfinite(f):
        raise _fail(f, where, "is not a finite number")
    num, den = f.as_integer_ratio()
    return fmpq(num, den)


def to_string(q: fmpq) -> str:
    """Canonical text: ``"p"`` for integers, ``"p/q"`` in lowest terms otherwise."""
    return str(q)


def to_json(q: fmpq) -> int | str:
    """JSON form: small integers as JSON integers, everything else as an exact string."""
    if q.q == 1 and abs(q.p) < 2**53:
        return int(q.p)
    return str(q)


def decimal(q: fmpq, digits: int = 12) -> str:
    """Decimal text of ``q`` truncated toward zero to ``digits`` places (exact, display only)."""
    sign = "-" if q < 0 else ""
    a = abs(q)
    scaled = (a.p * fmpz(10) ** digits) // a.q
    s = str(scaled).rjust(digits + 1, "0")
    whole, frac = s[: len(s) - digits], s[len(s) - digits :]
    out = f"{whole}.{frac}" if digits else whole
    if scaled == 0 and a != 0:
        return f"{sign}{_scientific(a, digits)}"
    return sign + out


def _scientific(a: fmpq, digits: int) -> str:
    """Positive tiny rational as d.ddd...e-N (exact truncation)."""
    exp = a.q.bit_length() - a.p.bit_length() if hasattr(a.q, "bit_length") else 0
    e = max(int(exp * 0.30103) - 2, 0)
    while (a * fmpz(10) ** e) < 1:
        e += 1
    while (a * fmpz(10) ** (e - 1)) >= 1:
        e -= 1
    mant = a * fmpz(10) ** e
    return f"{decimal(mant, min(digits, 6))}e-{e}"


def bits(q: fmpq) -> int:
    """Largest bit size of numerator and denominator (the weight's storage cost).

    >>> bits(parse_number("-3/1024"))
    11
    """
    return max(abs(int(q.p)).bit_length(), int(q.q).bit_length())


def relu(q: fmpq) -> fmpq:
    """Exact ReLU."""
    return q if q > 0 else ZERO
