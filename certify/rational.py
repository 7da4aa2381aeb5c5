"""Exact numbers: the number parser, and the exact text and JSON forms of a rational.

Every weight in certify is a rational (python-flint ``fmpq``). Nothing on the way in passes through
a Python float. A decimal string is the rational it denotes; a float64/float32 value (from ``.npz``
or safetensors) is its exact dyadic value.

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

The limits every number obeys (digits, bits, exponents, the per-file bit budget of
:func:`number_budget`) are those of ``certify.untrusted``, the trust-boundary module that every
reader shares; this module and that one are all the independent re-checker imports from certify.

>>> from certify.untrusted import Limits, current_limits, limits_scope
>>> parse_number("1e99999", "b[0]", max_bits=4096, limit_name="max_weight_bits")  # before building 10^99999
Traceback (most recent call last):
...
certify.errors.InputError: b[0]="1e99999" has a decimal exponent beyond what max_weight_bits=4096 allows \
(at least 332190 bits; raise it with --limit max_weight_bits=N)
>>> with limits_scope(current_limits().with_overrides({"max_number_bits": "100"})):
...     parse_number("1" * 40)
Traceback (most recent call last):
...
certify.errors.InputError: "1111111111111111111111111111111111111111" needs at least 130 bits, more than \
max_number_bits=100 (raise it with --limit max_number_bits=N)
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from fractions import Fraction
from typing import Any, TypeAlias

from flint import fmpq, fmpz

from certify.errors import InputError
from certify.untrusted import JsonConstant, current_limits, invalid

Q: TypeAlias = fmpq

ZERO = fmpq(0)
ONE = fmpq(1)


# --- numbers -------------------------------------------------------------------------------------------------
_INT = re.compile(r"[+-]?[0-9]+", re.ASCII)
_RATIO = re.compile(r"([+-]?[0-9]+)/([0-9]+)", re.ASCII)
_DECIMAL = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?", re.ASCII)
#: log2(10) from below and above, as exact ratios (bit sizes are decided in integers).
_LOG2_10_LO, _LOG2_10_HI = (3321928, 1000000), (3321929, 1000000)


def _min_bits(digits: int) -> int:
    """A lower bound of the bit size of any integer with ``digits`` significant decimal digits."""
    return 0 if digits <= 0 else (digits - 1) * _LOG2_10_LO[0] // _LOG2_10_LO[1] + 1


class _Budget:
    """Bits parsed so far in one file (see :func:`number_budget`)."""

    def __init__(self, source: str, limit: int) -> None:
        self.source, self.limit, self.used = source, limit, 0


_BUDGET: ContextVar[_Budget | None] = ContextVar("certify_number_budget", default=None)


@contextmanager
def number_budget(source: str) -> Iterator[None]:
    """Count the bits of every number parsed inside the block against ``max_total_number_bits``.

    >>> from certify.untrusted import Limits, limits_scope
    >>> with limits_scope(Limits(max_total_number_bits=50)), number_budget("f.json"):
    ...     [parse_number("1e9") for _ in range(3)]
    Traceback (most recent call last):
    ...
    certify.errors.InputError: f.json: its numbers need more than max_total_number_bits=50 bits \
