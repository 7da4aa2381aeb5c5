"""Arbitrary-precision ball rollouts with python-flint ``arb`` (for lanes that need more than 53 bits).

Same interface as the float64 executor (:func:`~certify.execute.rollout.rollout_intervals`), same lane
splitting (x-independent units exact), but every x-dependent unit is an ``arb`` ball at ``prec`` bits
and products use ``arb_mat``. Arb's balls are rigorous by construction; ReLU is
``arb.nonnegative_part`` (the exact image of the ball). Slow -- tens of microseconds per unit-step --
so use it for precision escalation, validation, or networks whose values overflow float64.

Any other network (stacked layers, P/Q folded in exactly, any activation, constant or impulse input)
runs every unit as an arb ball, layer by layer (:func:`rollout_arb_layered`): relu is
``nonnegative_part``; hardtanh and satlin are arb's rigorous ``max``/``min`` with the clamp bounds;
tanh and sigmoid are increasing, so the image of a ball is the union of their values at its exact
lower and upper ends (arb's ``tanh`` and ``exp``, rigorous).

>>> from certify.compiler.tmnu_to_rnn import compile_program
>>> from certify.constructions.examples import squaring
>>> from certify.execute.enclosure import Inputs
>>> net = compile_program(squaring()).network
>>> enc = rollout_arb(net, Inputs.points([fmpq(1, 3)]), steps=30, times=[30], prec=128)
>>> round(float(enc.mid[0, 0, 0]), 9), bool(enc.rad[0, 0, 0] < 1e-30)
(0.111328125, True)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from flint import arb, arb_mat, ctx, fmpq

from certify.errors import InputError
from certify.execute.enclosure import Enclosures, Inputs
from certify.execute.lanes import ExactLanes, LaneSplit, no_split, split_lanes
from certify.execute.layers import Folded, check_kind, fold
from certify.execute.rollout import Progress
from certify.execute.rounding import float_ball, next_up
from certify.spec.network import Network

MIN_PREC, MAX_PREC = 16, 1 << 20


def _dense(rows: Sequence[Sequence[tuple[int, fmpq]]], ncols: int, cols: dict[int, int] | None = None) -> arb_mat:
    """An arb_mat (rounded at the current precision) of exact sparse rows; ``cols`` maps old to new columns."""
    data: list[list[Any]] = [[0] * ncols for _ in rows]
    for r, row in enumerate(rows):
        for j, v in row:
            c = j if cols is None else cols.get(j)
            if c is not None:
                data[r][c] = arb(v)
    return arb_mat(data) if rows and ncols else arb_mat(len(rows), ncols)


class _Samples:
    """The arb outputs at the requested times, as float64 balls (both arb paths collect them so)."""

    def __init__(self, lanes: int, d_out: int) -> None:
        self.times: list[int] = []
        self.mid: list[np.ndarray] = []
        self.rad: list[np.ndarray] = []
        self.finite = np.ones(lanes, dtype=bool)
        self.shape = (0, lanes, d_out)

    def add(self, t: int, Y: arb_mat) -> None:  # noqa: N803
        """Record y_t, given as a (d_out, B) arb matrix."""
        balls = [[_ball_to_float(v) for v in row] for row in Y.tolist()]
        m = np.array([[b[0] for b in row] for row in balls]).T
        r = np.array([[b[1] for b in row] for row in balls]).T
        self.finite &= np.isfinite(r).all(axis=1)
        self.times.append(t)
        self.mid.append(m)
        self.rad.append(r)

    def enclosures(self, inputs: Inputs, **extra: Any) -> Enclosures:
        return Enclosures(times=tuple(self.times), inputs=inputs,
                          mid=np.stack(self.mid) if self.mid else np.zeros(self.shape),
                          rad=np.stack(self.rad) if self.rad else np.zeros(self.shape), finite=self.finite,
                          backend="arb", **extra)


def _ball_to_float(a: arb) -> tuple[float, float]:
    """A float64 ball containing the arb ball ``a`` (infinite radius if it does not fit)."""
    if not a.is_finite():
        return 0.0, math.inf
    man, exp = a.mid().man_exp()
    mid = fmpq(man) * fmpq(2) ** int(exp) if exp >= 0 else fmpq(man, fmpq(2) ** int(-exp))
    rman, rexp = a.rad().man_exp()
    rad = fmpq(rman) * fmpq(2) ** int(rexp) if rexp >= 0 else fmpq(rman, fmpq(2) ** int(-rexp))
    try:
        m, e = float_ball(mid)
        r, e2 = float_ball(rad)
    except InputError:
        return 0.0, math.inf
    return m, next_up(next_up(e + r) + e2)


def rollout_arb(
    net: Network, inputs: Inputs, steps: int, times: Iterable[int], prec: int = 128,
    split: bool | LaneSplit = True, progress: Progress | None = None, kind: str = "constant",
) -> Enclosures:
    """Arb ball enclosures of y_t (input x per lane, ``kind`` constant or impulse) at the requested
    ``times``, at ``prec`` bits. A one-layer ReLU network with constant input and the same x in every
    dimension keeps the lane-split path; every other runs :func:`rollout_arb_layered`."""
    if not MIN_PREC <= prec <= MAX_PREC:
        raise InputError(f"--prec={prec} must be between {MIN_PREC} and {MAX_PREC} bits")
    check_kind(kind, "arb")
    if not (net.is_single_relu and kind == "constant" and inputs.box is None):
        return rollout_arb_layered(net, inputs, steps, times, prec, progress, kind)
    sp = split if isinstance(split, LaneSplit) else (split_lanes(net) if split else no_split(net))
    with ctx.workprec(prec):
        return _run(net, inputs, steps, times, sp, progress)


def _run(net: Network, inputs: Inputs, steps: int, times: Iterable[int], sp: LaneSplit,
         progress: Progress | None) -> Enclosures:
    exact = ExactLanes(net, sp)
    pos = {u: k for k, u in enumerate(sp.dep)}
    nd, d, B = len(sp.dep), net.input_dim, inputs.size
    W = _dense([net.W_hh.rows[i] for i in sp.dep], nd, pos)
    W_out = _dense(net.W_out.rows, nd, pos)
    mids, halves = inputs.mid_half()
    xs = [arb(m) + arb(0, h) if h else arb(m) for m, h in zip(mids, halves, strict=True)]
    X = arb_mat([xs] * d) if d and nd else arb_mat(d, B)
    XW = _dense([net.W_ih.rows[i] for i in sp.dep], d) * X if d and nd else arb_mat(nd, B)
    ones = arb_mat([[1] * B])
    H = arb_mat([[arb(net.h0[i])] * B for i in sp.dep]) if nd else arb_mat(0, B)
    wanted = set(times)
    samples = _Samples(B, net.output_dim)
    for t in range(1, steps + 1):
        if nd:
            beta = arb_mat([[arb(v)] for v in exact.feed()])
            Z = W * H + XW + beta * ones
            H = arb_mat([[z.nonnegative_part() for z in row] for row in Z.tolist()])
        exact.step()
        if t in wanted:
            const = arb_mat([[arb(v)] for v in exact.out_const()])
            samples.add(t, (W_out * H if nd else arb_mat(net.output_dim, B)) + const * ones)
        if progress is not None and (t % 256 == 0 or t == steps):
            progress(t)
    return samples.enclosures(inputs, exact_units=len(sp.indep), period=exact.period)


def activate(name: str, z: arb) -> arb:
    """A ball containing σ(z) for every point of the ball z (rigorous; see the module text).

    >>> [activate(a, arb(2)) for a in ("relu", "hardtanh", "satlin", "identity")]
    [2.00000000000000, 1.00000000000000, 1.00000000000000, 2.00000000000000]
    >>> activate("tanh", arb(0, 1)).contains(arb(1).tanh())
    True
    """
    if name == "relu":
        return z.nonnegative_part()
    if name == "identity":
        return z
    if name == "hardtanh":
        return z.max(arb(-1)).min(arb(1))
    if name == "satlin":
        return z.max(arb(0)).min(arb(1))
    if not z.is_finite():
        return arb(0, 1) if name == "tanh" else arb("0.5", "0.5")
    if name == "tanh":
        return z.lower().tanh().union(z.upper().tanh())
    if name == "sigmoid":
        return (1 / (1 + (-z.lower()).exp())).union(1 / (1 + (-z.upper()).exp()))
    raise InputError(f"activation={name!r} is not supported")


def rollout_arb_layered(net: Network, inputs: Inputs, steps: int, times: Iterable[int], prec: int = 128,
                        progress: Progress | None = None, kind: str = "constant") -> Enclosures:
    """Arb ball enclosures of y_t for any network (every unit an arb ball; no lane splitting)."""
    if not MIN_PREC <= prec <= MAX_PREC:
        raise InputError(f"--prec={prec} must be between {MIN_PREC} and {MAX_PREC} bits")
    check_kind(kind, "arb")
    with ctx.workprec(prec):
        return _run_layered(fold(net, residual=True), inputs, steps, times, progress, kind)


def _input_matrix(inputs: Inputs, d: int) -> arb_mat:
    """The (d, B) arb matrix of every lane's input box (exact ends; one ball per interval)."""
    cols = []
    for j in range(inputs.size):
        lane = list(inputs.box[j]) if inputs.box is not None else [(inputs.lo[j], inputs.hi[j])] * d
        cols.append([arb((a + b) / 2) + arb(0, (b - a) / 2) if a != b else arb(a) for a, b in lane])
    if inputs.box is not None and inputs.dims != d:
        raise InputError(f"the inputs have {inputs.dims} dimensions, the network expects input_dim={d}")
    return arb_mat([[cols[j][k] for j in range(inputs.size)] for k in range(d)]) if d else arb_mat(0, inputs.size)


