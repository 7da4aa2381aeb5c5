"""Parse a target function f(x) safely into sympy: no ``eval``, no attribute access, no imports.

The text is parsed with Python's ``ast`` (which executes nothing) and walked with a whitelist:
numbers (read exactly from their source text), ``x``, ``pi``, ``E``, + - * / ** ^, calls to abs,
min, max, sqrt, exp, log, sin, cos, tan, tanh, atan, cosh, sinh, and piecewise definitions:
``piecewise((expr, cond), ..., (expr, True))`` or ``where(cond, a, b)``, with conditions built from
comparisons of x with constants (``x < 0``, ``-1/2 <= x < 1/2``) joined by ``and`` / ``or``. Sizes,
depth, exact constants and |f| on [-1, 1] are bounded (the last with the arb evaluator).

>>> parse_function("x^2 + 1/3")
x**2 + 1/3
>>> parse_function("where(x < 0, -x, x**2)")
Piecewise((-x, x < 0), (x**2, True))
>>> parse_function("x.__class__")
Traceback (most recent call last):
...
certify.errors.InputError: f="x.__class__": Attribute is not allowed in a function expression
"""

from __future__ import annotations

import ast
from typing import Any

import sympy
from flint import arb, fmpq

from certify.errors import InputError
from certify.expr.arb_eval import ArbFunction, NonSmooth
from certify.expr.symbolic import X
from certify.rational import parse_number
from certify.untrusted import current_limits, quote

_FUNCS: dict[str, Any] = {
    "abs": sympy.Abs, "atan": sympy.atan, "cos": sympy.cos, "cosh": sympy.cosh, "exp": sympy.exp,
    "log": sympy.log, "max": sympy.Max, "min": sympy.Min, "sin": sympy.sin, "sinh": sympy.sinh,
    "sqrt": sympy.sqrt, "tan": sympy.tan, "tanh": sympy.tanh,
}


_NAMES: dict[str, Any] = {"x": X, "pi": sympy.pi, "E": sympy.E}
_ALLOWED = f"x, pi, E, {', '.join(sorted([*_FUNCS, 'piecewise', 'where']))}"
#: Nesting depth of a target expression (calls, operators): deeper ones exhaust sympy's recursion.
MAX_EXPR_DEPTH = 48
#: A target f must satisfy |f(x)| < 2^MAX_TARGET_BITS on [-1, 1]: larger values overflow every float
#: display and sampling path, and nested exponentials would make sympy build numbers of millions of digits.
MAX_TARGET_BITS = 64
_CMP = {ast.Lt: sympy.Lt, ast.LtE: sympy.Le, ast.Gt: sympy.Gt, ast.GtE: sympy.Ge}


def parse_function(text: str) -> sympy.Expr:
    """A sympy expression in ``x`` from text like ``"sin(5*x) + abs(x)/2"``.

    Bounded: at most ``max_expr_chars`` characters and ``MAX_EXPR_DEPTH`` levels, exact constants of at
    most ``max_number_bits`` bits, and |f| below 2^``MAX_TARGET_BITS`` on [-1, 1] (checked with arb balls).

    >>> parse_function("exp(1000*x)")
    Traceback (most recent call last):
    ...
    certify.errors.InputError: f="exp(1000*x)" reaches |f(x)| > 2^64 near x = 1/16 (about 1.391250e+27); certify \
only handles targets with |f| < 2^64 on [-1, 1]
    """
    limit = current_limits().max_expr_chars
    if not isinstance(text, str):
        raise InputError(f"f={quote(text)} is not a text")
    if len(text) > limit:
        raise InputError(f"f is longer than max_expr_chars={limit} characters (raise it with --limit max_expr_chars=N)")
    src = text.replace("^", "**")
    try:
        tree = ast.parse(src, mode="eval")
    except (SyntaxError, ValueError) as err:
        raise InputError(f"f={quote(text)} is not a valid expression ({getattr(err, 'msg', err)})") from None
    except (RecursionError, MemoryError):
        raise InputError(f"f={quote(text)} is nested too deeply") from None
    try:
        out = _walk(tree.body, src)
    except InputError as err:
        raise InputError(f"f={quote(text)}: {err}") from None
    except (TypeError, ValueError, AttributeError) as err:  # sympy rejects e.g. a condition used as a number
        raise InputError(f"f={quote(text)}: {' '.join(str(err).split())[:200]}") from None
    except RecursionError:
        raise InputError(f"f={quote(text)} is nested too deeply") from None
    if not isinstance(out, sympy.Expr) or _is_condition(out):
        raise InputError(f"f={quote(text)} is a condition, not a function")
    _check_magnitude(out, text)
    return out