(raise it with --limit max_total_number_bits=N)
    """
    token = _BUDGET.set(_Budget(source, current_limits().max_total_number_bits))
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _charge(q: fmpq) -> fmpq:
    budget = _BUDGET.get()
    if budget is not None:
        budget.used += q.height_bits()
        if budget.used > budget.limit:
            raise InputError(f"{budget.source}: its numbers need more than max_total_number_bits={budget.limit} "
                             "bits (raise it with --limit max_total_number_bits=N)")
    return q


def parse_number(value: Any, where: str = "", *, max_bits: int | None = None, limit_name: str = "") -> fmpq:
    """Parse an exact rational from an int, a string ("p/q", "0.125", "-1e-3"), or an fmpq.

    ``where`` names the value in error messages (e.g. ``"W_hh[3][7]"``). Strings are ASCII only and at
    most ``max_number_chars`` long; numerator and denominator have at most ``max_bits`` bits (default
    ``max_number_bits``; ``limit_name`` names the limit in the error), decided from the digit count and
    the exponent before the integer is built. Python floats are refused: use :func:`from_float` when a
    float *is* the data.
    """
    limits = current_limits()
    if max_bits is None:
        max_bits, limit_name = limits.max_number_bits, limit_name or "max_number_bits"
    limit_name = limit_name or "max_number_bits"
    if isinstance(value, fmpq):  # already exact and in memory (built by certify itself)
        return value
    if isinstance(value, Fraction):
        return fmpq(value.numerator, value.denominator)
    if isinstance(value, bool):
        raise invalid(value, where, "is a boolean, not a number")
    if isinstance(value, (int, fmpz)):  # a JSON integer: bounded like its text
        n = value.height_bits() if isinstance(value, fmpz) else abs(value).bit_length()
        if n > max_bits:
            raise invalid(value, where, f"needs {n} bits, more than {limit_name}={max_bits} "
                                      f"(raise it with --limit {limit_name}=N)")
        return _charge(fmpq(value))
    if isinstance(value, JsonConstant):
        raise invalid(value, where, "is not a finite number")
    if isinstance(value, float):
        raise invalid(value, where, "is a binary float; write it as an exact string such as \"0.125\"")
    if not isinstance(value, str):
        raise invalid(value, where, f"is a {type(value).__name__}, not a number")
    if len(value) > limits.max_number_chars:
        raise invalid(value[:20], where, f"is a number string longer than max_number_chars={limits.max_number_chars} "
                                       "characters (raise it with --limit max_number_chars=N)")
    if not value.isascii():
        raise invalid(value, where, "is not a number: only ASCII digits 0-9 are accepted")
    text = value.strip()
    if _INT.fullmatch(text):
        _check_digits(value, where, _significant(text), max_bits, limit_name)
        return _bounded(value, fmpq(_fmpz(text)), where, max_bits, limit_name)
    m = _RATIO.fullmatch(text)
    if m:
        for part in (m.group(1), m.group(2)):
            _check_digits(value, where, _significant(part), max_bits, limit_name)
        den = fmpz(m.group(2))
        if den == 0:
            raise invalid(value, where, "has a zero denominator")
        return _bounded(value, fmpq(_fmpz(m.group(1)), den), where, max_bits, limit_name)
    m = _DECIMAL.fullmatch(text)
    if m and (m.group(2) or m.group(3)):
        return _decimal(value, where, m, max_bits, limit_name)
    if text.lower().lstrip("+-") in {"nan", "inf", "infinity"}:
        raise invalid(value, where, "is not a finite number")
    raise invalid(value, where, 'is not a number (expected an integer, "p/q" or a decimal like "0.125")')


def _significant(digits: str) -> int:
    return len(digits.lstrip("+-").lstrip("0"))


def _check_digits(value: str, where: str, digits: int, max_bits: int, limit_name: str) -> None:
    if _min_bits(digits) > max_bits:
        raise invalid(value, where, f"needs at least {_min_bits(digits)} bits, more than {limit_name}={max_bits} "
                                  f"(raise it with --limit {limit_name}=N)")


def _decimal(value: str, where: str, m: re.Match[str], max_bits: int, limit_name: str) -> fmpq:
    sign, whole, frac, exp = m.group(1), m.group(2) or "", m.group(3) or "", m.group(4)
    if exp is not None and len(exp.lstrip("+-").lstrip("0")) > 12:
        raise invalid(value, where, f"has a decimal exponent beyond what {limit_name}={max_bits} allows")
    e = (int(exp) if exp is not None else 0) - len(frac)
    mantissa = (whole + frac).lstrip("0")
    if not mantissa:
        return _charge(ZERO)
    d = len(mantissa)
    _check_digits(value, where, d, max_bits, limit_name)
    # the value is M·10^e: an integer of d + e digits, or a fraction whose reduced denominator exceeds 10^(-e-d)
    need = _min_bits(d + e) if e >= 0 else _min_bits(-e - d + 1)
    if need > max_bits:
        raise invalid(value, where, f"has a decimal exponent beyond what {limit_name}={max_bits} allows "
                                  f"(at least {need} bits; raise it with --limit {limit_name}=N)")
    man = fmpz(mantissa)
    result = fmpq(man * fmpz(10) ** e) if e >= 0 else fmpq(man, fmpz(10) ** (-e))
    return _bounded(value, -result if sign == "-" else result, where, max_bits, limit_name)


def _bounded(value: Any, q: fmpq, where: str, max_bits: int, limit_name: str) -> fmpq:
    n = q.height_bits()
    if n > max_bits:
        raise invalid(value, where, f"needs {n} bits, more than {limit_name}={max_bits} "
                                  f"(raise it with --limit {limit_name}=N)")
    return _charge(q)


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
        raise invalid(f, where, "is not a finite number")
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
    return q.height_bits()


def relu(q: fmpq) -> fmpq:
    """Exact ReLU."""
    return q if q > 0 else ZERO
