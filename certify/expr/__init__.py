"""Target functions f(x): parse them safely into sympy — no ``eval``, no attribute access, no imports —
check that they are continuous on [-1, 1], and evaluate them: rigorously with python-flint ``arb`` balls
(and ``arb_series`` Taylor coefficients), or in float64 for sampling.

One job per module: :mod:`~certify.expr.parse` (the whitelisting parser and its bounds),
:mod:`~certify.expr.continuity`, :mod:`~certify.expr.arb_eval` (rigorous), :mod:`~certify.expr.float_eval`
(sampling only, never a bound) and :mod:`~certify.expr.symbolic` (the variable x, exact values).

>>> from flint import arb
>>> from certify.rational import parse_number
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

from certify.expr.arb_eval import ArbFunction, NonSmooth, arb_to_fmpq
from certify.expr.continuity import check_continuous
from certify.expr.float_eval import numpy_function
from certify.expr.parse import MAX_EXPR_DEPTH, MAX_TARGET_BITS, parse_function
from certify.expr.symbolic import X, approx_at, value_at

__all__ = ["MAX_EXPR_DEPTH", "MAX_TARGET_BITS", "X", "ArbFunction", "NonSmooth", "approx_at", "arb_to_fmpq",
           "check_continuous", "numpy_function", "parse_function", "value_at"]
