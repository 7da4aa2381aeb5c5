"""The exact piecewise-linear algebra under the certifier: canonical atoms, ranges, evaluation."""

from __future__ import annotations

from flint import fmpq
from hypothesis import given
from hypothesis import strategies as st

from certify.prove import pwl

small = st.integers(-8, 8).map(lambda n: fmpq(n, 4))
exprs = st.dictionaries(st.sampled_from(["a", "b", pwl.ONE]), small, max_size=3).map(
    lambda d: {k: v for k, v in d.items() if v != 0})
BOX = {"a": (fmpq(-1), fmpq(1)), "b": (fmpq(0), fmpq(2))}
points = st.fixed_dictionaries({"a": st.integers(-8, 8).map(lambda n: fmpq(n, 8)),
                                "b": st.integers(0, 16).map(lambda n: fmpq(n, 8))})


@given(exprs, exprs, points)
def test_relu_and_atoms_evaluate_exactly(e1, e2, pt) -> None:
    inner = pwl.relu(e1, BOX)
    outer = pwl.add(pwl.relu(pwl.add(dict(e2), inner, fmpq(3, 2)), BOX), inner, -1)
    v1 = pwl.evaluate(e1, pt)
    r1 = v1 if v1 > 0 else fmpq(0)
    v2 = pwl.evaluate(e2, pt) + fmpq(3, 2) * r1
    expected = (v2 if v2 > 0 else fmpq(0)) - r1
    assert pwl.evaluate(outer, pt) == expected
    lo, hi = pwl.value_range(outer, BOX)
    assert lo <= expected <= hi  # ranges are sound


@given(exprs, st.integers(1, 9))
def test_atoms_are_canonical_under_positive_scaling(e, k) -> None:
    a = pwl.atom(e)
    b = pwl.scale(pwl.atom(pwl.scale(e, k)), fmpq(1, k))
    assert a == b
