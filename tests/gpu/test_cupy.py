"""The CuPy path: the same containment checks on the GPU; skipped cleanly without CuPy or a GPU."""

from __future__ import annotations

import numpy as np
import pytest
from cases import CASES, compiled
from flint import fmpq

from certify.execute.backend import cupy_available, get_backend
from certify.execute.enclosure import Inputs
from certify.execute.exact import rollout
from certify.execute.interval import BallLanes, ball_matrix
from certify.execute.rollout import rollout_intervals
from certify.spec.network import Network

pytestmark = pytest.mark.skipif(not cupy_available(), reason="CuPy with a CUDA GPU is not available")


def _violations(net, xs, steps, enc) -> int:
    bad = 0
    for lane, x in enumerate(xs):
        for ti, (_, _, y) in enumerate(rollout(net, [x] * net.input_dim, steps, enc.times)):
            bad += not enc.contains(ti, lane, y, x=x)
    return bad


def test_gpu_self_check_passes() -> None:
    be = get_backend("cupy")
    assert be.name == "cupy"


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("split", [True, False])
def test_cupy_enclosures_contain_exact_values(name: str, split: bool) -> None:
    net = compiled(name).network
    xs = [fmpq(-1), fmpq(-1, 3), fmpq(0), fmpq(5, 8), fmpq(1)]
    enc = rollout_intervals(net, Inputs.points(xs), 150, range(1, 151, 7), backend="cupy", split=split)
    assert _violations(net, xs, 150, enc) == 0


def test_cupy_adversarial_rounding_is_covered() -> None:
    net = Network.from_dense(W_hh=[["3/4", "-5/8"], ["7/16", "1/2"]], W_ih=[[1], ["-3/4"]], b=["1/3", 0],
                             W_out=[[1, 1]], b_out=[0], h0=["1/7", "2/9"])
    xs = [fmpq(2**52 - 1, 2**52), fmpq(-(2**40) + 3, 2**40), fmpq(1, 3)]
    enc = rollout_intervals(net, Inputs.points(xs), 60, range(1, 61), backend="cupy", split=False)
    assert _violations(net, xs, 60, enc) == 0


def test_fused_kernel_matches_the_array_api_path_bit_for_bit() -> None:
    be = get_backend("cupy")
    rng = np.random.default_rng(3)
    n, B = 64, 513
    A = np.round(rng.standard_normal((n, n + 2)) * 64) / 512
    bm = ball_matrix(A)
    h0 = (np.abs(rng.standard_normal((n, B))), np.zeros((n, B)))
    x = (rng.uniform(-1, 1, (1, B)), np.zeros((1, B)))
    fused, generic = BallLanes(be, bm, h0, x, fused=True), BallLanes(be, bm, h0, x, fused=False)
    for _ in range(30):
        fused.step()
        generic.step()
    (m1, r1), (m2, r2) = fused.state(), generic.state()
    assert np.array_equal(m1, m2) and np.array_equal(r1, r2)
    assert fused.finite().all() and generic.finite().all()


def test_cupy_overflow_marks_lanes() -> None:
    net = Network.from_dense(W_hh=[[2**30]], W_ih=[[1]], b=[1], W_out=[[1]], b_out=[0], h0=[1])
    enc = rollout_intervals(net, Inputs.points([fmpq(0), fmpq(1)]), 40, [40], backend="cupy")
    assert not enc.finite.any()
