"""Every engine on the general network: stacked layers, P/Q, PWL activations, constant/impulse, multi-dim input.

Exact runs equal an independent Fraction evaluator; every enclosure (float64 balls, float64 affine forms,
arb balls) contains the exact value.
"""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest
from engines_reference import PWL, random_network, reference_run
from flint import fmpq
from hypothesis import given, settings
from hypothesis import strategies as st

from certify.errors import InputError
from certify.execute.balls import rollout_arb
from certify.execute.enclosure import Inputs
from certify.execute.exact import enclosures_exact, rollout
from certify.execute.rollout import rollout_intervals
from certify.rational import from_float
from certify.spec.activation import NotExact
from certify.spec.network import Layer, Network
from certify.spec.sparse import SparseMatrix

STEPS = 6


def fq(v: Fraction) -> fmpq:
    return fmpq(v.numerator, v.denominator)


networks = st.builds(
    lambda seed, acts, d, p, q: random_network(random.Random(seed), tuple(acts), d, p, q),
    st.integers(0, 10**9), st.lists(st.sampled_from(PWL), min_size=1, max_size=3), st.integers(1, 3),
    st.booleans(), st.booleans())
kinds = st.sampled_from(("constant", "impulse"))


def point(rng: random.Random, d: int) -> list[Fraction]:
    return [Fraction(rng.randint(-8, 8), rng.choice((1, 3, 4))) for _ in range(d)]


@settings(max_examples=60, deadline=None)
@given(net=networks, kind=kinds, seed=st.integers(0, 10**6))
def test_exact_run_equals_fraction_reference(net: Network, kind: str, seed: int) -> None:
    x = point(random.Random(seed), net.input_dim)
    want = reference_run(net, x, STEPS, kind)
    got = rollout(net, [fq(v) for v in x], STEPS, range(1, STEPS + 1), kind=kind)
    assert [[Fraction(int(v.p), int(v.q)) for v in y] for _, _, y in got] == want


@settings(max_examples=40, deadline=None)
@given(net=networks, kind=kinds, seed=st.integers(0, 10**6))
def test_float_and_arb_balls_contain_the_exact_run(net: Network, kind: str, seed: int) -> None:
    rng = random.Random(seed)
    xs = [point(rng, net.input_dim) for _ in range(3)]
    inputs = Inputs.boxes([[(fq(v), fq(v)) for v in x] for x in xs])
    times = range(1, STEPS + 1)
    for enc in (rollout_intervals(net, inputs, STEPS, times, kind=kind),
                rollout_arb(net, inputs, STEPS, times, prec=80, kind=kind)):
        assert enc.finite.all()
        for j, x in enumerate(xs):
            for i, y in enumerate(reference_run(net, x, STEPS, kind)):
                assert enc.contains(i, j, [fq(v) for v in y]), (enc.backend, i, j)
        assert enc.width() < 1e-9


@settings(max_examples=40, deadline=None)
@given(net=networks, kind=kinds, seed=st.integers(0, 10**6))
def test_affine_and_ball_enclosures_over_boxes_contain_sampled_runs(net: Network, kind: str, seed: int) -> None:
    rng = random.Random(seed)
    d = net.input_dim
    centre = point(rng, d)
    box = [(c - Fraction(1, 4), c + Fraction(1, 4)) for c in centre]
    inputs = Inputs.boxes([[(fq(a), fq(b)) for a, b in box]])
    samples = [[a + (b - a) * Fraction(rng.randint(0, 8), 8) for a, b in box] for _ in range(4)]
    samples += [[a for a, _ in box], [b for _, b in box]]
    for mode in ("affine", "ball"):
        enc = rollout_intervals(net, inputs, STEPS, range(1, STEPS + 1), mode=mode, kind=kind)
        assert enc.finite.all()
        for x in samples:
            for i, y in enumerate(reference_run(net, x, STEPS, kind)):
                assert enc.contains(i, 0, [fq(v) for v in y]), (mode, i, x)
    arb_enc = rollout_arb(net, inputs, STEPS, range(1, STEPS + 1), prec=80, kind=kind)
    for x in samples:
        for i, y in enumerate(reference_run(net, x, STEPS, kind)):
            assert arb_enc.contains(i, 0, [fq(v) for v in y])


