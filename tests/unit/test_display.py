"""round_decimal: a displayed upper bound is never below the bound, a lower bound never above it; to nearest
it prints what Python's float formatting prints."""

from __future__ import annotations

import pytest
from flint import fmpq
from hypothesis import given, settings
from hypothesis import strategies as st

from certify.display import round_decimal, round_significant
from certify.rational import parse_number

rationals = st.builds(fmpq, st.integers(-(10**30), 10**30), st.integers(1, 10**30))


@settings(max_examples=400, deadline=None)
@given(rationals, st.integers(1, 8), st.sampled_from(["e", "g", "short"]))
def test_upper_bounds_round_up_and_lower_bounds_down(q: fmpq, digits: int, notation: str) -> None:
    up = parse_number(round_decimal(q, digits, "up", notation=notation))
    down = parse_number(round_decimal(q, digits, "down", notation=notation))
    near = parse_number(round_decimal(q, digits, "nearest", notation=notation))
    assert down <= q <= up and down <= near <= up
    assert up - down <= abs(q) / 10 ** (digits - 1)  # one unit in the last digit at most
    assert round_significant(q, digits, "up") == up and round_significant(q, digits, "down") == down


@settings(max_examples=400, deadline=None)
@given(st.floats(min_value=1e-300, max_value=1e300), st.integers(1, 8))
def test_to_nearest_it_is_pythons_float_formatting(x: float, digits: int) -> None:
    q = fmpq(*x.as_integer_ratio())
    assert round_decimal(q, digits, "nearest") == f"{x:.{digits - 1}e}"
    assert round_decimal(q, digits, "nearest", notation="g") == f"{x:.{digits}g}"


def test_the_rates_tables_old_format_could_understate_a_bound() -> None:
    q = fmpq(10471, 10**8)
    assert f"{float(q):.3e}" == "1.047e-04" and parse_number("1.047e-04") < q
    assert round_decimal(q, 4, "up") == "1.048e-04"


@pytest.mark.parametrize("args,msg", [((fmpq(1), 0, "up"), "digits=0"), ((fmpq(1), 3, "sideways"), "direction="),
                                      ((fmpq(1), 3, "up", "x"), "notation=")])
def test_bad_arguments_are_named(args, msg: str) -> None:
    q, digits, direction, *notation = args
    with pytest.raises(ValueError, match=msg):
        round_decimal(q, digits, direction, **({"notation": notation[0]} if notation else {}))
