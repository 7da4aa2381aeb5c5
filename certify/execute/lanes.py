"""Lane splitting: units that cannot depend on the input x run once, exactly; the rest run in interval lanes.

A unit depends on x when W_ih reads into it, or when it reads (through W_hh) a unit that does. The
other units form an **autonomous** system: their values are the same for every x, so they are computed
once with exact rationals (python-flint) and fed, as an exact per-step bias, into the vectorized
float64 lanes of the x-dependent units. For compiled TMNU constructions these are the control, stack,
threshold, case and gate units: stacks then never lose digits, however long the run. Because the
exact part is autonomous, a repeated state proves it periodic from then on (a halted machine), and it
costs nothing afterwards.

>>> from certify.spec.network import Network
>>> net = Network.from_dense(W_hh=[[0, 0, 0], [1, 0, 0], [0, 1, "1/2"]], W_ih=[[0], [0], [1]],
...                          b=[1, 0, 0], W_out=[[0, 0, 1]], b_out=[0], h0=[0, 0, 0])
>>> split_lanes(net)
LaneSplit(dep=(2,), indep=(0, 1))
>>> ex = ExactLanes(net, split_lanes(net))
>>> [ex.step() or ex.state() for _ in range(3)], ex.period
([(1, 0), (1, 1), (1, 1)], 1)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from flint import fmpq

from certify.errors import InputError
from certify.execute.interval import BallMatrix, SimFormat, alpha_for, ball_matrix
from certify.execute.rounding import float_ball, float_balls, next_up
from certify.rational import ZERO, bits
from certify.spec.network import Network

Row = tuple[tuple[int, fmpq], ...]


@dataclass(frozen=True)
class LaneSplit:
    """``dep``: units that may depend on x (interval lanes); ``indep``: units that provably do not (exact)."""

    dep: tuple[int, ...]
    indep: tuple[int, ...]


def split_lanes(net: Network) -> LaneSplit:
    """The smallest set of units closed under "reads x or reads a unit in the set" (from the sparsity)."""
    n = net.hidden_dim
    readers: list[list[int]] = [[] for _ in range(n)]
    for i, row in enumerate(net.W_hh.rows):
        for j, _ in row:
            readers[j].append(i)
    dep = {i for i, row in enumerate(net.W_ih.rows) if row}
    todo = list(dep)
    while todo:
        j = todo.pop()
        for i in readers[j]:
            if i not in dep:
                dep.add(i)
                todo.append(i)
    return LaneSplit(tuple(sorted(dep)), tuple(i for i in range(n) if i not in dep))


def no_split(net: Network) -> LaneSplit:
    """Every unit in the interval lanes (plain rigorous float64 execution)."""
    return LaneSplit(tuple(range(net.hidden_dim)), ())


def check_split(net: Network, split: LaneSplit) -> None:
    """Raise ``ValueError`` unless ``split`` partitions the units and no exact unit can see x.

    >>> from certify.spec.network import Network
    >>> net = Network.from_dense(W_hh=[[0, 0], [1, 0]], W_ih=[[1], [0]], b=[0, 0], W_out=[[0, 1]],
    ...                          b_out=[0], h0=[0, 0])
    >>> check_split(net, LaneSplit(dep=(0,), indep=(1,)))
    Traceback (most recent call last):
    ...
    ValueError: lane split: unit 1 is run exactly but reads x-dependent unit 0 through W_hh[1][0]
    """
    if sorted(split.dep + split.indep) != list(range(net.hidden_dim)):
        raise ValueError("lane split: dep and indep must partition the hidden units")
    indep = set(split.indep)
    for i in split.indep:
        if net.W_ih.rows[i]:
            raise ValueError(f"lane split: unit {i} is run exactly but reads the input through W_ih[{i}]")
        for j, _ in net.W_hh.rows[i]:
            if j not in indep:
                raise ValueError(f"lane split: unit {i} is run exactly but reads x-dependent unit {j} "
                                 f"through W_hh[{i}][{j}]")


def _restrict(row: Row, pos: dict[int, int]) -> Row:
    return tuple((pos[j], v) for j, v in row if j in pos)


def _dot(row: Row, h: Sequence[fmpq], b: fmpq) -> fmpq:
    s = b
    for j, v in row:
        hj = h[j]
        if hj != 0:
            s += v * hj
    return s


def _abs_dots(rows: Sequence[Row], b: Sequence[fmpq], h: Sequence[fmpq]) -> tuple[fmpq, ...]:
    habs = [abs(v) for v in h]
    return tuple(_dot(tuple((j, abs(v)) for j, v in r), habs, abs(c)) for r, c in zip(rows, b, strict=True))


class ExactLanes:
    """The x-independent units stepped exactly; the exact bias they feed into the x-dependent rows.

    ``checked=False`` skips :func:`check_split` (only for tests that plant a wrong split).
    """

    _cycle_start: int  # the t at which self._cycle[0] was the state (set together with period)

    def __init__(self, net: Network, split: LaneSplit, window: int = 64, checked: bool = True) -> None:
        if checked:
            check_split(net, split)
        pos = {u: k for k, u in enumerate(split.indep)}
        self.rows = [_restrict(net.W_hh.rows[i], pos) for i in split.indep]
        self.b = [net.b[i] for i in split.indep]
        self.feed_rows = [_restrict(net.W_hh.rows[i], pos) for i in split.dep]
        self.feed_b = [net.b[i] for i in split.dep]
        self.out_rows = [_restrict(r, pos) for r in net.W_out.rows]
        self.out_b = list(net.b_out)
        self.h: tuple[fmpq, ...] = tuple(net.h0[i] for i in split.indep)
        self.t = 0
        self.period: int | None = None
        self.max_bits = max((bits(v) for v in self.h), default=0)
        self._window = window
        self._recent: deque[tuple[fmpq, ...]] = deque([self.h], maxlen=window + 1)
        self._cycle: list[tuple[fmpq, ...]] = []
        self._cycle_start = 0

    @property
    def feeds(self) -> bool:
        """Whether any x-dependent unit reads an exact unit (else the bias is constant)."""
        return any(self.feed_rows)

    def state(self) -> tuple[fmpq, ...]:
        return self.h

    def step(self) -> None:
        """Advance to t + 1 (from the cycle once the state has repeated)."""
        self.t += 1
        if self.period is not None:
            self.h = self._cycle[(self.t - self._cycle_start) % self.period]
            return
        h = self.h
        self.h = tuple(z if z > 0 else ZERO for z in (_dot(r, h, b) for r, b in zip(self.rows, self.b, strict=True)))
        self.max_bits = max(self.max_bits, max((bits(v) for v in self.h), default=0))
        for back, old in enumerate(reversed(self._recent), start=1):
            if old == self.h:
                self.period = back
                self._cycle = list(self._recent)[-back:]
                self._cycle_start = self.t - back
                return
        self._recent.append(self.h)

    def feed(self) -> tuple[fmpq, ...]:
        """``b_dep + W_{dep,indep} h_indep(t)``: the exact bias of the x-dependent rows at step t + 1."""
        return tuple(_dot(r, self.h, b) for r, b in zip(self.feed_rows, self.feed_b, strict=True))

    def feed_abs(self) -> tuple[fmpq, ...]:
        """``|b_dep| + |W_{dep,indep}| |h_indep(t)|`` (rounding bounds of a simulated format)."""
        return _abs_dots(self.feed_rows, self.feed_b, self.h)

    def out_abs(self) -> tuple[fmpq, ...]:
        return _abs_dots(self.out_rows, self.out_b, self.h)

    def out_const(self) -> tuple[fmpq, ...]:
        """``b_out + W_{out,indep} h_indep(t)``: the exact part of the readout y_t."""
        return tuple(_dot(r, self.h, b) for r, b in zip(self.out_rows, self.out_b, strict=True))


# --- the lane-split rollout driver -------------------------------------------------------------------


def exact_to_floats(values: Sequence[fmpq], where: str) -> tuple[np.ndarray, float]:
    """Float64 centres of exact weights and the relative error c they carry (0 when all are exact floats).

    A weight that is not an exact float must round to a normal float (|w| ≥ 2^-1000) so that its
    error is at most 2^-52·|centre|; otherwise it is refused with its name.
    """
    out, relerr = np.empty(len(values)), 0.0
    for k, v in enumerate(values):
        m, r = float_ball(v, f"{where}[{k}]")
        out[k] = m
        if r:
            if abs(m) < 2.0**-1000 or r > 2.0**-52 * abs(m):
                raise InputError(f"{where}[{k}]={v} cannot be rounded to float64 with a relative error bound; "
                                 "use --backend arb or exact")
            relerr = 2.0**-52
    return out, relerr


def sim_bias_rad(sim: SimFormat | None, k_full: int, b_rad: np.ndarray, abs_terms: Sequence[fmpq]) -> np.ndarray:
    """Bias radius plus, when simulating a format, γ^(p)·(Σ|w_ij h_j| + |b_i|) of the exact part of the row."""
    if sim is None:
        return b_rad
    extra = float_balls(list(abs_terms), "bias")
    bound = next_up(next_up(extra[0] + extra[1]) * sim.relerr(k_full))
    return next_up(next_up(b_rad + bound) + k_full * sim.eta)


def dep_matrices(net: Network, split: LaneSplit, exact: ExactLanes,
                 sim: SimFormat | None = None) -> tuple[BallMatrix, BallMatrix]:
    """Ball matrices ``[W_dd | W_dx | bias]`` of the x-dependent rows and ``[W_out,d | 0 | out]`` of the readout.

    When simulating a format, products are of the full rows (length ``hidden_dim + input_dim + 1``).
    """
    pos = {u: k for k, u in enumerate(split.dep)}
    nd, d = len(split.dep), net.input_dim
    k = nd + d + 1
    k_full = net.hidden_dim + d + 1
    cells: list[tuple[int, int, int, fmpq]] = []  # (matrix, row, col, value)
    for r, i in enumerate(split.dep):
        cells += [(0, r, pos[j], v) for j, v in net.W_hh.rows[i] if j in pos]
        cells += [(0, r, nd + j, v) for j, v in net.W_ih.rows[i]]
    for r, row in enumerate(net.W_out.rows):
        cells += [(1, r, pos[j], v) for j, v in row if j in pos]
    vals, relerr = exact_to_floats([c[3] for c in cells], "weight")
    mats = [np.zeros((nd, k)), np.zeros((net.output_dim, k))]
    for (m, r, c, _), v in zip(cells, vals, strict=True):
        mats[m][r, c] = v
    sim_rel = sim.relerr(k_full) if sim else 0.0
    alpha = alpha_for(k, relerr + sim_rel + relerr * sim_rel + 2.0**-60)
    out = []
    biases = ((exact.feed(), exact.feed_abs()), (exact.out_const(), exact.out_abs()))
    for mat, (bias, babs) in zip(mats, biases, strict=True):
        b_mid, b_rad = float_balls(bias, "bias")
        mat[:, -1] = b_mid
        out.append(ball_matrix(mat, relerr, sim_bias_rad(sim, k_full, b_rad, babs), sim_rel,
                               k_full * sim.eta if sim else 0.0, alpha=alpha))
    return out[0], out[1]
