from __future__ import annotations

import numpy as np
import pytest
from flint import fmpq
from hypothesis import given
from hypothesis import strategies as st

from certify.errors import InputError
from certify.rational import bits, decimal, from_float, parse_number, to_json, to_string


@pytest.mark.parametrize(
    ("text", "value"),
    [("0", fmpq(0)), ("-7", fmpq(-7)), ("+3", fmpq(3)), ("3/4", fmpq(3, 4)), ("-6/8", fmpq(-3, 4)),
     ("0.125", fmpq(1, 8)), ("-1e-3", fmpq(-1, 1000)), ("1.5E+2", fmpq(150)), (".5", fmpq(1, 2)),
     ("2.", fmpq(2)), ("  1/3 ", fmpq(1, 3)), ("1" + "0" * 5000, fmpq(10) ** 5000)],
)
def test_parse_exact(text: str, value: fmpq) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("bad", ["abc", "", "1/0", "nan", "-inf", "Infinity", "1/2/3", "0x10", "1e999999", "--1",
                                 "1.2.3", "e5"])
def test_parse_rejects(bad: str) -> None:
    with pytest.raises(InputError) as err:
        parse_number(bad, where="W_hh[3][7]")
    assert str(err.value).startswith("W_hh[3][7]=")


def test_python_float_is_refused_but_float_data_is_exact() -> None:
    with pytest.raises(InputError, match="binary float"):
        parse_number(0.1)
    assert from_float(0.1) == fmpq(3602879701896397, 2**55)
    assert from_float(np.float32(0.1)) == fmpq(13421773, 2**27)
    assert from_float(2.0**-1074) == fmpq(1, 2**1074)  # the smallest subnormal, exactly


@given(st.fractions())
def test_canonical_text_round_trips(f) -> None:
    q = fmpq(f.numerator, f.denominator)
    assert parse_number(to_string(q)) == q
    assert parse_number(to_json(q)) == q


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_values_are_exact(v: float) -> None:
    q = from_float(v)
    num, den = v.as_integer_ratio()
    assert q == fmpq(num, den)


def test_decimal_and_bits() -> None:
    assert decimal(fmpq(-1, 3), 4) == "-0.3333"
    assert decimal(fmpq(1, 10**9), 4).startswith("1.0")
    assert bits(fmpq(-3, 1024)) == 11
