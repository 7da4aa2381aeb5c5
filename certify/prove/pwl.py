"""Exact piecewise-linear expressions: linear combinations of variables and ReLU atoms.

A :data:`Lin` is a dict ``{key: coefficient}`` with exact ``fmpq`` coefficients, where a key is a
variable name (``"x"``, ``"r:acc"``, ``"v:A"``), the constant key :data:`ONE`, or a :class:`Relu`
atom — the ReLU of another Lin. Atoms are canonical: the argument is scaled so that its leading
coefficient is ±1 (``relu(λE) = λ·relu(E)`` for λ > 0), so the same function built two ways is
the same key. Two Lins that are equal as dicts are equal as functions; the converse need not
hold (then an SMT query decides).

>>> from certify.rational import parse_number as q
>>> e = {"x": q(2), ONE: q(-1)}
>>> r = relu(e, {"x": (q(-1), q(1))})
>>> show(r)
'2*relu(x - 1/2)'
>>> lo, hi = value_range(r, {"x": (q(-1), q(1))})
>>> (str(lo), str(hi))
('0', '1')
>>> show(relu(e, {"x": (q(1), q(2))}))     # sign determined on this box: the identity
'2*x - 1'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from flint import fmpq

from certify.rational import ZERO

ONE = "1"  # the constant key

Lin = dict  # {variable name | ONE | Relu: fmpq}
Box = Mapping[str, tuple[fmpq, fmpq]]


def _order(k: str | Relu) -> tuple:
    if k == ONE:
        return (2, "")
    if isinstance(k, str):
        return (0, k)
    return (1, k.text)


@dataclass(frozen=True)
class Relu:
    """``relu(arg)`` with ``arg`` canonical: sorted items, leading non-constant coefficient ±1."""

    arg: tuple[tuple[object, fmpq], ...]
    text: str = field(compare=False, hash=False, default="")

    def __post_init__(self) -> None:
        if not self.text:
            object.__setattr__(self, "text", show(dict(self.arg)))

    def as_lin(self) -> Lin:
        return dict(self.arg)

    def __repr__(self) -> str:
        return f"relu({self.text})"


def add(a: Lin, b: Mapping, coef: fmpq | int = 1) -> Lin:
    """``a += coef·b`` in place (zeros removed); returns ``a``."""
    for k, v in b.items():
        w = a.get(k, ZERO) + coef * v
        if w == 0:
            a.pop(k, None)
        else:
            a[k] = w
    return a


def scale(a: Mapping, c: fmpq | int) -> Lin:
    return {} if c == 0 else {k: v * c for k, v in a.items()}


def constant(c: fmpq) -> Lin:
    return {} if c == 0 else {ONE: c}


def is_constant(a: Mapping) -> bool:
    return all(k == ONE for k in a)


def keys_sorted(a: Mapping) -> list:
    return sorted(a, key=_order)


def value_range(a: Mapping, box: Box, memo: dict | None = None) -> tuple[fmpq, fmpq]:
    """Exact interval hull of ``a`` over the box (atoms ranged recursively as [0, max(0, hi)])."""
    memo = {} if memo is None else memo
    lo = hi = ZERO
    for k, v in a.items():
        if k == ONE:
            klo = khi = ONE_Q
        elif isinstance(k, str):
            klo, khi = box[k]
        else:
            got = memo.get(k)
            if got is None:
                _, ahi = value_range(k.as_lin(), box, memo)
                got = memo[k] = (ZERO, ahi if ahi > 0 else ZERO)
            klo, khi = got
        if v > 0:
            lo += v * klo
            hi += v * khi
        else:
            lo += v * khi
            hi += v * klo
    return lo, hi


ONE_Q = fmpq(1)


def atom(arg: Mapping) -> Lin:
    """``relu(arg)`` as a Lin with one canonical atom (no sign analysis)."""
    items = [(k, v) for k, v in arg.items() if v != 0]
    if not items:
        return {}
    if all(k == ONE for k, _ in items):
        c = items[0][1]
        return constant(c) if c > 0 else {}
    items.sort(key=lambda kv: _order(kv[0]))  # the constant sorts last, so items[0] is a variable or atom
    lead = abs(items[0][1])
    canon = tuple((k, v / lead) for k, v in items)
    return {Relu(canon): lead}


def relu(arg: Mapping, box: Box, memo: dict | None = None) -> Lin:
    """``relu(arg)``: the identity or zero where the box decides the sign, else an atom."""
    lo, hi = value_range(arg, box, memo)
    if lo >= 0:
        return dict(arg)
    if hi <= 0:
        return {}
    return atom(arg)


def atoms_in(exprs: Iterable[Mapping]) -> list[Relu]:
    """Every atom reachable from ``exprs`` (nested ones first), without duplicates."""
    seen: dict[Relu, None] = {}

    def visit(e: Mapping) -> None:
        for k in e:
            if isinstance(k, Relu) and k not in seen:
                visit(k.as_lin())
                seen[k] = None

    for e in exprs:
        visit(e)
    return list(seen)


def evaluate(a: Mapping, point: Mapping[str, fmpq], memo: dict | None = None) -> fmpq:
    """Exact value of ``a`` at a point (all variables given)."""
    memo = {} if memo is None else memo
    s = ZERO
    for k, v in a.items():
        if k == ONE:
            s += v
        elif isinstance(k, str):
            s += v * point[k]
        else:
            got = memo.get(k)
            if got is None:
                inner = evaluate(k.as_lin(), point, memo)
                got = memo[k] = inner if inner > 0 else ZERO
            s += v * got
    return s


def show(a: Mapping) -> str:
    """Readable text, variables first, then atoms, then the constant."""
    if not a:
        return "0"
    parts = []
    for k in keys_sorted(a):
        v = a[k]
        name = "" if k == ONE else (k if isinstance(k, str) else repr(k))
        if k == ONE:
            term = str(v)
        elif v == 1:
            term = name
        elif v == -1:
            term = f"-{name}"
        else:
            term = f"{v}*{name}"
        parts.append(term)
    return " + ".join(parts).replace("+ -", "- ")


def freeze(a: Mapping) -> tuple:
    """A hashable, order-independent form of a Lin (for dictionary keys and equality tests)."""
    return tuple(sorted(((k, v) for k, v in a.items()), key=lambda kv: _order(kv[0])))
