"""The L^p construction (Theorem 15: quantiser, eq. 48 packer, memoriser) for d_y = 1 on K = [0, 1]^{d_x}, with a
certified bound on its L^p error at every t.

The network (ReLU, every initial state 0):

1. *encoder*, token-wise, units (x, buffer, accumulator), width d_x + 2: Ẽnc(x) = Σ_i q̃(x_i)·2^{−(i−1)M} with the
   continuous quantiser q̃(v) = Σ_{j=1}^{2^M−1} (2^{−M}/δ)·(relu(v − j2^{−M} + δ) − relu(v − j2^{−M})), which is
   q_M(v) except on the bad intervals (j2^{−M} − δ, j2^{−M});
2. *packer* (eq. 48), one recurrent unit: R[t] = 2^{−(d_x M+1)}·R[t−1] + Ẽnc(x[t]) + 1;
3. *memoriser*, token-wise, units (R, buffer, accumulator): the piecewise-linear interpolation Mem of the points
   (R of a quantised prefix, f[t] at the quantised prefix), one ReLU per point (:mod:`certify.deep.packer`
   proves the R of different prefixes, of any lengths, distinct);
4. *clamp* to [−B₀, B₀], B₀ = max |f at the points|: relu(m + B₀) − relu(m − B₀) − B₀.

The certificate (:func:`certify_lp`), at each t: the good cells (every coordinate of x[1:t] in one interval
[j2^{−M}, (j+1)2^{−M} − δ], or [1 − 2^{−M}, 1]) are boxes; on each, the network and f[t] are composed exactly
(:func:`certify.prove.affine.propagate_sequence`) and E_C ≥ sup_C |f[t] − y_t| is the exact interval hull of their
difference; the rest of K^t has measure μ_bad = 1 − Σ vol(C), where |f[t] − y_t| ≤ F + B₀ (F: the interval hull
of |f[t]| on K^t; |y_t| ≤ B₀ for every input, read off the clamp's weights by :func:`output_bound`). So

    ‖f[t] − y_t‖_{L^p(K^N)}^p ≤ Σ_C vol(C)·E_C^p + μ_bad·(F + B₀)^p.

>>> from certify.deep.target import Target
>>> tg = Target.from_lists(dx=1, dy=1, N=2, domain=[[0, 1]], steps=[
...     {"t": 1, "A": [[1]], "c": [0], "W": [[1]], "d": [0]},
...     {"t": 2, "A": [[1, 1]], "c": [0], "W": [[1]], "d": [0]}])
>>> lp = build_lp(tg, M=1, delta=fmpq(1, 1000))
>>> lp.network.width, len(lp.points)
(3, 6)
>>> [str(b.p_power) for b in certify_lp(tg, lp, p=1)]
['501001/1000000', '501500499/500000000']
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

from flint import arb, fmpq

from certify.deep.narrow import Unit, relu_layer
from certify.deep.packer import MAX_PREFIXES, pack
from certify.deep.target import Target, variable
from certify.errors import InputError
from certify.prove import affine, pwl
from certify.rational import ZERO
from certify.spec.network import Network
from certify.spec.sparse import SparseMatrix

ONE = fmpq(1)
#: Most memoriser points (quantised prefixes of all lengths) :func:`build_lp` accepts: each is one layer.
MAX_POINTS = 20_000


@dataclass(frozen=True)
class LpNetwork:
    """The network, its parameters, and the memoriser's points (R, f at the quantised prefix, t)."""

    network: Network
    M: int
    delta: fmpq
    points: tuple[tuple[fmpq, fmpq, int], ...]
    clamp: fmpq


@dataclass(frozen=True)
class LpBound:
    """At time t: ‖f[t] − y_t‖_p^p ≤ ``p_power`` (exact), so ‖f[t] − y_t‖_p ≤ ``upper`` (rational, rounded up)."""

    t: int
    p: int
    p_power: fmpq
    upper: fmpq
    cells: int
    bad_measure: fmpq
    output_bound: fmpq


