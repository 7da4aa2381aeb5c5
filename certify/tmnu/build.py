"""A small Python DSL for writing TMNU programs, with named states and structured loops.

Numbers are exact: use ints, ``q("1/4")`` strings or Fractions; a Python float is refused.

>>> b = Builder("halver")
>>> x = b.register("x", bound=1, input=True)
>>> y = b.register("y", bound=1)
>>> b.output(y)
>>> b.op("half", y=(y + x) / 2)
'half'
>>> b.op("abs", y=relu(x) + relu(-x))
'abs'
>>> b.sequence("load", ops=["abs"], then="loop")
>>> b.forever("loop", op="half")
>>> p = b.build()
>>> p.states
('load', 'loop')
>>> str(p.op("half").updates[0].affine)
'1/2*x + 1/2*y'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from flint import fmpq

from certify.errors import InputError
from certify.rational import ZERO, parse_number
from certify.tmnu.program import (
    EMPTY,
    Affine,
    NeuralOp,
    Program,
    Register,
    Stack,
    StackAction,
    Transition,
    Update,
)
from certify.tmnu.validate import validate

Number = int | str | Fraction | fmpq


def q(value: Number) -> fmpq:
    """Exact rational from an int, "p/q", decimal string, Fraction or fmpq (floats are refused)."""
    return parse_number(value)


def _num(value: Any) -> fmpq:
    if isinstance(value, float):
        raise InputError(f"{value!r} is a binary float; write exact numbers in programs, e.g. q('1/4')")
    return parse_number(value)


@dataclass(frozen=True)
class Expr:
    """A linear combination of registers and ReLU atoms, plus a constant (an op's right-hand side).

    ``terms`` maps ``("reg", name)`` or ``("relu", Affine)`` to a coefficient.
    """

    terms: tuple[tuple[tuple[str, Any], fmpq], ...]
    const: fmpq = ZERO

    @staticmethod
    def _make(terms: Mapping[tuple[str, Any], fmpq], const: fmpq) -> Expr:
        items = sorted(((k, v) for k, v in terms.items() if v != 0), key=lambda kv: (kv[0][0], str(kv[0][1])))
        return Expr(tuple(items), const)

    def _combine(self, other: Any, sign: int) -> Expr:
        other = other if isinstance(other, Expr) else Expr((), _num(other))
        terms = dict(self.terms)
        for k, v in other.terms:
            terms[k] = terms.get(k, ZERO) + sign * v
        return Expr._make(terms, self.const + sign * other.const)

    def __add__(self, other: Any) -> Expr:
        return self._combine(other, 1)

    __radd__ = __add__

    def __sub__(self, other: Any) -> Expr:
        return self._combine(other, -1)

    def __rsub__(self, other: Any) -> Expr:
        return (-self)._combine(other, 1)

    def __neg__(self) -> Expr:
        return self * -1

    def __mul__(self, other: Any) -> Expr:
        if isinstance(other, Expr):
            raise InputError("ops are shallow ReLU maps: a product of two register expressions is not allowed")
        c = _num(other)
        return Expr._make({k: v * c for k, v in self.terms}, self.const * c)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Expr:
        c = _num(other)
        if c == 0:
            raise InputError("division by zero in an op expression")
        return self * (1 / c)

    def has_relu(self) -> bool:
        return any(k[0] == "relu" for k, _ in self.terms)

    def affine(self) -> Affine:
        if self.has_relu():
            raise InputError("relu(...) inside relu(...): ops have a single hidden layer")
        return Affine.of({k[1]: v for k, v in self.terms}, self.const)


def relu(e: Expr | Number) -> Expr:
    """A ReLU atom of an affine register expression."""
    e = e if isinstance(e, Expr) else Expr((), _num(e))
    return Expr((( ("relu", e.affine()), fmpq(1)),), ZERO)


def make_op(name: str, updates: Mapping[str, Expr | Number]) -> NeuralOp:
    """Turn ``{register: expression}`` into a :class:`NeuralOp`, sharing identical ReLU atoms."""
    hidden: list[Affine] = []
    ups = []
    for reg, expr in updates.items():
        e = expr if isinstance(expr, Expr) else Expr((), _num(expr))
        relus, lin = [], {}
        for (kind, key), coef in e.terms:
            if kind == "relu":
                if key not in hidden:
                    hidden.append(key)
                relus.append((hidden.index(key), coef))
            else:
                lin[key] = coef
        ups.append(Update(reg, tuple(sorted(relus)), Affine.of(lin, e.const)))
    return NeuralOp(name, tuple(hidden), tuple(ups))


@dataclass
class _TransitionBuilder:
    builder: Builder
    state: str
    reads: dict[str, str | None]
    actions: list[tuple[str, StackAction]] = field(default_factory=list)
    op_name: str | None = None

    def pop(self, stack: str) -> _TransitionBuilder:
        self.actions.append((stack, StackAction("pop")))
        return self

    def push(self, stack: str, symbol: str) -> _TransitionBuilder:
        self.actions.append((stack, StackAction("push", symbol)))
        return self

    def op(self, name: str | None) -> _TransitionBuilder:
        self.op_name = name
        return self

    def goto(self, state: str) -> None:
        self.builder.transitions.append(
            Transition(self.state, tuple(sorted(self.reads.items())), state, tuple(self.actions), self.op_name)
        )


@dataclass
class _StateBuilder:
    builder: Builder
    name: str

    def when(self, **reads: str | None) -> _TransitionBuilder:
        """A transition taken when the named stacks show these tops (EMPTY for empty); others: any."""
        return _TransitionBuilder(self.builder, self.name, dict(reads))

    def always(self) -> _TransitionBuilder:
        return self.when()

    def __enter__(self) -> _StateBuilder:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


@dataclass
class Builder:
    """Collects declarations and transitions; :meth:`build` validates and freezes the program."""

    name: str
    description: str = ""
    states: list[str] = field(default_factory=list)
    stacks: list[Stack] = field(default_factory=list)
    registers: list[Register] = field(default_factory=list)
    ops: dict[str, NeuralOp] = field(default_factory=dict)
    transitions: list[Transition] = field(default_factory=list)
    input_register: str | None = None
    output_register: str | None = None
    start: str | None = None
    #: Claims about the compiled network (:meth:`claims`): ``certify compile`` writes them into the weight file.
    declared_claims: dict[str, Any] = field(default_factory=dict)

    # --- declarations -------------------------------------------------------------------------
    def claims(self, **claims: Any) -> None:
        """Declare claims about the network this program compiles to (``hidden_dim_max=40``, ``rate_until=...``);
        ``certify compile`` checks them and writes them into the weight file, on every recompile.

        >>> b = Builder("demo")
        >>> b.claims(hidden_dim_max=40, rate=[{"T": 10, "E": "1/4"}])
        >>> b.declared_claims["hidden_dim_max"]
        40
        """
        self.declared_claims.update(claims)

    def register(
        self,
        name: str,
        *,
        bound: Number | None = None,
        bounds: tuple[Number, Number] | None = None,
        initial: Number = 0,
        input: bool = False,  # noqa: A002
    ) -> Expr:
        """Declare a register with ``|r| <= bound`` or ``lo <= r <= hi``; returns it as an expression."""
        if (bound is None) == (bounds is None):
            raise InputError(f"register {name!r}: give exactly one of bound= or bounds=")
        if bound is not None:
            lo, hi = -_num(bound), _num(bound)
        else:
            assert bounds is not None  # exactly one of the two is given (checked above)
            lo, hi = _num(bounds[0]), _num(bounds[1])
        if input:
            self.input_register = name
        self.registers.append(Register(name, lo, hi, None if input else _num(initial)))
        return Expr(((("reg", name), fmpq(1)),), ZERO)

    def stack(self, name: str, alphabet: Iterable[str], initial: Iterable[str] = ()) -> str:
        """Declare a stack; ``initial`` is its content top first. Returns the name."""
        self.stacks.append(Stack(name, tuple(alphabet), tuple(initial)))
        return name

    def output(self, register: Expr | str) -> None:
        self.output_register = register if isinstance(register, str) else register.affine().coeffs[0][0]

    def op(self, name: str, updates: Mapping[str, Expr | Number] | None = None, **kw: Expr | Number) -> str:
        """Declare a neural op ``name`` from ``register=expression`` pairs. Returns the name."""
        self.ops[name] = make_op(name, {**(updates or {}), **kw})
        return name

    def state(self, name: str) -> _StateBuilder:
        if name not in self.states:
            self.states.append(name)
        return _StateBuilder(self, name)

    # --- structured control ------------------------------------------------------------------------
    def sequence(self, first: str, ops: Iterable[str | None], then: str) -> None:
        """Straight-line code: states ``first``, ``first#1``, ... apply ``ops`` in order, then go to ``then``."""
        ops = list(ops)
        names = [first] + [f"{first}#{i}" for i in range(1, len(ops))]
        for i, (st, op) in enumerate(zip(names, ops, strict=True)):
            nxt = names[i + 1] if i + 1 < len(names) else then
            self.state(st).always().op(op).goto(nxt)
        self.state(then)

    def forever(self, state: str, op: str | None) -> None:
        """A state that applies ``op`` at every step and never leaves."""
        self.state(state).always().op(op).goto(state)

    def halt(self, state: str) -> None:
        """A halting state: it stays put and changes nothing."""
        self.forever(state, None)

    def drain(
        self,
        state: str,
        stack: str,
        each: Callable[[str], tuple[Mapping[str, str], str | None]],
        then: str,
    ) -> None:
        """Loop: pop every symbol of ``stack``; for symbol s, push ``each(s)[0]`` ({stack: symbol})
        and apply op ``each(s)[1]``; when ``stack`` is empty go to ``then``."""
        st = self.state(state)
        alphabet = next(s.alphabet for s in self.stacks if s.name == stack)
        for sym in alphabet:
            pushes, op = each(sym)
            tb = st.when(**{stack: sym}).pop(stack).op(op)
            for target, out in pushes.items():
                tb.push(target, out)
            tb.goto(state)
        st.when(**{stack: EMPTY}).goto(then)
        self.state(then)

    # --- result ------------------------------------------------------------------------------------
    def build(self) -> Program:
        """Freeze and validate (raises :class:`~certify.errors.ProgramError` listing every problem)."""
        program = Program(
            name=self.name,
            states=tuple(self.states),
            start=self.start or (self.states[0] if self.states else ""),
            stacks=tuple(self.stacks),
            registers=tuple(self.registers),
            input_register=self.input_register,
            output_register=self.output_register or "",
            ops=tuple(self.ops.values()),
            transitions=tuple(self.transitions),
            description=self.description,
        )
        return validate(program)