@settings(max_examples=25, deadline=None)
@given(net=networks, kind=kinds, seed=st.integers(0, 10**6))
def test_affine_forms_on_shared_x_intervals_contain_every_x(net: Network, kind: str, seed: int) -> None:
    """One generator ξ (every input dimension the same x): the enclosure is affine in x and contains y_t(x)."""
    rng = random.Random(seed)
    lo = Fraction(rng.randint(-4, 3), 2)
    inputs = Inputs.intervals(fq(lo), fq(lo + 1), 2)
    enc = rollout_intervals(net, inputs, STEPS, range(1, STEPS + 1), kind=kind)
    assert enc.gen is not None and enc.finite.all()
    for j in range(2):
        a = lo + Fraction(j, 2)
        for x in (a, a + Fraction(1, 8), a + Fraction(rng.randint(0, 4), 8), a + Fraction(1, 2)):
            for i, y in enumerate(reference_run(net, [x] * net.input_dim, STEPS, kind)):
                assert enc.contains(i, j, [fq(v) for v in y], x=fq(x)), (i, j, x)


def _chain(*acts: str) -> Network:
    layers = [Layer.from_dense(W_hh=[["1/2"]], W_ih=[[1]], b=[0], activation=a) for a in acts]
    return Network(layers=tuple(layers), W_out=SparseMatrix.from_dense([[1]]), b_out=(fmpq(0),))


def test_affine_forms_stay_exact_inside_one_linear_piece() -> None:
    """A hardtanh unit whose range stays inside [−1, 1] is carried exactly: the width is all generator."""
    net = _chain("hardtanh", "satlin")
    enc = rollout_intervals(net, Inputs.intervals(fmpq(1, 10), fmpq(1, 5), 1), 3, [3])
    assert enc.gen is not None and float(enc.rad.max()) < 1e-15 and float(enc.gen[0, 0, 0]) > 0.01


def test_impulse_and_constant_differ_and_match_the_model() -> None:
    net = _chain("hardtanh", "relu")
    for kind in ("constant", "impulse"):
        want = [y for _, _, y in net.run([fmpq(1)], 4, kind=kind)]
        got = [y for _, _, y in rollout(net, [fmpq(1)], 4, range(1, 5), kind=kind)]
        assert got == want
    assert [str(y[0]) for _, _, y in rollout(net, [fmpq(1)], 3, [3], kind="impulse")] != \
        [str(y[0]) for _, _, y in rollout(net, [fmpq(1)], 3, [3])]


def test_sequence_input_runs_exactly_and_is_refused_by_the_ball_engines() -> None:
    net = _chain("satlin")
    seq = [[fmpq(1)], [fmpq(-1)], [fmpq(1, 2)]]
    got = rollout(net, seq, 3, [3], kind="sequence")
    assert got[-1][2] == list(net.run_sequence(seq))[-1][2]
    with pytest.raises(InputError, match="sequence"):
        rollout_intervals(net, Inputs.points([fmpq(0)]), 3, [3], kind="sequence")
    with pytest.raises(InputError, match="sequence"):
        rollout_arb(net, Inputs.points([fmpq(0)]), 3, [3], kind="sequence")


@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
def test_tanh_and_sigmoid_are_refused_exactly_with_the_alternative(name: str) -> None:
    net = _chain("relu", name)
    with pytest.raises(NotExact, match=r"layers\[1\] has activation .*--backend arb"):
        rollout(net, [fmpq(1)], 3, [3])
    with pytest.raises(NotExact, match="--backend arb"):
        enclosures_exact(net, Inputs.points([fmpq(1)]), 3, [3])


def test_exact_enclosures_of_boxes_use_each_dimension() -> None:
    net = Network(layers=(Layer.from_dense(W_hh=[[0]], W_ih=[[1, 2]], b=[0], activation="identity"),),
                  W_out=SparseMatrix.from_dense([[1]]), b_out=(fmpq(0),))
    enc = enclosures_exact(net, Inputs.boxes([[(fmpq(1), fmpq(1)), (fmpq(3), fmpq(3))]]), 1, [1])
    assert float(enc.mid[0, 0, 0]) == 7.0


def test_single_relu_network_agrees_on_both_float_paths() -> None:
    """The lane-split executor and the layered one enclose the same exact values on a one-layer ReLU net."""
    rng = random.Random(5)
    net = random_network(rng, ("relu",), 1, False, False, width=4)
    xs = [fmpq(k, 4) for k in range(-4, 5)]
    old = rollout_intervals(net, Inputs.points(xs), 8, [8])
    new = rollout_intervals(net, Inputs.boxes([[(x, x)] for x in xs]), 8, [8])
    assert np.allclose(old.mid, new.mid, atol=1e-12)
    for j, x in enumerate(xs):
        y = reference_run(net, [Fraction(int(x.p), int(x.q))], 8, "constant")[-1]
        assert old.contains(0, j, [fq(v) for v in y]) and new.contains(0, j, [fq(v) for v in y])
    assert from_float(float(new.rad.max())) < fmpq(1, 10**9)
