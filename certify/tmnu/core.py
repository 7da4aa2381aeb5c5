"""The TMNU execution core: the control step and the op application, each written once.

**Control.** Registers never influence control (DESIGN §3): a step is δ(state, tops) = a :class:`Move`
(next state, stack actions, op), looked up by :meth:`Control.move` and applied to the stacks by
:func:`control_step`, whatever the stacks' representation: :class:`TupleStacks` (top-first tuples, as
in a :class:`~certify.tmnu.program.Config`; the interpreter's) or :class:`ListStacks` (lists with the
top last, O(1) per action, for the control path of streams of 10^5 symbols).

**Registers.** :class:`IndexedOp` is an op with registers as indices and its coefficients converted
once into a number system; :meth:`IndexedOp.apply` evaluates it in any :class:`Arithmetic`: exact
rationals (:data:`EXACT`, here), float64 samples and enclosing affine forms (``certify.execute``).
The reference semantics stay readable in :meth:`~certify.tmnu.program.NeuralOp.apply` and
:class:`~certify.tmnu.interpret.Interpreter`; ``tests/property/test_evaluators.py`` checks every
arithmetic against them, step by step, on the table of named cases.

>>> from certify.constructions.examples import squaring
>>> from certify.rational import parse_number as q
>>> p = squaring()
>>> control, stacks, state = Control(p), ListStacks.of(p), p.start
>>> regs = [q("3/4") if r.initial is None else r.initial for r in p.registers]
>>> ops = [IndexedOp.of(op, p) for op in p.ops]
>>> for _ in range(4):
...     move = control_step(control, state, stacks)
...     state = move.goto
...     if move.op >= 0:
...         ops[move.op].apply(regs, EXACT)
>>> str(regs[[r.name for r in p.registers].index(p.output_register)])
'9/16'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, Protocol, TypeVar

from flint import fmpq

from certify.errors import InputError
from certify.rational import ZERO
from certify.tmnu.program import EMPTY, NeuralOp, Program, StackAction, Transition, symbol_name

Tops = tuple[str | None, ...]


# --- control ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Move:
    """δ's answer for one (state, tops): the transition, its stack actions by stack index (in stack
    order, at most one per stack) and its op as an index into ``program.ops`` (-1: none)."""

    transition: Transition
    actions: tuple[tuple[int, StackAction], ...]
    op: int

    @property
    def goto(self) -> str:
        return self.transition.goto

    def halts(self, state: str) -> bool:
        """From ``state`` this move changes nothing, so nothing ever changes again (a fixed point)."""
        return self.transition.goto == state and not self.actions and self.op < 0


@dataclass(frozen=True)
class Control:
    """The δ lookups of one program, cached per (state, tops).

    >>> from certify.constructions.examples import counter
    >>> c = Control(counter())
    >>> m = c.move("inc", ("1", None)); m.goto, [(i, str(a)) for i, a in m.actions], m.op
    ('inc', [(0, 'pop'), (1, "push '0'")], -1)
    """

    program: Program
    _moves: dict[tuple[str, Tops], Move] = field(default_factory=dict, compare=False, repr=False)

    def move(self, state: str, tops: Tops) -> Move:
        """δ(state, tops); an :class:`~certify.errors.InputError` unless exactly one transition matches."""
        key = (state, tops)
        found = self._moves.get(key)
        if found is None:
            found = self._moves[key] = self._find(state, tops)
        return found

    @cached_property
    def _op_index(self) -> dict[str, int]:
        index: dict[str, int] = {}
        for i, op in enumerate(self.program.ops):
            index.setdefault(op.name, i)  # the first of a duplicated name, as Program.op
        return index

    def _find(self, state: str, tops: Tops) -> Move:
        p = self.program
        named = {s.name: top for s, top in zip(p.stacks, tops, strict=True)}
        hits = [t for t in p.transitions if t.state == state and t.matches(named)]
        if len(hits) != 1:
            case = ", ".join(f"{k}={symbol_name(v)}" for k, v in named.items())
            raise InputError(f"{len(hits)} transitions match state {state!r} with tops {case} "
                             "(validate the program first)")
        t = hits[0]
        acts = dict(t.actions)
        actions = tuple((i, acts[s.name]) for i, s in enumerate(p.stacks) if s.name in acts)
        return Move(t, actions, -1 if t.op is None else self._op_index[t.op])


class Stacks(Protocol):
    """Stack contents that :func:`control_step` reads the tops of and acts on (stacks by index)."""

    def tops(self) -> Tops: ...

    def pop(self, i: int) -> None: ...

    def push(self, i: int, symbol: str) -> None: ...


class TupleStacks:
    """Top-first tuples, as in :class:`~certify.tmnu.program.Config` (a pop copies the rest: O(length))."""

    def __init__(self, contents: Sequence[tuple[str, ...]]) -> None:
        self.contents = list(contents)

    def tops(self) -> Tops:
        return tuple(c[0] if c else EMPTY for c in self.contents)

    def pop(self, i: int) -> None:
        self.contents[i] = self.contents[i][1:]

    def push(self, i: int, symbol: str) -> None:
        self.contents[i] = (symbol, *self.contents[i])


class ListStacks:
    """Lists with the top last: O(1) per action, so long streams are cheap."""

    def __init__(self, lists: list[list[str]]) -> None:
        self.lists = lists

    @staticmethod
    def of(program: Program) -> ListStacks:
        """The program's initial stacks."""
        return ListStacks([list(reversed(s.initial)) for s in program.stacks])

    def tops(self) -> Tops:
        return tuple(s[-1] if s else EMPTY for s in self.lists)

    def pop(self, i: int) -> None:
        self.lists[i].pop()

    def push(self, i: int, symbol: str) -> None:
        self.lists[i].append(symbol)