def _check(tg: Target, M: int, delta: fmpq) -> None:  # noqa: N803
    if tg.dy != 1 or tg.kind != "continuous":
        raise InputError("the L^p construction is built for continuous targets with dy=1 (the decoder of d_y > 1 "
                         f"outputs is not built); this target has kind={tg.kind}, dy={tg.dy}")
    if any(iv != (ZERO, ONE) for iv in tg.domain):
        shown = [[str(v) for v in iv] for iv in tg.domain]
        raise InputError(f"the L^p construction needs K = [0, 1]^dx; the domain is {shown}")
    if isinstance(M, bool) or not isinstance(M, int) or not 1 <= M <= 16:
        raise InputError(f"M={M!r} must be an integer in [1, 16]")
    if not 0 < delta < fmpq(1, 2 ** M):
        raise InputError(f"delta={delta} must be in (0, 2^-M) = (0, {fmpq(1, 2 ** M)})")


def _prefix_count(tg: Target, M: int) -> int:  # noqa: N803
    return sum(2 ** (tg.dx * M * t) for t in range(1, tg.N + 1))


def build_lp(tg: Target, M: int, delta: fmpq) -> LpNetwork:  # noqa: N803
    """The encoder–packer–memoriser network of ``tg`` (see the module doc)."""
    _check(tg, M, delta)
    if _prefix_count(tg, M) > min(MAX_POINTS, MAX_PREFIXES):
        raise InputError(f"dx={tg.dx}, M={M}, N={tg.N} has {_prefix_count(tg, M)} quantised prefixes, above "
                         f"{MAX_POINTS} (one memoriser layer each)")
    dx, step = tg.dx, fmpq(1, 2 ** M)
    buf, acc = dx, dx + 1
    layers = []
    # 1. encoder: the terms (coordinate, threshold, coefficient), the positive one of each pair first
    terms = []
    for i in range(dx):
        scale = step / delta / fmpq(2 ** (i * M))
        for j in range(1, 2 ** M):
            terms += [(i, j * step - delta, scale), (i, j * step, -scale)]
    for n, (i, a, _) in enumerate(terms):
        units = [Unit(inp={k: ONE}) for k in range(dx)]
        units.append(Unit(inp={i: ONE}, bias=-a))
        units.append(Unit(inp={acc: ONE, buf: terms[n - 1][2]}) if n else Unit())
        layers.append(relu_layer(units, dx if n == 0 else dx + 2))
    # 2. packer (unit 0), buffer and accumulator free
    rho = fmpq(1, 2 ** (dx * M + 1))
    layers.append(relu_layer([Unit(inp={acc: ONE, buf: terms[-1][2]}, rec={0: rho}, bias=ONE), Unit(), Unit()],
                         dx + 2))
    # 3. memoriser points: every quantised prefix, sorted by its packing
    tokens = [tuple(fmpq(j, 2 ** M) for j in js) for js in product(range(2 ** M), repeat=dx)]
    pts: list[tuple[fmpq, fmpq, int]] = []
    for t in range(1, tg.N + 1):
        st = tg.step(t)
        for seq in product(tokens, repeat=t):
            vs = [sum((q / fmpq(2 ** (i * M)) for i, q in enumerate(x)), ZERO) for x in seq]
            pts.append((pack(vs, dx, M)[-1], st.value([v for x in seq for v in x])[0], t))
    pts.sort(key=lambda p: p[0])
    if any(a[0] == b[0] for a, b in zip(pts, pts[1:], strict=False)):
        raise InputError("two quantised prefixes pack to the same R (the packer is not injective here)")
    rs, ys = [p[0] for p in pts], [p[1] for p in pts]
    slopes = [(ys[k + 1] - ys[k]) / (rs[k + 1] - rs[k]) for k in range(len(rs) - 1)] + [ZERO]
    deltas = [slopes[0]] + [slopes[k] - slopes[k - 1] for k in range(1, len(slopes))]
    off = ONE + abs(ys[0]) + sum((abs(d) * (rs[-1] - r) for d, r in zip(deltas, rs, strict=True)), ZERO)
    # Mem(R) = y_0 + Σ_k Δ_k relu(R − r_k); units (R, buffer, accumulator + off)
    first = True
    for k in range(len(rs)):
        into = Unit(bias=off + ys[0]) if first else Unit(inp={2: ONE, 1: deltas[k - 1]})
        layers.append(relu_layer([Unit(inp={0: ONE}), Unit(inp={0: ONE}, bias=-rs[k]), into], 3))
        first = False
    b0 = max(abs(y) for y in ys)
    # 4. the clamp: relu(m + B0), relu(m − B0) with m = acc + Δ_last·buf − off
    m_in = {2: ONE, 1: deltas[-1]}
    layers.append(relu_layer([Unit(inp=dict(m_in), bias=b0 - off), Unit(inp=dict(m_in), bias=-b0 - off)], 3))
    w_out = SparseMatrix.from_dense([[1, -1]])
    net = Network(layers=tuple(layers), W_out=w_out, b_out=(-b0,))
    return LpNetwork(net, M, delta, tuple(pts), b0)


