"""Rigorous affine-in-x enclosures of TMNU registers over many x-subintervals ("lanes") at once.

On a lane [m - h, m + h] every register is kept as ``c + g·(x - m) ± r`` (NumPy float64 arrays, one
entry per lane). Linear maps are applied with error-free transformations (TwoSum, Dekker's
TwoProduct, :mod:`certify.execute.rounding`) so that every rounding error is known exactly and added
to r with upward rounding: the enclosure is rigorous, and exact whenever the arithmetic happens to be
exact (dyadic programs on dyadic lanes). A ReLU whose argument's range straddles 0 is relaxed by a
chord: relu(z) ∈ λz + [0, U] with U = max(-λ·lo, (1-λ)·hi), valid for any λ in [0, 1]. The op
application is the core's (:meth:`~certify.tmnu.core.IndexedOp.apply`) in :class:`FormArithmetic`.

>>> from certify.constructions.examples import squaring
>>> from certify.execute.tmnu_path import control_path
>>> p = squaring()
>>> path = control_path(p, steps=6)
>>> lanes = Lanes.uniform(64)                 # [-1, -31/32], ..., [31/32, 1]
>>> enc = enclose_outputs(p, path, lanes, [4, 6])
>>> float(enc[4].r.max()), float(enc[6].r.max())  # exact while each lane lies in one linear piece
(0.0, 0.0)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeGuard

import numpy as np
from flint import fmpq

from certify.errors import InputError
from certify.execute.rounding import TINY, add_down, add_up, err_prod, mul_up, tight_ball, two_sum
from certify.execute.tmnu_path import ControlPath, output_index, replay
from certify.rational import from_float
from certify.tmnu.core import indexed_ops
from certify.tmnu.program import Program


@dataclass(frozen=True)
class Lanes:
    """x-subintervals [m - h, m + h] with dyadic m and h = a power of 2 (exact floats)."""

    m: np.ndarray
    h: np.ndarray

    @staticmethod
    def uniform(n: int, lo: float = -1.0, hi: float = 1.0) -> Lanes:
        """``n`` (a power of 2) equal lanes covering [lo, hi] (dyadic endpoints)."""
        if n < 1 or n & (n - 1):
            raise InputError(f"lane count {n} must be a power of 2")
        h = (hi - lo) / (2 * n)
        return Lanes(lo + h * (2 * np.arange(n) + 1.0), np.full(n, h))

    def __len__(self) -> int:
        return len(self.m)

    def split(self) -> Lanes:
        """Each lane into its two halves (left halves first, then right halves)."""
        h = self.h / 2
        return Lanes(np.concatenate([self.m - h, self.m + h]), np.concatenate([h, h]))

    def take(self, mask: np.ndarray) -> Lanes:
        return Lanes(self.m[mask], self.h[mask])

    def bounds(self, i: int) -> tuple[fmpq, fmpq]:
        """Lane i's endpoints, exactly."""
        m, h = from_float(self.m[i]), from_float(self.h[i])
        return m - h, m + h


