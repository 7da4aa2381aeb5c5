"""Parse a target function f(x) safely into sympy — no ``eval``, no attribute access, no imports.

The text is parsed with Python's ``ast`` (which executes nothing) and walked with a whitelist:
numbers (read exactly from their source text), ``x``, ``pi``, ``E``, + - * / ** ^, and calls to
abs, min, max, sqrt, exp, log, sin, cos, tan, tanh, atan, cosh, sinh (write piecewise functions
with min, max and abs).

>>> parse_function("x^2 + 1/3")
x**2 + 1/3
>>> parse_function("0.1*x")
x/10
>>> parse_function("__import__('os')")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
certify.errors.InputError: f="__import__('os')": unknown name '__import__' (allowed: x, pi, E, abs, ...)
>>> value_at(parse_function("x**2"), parse_number("1/3"))
1/9
"""

from __future__ import annotations

import ast
from typing import Any

import sympy
from flint import fmpq

from certify.errors import InputError
from certify.rational import parse_number

X = sympy.Symbol("x", real=True)

_FUNCS: dict[str, Any] = {
    "abs": sympy.Abs, "atan": sympy.atan, "cos": sympy.cos, "cosh": sympy.cosh, "exp": sympy.exp,
    "log": sympy.log, "max": sympy.Max, "min": sympy.Min, "sin": sympy.sin, "sinh": sympy.sinh,
    "sqrt": sympy.sqrt, "tan": sympy.tan, "tanh": sympy.tanh,
}
_NAMES: dict[str, Any] = {"x": X, "pi": sympy.pi, "E": sympy.E}
MAX_EXPR_CHARS = 2000


def parse_function(text: str) -> sympy.Expr:
    """A sympy expression in ``x`` from text like ``"sin(5*x) + abs(x)/2"``."""
    if len(text) > MAX_EXPR_CHARS:
        raise InputError(f"f is longer than {MAX_EXPR_CHARS} characters")
    src = text.replace("^", "**")
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as err:
        raise InputError(f'f="{text}" is not a valid expression ({err.msg})') from None
    try:
        return _walk(tree.body, src)
    except InputError as err:
        raise InputError(f'f="{text}": {err}') from None


def _walk(node: ast.AST, src: str) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        q = parse_number(ast.get_source_segment(src, node) or str(node.value))
        return sympy.Rational(int(q.p), int(q.q))
    if isinstance(node, ast.Name):
        if node.id in _NAMES:
            return _NAMES[node.id]
        raise InputError(f"unknown name {node.id!r} (allowed: x, pi, E, {', '.join(sorted(_FUNCS))})")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _walk(node.operand, src)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a, b = _walk(node.left, src), _walk(node.right, src)
        ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b,
               ast.Div: lambda: a / b, ast.Pow: lambda: a**b}
        for kind, fn in ops.items():
            if isinstance(node.op, kind):
                if kind is ast.Pow and b.is_number and abs(b) > 1000:
                    raise InputError("exponent beyond ±1000")
                return fn()
        raise InputError(f"operator {type(node.op).__name__} is not allowed")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        if node.func.id not in _FUNCS:
            raise InputError(f"unknown name {node.func.id!r} (allowed: x, pi, E, {', '.join(sorted(_FUNCS))})")
        return _FUNCS[node.func.id](*[_walk(a, src) for a in node.args])
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        raise InputError(f"keyword arguments are not allowed in {node.func.id}(...)")
    raise InputError(f"{type(node).__name__} is not allowed in a function expression")


def value_at(f: sympy.Expr, x: fmpq) -> fmpq | None:
    """f(x) exactly when it is rational, else None (use an enclosure instead)."""
    v = f.subs(X, sympy.Rational(int(x.p), int(x.q)))
    if isinstance(v, sympy.Rational):  # exact arithmetic only; no float is ever turned into a rational
        return fmpq(int(v.p), int(v.q))
    return None


def approx_at(f: sympy.Expr, x: fmpq, digits: int = 30) -> sympy.Float:
    """A decimal approximation of f(x) for display only (not a bound)."""
    return sympy.N(f.subs(X, sympy.Rational(int(x.p), int(x.q))), digits)
