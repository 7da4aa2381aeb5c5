"""Every TMNU evaluator agrees with the reference interpreter, step by step, on every named case and
several inputs (DESIGN §10: one exact reference, one table of cases):

* the control path (the core's control step on O(1) list stacks) takes the interpreter's op at every
  step, and stops exactly where the interpreter reaches a fixed point;
* the exact fast path (the core's ``IndexedOp`` in exact arithmetic) gives the interpreter's registers;
* float64 sampling stays within a forward error bound of the exact run from the same (float) input,
  for as long as that bound is informative (below ``FLOAT_TOL_MAX``): a consistency check;
* the enclosing affine forms contain the exact value on every lane that contains x: on 16 uniform
  lanes and on a lane of half-width 2^-40 around each input. Checked in exact rationals.

Size: len(CASES) + 2 programs (the named cases, the universal interpreter with a short stream and a
program with non-dyadic coefficients)
× len(INPUTS) inputs × STEPS TMNU steps, every register at every step.
"""

from __future__ import annotations

import math
import random
from functools import cache

import numpy as np
import pytest
from cases import CASES
from flint import fmpq

from certify.execute.rounding import nearest
from certify.execute.tmnu_forms import Form, Lanes, enclose_registers
from certify.execute.tmnu_path import ControlPath, control_path
from certify.execute.tmnu_registers import exact_registers, sample_registers
from certify.rational import from_float as exact
from certify.tmnu.build import Builder, relu
from certify.tmnu.core import EXACT, IndexedOp
from certify.tmnu.interpret import Interpreter, initial_config
from certify.tmnu.program import Config, Program
from certify.universal.build import build_universal

STEPS = 300
NARROW = 2.0**-40  #: half-width of the lane around each input
GAMMA = fmpq(1, 2**44)  #: ≥ γ_k (k ≤ 2^8 terms) plus coefficient rounding: one row's relative float64 error
FLOAT_TOL_MAX = fmpq(1, 2**10)  #: float samples are checked while their error bound stays below this


def _inputs() -> list[fmpq]:
    """Domain edges and 0, short and long dyadics, and rationals that no float represents."""
    rng = random.Random(20240610)
    out = [fmpq(-1), fmpq(0), fmpq(1), fmpq(3, 8), fmpq(1, 3), fmpq(-5, 7)]
    out += [fmpq(rng.randrange(-(2**20), 2**20), 2**20) for _ in range(2)]
    out += [fmpq(rng.randrange(-996, 997), 997) for _ in range(2)]
    return out


INPUTS = _inputs()


def universal() -> Program:
    """The stream interpreter with the stream of f = exp(x) to 1/10 (about 100 instructions: it halts
    well within STEPS, so the fixed point is checked too)."""
    return build_universal("exp(x)", target=fmpq(1, 10)).program


def thirds() -> Program:
    """Non-dyadic coefficients, constants and initial value (every named case is dyadic): the forms'
    coefficient balls and the float sampler's rounded coefficients are exercised."""
    b = Builder("thirds")
    x = b.register("x", bound=1, input=True)
    r = b.register("r", bound=2, initial="1/3")
    b.output(r)
    b.op("mix", r=(r + x) / 3 + relu(x - r) / 5 - "1/7")
    b.forever("loop", "mix")
    return b.build()


PROGRAMS = {**CASES, "universal": universal, "thirds": thirds}


def _lanes() -> Lanes:
    """16 uniform lanes on [-1, 1], then one narrow lane around each input (m a multiple of 2^-40)."""
    uniform = Lanes.uniform(16)
    ms = [round(float(x) / NARROW) * NARROW for x in INPUTS]
    return Lanes(np.concatenate([uniform.m, ms]), np.concatenate([uniform.h, np.full(len(ms), NARROW)]))


@cache
def _program(name: str) -> tuple[Program, ControlPath]:
    p = PROGRAMS[name]()
    return p, control_path(p, STEPS)


@cache
def _forms(name: str) -> dict[int, list[Form]]:
    """The enclosing forms of every register at every step, on every lane (x-independent: computed once)."""
    p, path = _program(name)
    return enclose_registers(p, path, _lanes(), range(STEPS + 1))


