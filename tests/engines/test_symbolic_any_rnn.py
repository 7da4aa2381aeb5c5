"""The symbolic composition of a piecewise-linear network equals its exact run; SMT confirms it on a tiny case."""

from __future__ import annotations

import random
from fractions import Fraction

from engines_reference import PWL, random_network, reference_run
from flint import fmpq
from hypothesis import given, settings
from hypothesis import strategies as st

from certify.prove import affine, pwl, smt
from certify.spec.network import Layer, Network
from certify.spec.sparse import SparseMatrix

STEPS = 3


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**9), acts=st.lists(st.sampled_from(PWL), min_size=1, max_size=3),
       d=st.integers(1, 2), p=st.booleans(), q=st.booleans(), kind=st.sampled_from(("constant", "impulse")))
def test_composition_equals_the_exact_run_at_sample_points(seed: int, acts: list[str], d: int, p: bool, q: bool,
                                                            kind: str) -> None:
    rng = random.Random(seed)
    net = random_network(rng, tuple(acts), d, p, q, width=2)
    box = {f"x{k}": (fmpq(-2), fmpq(2)) for k in range(net.input_dim)}
    run = affine.propagate_network(net, box, STEPS, kind=kind)
    for _ in range(4):
        x = [Fraction(rng.randint(-8, 8), 4) for _ in range(net.input_dim)]
        point = {f"x{k}": fmpq(v.numerator, v.denominator) for k, v in enumerate(x)}
        want = reference_run(net, x, STEPS, kind)
        got = [[pwl.evaluate(e, point) for e in y] for y in run.outputs]
        assert got == [[fmpq(v.numerator, v.denominator) for v in y] for y in want]


def _hardtanh_net(w: str, v: str, b: str) -> Network:
    return Network.from_dense(W_hh=[[w]], W_ih=[[v]], b=[b], W_out=[[1]], b_out=[0], h0=[0], activation="hardtanh")


def _relu_equivalent(w: str, v: str, b: str) -> Network:
    """hardtanh(z) = 1 − relu(1 − z) + relu(−1 − z) as a one-layer ReLU network of two units, by hand: a
    different ReLU form than :data:`RELU_FORM`'s, so the expressions differ as text and SMT must decide."""
    return Network.from_dense(W_hh=[[w, f"-{w}"], [w, f"-{w}"]], W_ih=[[f"-{v}"], [f"-{v}"]],
                              b=[1 - fmpq(w) - fmpq(b), -1 - fmpq(w) - fmpq(b)],
                              W_out=[[-1, 1]], b_out=[1], h0=[1, 0])


def test_smt_finds_no_point_where_the_compositions_differ() -> None:
    box = {"x0": (fmpq(-2), fmpq(2))}
    steps = 3
    mine = affine.propagate_network(_hardtanh_net("1/2", "3/2", "1/4"), box, steps).outputs[-1]
    relu_net = _relu_equivalent("1/2", "3/2", "1/4")
    theirs = affine.propagate(relu_net, [pwl.constant(v) for v in relu_net.h0], box, steps,
                              inputs=[{"x0": fmpq(1)}]).outputs[-1]
    residual = affine.differences(mine, theirs)
    assert residual  # not equal as text: the solver decides
    text = smt.equality_query(box, [r for _, r in residual])
    assert smt.solve(text, timeout=20.0, variables=["x0"]).status == "unsat"
    # a planted difference (bias 1/4 → 1/3 in the hand-written network) is found, with a witness that replays
    other = _relu_equivalent("1/2", "3/2", "1/3")
    wrong = affine.propagate(other, [pwl.constant(v) for v in other.h0], box, steps,
                             inputs=[{"x0": fmpq(1)}]).outputs[-1]
    res = smt.solve(smt.equality_query(box, [r for _, r in affine.differences(mine, wrong)]), timeout=20.0,
                    variables=["x0"])
    assert res.status == "sat"
    x = res.model["x0"]
    y1 = list(_hardtanh_net("1/2", "3/2", "1/4").run([x], steps))[-1][2]
    y2 = list(other.run([x], steps))[-1][2]
    assert y1 != y2


def test_deep_pwl_composition_passes_the_smt_guard() -> None:
    layers = (Layer.from_dense(W_hh=[["1/2"]], W_ih=[[1, -1]], b=[0], activation="satlin"),
              Layer.from_dense(W_hh=[[0]], W_ih=[[2]], b=["-1/2"], activation="hardtanh"))
    net = Network(layers=layers, W_out=SparseMatrix.from_dense([[1]]), b_out=(fmpq(0),))
    box = {"x0": (fmpq(-1), fmpq(1)), "x1": (fmpq(-1), fmpq(1))}
    y = affine.propagate_network(net, box, 2, kind="impulse").outputs[-1][0]
    res = smt.solve(smt.negativity_query(box, pwl.add(dict(y), pwl.constant(fmpq(1)))), timeout=20.0,
                    variables=["x0", "x1"])
    assert res.status == "unsat"  # hardtanh ≥ −1
