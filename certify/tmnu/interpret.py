"""The exact reference interpreter of TMNU programs. Every other execution path is tested against it.

>>> from certify.constructions.examples import squaring
>>> from certify.rational import parse_number as q
>>> p = squaring()
>>> trace = list(run(p, q("3/4"), steps=4))
>>> [str(output(p, c)) for c in trace]
['0', '3/4', '3/4', '5/8', '9/16']
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from flint import fmpq

from certify.errors import InputError
from certify.rational import ONE
from certify.tmnu.core import Control, TupleStacks, control_step
from certify.tmnu.program import Config, Program, Transition


def initial_config(program: Program, x: fmpq) -> Config:
    """The start configuration with the input ``x`` loaded into the input register."""
    if not -ONE <= x <= ONE:
        raise InputError(f"x={x} is outside the input domain [-1, 1]")
    regs = tuple(x if r.name == program.input_register else r.initial for r in program.registers)
    return Config(program.start, tuple(s.initial for s in program.stacks), regs)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Interpreter:
    """Steps configurations of one program: the core's control step, then the op's exact semantics
    (:meth:`~certify.tmnu.program.NeuralOp.apply`, by register name)."""

    program: Program

    @cached_property
    def control(self) -> Control:
        return Control(self.program)

    def transition(self, config: Config) -> Transition:
        """δ(state, tops) of ``config``: the transition its next step takes."""
        return self.control.move(config.state, TupleStacks(config.stacks).tops()).transition

    def step(self, config: Config) -> Config:
        """One exact TMNU step."""
        p = self.program
        stacks = TupleStacks(config.stacks)
        move = control_step(self.control, config.state, stacks)  # registers never influence control
        regs = config.registers
        if move.transition.op is not None:
            new = p.op(move.transition.op).apply(config.register_dict(p))
            regs = tuple(new[r.name] for r in p.registers)
        return Config(move.goto, tuple(stacks.contents), regs)


def run(program: Program, x: fmpq, steps: int) -> Iterator[Config]:
    """Yield configurations 0..steps (the initial one first)."""
    interp = Interpreter(program)
    config = initial_config(program, x)
    yield config
    for _ in range(steps):
        config = interp.step(config)
        yield config


def output(program: Program, config: Config) -> fmpq:
    """The output y of a configuration: the value of the output register."""
    return config.register_dict(program)[program.output_register]
