"""Compile a :class:`~certify.deep.target.Target` to a deep narrow ReLU RNN whose output equals it exactly on K^N.

Two constructions, both built from the paper's pieces (docs/deep-narrow.md says where they differ from it):

* ``continuous`` (every t = 1 … N), width d_x + d_y + 2 (Theorem 5 allows d_x + d_y + 3). Layer 1 is the
  time embedding z[t] = t + (x[t] − lo)/(2(hi − lo)) ∈ [t, t + ½] (Lemma 13: the domains of different t are
  disjoint), with a clock unit. Every hidden node relu(Σ_s a[s]·x[s] + c) of f[T] then costs a block of
  layers on the units (z, buffer, accumulator, y): a token-wise piecewise-linear map of z, one ReLU per layer
  in the buffer, summed into the accumulator (Lemma 7), gives u[s] = Σ_k a[s][k]·x[s][k] + e[s]; one
  recurrent layer sums it over time; the time constants e[s] make the sum at t ≠ T fall below −c (the node
  is 0 there) and leave Σ a·x + c at t = T; the node is added into the y units.
* ``seq2vec`` (t = N only), width d_x + d_y + 1 (Theorem 9). Lemma 6: N stacked recurrent accumulators
  acc_m[t] = acc_m[t−1] + b_m·x̃[t] + acc_{m−1}[t] give Σ_j (Σ_m Λ[m][j] b_m)·x̃[j] at t = N with
  Λ[m][j] = C(2N − j − m, N − m); Λᵀb = a is solved exactly.

Every unit that passes a value on holds it plus a constant offset that keeps it ≥ 0 on K^N, so each ReLU is
the identity there and the network is exact (the proof, :mod:`certify.deep.equivalence`, checks it).

>>> from certify.deep.target import Target
>>> tg = Target.from_lists(dx=1, dy=1, N=2, domain=[[0, 1]], steps=[
...     {"t": 1, "A": [[1]], "c": ["-1/2"], "W": [[1]], "d": [0]},
...     {"t": 2, "A": [[1, -1]], "c": [0], "W": [[2]], "d": [1]}])
>>> net = compile_target(tg)
>>> net.width, net.width <= 1 + 1 + 3
(4, True)
>>> xs = [[fmpq(1)], [fmpq(1, 4)]]
>>> [str(y[0]) for _, _, y in net.run_sequence(xs)] == [str(v[0]) for v in tg.evaluate(xs)]
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import comb

from flint import fmpq, fmpq_mat

from certify.deep.target import StepNet, Target
from certify.errors import InputError
from certify.rational import ZERO
from certify.spec.network import Layer, Network
from certify.spec.sparse import SparseMatrix

HALF = fmpq(1, 2)
ONE = fmpq(1)


@dataclass
class Unit:
    """One unit's pre-activation: Σ inp[j]·u[j] (this layer's input) + Σ rec[j]·h[j] (its own previous state) + bias."""

    inp: dict[int, fmpq] = field(default_factory=dict)
    rec: dict[int, fmpq] = field(default_factory=dict)
    bias: fmpq = ZERO


def relu_layer(units: list[Unit], n_in: int) -> Layer:
    """A ReLU layer of these units reading ``n_in`` inputs, initial state 0."""
    n = len(units)
    return Layer(W_hh=SparseMatrix.from_row_dicts((n, n), [u.rec for u in units]),
                 W_ih=SparseMatrix.from_row_dicts((n, n_in), [u.inp for u in units]),
                 b=tuple(u.bias for u in units), h0=(ZERO,) * n, activation="relu")


@dataclass(frozen=True)
class Node:
    """One hidden node of f[T]: relu(Σ_s a[s]·x[s] + c), added with weights w into the outputs at t = T only."""

    T: int
    a: tuple[tuple[fmpq, ...], ...]   # a[s-1][k], s = 1 … T
    c: fmpq
    w: tuple[fmpq, ...]


def nodes(tg: Target, bias_nodes: bool = True) -> list[Node]:
    """The target's hidden nodes (those with some nonzero output weight), and, with ``bias_nodes``, for each t
    with d_t ≠ 0 a bias node (a = 0, c = 1, w = d_t): relu(0 + 1) = 1 at t = T only."""
    out = []
    for st in tg.steps:
        for i, row in enumerate(st.A):
            a = tuple(tuple(row[s * tg.dx:(s + 1) * tg.dx]) for s in range(st.t))
            w = tuple(st.W[m][i] for m in range(tg.dy))
            if any(w):
                out.append(Node(st.t, a, st.c[i], w))
        if bias_nodes and any(st.d):
            out.append(Node(st.t, tuple((ZERO,) * tg.dx for _ in range(st.t)), ONE, st.d))
    return out


def node_max(tg: Target, nd: Node) -> fmpq:
    """An upper bound of relu(Σ a·x + c) on K^N (exact interval arithmetic)."""
    hi = nd.c
    for row in nd.a:
        for a, (lo_k, hi_k) in zip(row, tg.domain, strict=True):
            hi += max(a * lo_k, a * hi_k)
    return max(hi, ZERO)


#: The deepest network :func:`compile_target` builds (each layer costs the proof time at every t).
MAX_DEPTH = 50_000


def depth_bound(tg: Target) -> int:
    """An upper bound of the depth :func:`compile_target` reaches, known before building anything.

    >>> from certify.deep.target import Target
    >>> depth_bound(Target.from_lists(dx=1, dy=1, N=2, domain=[[0, 1]], steps=[
    ...     {"t": 2, "A": [[1, 1]], "c": [0], "W": [[1]], "d": [0]}], kind="seq2vec"))
    4
    """
    h = sum(len(s.A) + 1 for s in tg.steps)
    if tg.kind == "seq2vec":
        return 1 + (h - 1) * (tg.N + 1)
    return 1 + h * (tg.dx * (2 * tg.N - 2) + 4)


def compile_target(tg: Target) -> Network:
    """The deep narrow ReLU RNN of ``tg`` (continuous or seq2vec construction, by ``tg.kind``)."""
    bound = depth_bound(tg)
    if bound > MAX_DEPTH:
        raise InputError(f"target {tg.name!r} may need depth up to {bound}, above the limit {MAX_DEPTH} (fewer hidden "
                         "nodes, a shorter N or fewer inputs)")
    return _seq2vec(tg) if tg.kind == "seq2vec" else _continuous(tg)


def width_of(tg: Target) -> int:
    """The width :func:`compile_target` reaches: d_x + d_y + 2 (continuous), d_x + d_y + 1 (seq2vec)."""
    return tg.dx + tg.dy + (1 if tg.kind == "seq2vec" else 2)


# --- continuous: time embedding, token-wise PWL maps, buffer and accumulator --------------------------------
@dataclass(frozen=True)
class _Phi:
    """u = const + Σ_k lin[k]·z_k + Σ Δ·relu(z_k − b) on the time-embedded inputs, with an offset bound."""

    const: fmpq
    lin: tuple[fmpq, ...]
    terms: tuple[tuple[int, fmpq, fmpq], ...]   # (k, breakpoint b, Δ)
    offset: fmpq                                # > sup |every partial sum| on z ∈ [1, N + ½]^dx


def _phi(tg: Target, nd: Node, e: list[fmpq]) -> _Phi:
    n, dx = tg.N, tg.dx
    const, lin, terms, bound = ZERO, [], [], ONE
    for k in range(dx):
        lo, hi = tg.domain[k]
        coef = [nd.a[s][k] if s < nd.T else ZERO for s in range(n)]
        v = [coef[s] * lo + (e[s] if k == 0 else ZERO) for s in range(n)]      # φ_k at z = s+1
        alpha = [2 * coef[s] * (hi - lo) for s in range(n)]                    # slope on [s+1, s+1+½]
        knots: list[tuple[fmpq, fmpq]] = []                                    # (breakpoint, slope after)
        for s in range(n):
            knots.append((fmpq(s + 1), alpha[s]))
            if s + 1 < n:
                knots.append((fmpq(s + 1) + HALF, 2 * (v[s + 1] - v[s] - alpha[s] * HALF)))
        const += v[0] - alpha[0]
        lin.append(alpha[0])
        top = fmpq(n) + HALF
        bound += abs(v[0]) + abs(alpha[0]) * (top - 1)
        for (_, before), (b, after) in zip(knots, knots[1:], strict=False):
            if after != before:
                terms.append((k, b, after - before))
                bound += abs(after - before) * (top - b)
    return _Phi(const, tuple(lin), tuple(terms), bound)


def _time_constants(tg: Target, nd: Node) -> list[fmpq]:
    """e[s] (s = 1 … N) with E[t] = Σ_{s≤t} e[s] = M for t ≠ T and 2M + |c| + 1 at t = T, where M bounds every
    partial sum |Σ_{s≤t} a[s]·x[s]| + 1: the recurrent sum stays ≥ 1, and the node is 0 at every t ≠ T."""
    m = ONE
    for row in nd.a:
        for a, (lo, hi) in zip(row, tg.domain, strict=True):
            m += abs(a) * max(abs(lo), abs(hi))
    big = [m] * tg.N
    big[nd.T - 1] = 2 * m + abs(nd.c) + 1
    return [big[s] - (big[s - 1] if s else ZERO) for s in range(tg.N)]


def _continuous(tg: Target) -> Network:
    dx, dy = tg.dx, tg.dy
    width = dx + dy + 2
    buf, acc = dx, dx + 1
    ys = [dx + 2 + m for m in range(dy)]
    nds = nodes(tg)
    if not nds:
        raise InputError(f"target {tg.name!r} is identically 0: nothing to compile (every W and d is 0)")
    yoff = [ONE + sum((abs(nd.w[m]) * node_max(tg, nd) for nd in nds), ZERO) for m in range(dy)]
    # layer 1: z_k[t] = relu(scale·x + shift + τ[t−1] + 1) = t + (x_k − lo_k)/(2(hi_k − lo_k)); τ[t] = t
    first = []
    for k, (lo, hi) in enumerate(tg.domain):
        scale = 1 / (2 * (hi - lo))
        first.append(Unit(inp={k: scale}, rec={dx: ONE}, bias=1 - lo * scale))
    first.append(Unit(rec={dx: ONE}, bias=ONE))
    layers = [relu_layer(first, dx)]

    def wide(b: Unit, a: Unit, w: tuple[fmpq, ...] = ()) -> None:
        """One layer of width d_x + d_y + 2: z carried, buffer b, accumulator a, y (+ w·buffer of the input)."""
        fresh = len(layers) == 1   # the first wide layer reads z only and sets y to its offset
        units = [Unit(inp={k: ONE}) for k in range(dx)] + [b, a]
        for m, j in enumerate(ys):
            u = Unit(bias=yoff[m]) if fresh else Unit(inp={j: ONE})
            if w and w[m]:
                u.inp[buf] = w[m]
            units.append(u)
        layers.append(relu_layer(units, dx + 1 if fresh else width))

    for nd in nds:
        e = _time_constants(tg, nd)
        ph = _phi(tg, nd, e)
        terms = [Unit(inp={k: ONE}, bias=-b) for k, b, _ in ph.terms]
        init = Unit(inp={k: ph.lin[k] for k in range(dx) if ph.lin[k]}, bias=ph.offset + ph.const)
        wide(terms[0] if terms else Unit(), init)
        for j in range(1, len(terms)):
            wide(terms[j], Unit(inp={acc: ONE, buf: ph.terms[j - 1][2]}))
        last = {acc: ONE} | ({buf: ph.terms[-1][2]} if terms else {})
        wide(Unit(), Unit(inp=last, rec={acc: ONE}, bias=-ph.offset))                 # Σ over time
        wide(Unit(inp={acc: ONE}, bias=nd.c - sum(e[:nd.T], ZERO)), Unit())            # the node
        wide(Unit(), Unit(), w=nd.w)                                                   # into y
    w_out = SparseMatrix.from_row_dicts((dy, width), [{j: ONE} for j in ys])
    return Network(layers=tuple(layers), W_out=w_out, b_out=tuple(-v for v in yoff))


# --- seq2vec: Lemma 6, N stacked accumulators per node -------------------------------------------------------
def lemma6_matrix(n: int) -> list[list[int]]:
    """Λ[m][j] (m, j = 1 … N, 0-based here): the coefficient of b_m·x̃[j] in acc_N[N].

    >>> lemma6_matrix(2)
    [[2, 1], [1, 1]]
    """
    return [[comb(2 * n - j - m, n - m) for j in range(1, n + 1)] for m in range(1, n + 1)]


def _solve(n: int, a: list[fmpq]) -> list[fmpq]:
    """b with Σ_m Λ[m][j]·b_m = a[j] for every j (exact)."""
    lam = lemma6_matrix(n)
    mt = fmpq_mat(n, n, [lam[m][j] for j in range(n) for m in range(n)])   # Λᵀ
    sol = mt.solve(fmpq_mat(n, 1, a))
    return [sol[i, 0] for i in range(n)]


def _seq2vec(tg: Target) -> Network:
    dx, dy, n = tg.dx, tg.dy, tg.N
    width = dx + 1 + dy
    acc = dx
    ys = [dx + 1 + m for m in range(dy)]
    st: StepNet = tg.step(n)
    nds = nodes(tg, bias_nodes=False)   # d goes into b_out: only t = N is read
    yoff = [ONE + sum((abs(nd.w[m]) * node_max(tg, nd) for nd in nds), ZERO) for m in range(dy)]
    lows = [lo for lo, _ in tg.domain]
    layers: list[Layer] = []
    pending: tuple[fmpq, ...] = ()

    def add(units_acc: Unit) -> None:
        first = not layers
        units = [Unit(inp={k: ONE}, bias=-lows[k]) if first else Unit(inp={k: ONE}) for k in range(dx)]
        units.append(units_acc)
        for m, j in enumerate(ys):
            u = Unit(bias=yoff[m]) if first else Unit(inp={j: ONE})
            if pending and pending[m]:
                u.inp[acc] = pending[m]
            units.append(u)
        layers.append(relu_layer(units, dx if first else width))

    for nd in nds:
        coef_b = [_solve(n, [nd.a[j][k] if j < nd.T else ZERO for j in range(n)]) for k in range(dx)]
        lam = lemma6_matrix(n)
        k_theta = ZERO
        for m in range(n):
            bm = [coef_b[k][m] for k in range(dx)]
            theta = sum((max(ZERO, -b) * (hi - lo) for b, (lo, hi) in zip(bm, tg.domain, strict=True)), ZERO)
            k_theta += theta * sum(lam[m], 0)
            inp = {k: bm[k] for k in range(dx) if bm[k]}
            if m:
                inp[acc] = ONE
            x_shift = sum((b * lo for b, lo in zip(bm, lows, strict=True)), ZERO) if not layers else ZERO
            add(Unit(inp=inp, rec={acc: ONE}, bias=theta - x_shift))
            pending = ()
        shift = sum((v * lo for row in nd.a for v, lo in zip(row, lows, strict=True)), ZERO)
        add(Unit(inp={acc: ONE}, bias=nd.c + shift - k_theta))                         # the node
        pending = nd.w
    add(Unit())                                                                          # the last node into y
    w_out = SparseMatrix.from_row_dicts((dy, width), [{j: ONE} for j in ys])
    return Network(layers=tuple(layers), W_out=w_out, b_out=tuple(st.d[m] - yoff[m] for m in range(dy)))
