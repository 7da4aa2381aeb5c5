"""Certified error-versus-runtime tables: never below brute-force exact errors; planted bugs caught."""

from __future__ import annotations

import dataclasses

import pytest
from flint import arb, fmpq

from certify.bounds.rates import claimed_rate, rates, report_json
from certify.compiler.tmnu_to_rnn import compile_program, from_compiled
from certify.constructions.examples import squaring, squaring_claims
from certify.errors import InputError
from certify.execute.tmnu_enclosure import control_path, exact_outputs
from certify.expr import ArbFunction, parse_function
from certify.universal.build import build_universal
from certify.universal.interpreter import is_universal, universal_interpreter
from certify.verdict import Verdict


def _file(program, claims):
    return from_compiled(compile_program(program), claims)


def _exact_errors(program, text: str, steps: list[int], n: int = 64) -> dict[int, float]:
    """max over x = k/n of a rigorous lower bound of |y_n(x) - f(x)|, by exact replay."""
    path = control_path(program, steps=max(steps))
    f = ArbFunction(parse_function(text))
    worst = dict.fromkeys(steps, 0.0)
    for k in range(-n, n + 1):
        x = fmpq(k, n)
        ys = exact_outputs(program, path, x, steps)
        for s in steps:
            worst[s] = max(worst[s], float(abs(arb(ys[s]) - f(arb(x))).lower()))
    return worst


@pytest.fixture(scope="module")
def exp_build():
    return build_universal("exp(x)", target=fmpq(1, 1000))


def test_universal_rates_prove_the_builds_claims_and_bound_exact_errors(exp_build) -> None:
    f = _file(exp_build.program, exp_build.claims)
    rep = rates(f, samples=257)
    assert rep.method == "universal" and rep.verdict is Verdict.PROVED
    assert [r.certified is not None for r in rep.rows] == [True] * len(rep.rows)
    bounds = [r.certified for r in rep.rows]
    assert all(b < a for a, b in zip(bounds, bounds[1:], strict=False))  # strictly decreasing
    assert rep.rows[-1].certified <= fmpq(1, 1000) and rep.rows[-1].T_end is None
    exact = _exact_errors(exp_build.program, "exp(x)", [r.steps[0] for r in rep.rows])
    for r in rep.rows:
        assert exact[r.steps[0]] <= float(r.certified)  # the certified bound is never below an exact error
        assert r.sampled is not None and r.sampled <= float(r.certified) * (1 + 1e-9)
    assert report_json(rep)["verdict"] == "PROVED"


def test_a_too_optimistic_claim_is_refuted_naming_T(exp_build) -> None:
    claims = dict(exp_build.claims)
    rate = [dict(r) for r in claims["rate"]]
    rate[2]["E"] = "1/10000000"
    claims["rate"] = rate
    rep = rates(_file(exp_build.program, claims), samples=257)
    bad = [c for c in rep.claims if c.verdict is Verdict.REFUTED]
    assert rep.verdict is Verdict.REFUTED and len(bad) == 1
    assert rate[2]["T"] == bad[0].T and f"T={rate[2]['T']}" in bad[0].reason and "--x" in bad[0].reason


def test_planted_bug_one_tooth_short_in_the_last_round_is_caught(exp_build) -> None:
    """The stream of the last round loses one tooth per product: the recomputed arithmetic bound no
    longer fits under the claimed rate, so the last claim is not PROVED (never silently accepted)."""
    stream = exp_build.plan.stream
    last = exp_build.plan.rounds[-1]
    m = last.teeth
    bad_round = last.text.replace("p" + "t" * m + "f", "p" + "t" * (m - 1) + "f")
    assert bad_round != last.text
    program = universal_interpreter(stream[: len(stream) - len(last.text)] + bad_round)
    rep = rates(_file(program, exp_build.claims), samples=0)
    assert rep.claims[-1].verdict is not Verdict.PROVED
    assert all(c.verdict is Verdict.PROVED for c in rep.claims[:-1])