@dataclass(frozen=True)
class Form:
    """Per lane: value(x) ∈ c + g·(x - m) ± r for every x in the lane (r >= 0; inf when unbounded)."""

    c: np.ndarray
    g: np.ndarray
    r: np.ndarray

    def range(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rigorous lower and upper bounds of the value over each lane."""
        gh = mul_up(np.abs(self.g), h)
        return add_down(add_down(self.c, -gh), -self.r), add_up(add_up(self.c, gh), self.r)


def _pow2(a: object) -> TypeGuard[float]:
    """A scalar power of two (or 0): multiplying by it is exact away from underflow and overflow."""
    if not isinstance(a, float):
        return False
    if a == 0.0:
        return True
    m, _ = np.frexp(abs(a))
    return m == 0.5 and 2.0**-600 < abs(a) < 2.0**600


def _scaled(a: float | np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """a·v and an upper bound of its rounding error (None when it is exactly 0)."""
    if _pow2(a):
        p = a * v
        if a == 0 or not np.any((np.abs(p) < TINY) & (v != 0)):  # no product below TINY or underflowed to 0
            return p, None
    p, e = err_prod(a, v)
    return p, (e if e.any() else None)


def _acc_err(acc: np.ndarray | None, e: np.ndarray | None) -> np.ndarray | None:
    if e is None:
        return acc
    return e if acc is None else add_up(acc, e)


def _lin(terms: list[tuple[float | np.ndarray, float, Form]], const: float | np.ndarray, const_err: float,
         h: np.ndarray) -> Form:
    """sum a·F + const, with every rounding error (and coefficient representation error) in r.

    Error-free transformations make every rounding error known; the fast paths skip them where the
    arithmetic is exact (power-of-two coefficients, a first term added to 0)."""
    n = len(h)
    zero_const = np.isscalar(const) and const == 0
    c: np.ndarray | None = None if zero_const else np.broadcast_to(np.asarray(const, dtype=np.float64), (n,)).copy()
    g: np.ndarray | None = None
    ec = np.full(n, const_err) if const_err else None
    eg = None
    r = None
    for a, delta, f in terms:
        p, e = _scaled(a, f.c)
        if c is None:
            c = p
        else:
            c, e2 = two_sum(c, p)
            e = _acc_err(e, np.abs(e2) if e2.any() else None)
        ec = _acc_err(ec, e)
        p, e = _scaled(a, f.g)
        if g is None:
            g = p
        else:
            g, e2 = two_sum(g, p)
            e = _acc_err(e, np.abs(e2) if e2.any() else None)
        eg = _acc_err(eg, e)
        if f.r.any():
            ar = abs(a) * f.r if _pow2(a) and abs(a) >= 1 else mul_up(np.abs(a), f.r)  # scaling up is exact
            r = ar if r is None else add_up(r, ar)
        if delta:
            mag = add_up(add_up(np.abs(f.c), mul_up(np.abs(f.g), h)), f.r)
            r = _acc_err(r, mul_up(np.full(n, delta), mag))
    if c is None:
        c = np.zeros(n)
    if g is None:
        g = np.zeros(n)
    err = _acc_err(ec, mul_up(eg, h) if eg is not None else None)
    r = _acc_err(r, err)
    if r is None:
        r = np.zeros(n)
    bad = ~(np.isfinite(c) & np.isfinite(g) & np.isfinite(r))
    if bad.any():
        c, g, r = np.where(bad, 0.0, c), np.where(bad, 0.0, g), np.where(bad, np.inf, r)
    return Form(c, g, r)


def relu_form(z: Form, h: np.ndarray) -> Form:
    """A rigorous enclosure of relu(z): exact where z's sign is decided on the lane, a chord otherwise."""
    lo, hi = z.range(h)
    active, dead = lo >= 0, hi <= 0
    straddle = ~(active | dead)
    if not straddle.any():
        return Form(np.where(active, z.c, 0.0), np.where(active, z.g, 0.0), np.where(active, z.r, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        lam = np.clip(np.where(straddle, hi / (hi - lo), 0.0), 0.0, 1.0)
    lam = np.where(np.isfinite(lam), lam, 1.0)
    lam = np.where(active, 1.0, np.where(dead, 0.0, lam))
    u = np.maximum(mul_up(lam, np.maximum(-lo, 0.0)), mul_up(add_up(1.0, -lam), np.maximum(hi, 0.0)))
    u = np.where(straddle, np.maximum(u, 2.0**-1021), 0.0)  # u/2 is then exact
    out = _lin([(lam, 0.0, z)], u / 2, 0.0, h)
    return Form(out.c, out.g, add_up(out.r, u / 2))


@dataclass(frozen=True)
class FormArithmetic:
    """Enclosing affine forms on the lanes of half-widths ``h``: coefficients are float balls
    (:func:`~certify.execute.rounding.tight_ball`), affine maps :func:`_lin`, ReLU :func:`relu_form`."""

    h: np.ndarray

    def coef(self, q: fmpq) -> tuple[float, float]:
        return tight_ball(q)

    def affine(self, const: tuple[float, float], terms: list[tuple[tuple[float, float], Form]]) -> Form:
        return _lin([(a, d, f) for (a, d), f in terms], const[0], const[1], self.h)

    def relu(self, v: Form) -> Form:
        return relu_form(v, self.h)


def enclose_registers(program: Program, path: ControlPath, lanes: Lanes, at: Iterable[int]) -> dict[int, list[Form]]:
    """Rigorous affine enclosures of every register of configs n in ``at``, on every lane."""
    n = len(lanes)
    regs: list[Form] = []
    for r in program.registers:
        if r.initial is None:
            regs.append(Form(lanes.m.copy(), np.ones(n), np.zeros(n)))
        else:
            v, e = tight_ball(r.initial)
            regs.append(Form(np.full(n, v), np.zeros(n), np.full(n, e)))
    arith = FormArithmetic(lanes.h)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow makes that lane's r infinite (see _lin)
        return replay(path, indexed_ops(program, arith), arith, regs, at, list)


def enclose_outputs(program: Program, path: ControlPath, lanes: Lanes, at: Iterable[int]) -> dict[int, Form]:
    """Rigorous affine enclosures of the output register of configs n in ``at``."""
    oi = output_index(program)
    return {n: regs[oi] for n, regs in enclose_registers(program, path, lanes, at).items()}
