"""Rigorous float64 images of the activations, on any array namespace: balls and affine forms.

**Balls** ``(D, S)`` with ``|z − D| ≤ S`` map to ``(M, R)`` with ``|σ(z) − M| ≤ R``:

* relu, hardtanh, satlin, identity are 1-Lipschitz and exact on floats, so ``M = σ(D)``, ``R = S``; the
  radius drops to 0 where the ball provably lies in a flat piece (``fl(D + S) < kink`` implies
  ``D + S < kink``; ``fl(D − S) > kink`` implies ``D − S > kink``: rounding is monotone).
* tanh and sigmoid are increasing: the image of ``[lo, hi] ⊇ [D − S, D + S]`` (:func:`outward`) is
  ``[σ(lo), σ(hi)]``; each end is computed with the library's tanh/exp and widened by
  :data:`REL_MARGIN`·|value| + :data:`ABS_MARGIN`, then clipped to the activation's range.

**Accuracy assumed of the library** (the only non-exact ingredient). NumPy's own accuracy tests
(``umath-validation-set-tanh.csv``, ``…-exp.csv``) allow at most 2 ulp for float64 tanh and exp; glibc
documents ≤ 2 ulp, CUDA ≤ 2 ulp (tanh) and ≤ 1 ulp (exp). Sigmoid ``1/(1 + e^(−v))`` adds at most two
roundings (relative error ≤ 2u; ``1 + e`` does not amplify the relative error of ``e``). We widen by
2^-44 relative (≥ 256 ulp: a safety factor above 100) and ``tests/engines`` check the widened bounds
against 200-bit mpmath at thousands of points, extremes included. Where ``exp`` could overflow
(v < −700) the bound is replaced by the exact fact ``0 < σ(v) < e^v < 2^-1000``.

**Affine forms** ``c + Σ g_k ξ_k ± r`` (:func:`affine_pwl`): a unit whose interval lies in one linear
piece stays exact (a flat piece gives its constant); otherwise σ(z) ∈ λz + [Δlo, Δhi] with λ the chord
slope clipped to [0, 1], Δ found at the ends and the kinks inside (σ(z) − λz is piecewise linear), every
rounding bounded by :func:`~certify.execute.rounding.up`. For relu this is DeepZ's relaxation. tanh and
sigmoid fall back to the ball image of the interval (sound, not affine).

>>> import numpy as np
>>> M, R = ball("hardtanh", np, np.array([0.5, 3.0, -0.9]), np.array([0.25, 0.5, 0.05]))
>>> M.tolist(), R.tolist()
([0.5, 1.0, -0.9], [0.25, 0.0, 0.05])
>>> M, R = ball("tanh", np, np.array([0.0]), np.array([0.0]))
>>> bool(M[0] == 0.0 and 0 < R[0] < 1e-300)
True
"""

from __future__ import annotations

from typing import Any

from certify.errors import InputError
from certify.execute.rounding import up
from certify.spec.activation import ACTIVATIONS

REL_MARGIN = 2.0**-44  #: relative widening of a library tanh/exp value (≥ 256 ulp)
ABS_MARGIN = 2.0**-1040  #: absolute widening (covers subnormal results)
SIGMOID_CUT = -700.0  #: below it exp(−v) may overflow; σ(v) < e^v < 2^-1000 there
SIGMOID_TINY = 2.0**-1000

#: (kinks, value on each piece: None = the identity, else the constant) of each piecewise-linear activation.
PIECES: dict[str, tuple[tuple[float, ...], tuple[float | None, ...]]] = {
    "relu": ((0.0,), (0.0, None)),
    "hardtanh": ((-1.0, 1.0), (-1.0, None, 1.0)),
    "satlin": ((0.0, 1.0), (0.0, None, 1.0)),
    "identity": ((), (None,)),
}
_RANGE = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}


def known(name: str) -> str:
    if name not in ACTIVATIONS:
        raise InputError(f"activation={name!r} is not supported (known: {', '.join(ACTIVATIONS)})")
    return name


def outward(xp: Any, lo: Any, hi: Any) -> tuple[Any, Any]:
    """``(lo', hi')`` with ``lo' ≤ x_lo`` and ``hi' ≥ x_hi`` when ``lo = fl(x_lo)``, ``hi = fl(x_hi)`` are
    results of one round-to-nearest operation each.

    Proof: ``|x − v| ≤ 2^-53|v|`` for ``v = fl(x)`` (sums are exact in the subnormal range); the margin
    ``m = fl(2^-50|v| + 2^-1020) ≥ (1 − 2^-53)(2^-50|v| + 2^-1020)``, and the final ``fl(v ± m)`` errs by at
    most ``2^-53(|v| + m)``; ``m − 2^-53|v| − 2^-53(|v| + m) > 0``.

    >>> import numpy as np
    >>> lo, hi = outward(np, np.array([1.0]), np.array([1.0]))
    >>> bool(lo[0] < 1.0 < hi[0])
    True
    """
    ml = xp.abs(lo) * 2.0**-50 + 2.0**-1020
    mh = xp.abs(hi) * 2.0**-50 + 2.0**-1020
    return lo - ml, hi + mh


def _widen(xp: Any, v: Any, sign: float) -> Any:
    return v + sign * (xp.abs(v) * REL_MARGIN + ABS_MARGIN)


