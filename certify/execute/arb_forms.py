"""Centred forms of y_T over an x-interval with arb at any precision: y(x) ∈ y(m) + y′(X)·(x − m) for every x in
X = [lo, hi] (m its midpoint), from a point run at m and a forward-mode run of the derivative over X.

The point run encloses y_T(m) with arb balls at ``prec`` bits (its radius shrinks with the precision). The
derivative run carries, per unit, an enclosure of h over X and of dh/dx over X: dz = W·dh + U·du (du = 1
while x drives the network: every step for a constant input, the first for an impulse), dh = σ′(Z)·dz
with σ′ enclosed over the pre-activation's enclosure Z (ReLU: 0, 1 or [0, 1]; tanh: 1 − tanh²; sigmoid:
s(1 − s)). This is the precision fallback of the lane method: where float64 rounding, not the lane width,
keeps a lane undecided, the same lane is redone here at 128, 256, … bits.

Every product takes an arb on both sides: python-flint's ``fmpq * arb`` returns a much wider ball than
``arb * arb``, so weights are converted first.

>>> from flint import fmpq
>>> from certify.spec.network import Layer, Network
>>> from certify.spec.sparse import SparseMatrix
>>> net = Network(layers=(Layer.from_dense(W_hh=[[0]], W_ih=[[1]], b=[0], activation="tanh"),),
...               W_out=SparseMatrix.from_dense([[2]]), b_out=(fmpq(0),))
>>> y, dy = centred_forms(net, "constant", fmpq(0), fmpq(1, 8), [1], prec=128)[1]
>>> y.overlaps(2 * arb(fmpq(1, 16)).tanh()), dy.contains(2 * (1 - arb(fmpq(1, 16)).tanh() ** 2))
(True, True)
"""

from __future__ import annotations

from collections.abc import Sequence

from flint import arb, ctx, fmpq

from certify.execute.balls import activate
from certify.spec.network import Network
from certify.spec.sparse import SparseMatrix


def _matvec(mat: SparseMatrix, v: Sequence[arb]) -> list[arb]:
    out = [arb(0)] * mat.shape[0]
    for i, j, w in mat.entries():
        out[i] = out[i] + arb(w) * v[j]
    return out


def _hull(lo: arb, hi: arb) -> arb:
    return arb((lo + hi) / 2, (hi - lo) / 2)


def derivative(name: str, z: arb) -> arb:
    """An enclosure of σ′ over the ball z (one-sided derivatives at a kink included)."""
    if name == "identity":
        return arb(1)
    if name in ("relu", "hardtanh", "satlin"):
        lo_k, hi_k = {"relu": (arb(0), None), "hardtanh": (arb(-1), arb(1)), "satlin": (arb(0), arb(1))}[name]
        inside_low = z > lo_k
        inside_high = hi_k is None or z < hi_k
        outside = (z < lo_k) or (hi_k is not None and z > hi_k)
        if inside_low and inside_high:
            return arb(1)
        if outside:
            return arb(0)
        return arb("0.5", "0.5")
    if not z.is_finite():
        return arb("0.5", "0.5")
    if name == "tanh":
        t = abs(activate("tanh", z))
        return _hull(1 - t.upper() ** 2, 1 - t.lower() ** 2)
    s = activate("sigmoid", z)
    lo, hi = s.lower(), s.upper()
    e0, e1 = lo * (1 - lo), hi * (1 - hi)  # s(1 − s) is concave: its minimum is at an end
    low = e0.lower() if e0.lower() < e1.lower() else e1.lower()
    top = arb(1) / 4 if (lo <= arb(1) / 2 <= hi) else (e0.upper() if e0.upper() > e1.upper() else e1.upper())
    return _hull(low, top.upper())


def centred_forms(net: Network, kind: str, lo: fmpq, hi: fmpq, times: Sequence[int],
                  prec: int = 128) -> dict[int, tuple[arb, arb]]:
    """For each T in ``times``: (an enclosure of y_T(m), an enclosure of y_T′ over [lo, hi]), first output."""
    old = ctx.prec
    ctx.prec = prec
    try:
        m = arb((lo + hi) / 2)
        box = _hull(arb(lo), arb(hi))
        point = [arb(v) for v in net.h0]
        over = [arb(v) for v in net.h0]
        slope = [arb(0)] * len(over)
        want = set(times)
        out: dict[int, tuple[arb, arb]] = {}
        for t in range(1, max(times, default=0) + 1):
            on = kind == "constant" or t == 1
            u_p, u_x, u_d = ([m], [box], [arb(1)]) if on else ([arb(0)], [arb(0)], [arb(0)])
            if net.P is not None:
                u_p, u_x, u_d = _matvec(net.P, u_p), _matvec(net.P, u_x), _matvec(net.P, u_d)
            new_p, new_x, new_d, k = [], [], [], 0
            for layer in net.layers:
                n = layer.hidden_dim
                hp, hx, hd = point[k:k + n], over[k:k + n], slope[k:k + n]
                zp = [a + arb(b) for a, b in zip(_matvec(layer.W_hh, hp), layer.b, strict=True)]
                zx = [a + arb(b) for a, b in zip(_matvec(layer.W_hh, hx), layer.b, strict=True)]
                zd = _matvec(layer.W_hh, hd)
                if layer.input_dim:
                    zp = [a + b for a, b in zip(zp, _matvec(layer.W_ih, u_p), strict=True)]
                    zx = [a + b for a, b in zip(zx, _matvec(layer.W_ih, u_x), strict=True)]
                    zd = [a + b for a, b in zip(zd, _matvec(layer.W_ih, u_d), strict=True)]
                u_p = [activate(layer.activation, z) for z in zp]
                u_x = [activate(layer.activation, z) for z in zx]
                u_d = [derivative(layer.activation, z) * d for z, d in zip(zx, zd, strict=True)]
                new_p += u_p
                new_x += u_x
                new_d += u_d
                k += n
            point, over, slope = new_p, new_x, new_d
            if t in want:
                last = len(point) - net.layers[-1].hidden_dim
                sp, sd = point[last:], slope[last:]
                if net.Q is not None:
                    sp, sd = _matvec(net.Q, sp), _matvec(net.Q, sd)
                yp = _matvec(net.W_out, sp)[0] + arb(net.b_out[0])
                out[t] = (yp, _matvec(net.W_out, sd)[0])
        return out
    finally:
        ctx.prec = old
