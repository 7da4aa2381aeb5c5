"""The table of named TMNU cases that every execution path is tested against (DESIGN §10)."""

from __future__ import annotations

from functools import cache

from certify.compiler.tmnu_to_rnn import Compiled, compile_program
from certify.constructions.examples import EXAMPLES
from certify.tmnu.build import Builder, relu
from certify.tmnu.program import EMPTY, Program


def halver() -> Program:
    """|x| halved every step: the smallest program with an input and an op."""
    b = Builder("halver")
    x = b.register("x", bound=1, input=True)
    y = b.register("y", bound=1)
    b.output(y)
    b.op("abs", y=relu(x) + relu(-x))
    b.op("half", y=y / 2)
    b.sequence("load", ["abs"], then="loop")
    b.forever("loop", "half")
    return b.build()


def toggler() -> Program:
    """Branches on a stack top, pushes and pops with a 1-symbol alphabet, adds constants to a register."""
    b = Builder("toggler")
    x = b.register("x", bound=1, input=True)
    r = b.register("r", bounds=(-2, 2))
    b.output(r)
    b.stack("S", alphabet="z", initial="zz")
    b.op("up", r=(r + x) / 2 + "1/2")
    b.op("down", r=(r - x) / 2 - "1/2")
    s = b.state("a")
    s.when(S="z").pop("S").op("up").goto("a")
    s.when(S=EMPTY).op("down").goto("b")
    b.state("b").always().push("S", "z").op("up").goto("a")
    return b.build()


CASES = {**EXAMPLES, "halver": halver, "toggler": toggler}


@cache
def compiled(name: str) -> Compiled:
    return compile_program(CASES[name]())