def output_bound(net: Network) -> fmpq | None:
    """A bound on |y_t| for every input, read off the last layer when it is a clamp: two ReLU units with the same
    input row and no recurrence, relu(m + b₁) and relu(m + b₂) with b₁ ≥ b₂, and y = unit₁ − unit₂ + c. Then y is
    c for m ≤ −b₁, c + b₁ − b₂ for m ≥ −b₂ and linear between, so |y| ≤ max(|c|, |c + b₁ − b₂|). None otherwise.

    >>> from certify.spec.network import Layer
    >>> clamp = Layer.from_dense(W_hh=[[0, 0], [0, 0]], W_ih=[[1], [1]], b=[2, -2])
    >>> str(output_bound(Network(layers=(clamp,), W_out=SparseMatrix.from_dense([[1, -1]]), b_out=(fmpq(-2),))))
    '2'
    """
    last = net.layers[-1]
    rows = last.W_ih.rows
    if (last.activation != "relu" or last.hidden_dim != 2 or any(True for _ in last.W_hh.entries())
            or rows[0] != rows[1] or net.W_out.to_dense() != [[1, -1]] or net.Q is not None):
        return None
    b1, b2 = last.b
    if b1 < b2:
        return None
    c = net.b_out[0]
    return max(abs(c), abs(c + b1 - b2))


def _cells(M: int, delta: fmpq) -> list[tuple[fmpq, fmpq]]:  # noqa: N803
    step = fmpq(1, 2 ** M)
    return [(j * step, (j + 1) * step - delta) for j in range(2 ** M - 1)] + [(1 - step, ONE)]


def root_up(s: fmpq, p: int) -> fmpq:
    """A rational u ≥ s^(1/p), checked exactly (u^p ≥ s).

    >>> root_up(fmpq(2), 2) ** 2 >= 2
    True
    """
    if s <= 0:
        return ZERO
    r = arb(s).root(p)
    man, exp = r.mid().man_exp()
    rman, rexp = r.rad().man_exp()
    u = fmpq(int(man)) * fmpq(2) ** int(exp) + fmpq(int(rman)) * fmpq(2) ** int(rexp)
    while u ** p < s:
        u += u / 2 ** 40 + fmpq(1, 2 ** 60)
    return u


def certify_lp(tg: Target, lp: LpNetwork, p: int = 1) -> list[LpBound]:
    """The certified bound on ‖f[t] − y_t‖_{L^p(K^N)} at every t (see the module doc)."""
    if isinstance(p, bool) or not isinstance(p, int) or not 1 <= p <= 16:
        raise InputError(f"p={p!r} must be an integer in [1, 16]")
    _check(tg, lp.M, lp.delta)
    bound_y = output_bound(lp.network)
    if bound_y is None:
        raise InputError("the network's last layer is not a clamp, so |y_t| has no bound on the bad set: "
                         "not a network build_lp wrote")
    cells = _cells(lp.M, lp.delta)
    full = tg.box()
    out = []
    for t in range(1, tg.N + 1):
        f_full = tg.expressions(t, full)[0]
        lo, hi = pwl.value_range(f_full, full)
        big = max(abs(lo), abs(hi)) + bound_y
        total, covered, n = ZERO, ZERO, 0
        names = [variable(s, k) for s in range(1, t + 1) for k in range(tg.dx)]
        for choice in product(cells, repeat=len(names)):
            box = dict(full) | dict(zip(names, choice, strict=True))
            vol = ONE
            for a, b in choice:
                vol *= b - a
            inputs = [[{variable(s, k): ONE} for k in range(tg.dx)] for s in range(1, t + 1)]
            y = affine.propagate_sequence(lp.network, box, inputs).outputs[t - 1][0]
            diff = pwl.add(dict(tg.expressions(t, box)[0]), y, -1)
            dlo, dhi = pwl.value_range(diff, box)
            total += vol * max(abs(dlo), abs(dhi)) ** p
            covered += vol
            n += 1
        bad = ONE - covered
        s = total + bad * big ** p
        out.append(LpBound(t, p, s, root_up(s, p), n, bad, bound_y))
    return out
