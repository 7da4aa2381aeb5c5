"""The TMNU (Turing machine with neural units) as frozen data; see ``docs/tmnu.md``.

A TMNU is (Q, q0, Σ, S, R, Ops, δ, out):

* finite control states ``states`` with start ``start``;
* ``stacks`` over finite alphabets, each with an initial content (top first);
* real ``registers`` with declared bounds ``lo <= r <= hi``; the input x is loaded into
  ``input_register`` at the start;
* ``ops``: shallow ReLU maps on the registers,
  ``r'_i = sum_j V_ij relu(U_j . r + c_j) + D_i . r + e_i`` for the registers the op updates,
  identity on the others;
* ``transitions`` δ(q, tops) = (q', stack actions, op): chosen by the control state and the top
  symbols (``EMPTY`` for an empty stack) only. **Registers never influence control.**
* ``output_register``: y after TMNU step n is its value.

A transition's ``reads`` names only the stacks it looks at; the others are wildcards.

>>> from certify.rational import parse_number as q
>>> a = Affine.of({"x": q(1)}, q(0))
>>> str(a)
'x'
>>> str(Affine.of({"x": q(2), "t": q("-1/2")}, q(3)))
'-1/2*t + 2*x + 3'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

from flint import fmpq

from certify.rational import ZERO

#: The "top symbol" of an empty stack.
EMPTY: None = None


def symbol_name(sym: str | None) -> str:
    return "empty" if sym is None else repr(sym)


@dataclass(frozen=True)
class Affine:
    """``sum coeffs[r] * r + const`` over named registers; coefficients sorted by name, no zeros."""

    coeffs: tuple[tuple[str, fmpq], ...]
    const: fmpq

    @staticmethod
    def of(coeffs: Mapping[str, fmpq], const: fmpq = ZERO) -> Affine:
        return Affine(tuple(sorted((k, v) for k, v in coeffs.items() if v != 0)), const)

    @staticmethod
    def constant(c: fmpq) -> Affine:
        return Affine((), c)

    def as_dict(self) -> dict[str, fmpq]:
        return dict(self.coeffs)

    def registers(self) -> set[str]:
        return {k for k, _ in self.coeffs}

    def evaluate(self, r: Mapping[str, fmpq]) -> fmpq:
        s = self.const
        for k, v in self.coeffs:
            s += v * r[k]
        return s

    def range_over(self, box: Mapping[str, tuple[fmpq, fmpq]]) -> tuple[fmpq, fmpq]:
        """Exact min and max of this affine form over a box of register intervals."""
        lo = hi = self.const
        for k, v in self.coeffs:
            a, b = box[k]
            lo += v * (a if v > 0 else b)
            hi += v * (b if v > 0 else a)
        return lo, hi

    def __str__(self) -> str:
        terms = [k if v == 1 else f"-{k}" if v == -1 else f"{v}*{k}" for k, v in self.coeffs]
        if self.const != 0 or not terms:
            terms.append(str(self.const))
        return " + ".join(terms).replace("+ -", "- ") if terms else "0"


@dataclass(frozen=True)
class Update:
    """New value of one register: ``sum_j relu_coeffs[j] * relu(hidden[j]) + affine``."""

    register: str
    relu: tuple[tuple[int, fmpq], ...]
    affine: Affine


@dataclass(frozen=True)
class NeuralOp:
    """A shallow ReLU map on the registers: one hidden layer ``hidden`` and one update per written register."""

    name: str
    hidden: tuple[Affine, ...]
    updates: tuple[Update, ...]

    def written(self) -> tuple[str, ...]:
        return tuple(u.register for u in self.updates)

    def read(self) -> set[str]:
        regs: set[str] = set()
        for h in self.hidden:
            regs |= h.registers()
        for u in self.updates:
            regs |= u.affine.registers()
        return regs

    def apply(self, r: Mapping[str, fmpq]) -> dict[str, fmpq]:
        """Exact semantics: all updates computed simultaneously from the old registers."""
        acts = [h.evaluate(r) for h in self.hidden]
        acts = [a if a > 0 else ZERO for a in acts]
        new = dict(r)
        for u in self.updates:
            v = u.affine.evaluate(r)
            for j, c in u.relu:
                v += c * acts[j]
            new[u.register] = v
        return new


@dataclass(frozen=True)
class Stack:
    """A stack over ``alphabet``; ``initial`` is its starting content, top symbol first."""

    name: str
    alphabet: tuple[str, ...]
    initial: tuple[str, ...] = ()


@dataclass(frozen=True)
class Register:
    """A real register with declared bounds ``lo <= r <= hi``; ``initial`` None means "the input x"."""

    name: str
    lo: fmpq
    hi: fmpq
    initial: fmpq | None = ZERO


@dataclass(frozen=True)
class StackAction:
    """``pop`` or ``push`` (with its symbol) on one stack; stacks without an action are unchanged."""

    kind: str  # "pop" | "push"
    symbol: str | None = None

    def __str__(self) -> str:
        return "pop" if self.kind == "pop" else f"push {self.symbol!r}"


@dataclass(frozen=True)
class Transition:
    """δ(state, tops) = (goto, actions, op), for every tops combination matching ``reads``."""

    state: str
    reads: tuple[tuple[str, str | None], ...]
    goto: str
    actions: tuple[tuple[str, StackAction], ...] = ()
    op: str | None = None

    def matches(self, tops: Mapping[str, str | None]) -> bool:
        return all(k in tops and tops[k] == v for k, v in self.reads)

    def describe(self) -> str:
        reads = ", ".join(f"{k}={symbol_name(v)}" for k, v in self.reads) or "any tops"
        acts = ", ".join(f"{k}: {a}" for k, a in self.actions)
        return f"{self.state} [{reads}] -> {self.goto}" + (f" ({acts})" if acts else "") + (
            f" op {self.op}" if self.op else ""
        )


@dataclass(frozen=True)
class Program:
    """A complete TMNU program. Validate it with :func:`certify.tmnu.validate.validate`."""

    name: str
    states: tuple[str, ...]
    start: str
    stacks: tuple[Stack, ...]
    registers: tuple[Register, ...]
    input_register: str | None
    output_register: str
    ops: tuple[NeuralOp, ...]
    transitions: tuple[Transition, ...]
    description: str = ""

    def stack(self, name: str) -> Stack:
        return self._by_name[0][name]

    def register(self, name: str) -> Register:
        return self._by_name[1][name]

    def op(self, name: str) -> NeuralOp:
        return self._by_name[2][name]

    @cached_property
    def _by_name(self) -> tuple[dict[str, Stack], dict[str, Register], dict[str, NeuralOp]]:
        """Stacks, registers and ops by name (first of a duplicated name), built once: lookups in a
        program of 10^5 ops are then constant time, not a scan each."""
        return _first_by_name(self.stacks), _first_by_name(self.registers), _first_by_name(self.ops)

    def register_box(self) -> dict[str, tuple[fmpq, fmpq]]:
        return {r.name: (r.lo, r.hi) for r in self.registers}


_Named = TypeVar("_Named", Stack, Register, NeuralOp)


def _first_by_name(items: Iterable[_Named]) -> dict[str, _Named]:
    table: dict[str, _Named] = {}
    for item in items:
        table.setdefault(item.name, item)
    return table


@dataclass(frozen=True)
class Config:
    """A TMNU configuration: control state, stack contents (top first), register values."""

    state: str
    stacks: tuple[tuple[str, ...], ...]
    registers: tuple[fmpq, ...]

    def tops(self, program: Program) -> dict[str, str | None]:
        return {s.name: (c[0] if c else EMPTY) for s, c in zip(program.stacks, self.stacks, strict=True)}

    def register_dict(self, program: Program) -> dict[str, fmpq]:
        return {r.name: v for r, v in zip(program.registers, self.registers, strict=True)}