def _check_magnitude(f: sympy.Expr, text: str) -> None:
    """|f| < 2^MAX_TARGET_BITS on [-1, 1]: arb enclosures on 64 subintervals and at their ends. Balls that
    are NaN (a singularity such as log(0)) are left to :func:`check_continuous`; infinite ones overflowed."""
    try:
        fn = ArbFunction(f)
    except InputError:  # not evaluable rigorously: the consumers say so themselves
        return
    bound = arb(2) ** MAX_TARGET_BITS
    points = [fmpq(k - 32, 32) for k in range(65)]
    balls = [(arb(x), x) for x in points] + [(arb((a + b) / 2, (b - a) / 2), (a + b) / 2)
                                             for a, b in zip(points, points[1:], strict=False)]
    for ball, at in balls:
        try:
            v = fn(ball)
        except (NonSmooth, ZeroDivisionError, ValueError):
            continue
        if v.is_nan():
            continue
        if not v.is_finite() or not abs(v) < bound:
            about = f" (about {v.mid().str(7, radius=False)})" if v.is_finite() else ""
            raise InputError(f"f={quote(text)} reaches |f(x)| > 2^{MAX_TARGET_BITS} near x = {at}{about}; certify "
                             f"only handles targets with |f| < 2^{MAX_TARGET_BITS} on [-1, 1]")


def _walk(node: ast.AST, src: str, depth: int = 0) -> Any:
    if depth > MAX_EXPR_DEPTH:
        raise InputError(f"nested deeper than {MAX_EXPR_DEPTH} levels")
    out = _node(node, src, depth + 1)
    if isinstance(out, sympy.Expr) and not _is_condition(out) and not out.free_symbols:
        _check_constant(out)
    return out


def _check_constant(c: sympy.Expr) -> None:
    """A constant part of f stays below 2^MAX_TARGET_BITS (and within max_number_bits when exact), before
    sympy builds anything on top of it: sympy evaluates constants numerically as it builds, and
    cosh(cosh(1e99999)) would overflow inside mpmath."""
    if isinstance(c, sympy.Rational):
        if max(int(c.p).bit_length(), int(c.q).bit_length()) > current_limits().max_number_bits:
            raise InputError(f"a constant needs more than max_number_bits={current_limits().max_number_bits} bits")
        if abs(int(c.p)) >> MAX_TARGET_BITS >= int(c.q):
            raise InputError(f"the constant {_short(c)} is not below 2^{MAX_TARGET_BITS}")
        return
    try:
        v = ArbFunction(c)(arb(0))
    except (InputError, NonSmooth, ZeroDivisionError, ValueError):
        return
    if not v.is_nan() and (not v.is_finite() or not abs(v) < arb(2) ** MAX_TARGET_BITS):
        raise InputError(f"the constant {_short(c)} is not below 2^{MAX_TARGET_BITS}")


def _short(c: sympy.Expr) -> str:
    if isinstance(c, sympy.Rational):
        n = max(int(c.p).bit_length(), int(c.q).bit_length())
        if n > 200:
            return f"of {n} bits"
    text = str(c)
    return text if len(text) < 80 else text[:77] + "..."