def control_step(control: Control, state: str, stacks: Stacks) -> Move:
    """One control step: the move δ(state, tops), with its stack actions applied to ``stacks``.
    The registers play no part: the caller applies ``move.op`` to them."""
    move = control.move(state, stacks.tops())
    for i, act in move.actions:
        if act.kind == "pop":
            stacks.pop(i)
        else:
            stacks.push(i, str(act.symbol))
    return move


# --- registers ----------------------------------------------------------------------------------------------
C = TypeVar("C")  # a coefficient in some number system
D = TypeVar("D")
V = TypeVar("V")  # a register value in that number system


class Arithmetic(Protocol[C, V]):
    """A number system for the registers: constants, affine combinations (evaluated left to right, so
    float results are reproducible) and ReLU."""

    def coef(self, q: fmpq) -> C:
        """The rational ``q`` as a coefficient (converted once per op, not per step)."""
        ...

    def affine(self, const: C, terms: list[tuple[C, V]]) -> V:
        """``const + Σ c·v`` over ``terms``, in order."""
        ...

    def relu(self, v: V) -> V:
        """``max(v, 0)``, or an enclosure of it."""
        ...


class Registers(Protocol[V]):
    """Register values by index: a list, or a 2-D array with one row per register."""

    def __getitem__(self, i: int, /) -> V: ...

    def __setitem__(self, i: int, v: V, /) -> None: ...


Terms = tuple[tuple[int, C], ...]


@dataclass(frozen=True)
class IndexedOp(Generic[C]):
    """An op with registers as indices: ``hidden`` rows ``(terms, const)`` and ``updates``
    ``(register, relu terms over the hidden rows, terms, const)``; coefficients of type ``C``.

    >>> from certify.constructions.examples import counter
    >>> p = counter()                                   # tick: count <- count + 2^-10 - relu(count + 2^-10 - 1)
    >>> tick = IndexedOp.of(p.op("tick"), p)
    >>> regs = [fmpq(1, 2)]; tick.apply(regs, EXACT); str(regs[0])
    '513/1024'
    >>> regs = [fmpq(1)]; tick.apply(regs, EXACT); str(regs[0])
    '1'
    """

    hidden: tuple[tuple[Terms[C], C], ...]
    updates: tuple[tuple[int, Terms[C], Terms[C], C], ...]

    @staticmethod
    def of(op: NeuralOp, program: Program) -> IndexedOp[fmpq]:
        """``op`` with ``program``'s register indices and exact coefficients."""
        idx = {r.name: i for i, r in enumerate(program.registers)}
        hidden = tuple((tuple((idx[k], v) for k, v in h.coeffs), h.const) for h in op.hidden)
        ups = tuple((idx[u.register], u.relu, tuple((idx[k], v) for k, v in u.affine.coeffs), u.affine.const)
                    for u in op.updates)
        return IndexedOp(hidden, ups)

    def convert(self, coef: Callable[[C], D]) -> IndexedOp[D]:
        """The same op with every coefficient converted by ``coef`` (e.g. an arithmetic's ``coef``)."""
        def terms(ts: Terms[C]) -> Terms[D]:
            return tuple((j, coef(c)) for j, c in ts)

        return IndexedOp(tuple((terms(ts), coef(c)) for ts, c in self.hidden),
                         tuple((reg, terms(rs), terms(ts), coef(c)) for reg, rs, ts, c in self.updates))

    def apply(self, registers: Registers[V], arith: Arithmetic[C, V]) -> None:
        """The op's semantics in ``arith``, in place: every update computed from the old registers."""
        acts = [arith.relu(arith.affine(const, [(c, registers[j]) for j, c in terms])) for terms, const in self.hidden]
        new = [(reg, arith.affine(const, [(c, registers[j]) for j, c in terms] + [(c, acts[j]) for j, c in relus]))
               for reg, relus, terms, const in self.updates]
        for reg, v in new:
            registers[reg] = v


def indexed_ops(program: Program, arith: Arithmetic[C, Any]) -> list[IndexedOp[C]]:
    """Every op of ``program`` in index form, coefficients in ``arith``."""
    return [IndexedOp.of(op, program).convert(arith.coef) for op in program.ops]


@dataclass(frozen=True)
class ExactArithmetic:
    """Rationals (python-flint ``fmpq``): the arithmetic of :meth:`~certify.tmnu.program.NeuralOp.apply`."""

    def coef(self, q: fmpq) -> fmpq:
        return q

    def affine(self, const: fmpq, terms: list[tuple[fmpq, fmpq]]) -> fmpq:
        v = const
        for c, x in terms:
            v += c * x
        return v

    def relu(self, v: fmpq) -> fmpq:
        return v if v > 0 else ZERO


#: The exact arithmetic.
EXACT = ExactArithmetic()
