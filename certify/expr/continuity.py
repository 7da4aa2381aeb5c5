"""Is a target f real-valued and continuous on all of [-1, 1]? Decided exactly where sympy can, never guessed.

>>> from certify.expr import parse_function
>>> check_continuous(parse_function("where(x < 0, -x, x**2)"), "where(x < 0, -x, x**2)")
>>> check_continuous(parse_function("where(x < 0, -x, x + 1)"), "where(x < 0, -x, x + 1)")
Traceback (most recent call last):
...
certify.errors.InputError: f="where(x < 0, -x, x + 1)" is discontinuous at x = 0 (the pieces differ by about -1.00000)
"""

from __future__ import annotations

import sympy
from flint import arb

from certify.errors import InputError
from certify.expr.arb_eval import ArbFunction, NonSmooth
from certify.expr.parse import _short
from certify.expr.symbolic import X
from certify.untrusted import quote


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