def _float_tolerances(p: Program, path: ControlPath) -> list[fmpq]:
    """A forward error bound of float64 sampling at each step 0..STEPS, exactly: per op, a Lipschitz
    constant L (∞-norm, through the ReLUs) and a rounding bound ε over the declared register box,
    tol_n = L·tol_(n-1) + ε, tol_0 the rounding of the initial values. Crude (expanding programs
    exhaust it in a few steps) but sound."""
    bound = [max(abs(r.lo), abs(r.hi)) for r in p.registers]
    per_op = []
    for op in p.ops:
        io = IndexedOp.of(op, p)
        lip_h = [sum((abs(c) for _, c in ts), fmpq(0)) for ts, _ in io.hidden]
        mag_h = [abs(c0) + sum((abs(c) * bound[j] for j, c in ts), fmpq(0)) for ts, c0 in io.hidden]
        lip, eps = fmpq(1), fmpq(0)
        for _, relus, ts, c0 in io.updates:
            via = sum((abs(c) * mag_h[k] for k, c in relus), fmpq(0))
            mag = abs(c0) + sum((abs(c) * bound[j] for j, c in ts), fmpq(0)) + via
            lip = max(lip, sum((abs(c) for _, c in ts), fmpq(0)) + sum((abs(c) * lip_h[k] for k, c in relus), fmpq(0)))
            eps = max(eps, GAMMA * (mag + via))
        per_op.append((lip, eps))
    tol = [max((abs(r.initial - exact(nearest(r.initial))) for r in p.registers if r.initial is not None),
               default=fmpq(0))]  # initial values rounded to float
    for n in range(1, STEPS + 1):
        i = path.ops[n - 1] if n <= path.steps else -1
        lip, eps = per_op[i] if i >= 0 else (fmpq(1), fmpq(0))
        tol.append(min(lip * tol[-1] + eps, FLOAT_TOL_MAX * 2))  # capped: beyond the cap nothing is checked
    return tol


def _reference(p: Program, x: fmpq) -> tuple[list[Config], list[int]]:
    """The interpreter's configs 0..STEPS and the index of the op each step applies (-1: none)."""
    interp = Interpreter(p)
    op_index = {op.name: i for i, op in enumerate(p.ops)}
    configs, ops = [initial_config(p, x)], []
    for _ in range(STEPS):
        t = interp.transition(configs[-1])
        ops.append(-1 if t.op is None else op_index[t.op])
        configs.append(interp.step(configs[-1]))
    return configs, ops


@pytest.mark.parametrize("k", range(len(INPUTS)))
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_every_evaluator_agrees_with_the_interpreter(name: str, k: int) -> None:
    x = INPUTS[k]
    p, path = _program(name)
    configs, ops = _reference(p, x)

    # control path: the interpreter's op at every step, up to its first fixed point
    fixed = path.fixed_from
    assert path.steps == (STEPS if fixed is None else fixed)
    assert list(path.ops) == ops[:path.steps]
    if fixed is not None:
        assert ops[fixed] == -1 and configs[fixed + 1] == configs[fixed]
        assert all(c == configs[fixed] for c in configs[fixed:])

    # exact fast path: the interpreter's registers at every step (beyond a fixed point too)
    fast = exact_registers(p, path, x, range(STEPS + 1))
    for n, config in enumerate(configs):
        assert tuple(fast[n]) == config.registers, f"{name}, x={x}: register mismatch at TMNU step {n}"

    # float64 sampling: close to the exact run from the same float input
    xf = nearest(x)
    ref = fast if exact(xf) == x else exact_registers(p, path, exact(xf), range(STEPS + 1))
    samples = sample_registers(p, path, np.array([xf]), range(STEPS + 1))
    tol = _float_tolerances(p, path)
    checked = [n for n in range(STEPS + 1) if tol[n] <= FLOAT_TOL_MAX]
    assert len(checked) >= 3
    for n in checked:
        for i, v in enumerate(ref[n]):
            assert abs(exact(samples[n][i, 0]) - v) <= tol[n], f"{name}, x={x}: sample off at step {n}"

    # enclosing forms: each lane that contains x contains the exact value, for every register
    forms, lanes = _forms(name), _lanes()
    mine = [j for j in range(len(lanes)) if abs(x - exact(lanes.m[j])) <= exact(lanes.h[j])]
    assert len(mine) >= 2  # a uniform lane (two at a shared endpoint) and x's narrow lane
    finite = 0
    for n, config in enumerate(configs):
        for i, v in enumerate(config.registers):
            f = forms[n][i]
            for j in mine:
                if math.isinf(f.r[j]):
                    continue  # an infinite radius encloses everything
                finite += 1
                centre = exact(f.c[j]) + exact(f.g[j]) * (x - exact(lanes.m[j]))
                assert abs(v - centre) <= exact(f.r[j]), f"{name}, x={x}: register {i} escapes lane {j} at step {n}"
    assert finite >= len(p.registers) * len(mine) * min(STEPS, 10)  # not vacuous


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_indexed_ops_are_the_ops_exact_semantics(name: str) -> None:
    """The core's op application in exact arithmetic equals NeuralOp.apply, op by op, on random
    register vectors of the declared box and beyond it."""
    p, _ = _program(name)
    rng = random.Random(name)
    names = [r.name for r in p.registers]
    for op in p.ops:
        indexed = IndexedOp.of(op, p).convert(EXACT.coef)
        for _ in range(20):
            regs = [r.lo + (r.hi - r.lo) * fmpq(rng.randrange(-64, 129), 64) for r in p.registers]
            want = op.apply(dict(zip(names, regs, strict=True)))
            got = list(regs)
            indexed.apply(got, EXACT)
            assert got == [want[n] for n in names], f"{name}: op {op.name} on {regs}"
