"""Arbitrary-precision ball rollouts with python-flint ``arb`` (for lanes that need more than 53 bits).

Same interface as the float64 executor (:func:`~certify.execute.rollout.rollout_intervals`), same lane
splitting (x-independent units exact), but every x-dependent unit is an ``arb`` ball at ``prec`` bits
and products use ``arb_mat``. Arb's balls are rigorous by construction; ReLU is
``arb.nonnegative_part`` (the exact image of the ball). Slow -- tens of microseconds per unit-step --
so use it for precision escalation, validation, or networks whose values overflow float64.

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
    split: bool | LaneSplit = True, progress: Progress | None = None,
) -> Enclosures:
    """Arb ball enclosures of y_t (constant input x per lane) at the requested ``times``, at ``prec`` bits."""
    if not MIN_PREC <= prec <= MAX_PREC:
        raise InputError(f"--prec={prec} must be between {MIN_PREC} and {MAX_PREC} bits")
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
    out_t, out_m, out_r = [], [], []
    finite = np.ones(B, dtype=bool)
    for t in range(1, steps + 1):
        if nd:
            beta = arb_mat([[arb(v)] for v in exact.feed()])
            Z = W * H + XW + beta * ones
            H = arb_mat([[z.nonnegative_part() for z in row] for row in Z.tolist()])
        exact.step()
        if t in wanted:
            const = arb_mat([[arb(v)] for v in exact.out_const()])
            Y = (W_out * H if nd else arb_mat(net.output_dim, B)) + const * ones
            balls = [[_ball_to_float(v) for v in row] for row in Y.tolist()]  # (d_out, B)
            m = np.array([[b[0] for b in row] for row in balls]).T
            r = np.array([[b[1] for b in row] for row in balls]).T
            finite &= np.isfinite(r).all(axis=1)
            out_t.append(t)
            out_m.append(m)
            out_r.append(r)
        if progress is not None and (t % 256 == 0 or t == steps):
            progress(t)
    shape = (0, B, net.output_dim)
    return Enclosures(times=tuple(out_t), inputs=inputs, mid=np.stack(out_m) if out_m else np.zeros(shape),
                      rad=np.stack(out_r) if out_r else np.zeros(shape), finite=finite, backend="arb",
                      exact_units=len(sp.indep), period=exact.period)
