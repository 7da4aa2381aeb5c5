"""TMNU registers replayed along the control path: exactly for one x, or in plain float64 for many
sampled x at once (measured errors and witness candidates; never reported as a bound).

Both use the core's op application (:meth:`~certify.tmnu.core.IndexedOp.apply`) with their
arithmetic: :data:`~certify.tmnu.core.EXACT` and :class:`FloatArithmetic`.

>>> from certify.constructions.examples import squaring
>>> from certify.execute.tmnu_path import control_path
>>> from certify.rational import parse_number as q
>>> p = squaring()
>>> path = control_path(p, steps=6)
>>> str(exact_outputs(p, path, q("3/4"), [4])[4])
'9/16'
>>> float(sample_outputs(p, path, np.array([0.75]), [4])[4][0])
0.5625
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
from flint import fmpq

from certify.execute.rounding import nearest
from certify.execute.tmnu_path import ControlPath, output_index, replay
from certify.tmnu.core import EXACT, indexed_ops
from certify.tmnu.interpret import initial_config
from certify.tmnu.program import Program


def exact_registers(program: Program, path: ControlPath, x: fmpq, at: Iterable[int]) -> dict[int, list[fmpq]]:
    """All registers of configs n in ``at`` (0 <= n <= path.steps, or beyond a fixed point), exactly."""
    regs = list(initial_config(program, x).registers)
    return replay(path, indexed_ops(program, EXACT), EXACT, regs, at, list)


def exact_outputs(program: Program, path: ControlPath, x: fmpq, at: Iterable[int]) -> dict[int, fmpq]:
    """The output register of configs n in ``at``, exactly."""
    oi = output_index(program)
    return {n: regs[oi] for n, regs in exact_registers(program, path, x, at).items()}


class FloatArithmetic:
    """Plain float64, one array entry per sampled x: coefficients rounded to nearest, then
    ``fl(…fl(fl(const + fl(c₁·v₁)) + fl(c₂·v₂))…)`` left to right. Not rigorous: for measurements."""

    def coef(self, q: fmpq) -> float:
        return nearest(q)

    def affine(self, const: float, terms: list[tuple[float, np.ndarray]]) -> np.ndarray | float:
        v: np.ndarray | float = const
        for c, x in terms:
            v = v + c * x
        return v

    def relu(self, v: np.ndarray | float) -> np.ndarray:
        return np.maximum(v, 0.0)


FLOAT = FloatArithmetic()


def sample_registers(program: Program, path: ControlPath, xs: np.ndarray, at: Iterable[int]) -> dict[int, np.ndarray]:
    """Every register of configs n in ``at`` for many x at once, in plain float64: arrays of shape
    ``(registers, len(xs))`` (for plots and for choosing witness points; never reported as a bound)."""
    return _sample(program, path, xs, at, np.copy)


def sample_outputs(program: Program, path: ControlPath, xs: np.ndarray, at: Iterable[int]) -> dict[int, np.ndarray]:
    """The output register of configs n in ``at`` for many x at once, in plain float64."""
    oi = output_index(program)
    return _sample(program, path, xs, at, lambda regs: regs[oi].copy())


def _sample(program: Program, path: ControlPath, xs: np.ndarray, at: Iterable[int],
            snapshot: Callable[[np.ndarray], np.ndarray]) -> dict[int, np.ndarray]:
    regs = np.array([[nearest(v)] * len(xs) if v is not None else xs
                     for v in (r.initial for r in program.registers)], dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):  # overflowed samples are inf or nan: callers check
        return replay(path, indexed_ops(program, FLOAT), FLOAT, regs, at, snapshot)
