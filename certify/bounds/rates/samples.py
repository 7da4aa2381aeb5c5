"""Measured errors beside the certified ones: y_T on a float64 grid of x (a plot aid and a hint where to
look for a witness; never a bound), and a rigorous lower bound of |y - f(x)| at one exact point.

>>> xs = sample_grid(9)
>>> float(xs[0]), float(xs[-1]), len(xs) <= 9
(-1.0, 1.0, True)
>>> from certify.expr import parse_function
>>> lower_at(parse_function("x**2"), fmpq(1, 2), fmpq(0)) <= fmpq(1, 4) < lower_at(parse_function("x**2"),
...                                                                                   fmpq(1, 2), fmpq(1))
True
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import sympy
from flint import arb, fmpq

from certify.bounds.rates.model import RateRow
from certify.execute.enclosure import Inputs
from certify.execute.layered import rollout_layered
from certify.execute.tmnu_enclosure import control_path, sample_outputs
from certify.expr import ArbFunction, arb_to_fmpq, numpy_function
from certify.rational import from_float
from certify.spec.network import Network
from certify.tmnu.program import Program


def sample_grid(n: int) -> np.ndarray:
    """n points in [-1, 1]: half Chebyshev-spaced (dense at the ends), half uniform; exact floats."""
    k = max(n // 2, 2)
    return np.unique(np.concatenate([np.cos(np.linspace(0, np.pi, k)), np.linspace(-1, 1, n - k + 1)]))


def with_samples(program: Program, fx: sympy.Expr, rows: list[RateRow], samples: int) -> list[RateRow]:
    """The rows with the largest |y_T - f| over ``samples`` grid points (and where it was seen) filled in."""
    if samples <= 0 or not rows:
        return rows
    xs = sample_grid(samples)
    fv = numpy_function(fx)(xs)
    steps = sorted({s for r in rows for s in r.steps})
    path = control_path(program, steps=max(steps)) if steps else None
    ys = sample_outputs(program, path, xs, steps) if path is not None else {}
    out = []
    for r in rows:
        errs = [(float(np.max(np.abs(ys[s] - fv))), float(xs[np.argmax(np.abs(ys[s] - fv))])) for s in r.steps
                if s in ys and np.all(np.isfinite(ys[s]))]
        best = max(errs) if errs else (None, None)
        out.append(replace(r, sampled=best[0], sampled_x=best[1]))
    return out


def with_network_samples(net: Network, kind: str, lo: fmpq, hi: fmpq, fx: sympy.Expr, rows: list[RateRow],
                         samples: int) -> list[RateRow]:
    """The rows with the largest |y_T - f| on ``samples`` float64 points of [lo, hi] (the enclosures' midpoints at
    exact points; a plot aid, never a bound)."""
    if samples <= 0 or not rows:
        return rows
    s = sample_grid(samples)
    xs = [from_float(float(lo) + (float(hi) - float(lo)) * (v + 1) / 2) for v in s]
    xs = [min(max(x, lo), hi) for x in xs]
    times = sorted({r.T for r in rows if r.T >= 1})
    if not times:
        return rows
    enc = rollout_layered(net, Inputs.points(xs), max(times), times, mode="ball", kind=kind)
    xf = np.array([float(x) for x in xs])
    fv = numpy_function(fx)(xf)
    out = []
    for r in rows:
        if r.T not in enc.times:
            out.append(r)
            continue
        y = enc.mid[enc.times.index(r.T), :, 0]
        err = np.abs(y - fv)
        if not np.all(np.isfinite(err)):
            out.append(r)
            continue
        i = int(np.argmax(err))
        out.append(replace(r, sampled=float(err[i]), sampled_x=float(xf[i])))
    return out


def lower_at(fx: sympy.Expr, x: fmpq, y: fmpq) -> fmpq:
    """A rigorous lower bound of |y - f(x)| for an exact y."""
    v = abs(arb(y) - ArbFunction(fx)(arb(x)))
    lo = v.lower()
    return max(arb_to_fmpq(lo), fmpq(0)) if lo.is_finite() else fmpq(0)
