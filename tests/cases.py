"""The table of named TMNU cases that every execution path is tested against (DESIGN §10)."""

from __future__ import annotations

from functools import cache

from certify.compiler.tmnu_to_rnn import Compiled, compile_program
from certify.constructions.examples import EXAMPLES
from certify.tmnu.build import Builder, q, relu
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


def sawtooth(teeth: int = 32) -> Program:
    """r <- a sawtooth of r with many teeth: its bound invariant needs real SMT work (the forced-timeout case)."""
    b = Builder(f"sawtooth{teeth}")
    x = b.register("x", bound=1, input=True)
    r = b.register("r", bounds=(0, 1))
    b.output(r)
    e = 0
    for j in range(teeth):
        a = q(f"{j}/{teeth}")
        e = e + 2 * teeth * (relu(r - a) - 2 * relu(r - a - q(f"1/{2 * teeth}")) + relu(r - a - q(f"1/{teeth}")))
    b.op("load", r=relu(x))
    b.op("saw", r=e)
    b.sequence("load", ["load"], then="loop")
    b.forever("loop", "saw")
    return b.build()


CASES = {**EXAMPLES, "halver": halver, "toggler": toggler, "sawtooth": sawtooth}


@cache
def compiled(name: str) -> Compiled:
    return compile_program(CASES[name]())
