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
from dataclasses import dataclass, field

from flint import fmpq

from certify.errors import InputError
from certify.rational import ONE
from certify.tmnu.program import EMPTY, Config, Program, Register, Transition, symbol_name


def initial_config(program: Program, x: fmpq) -> Config:
    """The start configuration with the input ``x`` loaded into the input register."""
    if not -ONE <= x <= ONE:
        raise InputError(f"x={x} is outside the input domain [-1, 1]")
    return Config(program.start, tuple(s.initial for s in program.stacks),
                  tuple(x if r.name == program.input_register else _initial(r) for r in program.registers))


def _initial(r: Register) -> fmpq:
    assert r.initial is not None  # validate: only the input register has no initial value
    return r.initial


@dataclass
class Interpreter:
    """Steps configurations of one program; caches δ lookups per (state, tops)."""

    program: Program
    _cache: dict[tuple, Transition] = field(default_factory=dict)

    def transition(self, config: Config) -> Transition:
        key = (config.state, tuple(c[0] if c else EMPTY for c in config.stacks))
        t = self._cache.get(key)
        if t is None:
            tops = config.tops(self.program)
            hits = [t for t in self.program.transitions if t.state == config.state and t.matches(tops)]
            if len(hits) != 1:
                case = ", ".join(f"{k}={symbol_name(v)}" for k, v in tops.items())
                raise InputError(f"{len(hits)} transitions match state {config.state!r} with tops {case} "
                                 "(validate the program first)")
            t = self._cache[key] = hits[0]
        return t

    def step(self, config: Config) -> Config:
        """One exact TMNU step."""
        p = self.program
        t = self.transition(config)
        actions = dict(t.actions)
        stacks = []
        for s, content in zip(p.stacks, config.stacks, strict=True):
            act = actions.get(s.name)
            if act is None:
                stacks.append(content)
            elif act.kind == "pop":
                stacks.append(content[1:])
            else:
                assert act.symbol is not None  # the readers and the builder give every push its symbol
                stacks.append((act.symbol, *content))
        regs = config.registers
        if t.op is not None:
            new = p.op(t.op).apply(config.register_dict(p))
            regs = tuple(new[r.name] for r in p.registers)
        return Config(t.goto, tuple(stacks), regs)


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
