"""Lane splitting on stack-encoded constructions: the exact lanes keep every stack digit, so the rollout
agrees with the exact one, where a plain float64 rollout of the same weights diverges (issue 4)."""

from __future__ import annotations

import numpy as np
from cases import compiled
from flint import fmpq

from certify.execute.balls import rollout_arb
from certify.execute.enclosure import Inputs
from certify.execute.exact import rollout
from certify.execute.lanes import ExactLanes, split_lanes
from certify.execute.rollout import rollout_intervals
from certify.spec.network import Network

STEPS = 2600  # stack_copy(300) halts at TMNU step 601, RNN step 2406
TIMES = list(range(200, STEPS + 1, 200))
XS = [fmpq(1, 2), fmpq(-1, 3)]


def plain_float64(net: Network, x: fmpq, steps: int, times: list[int]) -> tuple[dict[int, float], int | None]:
    """Plain float64 rollout (nearest weights); y at ``times`` and the first step where an exact unit drifts."""
    def f(v: fmpq) -> float:
        return int(v.p) / int(v.q)

    def dense(m) -> np.ndarray:
        a = np.zeros(m.shape)
        for i, j, v in m.entries():
            a[i, j] = f(v)
        return a

    W, Wx, Wo = dense(net.W_hh), dense(net.W_ih), dense(net.W_out)
    b, bo, h = (np.array([f(v) for v in vec]) for vec in (net.b, net.b_out, net.h0))
    split = split_lanes(net)
    ex = ExactLanes(net, split)
    ys, first = {}, None
    for t in range(1, steps + 1):
        h = np.maximum(W @ h + Wx[:, 0] * f(x) + b, 0)
        ex.step()
        if first is None and any(abs(h[i] - f(v)) > 1e-9 for i, v in zip(split.indep, ex.state(), strict=True)):
            first = t
        if t in times:
            ys[t] = float((Wo @ h + bo)[0])
    return ys, first


def test_stack_copy_lane_split_agrees_with_exact_where_plain_float64_diverges() -> None:
    net = compiled("stack_copy").network
    arb = rollout_arb(net, Inputs.points(XS), STEPS, TIMES, prec=512)
    f64 = rollout_intervals(net, Inputs.points(XS), STEPS, TIMES)
    assert arb.exact_units == f64.exact_units == 64 and arb.period == 4
    diverged = 0
    for lane, x in enumerate(XS):
        exact = rollout(net, [x], STEPS, TIMES)
        ys, first = plain_float64(net, x, STEPS, TIMES)
        assert first is not None and first < 100  # the float64 stack value loses digits almost at once
        for ti, (t, _, y) in enumerate(exact):
            assert arb.contains(ti, lane, y) and f64.contains(ti, lane, y)
            diverged += abs(ys[t] - int(y[0].p) / int(y[0].q)) > 0.1
    assert arb.width() < 1e-12  # lane split + 512-bit balls: the exact value to 16 digits
    assert diverged >= 5
