"""Property: for random streams made of rounds, the proven arithmetic error holds on exact runs, and
the fast exact evaluator agrees with the reference interpreter."""

from __future__ import annotations

from flint import fmpq
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from certify.execute.tmnu_enclosure import control_path, exact_registers
from certify.tmnu.interpret import run
from certify.universal.arithmetic import NotAnalysable, analyze_stream
from certify.universal.interpreter import universal_interpreter

digits = st.text(alphabet="0+-", min_size=0, max_size=7)


@st.composite
def rounds(draw) -> str:
    out = []
    for _ in range(draw(st.integers(1, 2))):
        n = draw(st.integers(0, 5))
        parts = ["b"]
        if draw(st.booleans()):
            parts.append("c" + draw(digits))
        for _k in range(n):
            parts.append("p" + "t" * draw(st.integers(3, 9)) + "f")
            if draw(st.booleans()):
                parts.append("c" + draw(digits))
        scale = draw(st.integers(-1, 3))
        parts.append("h" * scale if scale >= 0 else "d")
        parts.append("r")
        out.append("".join(parts))
    return "".join(out)


def cheb(coeffs: dict[int, fmpq], x: fmpq) -> fmpq:
    b1 = b2 = fmpq(0)
    for k in range(max(coeffs, default=0), 0, -1):
        b1, b2 = coeffs.get(k, fmpq(0)) + 2 * x * b1 - b2, b1
    return coeffs.get(0, fmpq(0)) + x * b1 - b2


xs = st.fractions(min_value=-1, max_value=1, max_denominator=1000).map(lambda f: fmpq(f.numerator, f.denominator))


@settings(max_examples=40)
@given(rounds(), xs)
def test_the_proven_arithmetic_error_holds(stream: str, x: fmpq) -> None:
    try:
        analysis = analyze_stream(stream)
    except NotAnalysable:
        assume(False)
        return
    assume(all(r.q_sup_needed is None for r in analysis.rounds))  # doublings would need a certified sup
    p = universal_interpreter(stream)
    path = control_path(p)
    out = [r.name for r in p.registers].index("out")
    regs = exact_registers(p, path, x, [r.step for r in analysis.rounds])
    for r in analysis.rounds:
        if max((abs(v) for v in r.poly.values()), default=fmpq(0)) * (1 + r.degree) + r.arith < 7:  # no output clamp
            assert abs(regs[r.step][out] - cheb(r.poly, x)) <= r.arith


@settings(max_examples=25)
@given(rounds(), xs)
def test_fast_exact_evaluator_matches_the_reference(stream: str, x: fmpq) -> None:
    p = universal_interpreter(stream)
    steps = min(len(stream), 60)
    path = control_path(p, steps=steps)
    ref = [c.registers for c in run(p, x, steps)]
    fast = exact_registers(p, path, x, range(steps + 1))
    assert all(tuple(fast[n]) == ref[n] for n in range(steps + 1))
