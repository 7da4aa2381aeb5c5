from __future__ import annotations

import pytest

from certify.errors import ProgramError
from certify.tmnu.build import Builder, relu
from certify.tmnu.program import EMPTY


def _base() -> Builder:
    b = Builder("t")
    x = b.register("x", bound=1, input=True)
    b.register("y", bound=1)
    b.output("y")
    b.stack("S", alphabet="ab")
    b.op("copy", y=relu(x))
    return b


def test_control_reading_a_register_is_rejected() -> None:
    b = _base()
    s = b.state("q")
    s.when(x="1").goto("q")  # branching on the register x
    s.when(S=EMPTY).goto("q")
    with pytest.raises(ProgramError, match="reads register 'x': registers never influence control"):
        b.build()


def test_missing_case_is_rejected() -> None:
    b = _base()
    s = b.state("q")
    s.when(S="a").pop("S").goto("q")
    s.when(S=EMPTY).goto("q")
    with pytest.raises(ProgramError, match="no transition for state 'q' with tops S='b'"):
        b.build()


def test_op_naming_an_undeclared_register_is_rejected() -> None:
    b = _base()
    from flint import fmpq

    from certify.tmnu.build import Expr

    ghost = Expr(((("reg", "z"), fmpq(1)),))
    b.op("bad", y=ghost / 2)
    b.forever("q", "bad")
    with pytest.raises(ProgramError, match="op 'bad' reads undeclared register 'z'"):
        b.build()


def test_every_problem_is_reported_at_once() -> None:
    b = _base()
    s = b.state("q")
    s.when(S="a").goto("nowhere")
    s.when(S="a").op("missing").goto("q")
    s.when(S=EMPTY).pop("S").goto("q")
    with pytest.raises(ProgramError) as err:
        b.build()
    msgs = err.value.problems
    assert any("undeclared state 'nowhere'" in m for m in msgs)
    assert any("undeclared op 'missing'" in m for m in msgs)
    assert any("pops stack 'S' when it is empty" in m for m in msgs)
    assert len(msgs) >= 3


def test_nondeterminism_and_bad_bounds_are_rejected() -> None:
    b = Builder("t2")
    b.register("x", bounds=("-1/2", "1/2"), input=True)
    b.register("y", bounds=(0, 1), initial=2)
    b.output("y")
    b.state("q").always().goto("q")
    b.state("q").always().goto("q")
    with pytest.raises(ProgramError) as err:
        b.build()
    text = str(err.value)
    assert "must contain the input domain [-1, 1]" in text
    assert "starts at 2, outside its bounds" in text
    assert "nondeterministic" in text


def test_float_constants_are_refused() -> None:
    from certify.errors import InputError

    b = _base()
    with pytest.raises(InputError, match="binary float"):
        b.op("f", y=relu(b.register("w", bound=1)) * 0.5)
