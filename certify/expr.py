"""Parse a target function f(x) safely into sympy — no ``eval``, no attribute access, no imports —
check that it is continuous on [-1, 1], and evaluate it: rigorously with python-flint ``arb`` balls
(and ``arb_series`` Taylor coefficients), or in float64 for sampling.

The text is parsed with Python's ``ast`` (which executes nothing) and walked with a whitelist:
numbers (read exactly from their source text), ``x``, ``pi``, ``E``, + - * / ** ^, calls to abs,
min, max, sqrt, exp, log, sin, cos, tan, tanh, atan, cosh, sinh, and piecewise definitions:
``piecewise((expr, cond), ..., (expr, True))`` or ``where(cond, a, b)``, with conditions built from
comparisons of x with constants (``x < 0``, ``-1/2 <= x < 1/2``) joined by ``and`` / ``or``.

>>> parse_function("x^2 + 1/3")
x**2 + 1/3
>>> parse_function("0.1*x")
x/10
>>> parse_function("where(x < 0, -x, x**2)")
Piecewise((-x, x < 0), (x**2, True))
>>> parse_function("__import__('os')")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
certify.errors.InputError: f="__import__('os')": unknown name '__import__' (allowed: x, pi, E, abs, ...)
>>> value_at(parse_function("x**2"), parse_number("1/3"))
1/9
>>> check_continuous(parse_function("log(x)"), "log(x)")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
certify.errors.InputError: f="log(x)" is not continuous on all of [-1, 1] (sympy finds it continuous only on ...
>>> ball = ArbFunction(parse_function("exp(x)"))(arb(0))
>>> ball.contains(1)
True
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

import numpy as np
import sympy
from flint import arb, arb_series, fmpq

from certify.errors import InputError
from certify.rational import parse_number
from certify.untrusted import current_limits, quote

X = sympy.Symbol("x", real=True)

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


def value_at(f: sympy.Expr, x: fmpq) -> fmpq | None:
    """f(x) exactly when it is rational, else None (use an enclosure instead)."""
    v = f.subs(X, sympy.Rational(int(x.p), int(x.q)))
    if isinstance(v, sympy.Rational):  # exact arithmetic only; no float is ever turned into a rational
        return fmpq(int(v.p), int(v.q))
    return None


def approx_at(f: sympy.Expr, x: fmpq, digits: int = 30) -> sympy.Float:
    """A decimal approximation of f(x) for display only (not a bound)."""
    return sympy.N(f.subs(X, sympy.Rational(int(x.p), int(x.q))), digits)


# --- continuity on [-1, 1] ----------------------------------------------------------------------------------
def _breakpoints(f: sympy.Expr) -> list[sympy.Expr]:
    pts = set()
    for pw in f.atoms(sympy.Piecewise):
        for rel in pw.atoms(sympy.core.relational.Relational):
            for side in (rel.lhs, rel.rhs):
                if not side.free_symbols and -1 < side < 1:
                    pts.add(side)
    return sorted(pts, key=lambda v: float(v))


def _on_segment(f: sympy.Expr, point: sympy.Expr) -> sympy.Expr:
    """f with every Piecewise replaced by its branch at ``point`` (a point inside a segment)."""
    return f.replace(lambda e: isinstance(e, sympy.Piecewise), lambda e: _branch(e, point))


def _branch(pw: sympy.Piecewise, point: sympy.Expr) -> sympy.Expr:
    for expr, cond in pw.args:
        if cond.subs(X, point) is sympy.true:
            return expr
    raise InputError(f"no piecewise branch applies at x = {point}")


def check_continuous(f: sympy.Expr, text: str) -> None:
    """Raise :class:`InputError` unless f is real-valued and continuous on all of [-1, 1].

    Piecewise functions are split at their breakpoints; each branch must be continuous up to the
    ends of its segment, and neighbouring branches must agree exactly at every breakpoint.
    """
    try:
        _check_continuous(f, text)
    except InputError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError, NotImplementedError, ZeroDivisionError,
            OverflowError, RecursionError) as err:  # sympy could not decide: say so, never crash
        raise InputError(f"f={quote(text)}: cannot decide continuity on [-1, 1] ({type(err).__name__})") from None


def _check_continuous(f: sympy.Expr, text: str) -> None:
    from sympy.calculus.util import continuous_domain

    if f.free_symbols - {X}:
        raise InputError(f'f="{text}" uses unknown symbols {sorted(map(str, f.free_symbols - {X}))}')
    cuts = [sympy.Integer(-1), *_breakpoints(f), sympy.Integer(1)]
    for a, b in zip(cuts, cuts[1:], strict=False):
        seg = _on_segment(f, (a + b) / 2)
        if seg.has(sympy.Piecewise):
            raise InputError(f'f="{text}": nested piecewise conditions could not be resolved')
        try:
            dom = continuous_domain(seg, X, sympy.Interval(a, b))
        except (NotImplementedError, ValueError, TypeError) as err:
            raise InputError(f'f="{text}": cannot decide continuity on [{a}, {b}] ({err})') from None
        if dom != sympy.Interval(a, b):
            raise InputError(f'f="{text}" is not continuous on all of [-1, 1] (sympy finds it continuous only '
                             f"on {dom} within [{a}, {b}])")
    for b in cuts[1:-1]:
        left, right = _on_segment(f, b - sympy.Rational(1, 10**9)), _on_segment(f, b + sympy.Rational(1, 10**9))
        _pieces_agree(left.subs(X, b) - right.subs(X, b), b, text)
    for i in range(33):  # real-valued: sympy's principal powers would make e.g. x**(1/3) complex for x < 0
        pt = sympy.Rational(i - 16, 16)
        v = sympy.N(f.subs(X, pt), 20)
        if v.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo) or not v.is_real:
            raise InputError(f'f="{text}" is not real-valued at x = {pt} (value {v})')


def _pieces_agree(diff: sympy.Expr, b: sympy.Expr, text: str) -> None:
    """The two pieces meeting at x = b agree exactly there: the difference is 0 as sympy builds it, else an
    arb ball at 1024 bits must exclude 0 (then they differ) — no unbounded ``simplify``, which can run
    for hours on a trigonometric identity."""
    if diff == 0:
        return
    from flint import ctx

    old = ctx.prec
    ctx.prec = 1024
    try:
        v = ArbFunction(diff)(arb(0))
    except (NonSmooth, ZeroDivisionError, ValueError):
        v = arb.nan()
    finally:
        ctx.prec = old
    if v.is_finite() and not v.contains(0):
        raise InputError(f"f={quote(text)} is discontinuous at x = {b} (the pieces differ by about "
                         f"{v.mid().str(6, radius=False)})")
    raise InputError(f"f={quote(text)}: cannot prove that the pieces agree at x = {b} (they differ by "
                     f"{_short(diff)}); write them so that they agree exactly")


# --- rigorous evaluation with arb balls / arb_series ----------------------------------------------------------
class NonSmooth(Exception):  # noqa: N818 (a control-flow signal, not an error)
    """The series evaluation met a kink (abs, min, max, piecewise, sqrt at 0) inside the ball."""


def _sign(v: arb) -> int:
    """+1 or -1 when the ball's sign is decided (0 when it straddles or touches 0)."""
    return 1 if v > 0 else -1 if v < 0 else 0


