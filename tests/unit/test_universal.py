"""The universal stream interpreter: fixed program, box invariance, squaring lemma, proven arithmetic
error against exact runs, fast evaluator against the reference interpreter, stream grammar."""

from __future__ import annotations

import pytest
import z3
from flint import fmpq

from certify.compiler.tmnu_to_rnn import compile_program
from certify.errors import InputError
from certify.execute.tmnu_enclosure import control_path, exact_registers
from certify.expr import parse_function
from certify.tmnu.interpret import run
from certify.universal.arithmetic import NotAnalysable, analyze_stream, product_error
from certify.universal.interpreter import (
    ACC_BOUND,
    OPS,
    SYMBOLS,
    T_BOUND,
    is_universal,
    universal_interpreter,
)
from certify.universal.stream import plan_stream


def cheb(coeffs: dict[int, fmpq], x: fmpq) -> fmpq:
    """Σ c_k T_k(x) exactly (Clenshaw)."""
    b1 = b2 = fmpq(0)
    for k in range(max(coeffs, default=0), 0, -1):
        b1, b2 = coeffs.get(k, fmpq(0)) + 2 * x * b1 - b2, b1
    return coeffs.get(0, fmpq(0)) + x * b1 - b2


def yarotsky(m: int, u: fmpq) -> fmpq:
    """f_m(u): the piecewise-linear interpolant of u² at the points k/2^m (u in [0, 1])."""
    n = 2**m
    k = min(int((u * n).floor()), n - 1)
    a, b = fmpq(k, n), fmpq(k + 1, n)
    return a * a + (u - a) * (a + b)


X_POINTS = [fmpq(-1), fmpq(1), fmpq(0), fmpq(1, 3), fmpq(-5, 7), fmpq(7, 8), fmpq(-1, 1024), fmpq(999, 1000)]


# --- the fixed program -------------------------------------------------------------------------------------
def test_one_program_for_every_stream() -> None:
    a, b = universal_interpreter("bc+r"), universal_interpreter("bc-0+hr")
    assert a.ops == b.ops and a.registers == b.registers and a.transitions == b.transitions
    assert a.stack("S").initial != b.stack("S").initial
    assert is_universal(a) and is_universal(b)
    assert len(a.transitions) == len(SYMBOLS) + 1 and set(OPS) == set(SYMBOLS)
    with pytest.raises(InputError, match="'x' is not an instruction"):
        universal_interpreter("bxr")


def test_compiled_networks_differ_only_in_h0() -> None:
    na = compile_program(universal_interpreter(plan_stream(parse_function("exp(x)"), target=fmpq(1, 50)).stream))
    nb = compile_program(universal_interpreter(plan_stream(parse_function("abs(x)"), target=fmpq(1, 10)).stream))
    a, b = na.network, nb.network
    assert (a.W_hh, a.W_ih, a.b, a.W_out, a.b_out) == (b.W_hh, b.W_ih, b.b, b.W_out, b.b_out)
    diff = [i for i, (u, v) in enumerate(zip(a.h0, b.h0, strict=True)) if u != v]
    assert len(diff) == 1 and "initial content of S" in na.simulation.units[diff[0]].label


# --- every op maps the declared box into itself (z3, exact) ---------------------------------------------------
def _z3_value(aff, env):
    return sum((z3.RealVal(str(c)) * env[k] for k, c in aff.coeffs), z3.RealVal(str(aff.const)))


@pytest.mark.parametrize("op_name", sorted(OPS.values()))
def test_op_maps_the_box_into_itself(op_name: str) -> None:
    p = universal_interpreter()
    op = p.op(op_name)
    env = {r.name: z3.Real(r.name) for r in p.registers}
    s = z3.Solver()
    for r in p.registers:
        s.add(env[r.name] >= z3.RealVal(str(r.lo)), env[r.name] <= z3.RealVal(str(r.hi)))
    acts = [z3.If(_z3_value(h, env) > 0, _z3_value(h, env), 0) for h in op.hidden]
    outside = []
    for u in op.updates:
        v = _z3_value(u.affine, env) + sum((z3.RealVal(str(c)) * acts[j] for j, c in u.relu), z3.RealVal(0))
        reg = p.register(u.register)
        outside.append(z3.Or(v < z3.RealVal(str(reg.lo)), v > z3.RealVal(str(reg.hi))))
    s.add(z3.Or(*outside))
    assert s.check() == z3.unsat


def test_tooth_is_the_scaled_tent_exactly() -> None:
    """tooth(t, s) = s/4·g(t/s) for 0 <= t <= s (g the tent), and 0 for t >= s: proved by z3."""
    p = universal_interpreter()
    op = p.op("tooth")
    env = {r.name: z3.Real(r.name) for r in p.registers}
    acts = [z3.If(_z3_value(h, env) > 0, _z3_value(h, env), 0) for h in op.hidden]
    t, sc = env["t1"], env["s"]
    upd = next(u for u in op.updates if u.register == "t1")
    tooth = _z3_value(upd.affine, env) + sum((z3.RealVal(str(c)) * acts[j] for j, c in upd.relu), z3.RealVal(0))
    tent = z3.If(t <= sc / 2, t / 2, z3.If(t <= sc, (sc - t) / 2, 0))
    s = z3.Solver()
    s.add(sc >= 0, sc <= 1, t >= 0, t <= 1, tooth != tent)
    assert s.check() == z3.unsat