def _node(node: ast.AST, src: str, depth: int) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        if node.value is not True:
            raise InputError("only True may appear as a constant condition (the last piecewise branch)")
        return sympy.true
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        q = parse_number(ast.get_source_segment(src, node) or str(node.value))
        return sympy.Rational(int(q.p), int(q.q))
    if isinstance(node, ast.Name):
        if node.id in _NAMES:
            return _NAMES[node.id]
        raise InputError(f"unknown name {node.id!r} (allowed: {_ALLOWED})")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _value(_walk(node.operand, src, depth))
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a, b = _value(_walk(node.left, src, depth)), _value(_walk(node.right, src, depth))
        ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b,
               ast.Div: lambda: a / b, ast.Pow: lambda: a**b}
        for kind, fn in ops.items():
            if isinstance(node.op, kind):
                if kind is ast.Pow:
                    _check_power(a, b)
                return fn()
        raise InputError(f"operator {type(node.op).__name__} is not allowed")
    if isinstance(node, ast.Compare):
        return _compare(node, src, depth)
    if isinstance(node, ast.BoolOp):
        parts = [_condition(_walk(v, src, depth)) for v in node.values]
        return sympy.And(*parts) if isinstance(node.op, ast.And) else sympy.Or(*parts)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        name = node.func.id
        if name == "piecewise":
            return _piecewise(node.args, src, depth)
        if name == "where":
            if len(node.args) != 3:
                raise InputError("where(cond, a, b) takes three arguments")
            cond, a, b = (_walk(v, src, depth) for v in node.args)
            return sympy.Piecewise((_value(a), _condition(cond)), (_value(b), True))
        if name not in _FUNCS:
            raise InputError(f"unknown name {name!r} (allowed: {_ALLOWED})")
        if len(node.args) != (1 if name not in ("min", "max") else len(node.args)) or not node.args:
            raise InputError(f"{name}(...) takes {'one argument' if name not in ('min', 'max') else 'arguments'}")
        return _FUNCS[name](*[_value(_walk(a, src, depth)) for a in node.args])
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        raise InputError(f"keyword arguments are not allowed in {node.func.id}(...)")
    raise InputError(f"{type(node).__name__} is not allowed in a function expression")


def _check_power(a: Any, b: Any) -> None:
    """Refuse a**b whose exact value would be huge before sympy computes it."""
    if getattr(b, "is_number", False) and abs(b) > 1000:
        raise InputError("exponent beyond ±1000")
    if isinstance(a, sympy.Rational) and isinstance(b, sympy.Integer) and abs(a.p) + a.q > 2:
        need = max(int(a.p).bit_length(), int(a.q).bit_length()) * abs(int(b))
        limit = current_limits().max_number_bits
        if need > limit:
            raise InputError(f"a power needs about {need} bits, more than max_number_bits={limit}")


def _compare(node: ast.Compare, src: str, depth: int) -> Any:
    left = _walk(node.left, src, depth)
    parts = []
    for op, right_node in zip(node.ops, node.comparators, strict=True):
        right = _walk(right_node, src, depth)
        kind = next((v for k, v in _CMP.items() if isinstance(op, k)), None)
        if kind is None:
            raise InputError(f"comparison {type(op).__name__} is not allowed (use <, <=, >, >=)")
        parts.append(kind(left, right))
        left = right
    return sympy.And(*parts) if len(parts) > 1 else parts[0]


def _value(v: Any) -> sympy.Expr:
    """``v`` where a number is expected: a condition such as ``0 < 0`` is not one."""
    if not isinstance(v, sympy.Expr) or _is_condition(v):
        raise InputError(f"the condition {v} is used as a number")
    return v


def _is_condition(v: Any) -> bool:
    """True for ``x < 0``, ``True``, ``a and b`` (a sympy Symbol is a Boolean too, but not a condition)."""
    return isinstance(v, (sympy.logic.boolalg.BooleanAtom, sympy.core.relational.Relational,
                          sympy.logic.boolalg.BooleanFunction))


def _condition(c: Any) -> Any:
    if not _is_condition(c):
        raise InputError(f"{c} is not a condition")
    for rel in c.atoms(sympy.core.relational.Relational):
        for side in (rel.lhs, rel.rhs):
            if side.free_symbols - {X} or (side.free_symbols and side != X):
                raise InputError(f"condition {rel} must compare x itself with constants")
    return c


def _piecewise(args: list[ast.expr], src: str, depth: int) -> Any:
    pieces = []
    for i, a in enumerate(args):
        if not isinstance(a, ast.Tuple) or len(a.elts) != 2:
            raise InputError(f"piecewise argument {i + 1} must be a pair (expr, condition)")
        pieces.append((_value(_walk(a.elts[0], src, depth)), _condition(_walk(a.elts[1], src, depth))))
    if not pieces or pieces[-1][1] is not sympy.true:
        raise InputError("the last piecewise branch must have condition True")
    return sympy.Piecewise(*pieces)