def _run_layered(f: Folded, inputs: Inputs, steps: int, times: Iterable[int], progress: Progress | None,
                 kind: str) -> Enclosures:
    B = inputs.size
    ones = arb_mat([[1] * B])
    X = _input_matrix(inputs, f.input_dim)
    zero_x = arb_mat(f.input_dim, B)
    sizes = [s.size for s in f.stages]
    mats = [(_dense(s.W_hh.rows, s.size), _dense(s.W_in.rows, f.input_dim if k == 0 else sizes[k - 1]),
             arb_mat([[arb(v)] for v in s.b])) for k, s in enumerate(f.stages)]
    H = [arb_mat([[arb(v)] * B for v in s.h0]) for s in f.stages]
    W_out = _dense(f.W_out.rows, sizes[-1])
    b_out = arb_mat([[arb(v)] for v in f.b_out])
    wanted = set(times)
    samples = _Samples(B, f.output_dim)
    for t in range(1, steps + 1):
        u = X if kind == "constant" or t == 1 else zero_x
        for k, (stage, (w_hh, w_in, b)) in enumerate(zip(f.stages, mats, strict=True)):
            Z = w_hh * H[k] + (w_in * u if u.nrows() else arb_mat(stage.size, B)) + b * ones
            S = arb_mat([[activate(stage.activation, z) for z in row] for row in Z.tolist()])  # noqa: N806
            H[k] = H[k] + S * arb(stage.dt) if stage.dt is not None else S
            u = H[k]
        if t in wanted:
            samples.add(t, W_out * H[-1] + b_out * ones)
        if progress is not None and (t % 256 == 0 or t == steps):
            progress(t)
    return samples.enclosures(inputs)
