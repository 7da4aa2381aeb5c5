"""Fuzz campaign: number strings (weights, h0, options, claims) parse to the exact rational they denote
or fail with an InputError that names them — never another exception, never a huge integer built."""

from __future__ import annotations

from fractions import Fraction

from flint import fmpq
from hypothesis import given
from hypothesis import strategies as st
from test_fuzz_mutations import fuzz

from certify.errors import InputError
from certify.rational import parse_number
from certify.untrusted import Limits, limits_scope

#: ASCII digits, every other Unicode decimal digit family's 3, fullwidth digits, signs and separators.
PIECES = ["0", "1", "7", "9", "00", "٣", "۳", "३", "１", "𝟑", "/", ".", "e", "E", "-", "+", " ", "_", "x",
          "e99999", "e100000", "e-99999", "e999999999999", "9" * 40, "NaN", "inf", "\x00", "\u2212"]
NUMBER_TEXT = st.one_of(st.lists(st.sampled_from(PIECES), max_size=8).map("".join), st.text(max_size=20))


@fuzz(3000)
@given(NUMBER_TEXT, st.sampled_from([None, 64, 4096]))
def test_number_strings(text: str, max_bits: int | None) -> None:
    try:
        q = parse_number(text, where="W_hh[0][0]", max_bits=max_bits)
    except InputError as err:
        assert str(err).startswith("W_hh[0][0]="), err
        assert str(err).isascii() and "\n" not in str(err), err
        return
    assert text.isascii(), f"{text!r} was read as {q}: only ASCII digits may be numbers"
    assert q.height_bits() <= (max_bits or Limits().max_number_bits)


ASCII_NUMBER = st.builds(
    lambda sign, whole, frac, exp: f"{sign}{whole}{frac}{exp}",
    st.sampled_from(["", "-", "+"]), st.from_regex(r"[0-9]{1,12}", fullmatch=True),
    st.sampled_from(["", "."]).flatmap(lambda d: st.from_regex(r"[0-9]{0,8}", fullmatch=True).map(
        lambda f: f"{d}{f}" if d else "")),
    st.one_of(st.just(""), st.integers(-40, 40).map(lambda e: f"e{e}")))


@fuzz(800)
@given(st.one_of(ASCII_NUMBER, st.fractions().map(lambda f: f"{f.numerator}/{f.denominator}")))
def test_ascii_numbers_are_exact(text: str) -> None:
    want = Fraction(text)
    assert parse_number(text) == fmpq(want.numerator, want.denominator)


@fuzz(300)
@given(st.integers(1, 10**12), st.sampled_from(["1e", "1e-", "7.5e", "0.000001e", "123456789e"]))
def test_exponents_are_bounded_before_the_integer_exists(exponent: int, prefix: str) -> None:
    with limits_scope(Limits(max_number_bits=10_000)):
        try:
            q = parse_number(f"{prefix}{exponent}")
        except InputError as err:
            assert "max_number_bits=10000" in str(err)
        else:
            assert q.height_bits() <= 10_000
