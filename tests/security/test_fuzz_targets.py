"""Fuzz campaign: target functions f(x) (``--f``, ``claims.target``) parse and check to a sympy
expression, or fail with one InputError — never OverflowError, RecursionError or a hang."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from test_fuzz_mutations import fuzz

from certify.errors import InputError
from certify.expr import ArbFunction, check_continuous, numpy_function, parse_function

COMMITTED = ["x**2", "abs(x)", "exp(x)", "1/(1+25*x^2)", "sqrt(1-x^2)", "sin(5*x)",
             "2^(-0/2)*cos(1*pi*x) + 2^(-1/2)*cos(3*pi*x) + 2^(-2/2)*cos(9*pi*x)", "where(x < 0, -x, x**2)"]
ATOMS = ["x", "1", "2", "1000", "1/3", "0.5", "1e99999", "1e-300", "pi", "E", "٣", "１", "-x", "(x+1)", "0"]
FUNCS = ["exp", "log", "sin", "cos", "tan", "sqrt", "abs", "atan", "tanh", "cosh", "sinh", "nope", "__import__"]
OPS = ["+", "-", "*", "/", "**", "^", " < ", ",", ""]


def _expr(depth: int) -> st.SearchStrategy[str]:
    leaf = st.sampled_from(ATOMS)
    if depth == 0:
        return leaf
    inner = _expr(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(st.sampled_from(FUNCS), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, st.sampled_from(OPS), inner).map(lambda t: f"{t[0]}{t[1]}{t[2]}"),
        st.tuples(inner, inner, inner).map(lambda t: f"where(x < {t[0]}, {t[1]}, {t[2]})"),
        st.tuples(st.sampled_from(COMMITTED), st.integers(0, 30), st.sampled_from(["(", ")", "**9", "exp(", "x"]))
        .map(lambda t: t[0][: t[1]] + t[2] + t[0][t[1]:]),
    )


TARGETS = st.one_of(_expr(4), st.sampled_from(COMMITTED),
                    st.integers(1, 8).map(lambda n: "exp(" * n + "x" + ")" * n),
                    st.integers(1, 6).map(lambda n: "(" * n + "9**999" + ")**999" * n), st.text(max_size=30))


@fuzz(800)
@given(TARGETS)
def test_targets(text: str) -> None:
    from flint import arb

    try:
        f = parse_function(text)
        check_continuous(f, text)
        ArbFunction(f)(arb(0, 1))  # what rates and supnorm do with a target that passed
        numpy_function(f)(__import__("numpy").linspace(-1, 1, 9))
    except InputError:
        return