def _const(v: arb | arb_series) -> arb:
    return v.coeffs()[0] if isinstance(v, arb_series) else v


def arb_to_fmpq(v: arb) -> fmpq:
    """The exact value of an exact (radius-0, finite) ball, e.g. ``v.upper()``."""
    man, exp = v.man_exp()
    return fmpq(int(man)) * fmpq(2) ** int(exp) if exp >= 0 else fmpq(int(man), 2 ** int(-exp))


def _hull(lo: arb, hi: arb) -> arb:
    """The ball [lo.lower(), hi.upper()] (arb's own union centres some hulls at 0)."""
    a, b = lo.lower(), hi.upper()
    if not (a.is_finite() and b.is_finite()):
        return a.union(b)
    qa, qb = arb_to_fmpq(a), arb_to_fmpq(b)
    return arb((qa + qb) / 2, (qb - qa) / 2)


def _abs(v: Any) -> Any:
    s = _sign(_const(v))
    if s:
        return v if s > 0 else -v
    if isinstance(v, arb_series):
        raise NonSmooth
    return _hull(arb(0), abs(v).upper())


def _minmax(args: list[Any], is_max: bool) -> Any:
    cur = args[0]
    for nxt in args[1:]:
        s = _sign(_const(cur - nxt))
        if s:
            cur = cur if (s > 0) == is_max else nxt
        elif isinstance(cur, arb_series) or isinstance(nxt, arb_series):
            raise NonSmooth
        else:
            lo = cur.lower().max(nxt.lower()) if is_max else cur.lower().min(nxt.lower())
            hi = cur.upper().max(nxt.upper()) if is_max else cur.upper().min(nxt.upper())
            cur = _hull(lo, hi)
    return cur


def _sqrt(v: Any) -> Any:
    if isinstance(v, arb_series):
        if _const(v) > 0:
            return v.sqrt()
        raise NonSmooth
    if v.upper() < 0:
        return arb.nan()
    return v.nonnegative_part().sqrt() if not v > 0 else v.sqrt()  # domain checked by check_continuous


def _log(v: Any) -> Any:
    if _const(v) > 0:
        return v.log()
    if isinstance(v, arb_series):
        raise NonSmooth
    return arb.nan()


