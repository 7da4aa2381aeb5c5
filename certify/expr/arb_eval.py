"""Rigorous evaluation of a target with python-flint ``arb`` balls (and ``arb_series`` Taylor coefficients).

``ArbFunction(f)(ball)`` encloses f over the whole ball; kinks (abs, min, max, piecewise, sqrt at 0)
inside a ball widen the enclosure, or raise :class:`NonSmooth` for a series.

>>> ArbFunction(X**2 - 1)(arb(0, 1)).contains(0)
True
>>> arb_to_fmpq(arb(3) / 8)
3/8
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy
from flint import arb, arb_series, fmpq

from certify.errors import InputError
from certify.expr.symbolic import X


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
        if isinstance(x, arb_series) and not isinstance(v, arb_series):  # a constant f: its series is constant
            v = arb_series([v], prec=x.prec)
        return v