def test_planted_bug_wrong_tooth_op_is_not_trusted_and_refuted() -> None:
    """A mutant interpreter (scale s/2 instead of s/4 in the tooth op) is not the universal program:
    the generic enclosure method runs, and a replayed witness refutes the claims."""
    b = build_universal("x**2", target=fmpq(1, 100))
    p = b.program
    tooth = p.op("tooth")
    ups = {u.register: u for u in tooth.updates}
    s_reg = ups["s"]
    mutated = dataclasses.replace(s_reg, affine=dataclasses.replace(
        s_reg.affine, coeffs=tuple((k, v * 2) for k, v in s_reg.affine.coeffs)))
    bad_op = dataclasses.replace(tooth, updates=tuple(mutated if u.register == "s" else u for u in tooth.updates))
    bad = dataclasses.replace(p, ops=tuple(bad_op if o.name == "tooth" else o for o in p.ops))
    assert not is_universal(bad) and is_universal(p)
    rep = rates(_file(bad, b.claims), samples=257, max_lanes=1024)
    assert rep.method == "enclosure" and rep.verdict is Verdict.REFUTED


def test_squaring_rates_with_the_generic_method() -> None:
    claims = squaring_claims(rounds=8)
    rep = rates(_file(squaring(), claims), samples=129)
    assert rep.method == "enclosure"
    assert [c.verdict for c in rep.claims] == [Verdict.PROVED] * 8  # the table ends at claims.rate_until
    del claims["rate_until"]
    rep = rates(_file(squaring(), claims), samples=129, horizon=4 * 10 + 2 + 3)
    assert [c.verdict for c in rep.claims] == [Verdict.PROVED] * 7 + [Verdict.UNKNOWN]
    assert "never halts" in rep.claims[-1].reason  # the last row claims every later T: not checkable here
    exact = _exact_errors(squaring(), "x**2", [r.steps[0] for r in rep.rows], n=128)
    for r in rep.rows:
        assert exact[r.steps[0]] <= float(r.certified)
    # the tight bounds are exact: 4^-(m+1) at round m (TMNU step m + 2)
    assert {r.steps[0]: r.certified for r in rep.rows}[7] == fmpq(1, 4**6)


def test_squaring_claim_too_tight_is_refuted() -> None:
    claims = squaring_claims(rounds=3)
    claims["rate"][1]["E"] = "1/20"  # the true sup at T=14 is 1/16
    rep = rates(_file(squaring(), claims), samples=129)
    assert rep.claims[1].verdict is Verdict.REFUTED and "T=14" in rep.claims[1].reason


@pytest.mark.parametrize("rate,msg", [
    ([{"T": 3}], r"claims.rate\[0\] must be an object"),
    ([{"T": -1, "E": "1"}], "not a nonnegative integer"),
    ([{"T": 4, "E": "abc"}], "is not a number"),
    ([{"T": 4, "E": "-1"}], "is negative"),
    ([{"T": 4, "E": "1"}, {"T": 4, "E": "2"}], "twice"),
])
def test_malformed_claims(rate, msg: str) -> None:
    with pytest.raises(InputError, match=msg):
        claimed_rate({"rate": rate})


def test_rates_needs_a_target() -> None:
    f = _file(squaring(), {})
    with pytest.raises(InputError, match="claims no target"):
        rates(f)
    with pytest.raises(InputError, match="claims no target"):  # a plain network (no simulation) as well
        rates(dataclasses.replace(f, simulation=None))



@pytest.mark.parametrize("until,msg", [("58", "is not an integer step"), (10, "must be after the last claimed row")])
def test_bad_rate_until_is_refused(until, msg: str) -> None:
    claims = squaring_claims(rounds=3)
    claims["rate_until"] = until
    with pytest.raises(InputError, match=msg):
        rates(_file(squaring(), claims), samples=9)