def _ipow(v: Any, n: int) -> Any:
    """v**n for an integer n (balls through 0 handled; arb's own power returns nan there)."""
    if n < 0:
        p = _ipow(v, -n)
        return p.inv() if isinstance(p, arb_series) else 1 / p
    if isinstance(v, arb_series):
        out, base = None, v
        while n:
            if n & 1:
                out = base if out is None else out * base
            n >>= 1
            if n:
                base = base * base
        return out if out is not None else v * 0 + 1
    if _sign(v) or n == 0:
        return v**n
    m = abs(v).upper() ** n
    return _hull(arb(0), m) if n % 2 == 0 else _hull(-m, m)


def _pow(b: Any, e: sympy.Expr, eb: Callable) -> Callable:
    if e.is_Integer:
        n = int(e)
        return lambda x: _ipow(eb(x), n)
    if e.is_Rational and e.q == 2:
        k = int(e.p)
        return lambda x: _ipow(_sqrt(eb(x)), k)
    ee = _compile(e)
    return lambda x: (ee(x) * _log(eb(x))).exp()


_UNARY: dict[Any, Callable[[Any], Any]] = {
    sympy.exp: lambda v: v.exp(), sympy.sin: lambda v: v.sin(), sympy.cos: lambda v: v.cos(),
    sympy.tan: lambda v: v.tan(), sympy.atan: lambda v: v.atan(), sympy.log: _log, sympy.Abs: _abs,
    sympy.sinh: lambda v: (v.exp() - (-v).exp()) / 2, sympy.cosh: lambda v: (v.exp() + (-v).exp()) / 2,
    sympy.tanh: lambda v: 1 - 2 / ((2 * v).exp() + 1),
}


def _cond(c: Any) -> Callable[[Any], int]:
    """1 if the condition holds on the whole ball, 0 if it fails on the whole ball, -1 if undecided."""
    if c is sympy.true:
        return lambda x: 1
    if isinstance(c, (sympy.And, sympy.Or)):
        parts = [_cond(a) for a in c.args]
        is_and = isinstance(c, sympy.And)

        def both(x):
            vals = [p(x) for p in parts]
            if is_and:
                return 0 if 0 in vals else 1 if all(v == 1 for v in vals) else -1
            return 1 if 1 in vals else 0 if all(v == 0 for v in vals) else -1
        return both
    lhs, rhs = _compile(c.lhs), _compile(c.rhs)
    strict = isinstance(c, (sympy.StrictLessThan, sympy.StrictGreaterThan))
    less = isinstance(c, (sympy.StrictLessThan, sympy.LessThan))

    def rel(x):
        d = _const(lhs(x) - rhs(x)) if less else _const(rhs(x) - lhs(x))  # holds iff d < 0 (or <= 0)
        if d < 0 or (not strict and d <= 0):
            return 1
        if d > 0 or (strict and d >= 0):
            return 0
        return -1
    return rel


def _piecewise_eval(pw: sympy.Piecewise) -> Callable:
    branches = [(_compile(e), _cond(c)) for e, c in pw.args]

    def ev(x):
        cands = []
        for fn, cond in branches:
            v = cond(x)
            if v != 0:
                cands.append(fn)
            if v == 1:
                break
        if len(cands) == 1:
            return cands[0](x)
        if isinstance(x, arb_series) or not cands:
            raise NonSmooth
        vals = [fn(x) for fn in cands]
        lo = vals[0].lower()
        hi = vals[0].upper()
        for v in vals[1:]:
            lo, hi = lo.min(v.lower()), hi.max(v.upper())
        return _hull(lo, hi)
    return ev


def _compile(e: sympy.Expr) -> Callable[[Any], Any]:
    if e == X:
        return lambda x: x
    if e.is_Rational:
        q = fmpq(int(e.p), int(e.q))
        return lambda x: arb(q)
    if e is sympy.pi:
        return lambda x: arb.pi()
    if e is sympy.E:
        return lambda x: arb(1).exp()
    if isinstance(e, sympy.Add):
        parts = [_compile(a) for a in e.args]
        return lambda x: _fold(parts, x, lambda a, b: a + b)
    if isinstance(e, sympy.Mul):
        parts = [_compile(a) for a in e.args]
        return lambda x: _fold(parts, x, lambda a, b: a * b)
    if isinstance(e, sympy.Pow):
        return _pow(e.args[0], e.args[1], _compile(e.args[0]))
    if isinstance(e, (sympy.Min, sympy.Max)):
        parts = [_compile(a) for a in e.args]
        is_max = isinstance(e, sympy.Max)
        return lambda x: _minmax([p(x) for p in parts], is_max)
    if isinstance(e, sympy.Piecewise):
        return _piecewise_eval(e)
    if e.func in _UNARY and len(e.args) == 1:
        fn, arg = _UNARY[e.func], _compile(e.args[0])
        return lambda x: fn(arg(x))
    raise InputError(f"cannot evaluate {e} rigorously (unsupported {type(e).__name__})")


