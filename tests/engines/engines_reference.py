"""An independent Fraction evaluator of the any-RNN semantics and a random network maker (tests only)."""

from __future__ import annotations

import random
from fractions import Fraction

from flint import fmpq

from certify.spec.network import Layer, Network
from certify.spec.sparse import SparseMatrix

PWL = ("relu", "hardtanh", "satlin", "identity")


def sigma(name: str, z: Fraction, clamp: Fraction = Fraction(1)) -> Fraction:
    if name == "relu":
        return max(z, Fraction(0))
    if name == "hardtanh":
        return min(max(z, -clamp), clamp)
    if name == "satlin":
        return min(max(z, Fraction(0)), clamp)
    if name == "identity":
        return z
    raise ValueError(name)


def fr(v: fmpq) -> Fraction:
    return Fraction(int(v.p), int(v.q))


def dense(m: SparseMatrix) -> list[list[Fraction]]:
    return [[fr(v) for v in row] for row in m.to_dense()]


def matvec(m: list[list[Fraction]], v: list[Fraction]) -> list[Fraction]:
    return [sum((a * b for a, b in zip(row, v, strict=True)), Fraction(0)) for row in m]


def reference_run(net: Network, x: list[Fraction], steps: int, kind: str) -> list[list[Fraction]]:
    """y_1 … y_steps by the textbook recurrences, with Python Fractions only."""
    layers = [(dense(L.W_hh), dense(L.W_ih), [fr(v) for v in L.b], [fr(v) for v in L.h0], L.activation)
              for L in net.layers]
    P = dense(net.P) if net.P is not None else None
    Q = dense(net.Q) if net.Q is not None else None
    W_out, b_out = dense(net.W_out), [fr(v) for v in net.b_out]
    hs = [list(h0) for *_, h0, _ in layers]
    ys = []
    for t in range(1, steps + 1):
        xt = x if kind == "constant" or t == 1 else [Fraction(0)] * len(x)
        u = matvec(P, xt) if P is not None else xt
        for k, (whh, wih, b, _, name) in enumerate(layers):
            z = [p + q + c for p, q, c in zip(matvec(whh, hs[k]), matvec(wih, u) if u else [Fraction(0)] * len(b),
                                                b, strict=True)]
            hs[k] = [sigma(name, v) for v in z]
            u = hs[k]
        s = matvec(Q, hs[-1]) if Q is not None else hs[-1]
        ys.append([a + c for a, c in zip(matvec(W_out, s), b_out, strict=True)])
    return ys


def _mat(rng: random.Random, n: int, m: int, scale: int, density: float = 0.7) -> list[list[object]]:
    return [[f"{rng.randint(-scale, scale)}/{rng.choice((2, 3, 4, 5, 8))}" if rng.random() < density else 0
             for _ in range(m)] for _ in range(n)]


def random_network(rng: random.Random, activations: tuple[str, ...], d: int, use_p: bool, use_q: bool,
                   width: int = 3) -> Network:
    """A random stacked network; recurrent weights small (spectral size < 1) so runs stay moderate."""
    din = rng.randint(1, 3) if use_p else d
    layers, prev = [], din
    for name in activations:
        n = rng.randint(1, width)
        whh = [[f"{rng.randint(-2, 2)}/{4 * n}" for _ in range(n)] for _ in range(n)]
        layers.append(Layer.from_dense(W_hh=whh, W_ih=_mat(rng, n, prev, 3), b=_mat(rng, 1, n, 2)[0],
                                       h0=_mat(rng, 1, n, 2)[0], activation=name))
        prev = n
    q = SparseMatrix.from_dense(_mat(rng, rng.randint(1, 3), prev, 2)) if use_q else None
    s = q.shape[0] if q is not None else prev
    out = rng.randint(1, 2)
    return Network(layers=tuple(layers), W_out=SparseMatrix.from_dense(_mat(rng, out, s, 3, 1.0)),
                   b_out=tuple(fmpq(rng.randint(-2, 2), 3) for _ in range(out)),
                   P=SparseMatrix.from_dense(_mat(rng, din, d, 3, 1.0)) if use_p else None, Q=q)
