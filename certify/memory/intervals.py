"""Arb balls for the memory engine: activations and their first and second derivatives over a ball, meets
(intersections of two enclosures of one value) that drop a blown-up enclosure, and exact rational endpoints.

>>> upper_q(arb(1) / 3) >= fmpq(1, 3) >= lower_q(arb(1) / 3)
True
>>> piece("hardtanh", fmpq(-1, 2), fmpq(1, 2)), piece("relu", fmpq(-1), fmpq(1)) is None
((1, 0), True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flint import arb, arb_mat, fmpq

from certify.errors import InputError

ZERO, ONE = fmpq(0), fmpq(1)


# --- activations -----------------------------------------------------------------------------------
def piece(name: str, lo: fmpq, hi: fmpq) -> tuple[fmpq, fmpq] | None:
    """(slope, offset) of σ on [lo, hi] when σ is affine there, else None."""
    if name == "identity":
        return ONE, ZERO
    if name == "relu":
        return (ONE, ZERO) if lo >= 0 else (ZERO, ZERO) if hi <= 0 else None
    if name in ("hardtanh", "satlin"):
        floor = -ONE if name == "hardtanh" else ZERO
        if lo >= floor and hi <= 1:
            return ONE, ZERO
        return (ZERO, ONE) if lo >= 1 else (ZERO, floor) if hi <= floor else None
    return None  # tanh, sigmoid: never affine on an interval of positive width


def sigma(name: str, z: arb) -> arb:
    """σ over the ball z (monotone: from its endpoints)."""
    if name == "identity":
        return z
    lo, hi = _sig(name, arb(z.lower())), _sig(name, arb(z.upper()))
    return lo.union(hi)


def _sig(name: str, z: arb) -> arb:
    if name == "relu":
        return z if z >= 0 else arb(0)
    if name == "hardtanh":
        return arb(-1) if z <= -1 else arb(1) if z >= 1 else z
    if name == "satlin":
        return arb(0) if z <= 0 else arb(1) if z >= 1 else z
    if name == "tanh":
        return z.tanh()
    if name == "sigmoid":
        return 1 / (1 + (-z).exp())
    raise InputError(f"activation={name!r} is not supported")


def dsigma(name: str, z: arb) -> arb:
    """An enclosure of σ′ over the ball z (for relu/hardtanh/satlin at a kink: [0, 1])."""
    if name == "identity":
        return arb(1)
    lo, hi = z.lower(), z.upper()
    if name in ("relu", "hardtanh", "satlin"):
        p = piece(name, _fmpq(lo, "down"), _fmpq(hi, "up"))
        return arb(p[0]) if p is not None else arb(fmpq(1, 2), fmpq(1, 2))
    # tanh' = 1 − tanh², sigmoid' = s(1 − s): even, decreasing in |z|; max at the point nearest 0
    near = arb(0) if lo <= 0 <= hi else (lo if lo > 0 else hi)
    far = lo if abs(lo) >= abs(hi) else hi

    def d(v: arb) -> arb:
        if name == "tanh":
            t = arb(v).tanh()
            return 1 - t * t
        s = 1 / (1 + (-arb(v)).exp())
        return s * (1 - s)

    return d(arb(far)).union(d(arb(near)))


def _fmpq(a: arb, direction: str) -> fmpq:
    """An exact endpoint of an arb (lower()/upper() are exact dyadics) as a rational."""
    m, e = a.man_exp()
    q = fmpq(int(m))
    return q * fmpq(2) ** int(e) if e >= 0 else q / fmpq(2) ** int(-e)


def upper_q(a: arb) -> fmpq:
    """A rational ≥ every point of the ball."""
    return _fmpq(a.upper(), "up")


def lower_q(a: arb) -> fmpq:
    """A rational ≤ every point of the ball."""
    return _fmpq(a.lower(), "down")


# --- enclosure mode ----------------------------------------------------------------------------------
def meet(a: arb, b: arb) -> arb:
    """The intersection of two enclosures of one value; a non-finite one (an enclosure that blew up, or NaN
    from ∞ − ∞) is dropped, so that it never spreads through later intersections."""
    if not a.is_finite():
        return b
    if not b.is_finite():
        return a
    try:
        return a.intersection(b)
    except ValueError:  # cannot happen for two enclosures of one set; keep the first, still rigorous
        return a


def meet_mat(a: arb_mat, b: arb_mat) -> arb_mat:
    return arb_mat([[meet(a[i, 0], b[i, 0])] for i in range(a.nrows())])


def map_mat(f: Callable[[arb], arb], A: arb_mat) -> arb_mat:  # noqa: N803
    return arb_mat([[f(A[i, j]) for j in range(A.ncols())] for i in range(A.nrows())])


def rows_scaled(D: Sequence[arb], A: arb_mat) -> arb_mat:  # noqa: N803
    return arb_mat([[D[i] * A[i, j] for j in range(A.ncols())] for i in range(A.nrows())])


def meet_all(a: arb_mat, b: arb_mat) -> arb_mat:
    return arb_mat([[meet(a[i, j], b[i, j]) for j in range(a.ncols())] for i in range(a.nrows())])


#: |σ″| ≤ these (tanh: 4/(3√3) ≈ 0.770; sigmoid: 1/(6√3) ≈ 0.0962), for σ′(z_{t+1}) − σ′(z_t) ∈ σ″·Δz.
SECOND = {"tanh": fmpq(77, 100), "sigmoid": fmpq(1, 10)}


def second(name: str, z: arb) -> arb:
    """An enclosure of σ″ over the ball z (interval arithmetic on the closed form; never wider than the global
    bound |σ″| ≤ SECOND[name])."""
    if name == "tanh":
        t = z.tanh()
        v = -2 * t * (1 - t * t)
    else:
        s = 1 / (1 + (-z).exp())
        v = s * (1 - s) * (1 - 2 * s)
    return meet(v, arb(0, SECOND[name]))


def hull(a: arb, b: arb) -> arb:
    return a.union(b)


def ball(lo: fmpq, hi: fmpq) -> arb:
    return arb((lo + hi) / 2, (hi - lo) / 2) if lo != hi else arb(lo)