@pytest.mark.parametrize("m", [0, 1, 2, 5, 8])
def test_squaring_macro_is_yarotskys_interpolant(m: int) -> None:
    """load, m teeth: a - d = f_m(|u|) exactly, u = (x ± T_0)/4 with T_0 = 1 after 'b'."""
    p = universal_interpreter("bp" + "t" * m)
    path = control_path(p)
    names = [r.name for r in p.registers]
    for x in [fmpq(i, 97) for i in range(-97, 98, 7)]:
        regs = exact_registers(p, path, x, [path.steps])[path.steps]
        val = dict(zip(names, regs, strict=True))
        for a, d, sign in (("a1", "d1", 1), ("a2", "d2", -1)):
            u = abs((x + sign) / 4)
            assert val[a] - val[d] == yarotsky(m, u)
            assert 0 <= val[a] - val[d] - u * u <= fmpq(1, 4 ** (m + 1))


# --- the proven arithmetic error holds on exact runs ----------------------------------------------------------
@pytest.mark.parametrize("text,target", [("exp(x)", "1/100"), ("abs(x)", "1/20"), ("sin(5*x)", "1/100"),
                                         ("where(x < 0, -x/2, x**2)", "1/20")])
def test_arithmetic_bound_holds_on_exact_runs(text: str, target: str) -> None:
    plan = plan_stream(parse_function(text), target=fmpq(target))
    analysis = analyze_stream(plan.stream)
    p = universal_interpreter(plan.stream)
    path = control_path(p)
    out = [r.name for r in p.registers].index("out")
    steps = [r.step for r in analysis.rounds]
    for x in X_POINTS:
        regs = exact_registers(p, path, x, steps)
        for r in analysis.rounds:
            y = regs[r.step][out]
            assert abs(y - cheb(r.poly, x)) <= r.arith, (text, x, r.index)
    for r, planned in zip(analysis.rounds, plan.rounds, strict=True):
        assert r.poly == planned.poly  # the stream adds exactly the planned dyadic polynomial


def test_fast_evaluator_matches_the_reference_interpreter() -> None:
    plan = plan_stream(parse_function("1/(1+25*x^2)"), target=fmpq(1, 4))
    p = universal_interpreter(plan.stream)
    path = control_path(p, steps=150)
    for x in (fmpq(1, 3), fmpq(-1), fmpq(5, 8)):
        ref = [c.registers for c in run(p, x, 150)]
        fast = exact_registers(p, path, x, range(151))
        assert all(tuple(fast[n]) == ref[n] for n in range(151))


# --- the stream grammar and the proof conditions --------------------------------------------------------------
@pytest.mark.parametrize("stream,why", [
    ("c+r", "expected 'b'"),
    ("bptttc+r", "not closed by 'f'"),
    ("bc+", "does not end with 'r'"),
    ("bc+hdr", "does not end with 'r'"),
    ("b" + "pf" * 3 + "c+r", "error bound"),  # products without teeth: T_k errors >= 1
    ("b" + "c+++++++" * 6 + "r", "acc clamp"),
])
def test_streams_the_analysis_refuses(stream: str, why: str) -> None:
    with pytest.raises(NotAnalysable, match=why):
        analyze_stream(stream)


def test_error_bound_formula() -> None:
    """E_i = Σ_j (i - j + 1)·ε_j: with constant m, E_k = 4^-m·k(k+1)."""
    m = 9
    s = "bc+" + "".join("p" + "t" * m + "f" + "c+" for _ in range(6)) + "r"
    r = analyze_stream(s).rounds[0]
    assert r.acc_err == sum((fmpq(k * (k + 1), 4**m) for k in range(7)), fmpq(0))
    assert product_error(m) == fmpq(2, 4**m)
    assert r.max_t_err == fmpq(42, 4**m)


def test_registers_stay_within_bounds_on_exact_runs() -> None:
    plan = plan_stream(parse_function("sin(5*x)"), target=fmpq(1, 100))
    p = universal_interpreter(plan.stream)
    path = control_path(p)
    steps = range(0, path.steps + 1, 7)
    for x in (fmpq(-1), fmpq(2, 3)):
        for regs in exact_registers(p, path, x, steps).values():
            for r, v in zip(p.registers, regs, strict=True):
                assert r.lo <= v <= r.hi
    assert T_BOUND == 2 and ACC_BOUND == 8


def test_digits_are_exact_dyadics() -> None:
    plan = plan_stream(parse_function("exp(x)"), target=fmpq(1, 100))
    for r in plan.rounds:
        for v in r.poly.values():
            assert (v * 2**r.bits).q == 1  # multiples of 2^-D: exact in the digit stream
