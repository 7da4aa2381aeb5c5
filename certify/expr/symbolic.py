"""The variable ``x`` of every target f(x), and f's value at a rational x: exact, or decimal for display.

>>> value_at(X**2 + 1, fmpq(1, 3))
10/9
>>> value_at(sympy.sqrt(X), fmpq(1, 4)), value_at(sympy.sqrt(X), fmpq(1, 2))
(1/2, None)
>>> approx_at(sympy.sqrt(X), fmpq(1, 2), 10)
0.7071067812
"""

from __future__ import annotations

import sympy
from flint import fmpq

#: The variable of every target f(x), a real symbol.
X = sympy.Symbol("x", real=True)


def value_at(f: sympy.Expr, x: fmpq) -> fmpq | None:
    """f(x) exactly when it is rational, else None (use an enclosure instead)."""
    v = f.subs(X, sympy.Rational(int(x.p), int(x.q)))
    if isinstance(v, sympy.Rational):  # exact arithmetic only; no float is ever turned into a rational
        return fmpq(int(v.p), int(v.q))
    return None


def approx_at(f: sympy.Expr, x: fmpq, digits: int = 30) -> sympy.Float:
    """A decimal approximation of f(x) for display only (not a bound)."""
    return sympy.N(f.subs(X, sympy.Rational(int(x.p), int(x.q))), digits)
