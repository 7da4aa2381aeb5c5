"""TMNU-level execution for bounds: the x-independent control path, then the registers replayed
exactly (one x), in float64 (many sampled x, for measured errors), or as rigorous affine-in-x
enclosures over many x-subintervals ("lanes") at once.

Registers never influence control (DESIGN §3), so the sequence of ops a program applies is the
same for every x: :func:`control_path` computes it once, with stacks as reversed Python lists
(O(1) per pop, so streams of 10^5 symbols are cheap; the reference interpreter's tuples are
O(length) per pop). The simulation theorem proved by ``certify check`` makes the TMNU run equal to
the RNN's: y_T is the output register of config n for every T in [t0 + c·n, t0 + c·(n+1)).

Enclosures: on a lane [m - h, m + h] every register is kept as ``c + g·(x - m) ± r`` (NumPy
float64 arrays, one entry per lane). Linear maps are applied with error-free transformations
(TwoSum, Dekker's TwoProduct) so that every rounding error is known exactly and added to r with
upward rounding: the enclosure is rigorous, and exact whenever the arithmetic happens to be exact
(dyadic programs on dyadic lanes). A ReLU whose argument's range straddles 0 is relaxed by a chord:
relu(z) ∈ λz + [0, U] with U = max(-λ·lo, (1-λ)·hi), valid for any λ in [0, 1].

>>> from certify.constructions.examples import squaring
>>> from certify.rational import parse_number as q
>>> p = squaring()
>>> path = control_path(p, steps=6)
>>> [p.ops[i].name for i in path.ops]
['load', 'tooth', 'tooth', 'tooth', 'tooth', 'tooth']
>>> str(exact_outputs(p, path, q("3/4"), [4])[4])
'9/16'
>>> lanes = Lanes.uniform(64)                 # [-1, -31/32], ..., [31/32, 1]
>>> enc = enclose_outputs(p, path, lanes, [4, 6])
>>> float(enc[4].r.max()), float(enc[6].r.max())  # exact while each lane lies in one linear piece
(0.0, 0.0)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TypeGuard, TypeVar

import numpy as np
from flint import fmpq

from certify.errors import InputError
from certify.rational import ZERO
from certify.tmnu.interpret import initial_config
from certify.tmnu.program import EMPTY, NeuralOp, Program

#: Most TMNU steps a control path may have (a 10^6-step RNN run is 250 000 TMNU steps).
MAX_PATH_STEPS = 5_000_000


# --- the control path -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ControlPath:
    """Op applied at each TMNU step (index into ``program.ops``, -1 for none), for steps 1..len(ops).

    ``fixed_from``: the first step index n such that config n is a fixed point (nothing ever
    changes again), or None if the path was cut at the requested length.
    """

    program: Program
    ops: tuple[int, ...]
    fixed_from: int | None

    @property
    def steps(self) -> int:
        return len(self.ops)

    def writes(self, register: str) -> list[int]:
        """TMNU steps n (1-based: config n is the first to show the change) whose op writes ``register``."""
        writers = {i for i, op in enumerate(self.program.ops) if register in op.written()}
        return [n + 1 for n, i in enumerate(self.ops) if i in writers]


def control_path(program: Program, steps: int | None = None) -> ControlPath:
    """Run the control (states and stacks) alone: up to ``steps`` steps, or until a fixed point."""
    limit = MAX_PATH_STEPS if steps is None else steps
    if limit > MAX_PATH_STEPS:
        raise InputError(f"{limit} TMNU steps requested; at most {MAX_PATH_STEPS} are supported")
    op_index = {op.name: i for i, op in enumerate(program.ops)}
    stacks = [list(reversed(s.initial)) for s in program.stacks]  # top = last element
    names = [s.name for s in program.stacks]
    state = program.start
    cache: dict[tuple, tuple] = {}
    out: list[int] = []
    fixed = None
    while len(out) < limit:
        tops = tuple(st[-1] if st else EMPTY for st in stacks)
        key = (state, tops)
        hit = cache.get(key)
        if hit is None:
            topd = dict(zip(names, tops, strict=True))
            ts = [t for t in program.transitions if t.state == state and t.matches(topd)]
            if len(ts) != 1:
                raise InputError(f"{len(ts)} transitions match state {state!r} (validate the program first)")
            t = ts[0]
            acts = [(names.index(k), a.kind, a.symbol) for k, a in t.actions]
            hit = cache[key] = (t.goto, acts, op_index[t.op] if t.op else -1)
        goto, acts, op = hit
        if goto == state and not acts and op == -1:
            fixed = len(out)
            break
        for si, kind, sym in acts:
            if kind == "pop":
                stacks[si].pop()
            else:
                stacks[si].append(sym)
        state = goto
        out.append(op)
    return ControlPath(program, tuple(out), fixed)


# --- ops in index form ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IndexedOp:
    """An op with registers as indices: hidden rows and updates as (index, coefficient) lists."""

    hidden: tuple[tuple[tuple[tuple[int, fmpq], ...], fmpq], ...]
    updates: tuple[tuple[int, tuple[tuple[int, fmpq], ...], tuple[tuple[int, fmpq], ...], fmpq], ...]

    @staticmethod
    def of(op: NeuralOp, program: Program) -> IndexedOp:
        idx = {r.name: i for i, r in enumerate(program.registers)}
        hidden = tuple((tuple((idx[k], v) for k, v in h.coeffs), h.const) for h in op.hidden)
        ups = tuple((idx[u.register], u.relu, tuple((idx[k], v) for k, v in u.affine.coeffs), u.affine.const)
                    for u in op.updates)
        return IndexedOp(hidden, ups)


def _indexed(program: Program) -> list[IndexedOp]:
    return [IndexedOp.of(op, program) for op in program.ops]


def _initial_registers(program: Program, x: fmpq) -> list[fmpq]:
    return list(initial_config(program, x).registers)


def exact_outputs(program: Program, path: ControlPath, x: fmpq, at: Iterable[int]) -> dict[int, fmpq]:
    """The output register of configs n in ``at`` (0 <= n <= path.steps, or beyond a fixed point), exactly."""
    return {n: regs[_out_index(program)] for n, regs in exact_registers(program, path, x, at).items()}


def _out_index(program: Program) -> int:
    return [r.name for r in program.registers].index(program.output_register)


def exact_registers(program: Program, path: ControlPath, x: fmpq, at: Iterable[int]) -> dict[int, list[fmpq]]:
    """All registers of configs n in ``at``, exactly (python-flint rationals)."""
    wanted = sorted(set(at))
    last = _check_steps(path, wanted)
    record = _record_set(path, wanted)
    ops = _indexed(program)
    regs = _initial_registers(program, x)
    out: dict[int, list[fmpq]] = {}
    if 0 in record:
        out[0] = list(regs)
    for n in range(1, last + 1):
        i = path.ops[n - 1] if n <= path.steps else -1
        if i >= 0:
            op = ops[i]
            acts = []
            for coeffs, const in op.hidden:
                v = const
                for j, c in coeffs:
                    v += c * regs[j]
                acts.append(v if v > 0 else ZERO)
            new = []
            for reg, relus, coeffs, const in op.updates:
                v = const
                for j, c in coeffs:
                    v += c * regs[j]
                for j, c in relus:
                    v += c * acts[j]
                new.append((reg, v))
            for reg, v in new:
                regs[reg] = v
        if n in record:
            out[n] = list(regs)
    return _lookup(out, path, wanted)


def _check_steps(path: ControlPath, wanted: Sequence[int]) -> int:
    last = max(wanted, default=0)
    if last > path.steps and path.fixed_from is None:
        raise InputError(f"step {last} is beyond the computed control path ({path.steps} steps)")
    return min(last, path.steps) if path.fixed_from is not None and last > path.steps else last


def _record_set(path: ControlPath, wanted: Sequence[int]) -> set[int]:
    """Steps to record: beyond a fixed point every config equals the last one."""
    return {min(n, path.steps) for n in wanted}


_T = TypeVar("_T")


def _lookup(results: Mapping[int, _T], path: ControlPath, wanted: Sequence[int]) -> dict[int, _T]:
    return {n: results[min(n, path.steps)] for n in wanted}


# --- float64 sampling (measured errors; not a bound) ------------------------------------------------------
def sample_outputs(program: Program, path: ControlPath, xs: np.ndarray, at: Iterable[int]) -> dict[int, np.ndarray]:
    """The output register of configs n in ``at`` for many x at once, in plain float64 (for plots and
    for choosing witness points; never reported as a bound)."""
    wanted = sorted(set(at))
    last = _check_steps(path, wanted)
    ops = [_float_op(op) for op in _indexed(program)]
    regs = np.array([[float(Fraction(int(v.p), int(v.q)))] * len(xs) if v is not None else xs
                     for v in (r.initial for r in program.registers)], dtype=np.float64)
    oi = _out_index(program)
    record = _record_set(path, wanted)
    got: dict[int, np.ndarray] = {}
    if 0 in record:
        got[0] = regs[oi].copy()
    for n in range(1, last + 1):
        i = path.ops[n - 1]
        if i >= 0:
            hidden, updates = ops[i]
            acts = [np.maximum(_fsum(coeffs, const, regs), 0.0) for coeffs, const in hidden]
            new = []
            for reg, relus, coeffs, const in updates:
                v = _fsum(coeffs, const, regs)
                for j, c in relus:
                    v = v + c * acts[j]
                new.append((reg, v))
            for reg, v in new:
                regs[reg] = v
        if n in record:
            got[n] = regs[oi].copy()
    return _lookup(got, path, wanted)


def _fsum(coeffs, const: float, regs: np.ndarray):
    v = const
    for j, c in coeffs:
        v = v + c * regs[j]
    return v


def _f(v: fmpq) -> float:
    return int(v.p) / int(v.q)  # correctly rounded


def _float_op(op: IndexedOp):
    hidden = [([(j, _f(c)) for j, c in coeffs], _f(const)) for coeffs, const in op.hidden]
    ups = [(reg, [(j, _f(c)) for j, c in relus], [(j, _f(c)) for j, c in coeffs], _f(const))
           for reg, relus, coeffs, const in op.updates]
    return hidden, ups


# --- rigorous float64 primitives (error-free transformations; exact when the arithmetic is exact) -------
_SPLIT = 134217729.0  # 2^27 + 1 (Veltkamp)
_BIG = 2.0**500
_TINY = 2.0**-900
_ETA = 2.0**-1070
_INF = np.inf


def two_sum(a, b):
    """s + e == a + b exactly (Knuth), for finite a, b."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _err_prod(a, b):
    """p = fl(a·b) and an upper bound of |a·b - p| that is 0 exactly when the product is exact."""
    p = a * b
    ca = _SPLIT * a
    ah = ca - (ca - a)
    al = a - ah
    cb = _SPLIT * b
    bh = cb - (cb - b)
    bl = b - bh
    e = np.abs(((ah * bh - p) + ah * bl + al * bh) + al * bl)  # Dekker: exact away from over/underflow
    unsafe = (np.abs(a) > _BIG) | (np.abs(b) > _BIG) | ((p != 0) & (np.abs(p) < _TINY))
    return p, np.where(unsafe, np.abs(p) * 2.0**-50 + _ETA, e)


