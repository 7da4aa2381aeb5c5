"""The x-independent control path of a TMNU program, and replaying its ops on registers.

Registers never influence control (DESIGN §3), so the sequence of ops a program applies is the same
for every x: :func:`control_path` computes it once with the core's control step on
:class:`~certify.tmnu.core.ListStacks` (O(1) per pop, so streams of 10^5 symbols are cheap; the
reference interpreter's tuples are O(length) per pop). :func:`replay` then applies those ops to
registers in any :class:`~certify.tmnu.core.Arithmetic`: exact, sampled or enclosing
(:mod:`certify.execute.tmnu_registers`, :mod:`certify.execute.tmnu_forms`). The simulation theorem
proved by ``certify check`` makes the TMNU run equal to the RNN's: y_T is the output register of
config n for every T in [t0 + c·n, t0 + c·(n+1)).

>>> from certify.constructions.examples import squaring
>>> p = squaring()
>>> path = control_path(p, steps=6)
>>> [p.ops[i].name for i in path.ops], path.fixed_from
(['load', 'tooth', 'tooth', 'tooth', 'tooth', 'tooth'], None)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from certify.errors import InputError
from certify.tmnu.core import Arithmetic, Control, IndexedOp, ListStacks, Registers, control_step
from certify.tmnu.program import Program

#: Most TMNU steps a control path may have (a 10^6-step RNN run is 250 000 TMNU steps).
MAX_PATH_STEPS = 5_000_000

C = TypeVar("C")
V = TypeVar("V")
T = TypeVar("T")


@dataclass(frozen=True)
class ControlPath:
    """Op applied at each TMNU step (index into ``program.ops``, -1 for none), for steps 1..len(ops).

    ``fixed_from``: the first step index n such that config n is a fixed point (nothing ever
    changes again), or None if the path was cut at the requested length.
    """

    program: Program
    ops: tuple[int, ...]
    fixed_from: int | None

    @property
    def steps(self) -> int:
        return len(self.ops)

    def writes(self, register: str) -> list[int]:
        """TMNU steps n (1-based: config n is the first to show the change) whose op writes ``register``."""
        writers = {i for i, op in enumerate(self.program.ops) if register in op.written()}
        return [n + 1 for n, i in enumerate(self.ops) if i in writers]


def control_path(program: Program, steps: int | None = None) -> ControlPath:
    """Run the control (states and stacks) alone: up to ``steps`` steps, or until a fixed point."""
    limit = MAX_PATH_STEPS if steps is None else steps
    if limit > MAX_PATH_STEPS:
        raise InputError(f"{limit} TMNU steps requested; at most {MAX_PATH_STEPS} are supported")
    control, stacks, state = Control(program), ListStacks.of(program), program.start
    out: list[int] = []
    fixed = None
    while len(out) < limit:
        move = control_step(control, state, stacks)
        if move.halts(state):
            fixed = len(out)
            break
        state = move.goto
        out.append(move.op)
    return ControlPath(program, tuple(out), fixed)


def replay(path: ControlPath, ops: Sequence[IndexedOp[C]], arith: Arithmetic[C, V], registers: Registers[V],
           at: Iterable[int], snapshot: Callable[[Any], T]) -> dict[int, T]:
    """Apply the path's ops to ``registers`` (in place, in ``arith``); return ``snapshot(registers)`` of
    every config n in ``at`` (0 <= n <= path.steps, or any n beyond a fixed point).

    >>> from certify.constructions.examples import squaring
    >>> from certify.rational import parse_number as q
    >>> from certify.tmnu.core import EXACT, indexed_ops
    >>> p = squaring()
    >>> regs = [q("3/4") if r.initial is None else r.initial for r in p.registers]
    >>> out = output_index(p)
    >>> replay(control_path(p, 4), indexed_ops(p, EXACT), EXACT, regs, [0, 4], lambda r: str(r[out]))
    {0: '0', 4: '9/16'}
    """
    wanted = sorted(set(at))
    last = max(wanted, default=0)
    if last > path.steps and path.fixed_from is None:
        raise InputError(f"step {last} is beyond the computed control path ({path.steps} steps)")
    last = min(last, path.steps)
    record = {min(n, path.steps) for n in wanted}  # beyond a fixed point every config equals the last one
    got: dict[int, T] = {}
    if 0 in record:
        got[0] = snapshot(registers)
    for n in range(1, last + 1):
        i = path.ops[n - 1]
        if i >= 0:
            ops[i].apply(registers, arith)
        if n in record:
            got[n] = snapshot(registers)
    return {n: got[min(n, path.steps)] for n in wanted}


def output_index(program: Program) -> int:
    """Index of the output register."""
    return [r.name for r in program.registers].index(program.output_register)
