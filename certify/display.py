"""Exact numbers for people: :func:`round_decimal` rounds a rational to a few significant digits in a
chosen direction, so that a displayed *upper* bound is never below the bound (``"up"``) and a displayed
*lower* bound never above it (``"down"``). No float is involved: ``f"{float(q):.3e}"`` rounds to
nearest and can show a number below the bound it stands for.

>>> q = fmpq(10479, 100000000)           # 1.0479e-04
>>> f"{float(q):.3e}", round_decimal(q, 4, "up"), round_decimal(q, 4, "down")
('1.048e-04', '1.048e-04', '1.047e-04')
>>> q = fmpq(10471, 100000000)           # 1.0471e-04: rounding to nearest understates it
>>> f"{float(q):.3e}", round_decimal(q, 4, "up")
('1.047e-04', '1.048e-04')
>>> round_decimal(fmpq(1, 3), 4, "nearest", notation="g"), round_decimal(fmpq(1, 4096), 4, "up", notation="short")
('0.3333', '2.442e-4')
"""

from __future__ import annotations

from typing import Literal

from flint import fmpq, fmpz

Direction = Literal["up", "down", "nearest"]
#: ``e``: always scientific, like ``format(x, ".3e")`` for 4 digits (``1.048e-04``); ``g``: like
#: ``format(x, ".4g")`` (fixed between 1e-4 and 10^digits, trailing zeros dropped); ``short``: fixed
#: between 1e-3 and 1e6, else ``2.442e-4`` (the report's tables).
Notation = Literal["e", "g", "short"]
DIRECTIONS = ("up", "down", "nearest")
NOTATIONS = ("e", "g", "short")


def round_decimal(q: fmpq | int, digits: int, direction: Direction, *, notation: Notation = "e") -> str:
    """``q`` to ``digits`` significant digits, rounded ``up`` (toward +∞), ``down`` (toward −∞) or to the
    ``nearest`` (ties to even), as decimal text in ``notation``.

    The text, read back exactly, is >= q when rounded up and <= q when rounded down:

    >>> from certify.rational import parse_number
    >>> q = fmpq(2**64 + 1, 2**64)
    >>> up, down = round_decimal(q, 3, "up"), round_decimal(q, 3, "down")
    >>> up, down, parse_number(up) >= q >= parse_number(down)
    ('1.01e+00', '1.00e+00', True)
    >>> round_decimal(fmpq(-1, 3), 2, "up"), round_decimal(fmpq(-1, 3), 2, "down")
    ('-3.3e-01', '-3.4e-01')
    >>> round_decimal(fmpq(99999, 1000), 3, "up"), round_decimal(fmpq(99999, 1000), 3, "up", notation="g")
    ('1.00e+02', '100')
    >>> round_decimal(0, 4, "up"), round_decimal(0, 4, "up", notation="g")
    ('0.000e+00', '0')
    >>> round_decimal(fmpq(1), 0, "up")
    Traceback (most recent call last):
    ...
    ValueError: digits=0 is not a positive number of significant digits
    """
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 1:
        raise ValueError(f"digits={digits!r} is not a positive number of significant digits")
    if direction not in DIRECTIONS:
        raise ValueError(f"direction={direction!r} is not one of {', '.join(DIRECTIONS)}")
    if notation not in NOTATIONS:
        raise ValueError(f"notation={notation!r} is not one of {', '.join(NOTATIONS)}")
    q = fmpq(q)
    if q == 0:
        return f"0.{'0' * (digits - 1)}e+00".replace(".e", "e") if notation == "e" else "0"
    sign = "-" if q < 0 else ""
    n, e = _significand(abs(q), digits, _magnitude_rounding(direction, q > 0))
    if notation == "e":
        return sign + _scientific(n, e, digits, pad=True, strip=False)
    if notation == "g":
        fixed = -4 <= e < digits
        text = _fixed(n, e, digits) if fixed else _scientific(n, e, digits, pad=True, strip=True)
    else:
        fixed = -3 <= e <= 5
        text = _fixed(n, e, digits) if fixed else _scientific(n, e, digits, pad=False, strip=True)
    return sign + (_strip(text) if fixed else text)


def round_significant(q: fmpq | int, digits: int, direction: Direction) -> fmpq:
    """``q`` rounded to ``digits`` significant decimal digits in ``direction``, as an exact number (for
    readable claims: :func:`round_decimal` of it shows exactly its value).

    >>> str(round_significant(fmpq(12345, 10**7), 3, "up")), str(round_significant(fmpq(12345, 10**7), 3, "down"))
    ('31/25000', '123/100000')
    """
    text = round_decimal(q, digits, direction)
    mant, _, exp = text.partition("e")
    e = int(exp)
    return fmpq(int(mant.replace(".", "")), 10 ** (digits - 1)) * _pow10(e)


def _magnitude_rounding(direction: Direction, positive: bool) -> str:
    """How to round |q| so that q is rounded in ``direction``: ``ceil``, ``floor`` or ``even``."""
    if direction == "nearest":
        return "even"
    return "ceil" if (direction == "up") == positive else "floor"


def _significand(a: fmpq, digits: int, how: str) -> tuple[int, int]:
    """(n, e) with 10^(digits-1) <= n < 10^digits and n·10^(e-digits+1) = a rounded ``how``."""
    e = len(str(a.p)) - len(str(a.q))
    while a < _pow10(e):
        e -= 1
    while a >= _pow10(e + 1):
        e += 1
    m = a / _pow10(e - digits + 1)
    lo = int(m.p) // int(m.q)
    frac = m - lo
    if how == "ceil":
        n = lo + (frac > 0)
    elif how == "floor":
        n = lo
    else:
        n = lo + (frac > fmpq(1, 2) or (frac == fmpq(1, 2) and lo % 2 == 1))
    if n == 10**digits:  # 9.99.. rounded up to the next power of ten
        n, e = 10 ** (digits - 1), e + 1
    return n, e


def _pow10(e: int) -> fmpq:
    return fmpq(fmpz(10) ** e) if e >= 0 else fmpq(1, fmpz(10) ** -e)


def _scientific(n: int, e: int, digits: int, *, pad: bool, strip: bool) -> str:
    s = str(n)
    mant = s[0] + ("." + s[1:] if digits > 1 else "")
    if strip and "." in mant:
        mant = mant.rstrip("0").rstrip(".")
    exp = f"{'-' if e < 0 else '+'}{abs(e):02d}" if pad else str(e)
    return f"{mant}e{exp}"


def _fixed(n: int, e: int, digits: int) -> str:
    places = digits - 1 - e
    if places <= 0:
        return str(n * 10**-places)
    s = str(n).rjust(places + 1, "0")
    return f"{s[:-places]}.{s[-places:]}"


def _strip(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text