def _fold(parts: list[Callable], x: Any, op: Callable) -> Any:
    v = parts[0](x)
    for p in parts[1:]:
        w = p(x)
        v = op(v, w) if not (isinstance(w, arb_series) and not isinstance(v, arb_series)) else op(w, v)
    return v


class ArbFunction:
    """f compiled for rigorous evaluation: ``F(ball)`` encloses f over the ball (arb), and
    ``F(series)`` gives Taylor coefficients over it (arb_series; raises :class:`NonSmooth` at kinks)."""

    def __init__(self, f: sympy.Expr) -> None:
        self.expr = f
        self._fn = _compile(f)

    def __call__(self, x: Any) -> Any:
        v = self._fn(x)
        if not isinstance(v, (arb, arb_series)):
            v = arb(v)
        if isinstance(v, arb_series) and not isinstance(x, arb_series):
            v = v.coeffs()[0]
        return v


# --- float64 evaluation (sampling and coefficient choice only; never a bound) --------------------------------
_NP_UNARY: dict[Any, Callable[[np.ndarray], np.ndarray]] = {
    sympy.exp: np.exp, sympy.sin: np.sin, sympy.cos: np.cos, sympy.tan: np.tan, sympy.atan: np.arctan,
    sympy.log: np.log, sympy.Abs: np.abs, sympy.sinh: np.sinh, sympy.cosh: np.cosh, sympy.tanh: np.tanh,
}


def numpy_function(f: sympy.Expr) -> Callable[[np.ndarray], np.ndarray]:
    """f as a float64 NumPy function (an approximation, for sampling; no rigour)."""
    fn = _np_compile(f)

    def call(xs: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(fn(np.asarray(xs, dtype=np.float64)), dtype=np.float64),
                                   np.shape(xs)).copy()
    return call


def _np_compile(e: sympy.Expr) -> Callable[[np.ndarray], Any]:
    if e == X:
        return lambda x: x
    if e.is_number:
        v = float(sympy.N(e, 20))
        return lambda x: v
    if isinstance(e, sympy.Add):
        parts = [_np_compile(a) for a in e.args]
        return lambda x: sum((p(x) for p in parts[1:]), parts[0](x))
    if isinstance(e, sympy.Mul):
        parts = [_np_compile(a) for a in e.args]

        def mul(x):
            v = parts[0](x)
            for p in parts[1:]:
                v = v * p(x)
            return v
        return mul
    if isinstance(e, sympy.Pow):
        b, ex = _np_compile(e.args[0]), _np_compile(e.args[1])  # the exponent may depend on x (2**x)
        return lambda x: np.power(b(x), ex(x))
    if isinstance(e, (sympy.Min, sympy.Max)):
        parts = [_np_compile(a) for a in e.args]
        red = np.maximum if isinstance(e, sympy.Max) else np.minimum

        def mm(x):
            v = parts[0](x)
            for p in parts[1:]:
                v = red(v, p(x))
            return v
        return mm
    if isinstance(e, sympy.Piecewise):
        branches = [(_np_compile(ex), _np_cond(c)) for ex, c in e.args]

        def pw(x):
            conds = [np.broadcast_to(c(x), np.shape(x)) for _, c in branches]
            return np.select(conds, [np.broadcast_to(fn(x), np.shape(x)) for fn, _ in branches])
        return pw
    if e.func in _NP_UNARY and len(e.args) == 1:
        fn, arg = _NP_UNARY[e.func], _np_compile(e.args[0])
        return lambda x: fn(arg(x))
    raise InputError(f"cannot evaluate {e} (unsupported {type(e).__name__})")


def _np_cond(c: Any) -> Callable[[np.ndarray], Any]:
    if c is sympy.true:
        return lambda x: np.ones(np.shape(x), dtype=bool)
    if isinstance(c, sympy.And):
        parts = [_np_cond(a) for a in c.args]
        return lambda x: np.logical_and.reduce([p(x) for p in parts])
    if isinstance(c, sympy.Or):
        parts = [_np_cond(a) for a in c.args]
        return lambda x: np.logical_or.reduce([p(x) for p in parts])
    lhs, rhs = _np_compile(c.lhs), _np_compile(c.rhs)
    ops = {sympy.StrictLessThan: np.less, sympy.LessThan: np.less_equal,
           sympy.StrictGreaterThan: np.greater, sympy.GreaterThan: np.greater_equal}
    op = ops[type(c)]
    return lambda x: op(lhs(x), rhs(x))
