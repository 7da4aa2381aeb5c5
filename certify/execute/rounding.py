"""Directed rounding in float64 without touching the rounding mode: every helper states the inequality
it guarantees, and ``tests/unit/test_rounding.py`` checks each one against exact rationals.

Two families (``research/rigorous-numerics.md`` §1):

* **error-free transformations** (:func:`two_sum`, :func:`err_prod`) recover the rounding error of one
  sum or product, so that :func:`add_up`, :func:`add_down` and :func:`mul_up` round in the wanted
  direction *and* return the exact result whenever the float operation was exact;
* **a-priori inflations** (:func:`up`, :func:`next_up`, :func:`next_up_nonzero`) bound one
  round-to-nearest result from above, cheaply, on any array namespace (:func:`up`) or on NumPy.

Rationals enter float64 through :func:`nearest`, :func:`round_up`, :func:`float_ball` and
:func:`tight_ball`; :func:`certify.rational.from_float` is the way back, exactly.

>>> bool(add_up(1.0, 2.0**-60) > 1.0), bool(add_down(1.0, 2.0**-60) == 1.0), bool(add_up(1.0, 0.5) == 1.5)
(True, True, True)
>>> tight_ball(fmpq(1, 3))[1] <= float_ball(fmpq(1, 3))[1]
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from flint import fmpq

from certify.errors import InputError
from certify.rational import from_float

U = 2.0**-53  #: unit roundoff of binary64, round to nearest
ETA = 2.0**-1074  #: smallest subnormal
REALMIN = 2.0**-1022  #: smallest normal

_SPLIT = 134217729.0  # 2^27 + 1 (Veltkamp)
_BIG = 2.0**500  # beyond it Veltkamp's split may overflow
TINY = 2.0**-900  #: below it a product's rounding error may underflow (Dekker's TwoProduct is then not exact)
_ETA_GUARD = 2.0**-1070  # absolute error term for products flagged unsafe


# --- rationals into float64 and back ------------------------------------------------------------------------
def nearest(q: fmpq) -> float:
    """``fl(q)``: the float nearest to ``q`` (ties to even), as CPython's correctly rounded int/int division.

    >>> nearest(fmpq(1, 3)) == 1 / 3, nearest(fmpq(-3, 4))
    (True, -0.75)
    """
    return int(q.p) / int(q.q)


def round_up(q: fmpq) -> float:
    """The smallest float ≥ ``q`` (``q`` in the float range): ``from_float(round_up(q)) ≥ q``, with equality
    when ``q`` is a float.

    >>> round_up(fmpq(1, 4)), from_float(round_up(fmpq(1, 3))) >= fmpq(1, 3)
    (0.25, True)
    """
    hat = nearest(q)
    return hat if from_float(hat) >= q else math.nextafter(hat, math.inf)


def float_ball(q: fmpq, where: str = "value") -> tuple[float, float]:
    """A float64 ball ``<m, r>`` that contains the rational ``q``: ``m = nearest(q)`` and
    ``r = next_up(nearest(|q - m|)) ≥ |q - m|`` (0 when ``q`` is a float). The interval executor's ball.

    >>> float_ball(fmpq(3, 4))
    (0.75, 0.0)
    >>> m, r = float_ball(fmpq(1, 3)); m, 0 < r <= 2**-54
    (0.3333333333333333, True)
    >>> float_ball(fmpq(10) ** 400, "b[0]")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    certify.errors.InputError: b[0]=1000000000... is too large for the float64 executor (|value| > 2^1000); ...
    """
    p, d = int(q.p), int(q.q)
    if abs(p) > d << 1000:
        raise InputError(f"{where}={str(q)[:10]}... is too large for the float64 executor (|value| > 2^1000); "
                         "use --backend arb or exact")
    m = p / d  # CPython's int/int true division is correctly rounded
    num, den = m.as_integer_ratio()
    if num * d == p * den:
        return m, 0.0
    return m, next_up(nearest(abs(q - fmpq(num, den))))


def float_balls(values: Sequence[fmpq], where: str = "value") -> tuple[np.ndarray, np.ndarray]:
    """Vector form of :func:`float_ball`: ``(mid, rad)`` arrays."""
    mids, rads = np.empty(len(values)), np.empty(len(values))
    for i, v in enumerate(values):
        mids[i], rads[i] = float_ball(v, f"{where}[{i}]")
    return mids, rads


def tight_ball(q: fmpq) -> tuple[float, float]:
    """A float64 ball ``<m, r>`` that contains ``q`` with the smallest float radius: ``m = nearest(q)``,
    ``r = round_up(|q - m|)`` (0 when ``q`` is a float). The TMNU enclosures' coefficients.

    >>> tight_ball(fmpq(5, 8))
    (0.625, 0.0)
    >>> m, r = tight_ball(fmpq(1, 10)); abs(fmpq(1, 10) - from_float(m)) <= from_float(r), r < 2.0**-56
    (True, True)
    """
    hat = nearest(q)
    err = abs(q - from_float(hat))
    return (hat, 0.0) if err == 0 else (hat, round_up(err))


# --- a-priori upward inflations -------------------------------------------------------------------------------
def up(v: Any) -> Any:
    """For ``v = fl(x)``, the round-to-nearest result of *one* operation on floats with exact result
    ``x ≥ 0``: ``up(v) = fl(fl(v·(1 + 2^-49)) + 2·realmin) ≥ x`` (it covers the rounding and any underflow).
    Works on floats and on arrays of any namespace (NumPy, CuPy, array-api-strict).

    >>> bool(up(1.0) > 1.0), bool(up(0.0) > 0.0)
    (True, True)
    """
    return v * (1 + 2.0**-49) + 2 * REALMIN


def next_up(v: Any) -> Any:
    """The next float above ``v`` (elementwise on arrays). For ``v = fl(x)``, one round-to-nearest
    operation with exact result ``x``: ``next_up(v) ≥ x``, and always ``next_up(v) > v`` for finite ``v``.

    >>> next_up(1.0) == 1.0 + 2.0**-52, bool(next_up(np.array([0.0]))[0] == ETA)
    (True, True)
    """
    if isinstance(v, float):
        return math.nextafter(v, math.inf)
    return np.nextafter(v, np.inf)


def next_up_nonzero(v: Any) -> np.ndarray:
    """:func:`next_up` except that zeros stay zero: ``≥ x`` for ``v = fl(x)`` of one round-to-nearest
    operation whenever a zero result is exact (e.g. a product with an exact zero factor).

    >>> next_up_nonzero(np.array([0.0, 1.0])).tolist() == [0.0, 1.0 + 2.0**-52]
    True
    """
    return np.where(v == 0, 0.0, np.nextafter(v, np.inf))


# --- error-free transformations and directed operations (exact when the float operation is) ----------------
def two_sum(a: Any, b: Any) -> tuple[Any, Any]:
    """Knuth's TwoSum: ``s = fl(a + b)`` and ``e`` with ``s + e == a + b`` exactly, for finite ``a``, ``b``
    whose sum does not overflow.

    >>> two_sum(1.0, 2.0**-60) == (1.0, 2.0**-60)
    True
    """
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def err_prod(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    """``p = fl(a·b)`` and ``e ≥ |a·b - p|``, with ``e == 0`` exactly when the product is exact.

    Dekker's TwoProduct (Veltkamp split) gives the error exactly away from overflow and underflow;
    where an operand exceeds 2^500, or ``|p|`` is below 2^-900 (0 included: an underflowed product)
    while neither factor is 0, the bound ``|p|·2^-50 + 2^-1070`` is used instead.

    >>> p, e = err_prod(np.array([3.0, 2.0**-600]), np.array([0.1, 2.0**-600])); bool(e[0] > 0), bool(e[1] > 0)
    (True, True)
    """
    p = a * b
    ca = _SPLIT * a
    ah = ca - (ca - a)
    al = a - ah
    cb = _SPLIT * b
    bh = cb - (cb - b)
    bl = b - bh
    e = np.abs(((ah * bh - p) + ah * bl + al * bh) + al * bl)  # Dekker: exact away from over/underflow
    # a product of nonzero factors below TINY, or underflowed to 0, may have lost bits that Dekker cannot see
    unsafe = (np.abs(a) > _BIG) | (np.abs(b) > _BIG) | ((np.abs(p) < TINY) & (a != 0) & (b != 0))
    return p, np.where(unsafe, np.abs(p) * 2.0**-50 + _ETA_GUARD, e)


def add_up(a: Any, b: Any) -> np.ndarray:
    """``add_up(a, b) ≥ a + b``, equal to it when the float sum is exact."""
    s, e = two_sum(a, b)
    return np.where(e > 0, np.nextafter(s, np.inf), s)


def add_down(a: Any, b: Any) -> np.ndarray:
    """``add_down(a, b) ≤ a + b``, equal to it when the float sum is exact."""
    s, e = two_sum(a, b)
    return np.where(e < 0, np.nextafter(s, -np.inf), s)


def mul_up(a: Any, b: Any) -> np.ndarray:
    """``mul_up(a, b) ≥ a·b`` for ``a, b ≥ 0``, equal to it when the float product is exact."""
    p, e = err_prod(a, b)
    return np.where(e > 0, add_up(p, e), p)
