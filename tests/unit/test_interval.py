"""The rigorous float64 executor: conversions, backends failing closed, planted bugs the oracle catches,
bit-identical backends, lane splitting, affine forms, arb balls, simulated formats."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from cases import compiled
from flint import fmpq

import certify.execute.rollout as rollout_mod
from certify.errors import InputError
from certify.execute import backend as backend_mod
from certify.execute.backend import Backend, UnsafeFloatEnvironment, check_gpu_math_mode, get_backend, self_check
from certify.execute.balls import rollout_arb
from certify.execute.enclosure import Inputs
from certify.execute.exact import rollout
from certify.execute.interval import SimFormat
from certify.execute.lanes import LaneSplit, check_split, split_lanes
from certify.execute.rollout import rollout_intervals
from certify.execute.rounding import float_ball
from certify.rational import from_float
from certify.spec.network import Network


def violations(net: Network, xs: list[fmpq], steps: int, enc) -> int:
    """Number of (time, lane) pairs whose exact y_t is outside the enclosure (exact rational check)."""
    bad = 0
    for lane, x in enumerate(xs):
        for ti, (_, _, y) in enumerate(rollout(net, [x] * net.input_dim, steps, enc.times)):
            bad += not enc.contains(ti, lane, y, x=x)
    return bad


def adversarial() -> tuple[Network, list[fmpq]]:
    """Products that round at every step (odd numerators, long mantissas), no input rounding."""
    net = Network.from_dense(W_hh=[["3/4", "-5/8"], ["7/16", "1/2"]], W_ih=[[1], ["-3/4"]], b=["1/3", 0],
                             W_out=[[1, 1]], b_out=[0], h0=["1/7", "2/9"])
    return net, [fmpq(2**52 - 1, 2**52), fmpq(-(2**40) + 3, 2**40), fmpq(1, 3)]


# --- conversions -----------------------------------------------------------------------------------

@pytest.mark.parametrize("q", [fmpq(1, 3), fmpq(-2, 7), fmpq(1, 2**1070), fmpq(3, 2**1075), fmpq(10**300, 7)])
def test_float_ball_contains_the_rational(q) -> None:
    m, r = float_ball(q)
    assert abs(q - from_float(m)) <= from_float(r)
    assert r <= 2.0**-52 * abs(m) + 2.0**-1074


def test_float_ball_refuses_huge() -> None:
    with pytest.raises(InputError, match="too large"):
        float_ball(fmpq(2) ** 1100)


# --- backends fail closed ----------------------------------------------------------------------------

def test_self_check_refuses_a_gemm_that_misses_a_probe(monkeypatch) -> None:
    monkeypatch.setattr(backend_mod, "_probes", lambda: [(np.array([[1.0]]), np.array([[1.0]]), 2.0)])
    with pytest.raises(UnsafeFloatEnvironment, match="not IEEE float64"):
        self_check(Backend("numpy", backend_mod.np, backend_mod.np, "cpu"))


def test_host_ftz_is_refused(monkeypatch) -> None:
    class Flushed:
        smallest_subnormal = 0.0

    monkeypatch.setattr(backend_mod.np, "finfo", lambda _: Flushed)
    with pytest.raises(UnsafeFloatEnvironment, match="flushed to zero"):
        backend_mod.check_host_floats()


def test_gpu_emulation_environment_is_refused(monkeypatch) -> None:
    monkeypatch.setenv("CUBLAS_EMULATION_STRATEGY", "performant")
    with pytest.raises(UnsafeFloatEnvironment, match="CUBLAS_EMULATION_STRATEGY"):
        check_gpu_math_mode(get_backend("numpy"))


# --- planted bugs the exact oracle must catch ----------------------------------------------------------

def test_planted_bug_radius_gemm_without_inflation_is_caught(monkeypatch) -> None:
    net, xs = adversarial()
    good = rollout_intervals(net, Inputs.points(xs), 40, range(1, 41), split=False)
    assert violations(net, xs, 40, good) == 0
    real = rollout_mod.dep_matrices

    def no_inflation(*args, **kwargs):  # Ĝ = |Â| and α ≈ 0: the rounding of the centre GEMM is not covered
        return tuple(dataclasses.replace(m, G=np.abs(m.A), alpha=2.0**-1000) for m in real(*args, **kwargs))

    monkeypatch.setattr(rollout_mod, "dep_matrices", no_inflation)
    bad = rollout_intervals(net, Inputs.points(xs), 40, range(1, 41), split=False)
    assert violations(net, xs, 40, bad) > 0


def test_planted_bug_misclassified_lane_is_caught() -> None:
    net = compiled("halver").network
    split = split_lanes(net)
    wrong = LaneSplit(split.dep[1:], tuple(sorted(split.indep + split.dep[:1])))  # the 'load x' unit run exactly
    with pytest.raises(ValueError, match="reads the input"):
        check_split(net, wrong)
    xs = [fmpq(1, 3), fmpq(-1, 2)]
    enc = rollout_intervals(net, Inputs.points(xs), 30, range(1, 31), split=wrong, checked=False)
    assert violations(net, xs, 30, enc) > 0


# --- backends agree; lanes; overflow ------------------------------------------------------------------

def test_fused_numpy_generic_and_strict_are_bit_identical() -> None:
    net = compiled("toggler").network
    xs = Inputs.grid(fmpq(-1), fmpq(1), 7)
    runs = [rollout_intervals(net, xs, 120, [40, 120], backend=be) for be in ("numpy", "array_api_strict")]
    assert np.array_equal(runs[0].mid, runs[1].mid) and np.array_equal(runs[0].rad, runs[1].rad)


def test_lane_split_runs_control_and_stacks_exactly() -> None:
    c = compiled("stack_copy")
    split = split_lanes(c.network)
    roles = {i: u.role for i, u in enumerate(c.simulation.units)}
    assert {roles[i] for i in split.indep} >= {"control", "stack", "threshold", "case"}
    assert {roles[i] for i in split.dep} >= {"register"}
    check_split(c.network, split)


def test_exact_lanes_become_periodic_and_demotion_stays_sound() -> None:
    net = compiled("toggler").network
    xs = [fmpq(1, 3), fmpq(-3, 4)]
    enc = rollout_intervals(net, Inputs.points(xs), 200, range(1, 201, 9))
    assert enc.period is not None and violations(net, xs, 200, enc) == 0
    demoted = rollout_intervals(net, Inputs.points(xs), 200, range(1, 201, 9), max_exact_bits=1)
    assert demoted.notes and demoted.exact_units == 0 and violations(net, xs, 200, demoted) == 0


def test_overflow_marks_lanes_not_finite() -> None:
    net = Network.from_dense(W_hh=[[2**30]], W_ih=[[1]], b=[1], W_out=[[1]], b_out=[0], h0=[1])
    enc = rollout_intervals(net, Inputs.points([fmpq(0), fmpq(1)]), 40, [10, 40])
    assert not enc.finite.any() and enc.width() == float("inf")
    assert enc.contains(1, 0, [fmpq(10) ** 500])  # a non-finite lane encloses everything


# --- affine forms, arb, simulated formats -------------------------------------------------------------

@pytest.mark.parametrize("name", ["halver", "squaring", "toggler"])
def test_affine_enclosures_contain_exact_values_across_each_interval(name: str) -> None:
    net = compiled(name).network
    iv = Inputs.intervals(fmpq(-1), fmpq(1), 8)
    enc = rollout_intervals(net, iv, 60, [20, 40, 60])
    assert enc.gen is not None and enc.finite.all()
    for lane, (a, b) in enumerate(zip(iv.lo, iv.hi, strict=True)):
        for x in (a, b, (3 * a + b) / 4, a + (b - a) / 3):
            for ti, (_, _, y) in enumerate(rollout(net, [x], 60, enc.times)):
                assert enc.contains(ti, lane, y, x=x), (name, lane, x)


def test_affine_mode_is_tighter_than_balls_on_intervals() -> None:
    net = compiled("halver").network
    iv = Inputs.intervals(fmpq(-1), fmpq(1), 4)
    affine = rollout_intervals(net, iv, 30, [30], mode="affine")
    ball = rollout_intervals(net, iv, 30, [30], mode="ball")
    assert affine.rad.max() < ball.rad.max()


def test_arb_balls_contain_exact_values_and_refuse_bad_precision() -> None:
    net, xs = adversarial()
    enc = rollout_arb(net, Inputs.points(xs), 30, range(1, 31), prec=80)
    assert violations(net, xs, 30, enc) == 0
    with pytest.raises(InputError, match="--prec=4"):
        rollout_arb(net, Inputs.points(xs), 3, [3], prec=4)


def test_simulated_float32_run_lies_in_the_sim_enclosure() -> None:
    """With SimFormat(24, -126) the enclosure must also hold an actual float32 rollout (any order)."""
    net = Network.from_dense(W_hh=[["3/4", "-5/8"], ["7/16", "1/2"]], W_ih=[[1], ["-3/4"]], b=["1/8", 0],
                             W_out=[[1, 1]], b_out=[0], h0=[0, 0])
    xs = [fmpq(1, 3), fmpq(-7, 10)]
    enc = rollout_intervals(net, Inputs.points(xs), 50, range(1, 51), sim=SimFormat(24, -126), split=False)
    W = np.array([[0.75, -0.625], [0.4375, 0.5]], dtype=np.float32)
    for lane, x in enumerate(xs):
        h = np.zeros(2, dtype=np.float32)
        xf = np.float32(float(x.p) / float(x.q))
        for ti in range(50):
            h = np.maximum(W @ h + np.array([1, -0.75], dtype=np.float32) * xf + np.float32([0.125, 0]), 0)
            y = float(h.sum(dtype=np.float32))
            assert abs(from_float(y) - from_float(enc.mid[ti, lane, 0])) <= from_float(enc.rad[ti, lane, 0])


def test_row_sums_beyond_the_underflow_bound_are_refused() -> None:
    net = Network.from_dense(W_hh=[[2**41]], W_ih=[[1]], b=[1], W_out=[[1]], b_out=[0], h0=[1])
    with pytest.raises(InputError, match="row 0 of the weights"):
        rollout_intervals(net, Inputs.points([fmpq(0)]), 2, [2])