def add_up(a, b):
    """An upper bound of a + b, equal to it when the float sum is exact."""
    s, e = two_sum(a, b)
    return np.where(e > 0, np.nextafter(s, _INF), s)


def add_down(a, b):
    s, e = two_sum(a, b)
    return np.where(e < 0, np.nextafter(s, -_INF), s)


def mul_up(a, b):
    """An upper bound of a·b for a, b >= 0, exact when the product is."""
    p, e = _err_prod(a, b)
    return np.where(e > 0, add_up(p, e), p)


def _coef(a: fmpq) -> tuple[float, float]:
    """A float for the rational ``a`` and an upper bound of the representation error (0 if exact)."""
    hat = _f(a)
    num, den = hat.as_integer_ratio()
    err = abs(a - fmpq(num, den))
    if err == 0:
        return hat, 0.0
    up = _f(err)
    num, den = up.as_integer_ratio()
    return hat, up if fmpq(num, den) >= err else float(np.nextafter(up, _INF))


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
        m, h = (fmpq(*float(v).as_integer_ratio()) for v in (self.m[i], self.h[i]))
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


def _scaled(a, v: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """a·v and an upper bound of its rounding error (None when it is exactly 0)."""
    if _pow2(a):
        p = a * v
        if not np.any((p != 0) & (np.abs(p) < _TINY)):
            return p, None
    p, e = _err_prod(a, v)
    return p, (e if e.any() else None)


def _acc_err(acc: np.ndarray | None, e: np.ndarray | None) -> np.ndarray | None:
    if e is None:
        return acc
    return e if acc is None else add_up(acc, e)


def _lin(terms: list[tuple[float | np.ndarray, float, Form]], const, const_err: float, h: np.ndarray) -> Form:
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
        c, g, r = np.where(bad, 0.0, c), np.where(bad, 0.0, g), np.where(bad, _INF, r)
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


def enclose_registers(program: Program, path: ControlPath, lanes: Lanes, at: Iterable[int]) -> dict[int, list[Form]]:
    """Rigorous affine enclosures of every register of configs n in ``at``, on every lane."""
    wanted = sorted(set(at))
    last = _check_steps(path, wanted)
    ops = [_enc_op(op) for op in _indexed(program)]
    h = lanes.h
    n = len(lanes)
    regs: list[Form] = []
    for r in program.registers:
        if r.initial is None:
            regs.append(Form(lanes.m.copy(), np.ones(n), np.zeros(n)))
        else:
            v, e = _coef(r.initial)
            regs.append(Form(np.full(n, v), np.zeros(n), np.full(n, e)))
    record = _record_set(path, wanted)
    got: dict[int, list[Form]] = {}
    if 0 in record:
        got[0] = list(regs)
    for step in range(1, last + 1):
        i = path.ops[step - 1]
        if i >= 0:
            hidden, updates = ops[i]
            acts = [relu_form(_lin([(a, d, regs[j]) for j, a, d in coeffs], cv, ce, h), h)
                    for coeffs, cv, ce in hidden]
            new = [(reg, _lin([(a, d, regs[j]) for j, a, d in coeffs] + [(a, d, acts[j]) for j, a, d in relus],
                              cv, ce, h)) for reg, relus, coeffs, cv, ce in updates]
            for reg, f in new:
                regs[reg] = f
        if step in record:
            got[step] = list(regs)
    return _lookup(got, path, wanted)


def enclose_outputs(program: Program, path: ControlPath, lanes: Lanes, at: Iterable[int]) -> dict[int, Form]:
    """Rigorous affine enclosures of the output register of configs n in ``at``."""
    oi = _out_index(program)
    return {n: regs[oi] for n, regs in enclose_registers(program, path, lanes, at).items()}


def _enc_op(op: IndexedOp):
    def terms(coeffs):
        return [(j, *_coef(c)) for j, c in coeffs]

    hidden = [(terms(coeffs), *_coef(const)) for coeffs, const in op.hidden]
    ups = [(reg, terms(relus), terms(coeffs), *_coef(const)) for reg, relus, coeffs, const in op.updates]
    return hidden, ups
