"""float64 evaluation of a target for sampling and coefficient choice only: an approximation, never a bound.

Written by hand rather than with ``sympy.lambdify``: lambdify adds terms in its printer's order and
evaluates constants such as ``2^(-1/2)`` in float64, where this evaluator adds in sympy's argument order
and rounds each constant once from 20 digits. The two differ by up to 4 ulps (on the committed
Weierstrass target, and on sums like ``cosh(x)+sinh(x)+tanh(x)+atan(x)``), and these samples choose
the Chebyshev coefficients of ``proofs/universal_*`` and are the ``sampled`` errors written in
``rates.json``, which must stay byte-identical.

>>> from certify.expr import parse_function
>>> numpy_function(parse_function("where(x < 0, -x, x**2)"))(np.array([-0.5, 0.5]))
array([0.5 , 0.25])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sympy

from certify.errors import InputError
from certify.expr.symbolic import X

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