def library_bounds(name: str, xp: Any, v: Any) -> tuple[Any, Any]:
    """``(lower, upper)`` of σ(v) at float points v, for tanh and sigmoid, from the library's tanh/exp."""
    if name == "tanh":
        t = xp.tanh(v)
        return xp.clip(_widen(xp, t, -1.0), -1.0, 1.0), xp.clip(_widen(xp, t, 1.0), -1.0, 1.0)
    if name == "sigmoid":
        far = v < SIGMOID_CUT
        safe = xp.where(far, xp.zeros_like(v), v)
        s = 1.0 / (1.0 + xp.exp(-safe))
        lower = xp.where(far, xp.zeros_like(v), xp.clip(_widen(xp, s, -1.0), 0.0, 1.0))
        upper = xp.where(far, xp.full_like(v, SIGMOID_TINY), xp.clip(_widen(xp, s, 1.0), 0.0, 1.0))
        return lower, upper
    raise InputError(f"activation={name!r} has no library bounds (tanh and sigmoid do)")


def interval_image(name: str, xp: Any, lo: Any, hi: Any) -> tuple[Any, Any]:
    """A ball ``(M, R)`` containing σ([lo, hi]) for any activation (lo, hi: float bounds, lo ≤ hi)."""
    if name in PIECES:
        a, b = pwl_value(name, xp, lo), pwl_value(name, xp, hi)
    else:
        a, _ = library_bounds(name, xp, lo)
        _, b = library_bounds(name, xp, hi)
    mid = (a + b) * 0.5  # in [a, b]: rounding is monotone
    return mid, up(xp.maximum(up(b - mid), up(mid - a)))


def pwl_value(name: str, xp: Any, v: Any) -> Any:
    """σ(v) for a piecewise-linear σ at float points: exact (a clamp)."""
    if name == "relu":
        return xp.maximum(v, xp.zeros_like(v))
    if name == "hardtanh":
        return xp.clip(v, -1.0, 1.0)
    if name == "satlin":
        return xp.clip(v, 0.0, 1.0)
    if name == "identity":
        return v
    raise InputError(f"activation={name!r} is not piecewise linear")


def ball(name: str, xp: Any, D: Any, S: Any) -> tuple[Any, Any]:
    """``(M, R)`` with ``|σ(z) − M| ≤ R`` for every ``|z − D| ≤ S`` (see the module text)."""
    if name in PIECES:
        kinks, values = PIECES[name]
        M = pwl_value(name, xp, D)
        if not kinks:
            return M, S
        flat = xp.zeros_like(D) != 0
        if values[0] is not None:
            flat = flat | (kinks[0] > (D + S))
        if values[-1] is not None:
            flat = flat | (kinks[-1] < (D - S))
        return M, xp.where(flat, xp.zeros_like(S), S)
    lo, hi = outward(xp, D - S, D + S)
    return interval_image(known(name), xp, lo, hi)


def affine_pwl(name: str, xp: Any, C: Any, gens: list[Any], S: Any) -> tuple[Any, list[Any], Any]:
    """``(C', gens', R')`` enclosing σ(z) for every ``z = C + Σ g_k ξ_k + e``, ``|ξ_k| ≤ 1``, ``|e| ≤ S``."""
    s_up = S
    for g in gens:
        s_up = up(s_up + xp.abs(g))
    lo, hi = outward(xp, C - s_up, C + s_up)
    if name not in PIECES:  # tanh, sigmoid: the ball image of the interval
        mid, rad = interval_image(known(name), xp, lo, hi)
        return mid, [xp.zeros_like(g) for g in gens], rad
    kinks, values = PIECES[name]
    zero = xp.zeros_like(C)
    # 1. the unit lies in one piece: exact (identity) or constant
    cases = []  # (mask, constant or None)
    for i, value in enumerate(values):
        inside = zero == 0
        if i > 0:
            inside = inside & (lo >= kinks[i - 1])
        if i < len(kinks):
            inside = inside & (hi <= kinks[i])
        cases.append((inside, value))
    # 2. otherwise σ(z) ∈ λz + [Δlo, Δhi] (λ = chord slope in [0, 1])
    a, b = pwl_value(name, xp, lo), pwl_value(name, xp, hi)
    width = hi - lo
    lam = xp.where(width > 0, (b - a) / xp.where(width > 0, width, xp.ones_like(width)), zero)
    lam = xp.clip(xp.where(xp.isnan(lam), zero, lam), 0.0, 1.0)
    points = [lo, hi] + [xp.where((lo < k) & (k < hi), xp.full_like(lo, k), lo) for k in kinks]
    ds, es = [], []
    for p in points:
        q = lam * p
        d = pwl_value(name, xp, p) - q  # σ(p) − λp within 2^-52(|d| + |q|) + 2^-1074
        ds.append(d)
        es.append(up(up(xp.abs(d) + xp.abs(q)) * 2.0**-51))
    dmax, dmin, emax = ds[0], ds[0], es[0]
    for d, e in zip(ds[1:], es[1:], strict=True):
        dmax, dmin, emax = xp.maximum(dmax, d), xp.minimum(dmin, d), xp.maximum(emax, e)
    mid = (dmax + dmin) * 0.5
    half = up(xp.maximum(up(dmax - mid), up(mid - dmin)) + emax)
    lc = lam * C
    c_new = lc + mid
    g_new = [lam * g for g in gens]
    gsum = up(xp.abs(lc) + xp.abs(c_new))
    for g in g_new:
        gsum = up(gsum + xp.abs(g))
    err = up(gsum * 2.0**-52)
    r_new = up(up(up(lam * S) + half) + err)
    out_c, out_g, out_r = c_new, g_new, r_new
    for inside, value in reversed(cases):
        if value is None:
            out_c = xp.where(inside, C, out_c)
            out_g = [xp.where(inside, g, h) for g, h in zip(gens, out_g, strict=True)]
            out_r = xp.where(inside, S, out_r)
        else:
            out_c = xp.where(inside, xp.full_like(C, value), out_c)
            out_g = [xp.where(inside, zero, h) for h in out_g]
            out_r = xp.where(inside, zero, out_r)
    return out_c, out_g, out_r
