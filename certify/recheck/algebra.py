"""A small exact algebra of ReLU expressions: affine combinations of variables and ReLU atoms.

An expression is a dict {key: coefficient}: the key ``ONE`` ("1") for the constant, a string for a
variable of the box (``"x"``, ``"r:<register>"``, ``"v:<stack>"``), an :class:`Atom` for relu of an
expression. ReLU is resolved exactly where the box decides the sign, and kept as an atom where not.

>>> box = {"x": (F(-1), F(1))}
>>> relu_of(plus({"x": F(1)}, const(F(2))), box)  # x + 2 >= 1 on the box: relu is the identity
{'x': Fraction(1, 1), '1': Fraction(2, 1)}
>>> relu_of({"x": F(-3)}, box)  # undecided: 3 relu(-x), an atom
{(('x', Fraction(-1, 1)),): Fraction(3, 1)}
>>> bounds(_, box)
(Fraction(0, 1), Fraction(3, 1))
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

F = Fraction


ONE = "1"


class Atom(tuple):
    """relu(arg) with arg a sorted tuple of (key, Fraction), leading non-constant coefficient ±1."""

    def lin(self) -> dict:
        return dict(self)


def _rank(k: Any) -> tuple:
    if k == ONE:
        return (2, "")
    if isinstance(k, str):
        return (0, k)
    return (1, repr(k))


def plus(a: dict, b: dict, c: Fraction | int = 1) -> dict:
    out = dict(a)
    for k, v in b.items():
        w = out.get(k, F(0)) + c * v
        if w:
            out[k] = w
        else:
            out.pop(k, None)
    return out


def const(c: Fraction) -> dict:
    return {ONE: F(c)} if c else {}


def bounds(e: dict, box: dict[str, tuple[Fraction, Fraction]]) -> tuple[Fraction, Fraction]:
    lo = hi = F(0)
    for k, v in e.items():
        if k == ONE:
            a = b = F(1)
        elif isinstance(k, str):
            a, b = box[k]
        else:
            a, b = F(0), max(F(0), bounds(k.lin(), box)[1])
        lo += v * (a if v > 0 else b)
        hi += v * (b if v > 0 else a)
    return lo, hi


def make_atom(e: dict) -> dict:
    items = sorted(((k, v) for k, v in e.items() if v), key=lambda kv: _rank(kv[0]))
    if not items:
        return {}
    if items[0][0] == ONE:
        return const(items[0][1]) if items[0][1] > 0 else {}
    lead = abs(items[0][1])
    return {Atom(tuple((k, v / lead) for k, v in items)): lead}


def relu_of(e: dict, box: dict) -> dict:
    lo, hi = bounds(e, box)
    if lo >= 0:
        return dict(e)
    if hi <= 0:
        return {}
    return make_atom(e)


def atoms(exprs: list[dict]) -> list[Atom]:
    seen: dict[Atom, None] = {}

    def visit(e: dict) -> None:
        for k in e:
            if isinstance(k, Atom) and k not in seen:
                visit(k.lin())
                seen[k] = None

    for e in exprs:
        visit(e)
    return list(seen)


def _key_of(e: dict) -> tuple:
    return tuple(sorted(e.items(), key=lambda kv: _rank(kv[0])))
