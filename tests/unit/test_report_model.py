"""The report model: built only from what the certificate proves, schema-valid, round-trips through JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from flint import fmpq
from hypothesis import given, settings
from hypothesis import strategies as st

from certify.compiler.tmnu_to_rnn import from_compiled
from certify.constructions.bundled import BUNDLED
from certify.errors import InputError
from certify.prove.checker import Options, check
from certify.report import html, markdown, plots
from certify.report.assemble import ReportOptions, build_report
from certify.report.model import Report
from certify.spec import io
from certify.spec.network import Network
from certify.verdict import Verdict

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
SCHEMA = json.loads((ROOT / "docs" / "report-schema.json").read_text())
FAST = ReportOptions(samples=3, max_steps=60, extras=False)


def _report(f: io.RnnFile, rlimit: int | None = None, options: ReportOptions = FAST) -> Report:
    return build_report(f, check(f, Options(rlimit=rlimit)).to_json(), weights_ref="F.rnn.json", options=options)


def _validate(r: Report) -> dict:
    doc = json.loads(json.dumps(r.to_json()))
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    return doc


def test_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_bundled_reports_are_proved_schema_valid_and_round_trip(name: str) -> None:
    f = BUNDLED[name]()
    r = _report(f, options=ReportOptions(samples=3, max_steps=60, rates=False))
    assert r.verdict is Verdict.PROVED and r.simulation_checked == (f.simulation is not None)
    if f.simulation is not None:
        assert r.headline.startswith("Every step of this network simulates its TMNU exactly")
    else:  # a hand-built network: its static claims, and no word of a simulation it does not have
        assert r.headline.startswith("**PROVED (static claims only).**") or "static claim" in r.headline
    assert Report.from_json(_validate(r)) == r
    assert not r.failures and all(o.verdict is Verdict.PROVED for o in r.obligations)


def test_refuted_report_shows_the_witness_and_the_replay_command() -> None:
    r = _report(io.read(GOLDEN / "refuted" / "halver_bug.rnn.json"))
    _validate(r)
    assert r.verdict is Verdict.REFUTED and r.exit_code == 10
    assert "PROVED" not in r.headline and r.headline.startswith("Not every step simulates its TMNU")
    (fail,) = r.failures
    assert fail.id == "step[loop]" and fail.witness is not None and "config" in fail.witness
    assert fail.replay == f"certify run F.rnn.json --x {fail.witness['x']} --start witness1.json --steps 4 --tmnu"
    page = html.render(r, {})
    assert fail.replay in page and "REFUTED" in page.split('id="verdict"')[1][:200]


def test_unknown_report_always_carries_the_reason() -> None:
    r = _report(io.read(GOLDEN / "unknown" / "sawtooth32.rnn.json"), rlimit=1)
    _validate(r)
    assert r.verdict is Verdict.UNKNOWN and r.exit_code == 20
    assert r.failures and all(f.reason for f in r.failures)
    assert all(o.reason for o in r.obligations if o.verdict is Verdict.UNKNOWN)
    assert "none is refuted" in r.headline and "Every step" not in r.headline
    md = markdown.render(r, {})
    assert all(f.reason in md for f in r.failures)


def test_a_file_without_simulation_is_never_reported_as_simulating() -> None:
    net = Network.from_dense(W_hh=[[0, "1/2"], ["-3", 0]], W_ih=[[1], [0]], b=[0, "-1/1024"], W_out=[[1, 0]],
                             b_out=[0], h0=[0, 0])
    f = io.RnnFile(network=net, name="plain", claims={"hidden_dim_max": 2, "weight_abs_max": 3})
    r = _report(f)
    _validate(r)
    assert r.verdict is Verdict.PROVED and not r.simulation_checked
    assert "nothing is proved about its steps" in r.headline and "simulates" not in r.headline
    assert "(static claims only)" in html.render(r, {})
    assert {c.key: c.verdict for c in r.claims} == {"hidden_dim_max": Verdict.PROVED, "weight_abs_max": Verdict.PROVED}


def test_a_stale_certificate_is_refused() -> None:
    f = BUNDLED["squaring"]()
    cert = check(f).to_json()
    net = f.network
    i, j, v = next(iter(net.W_hh.entries()))
    changed = io.RnnFile(network=net.replace(W_hh=net.W_hh.with_entry(i, j, v + 1)), name=f.name,
                         simulation=f.simulation, claims=f.claims)
    with pytest.raises(InputError, match="stale"):
        build_report(changed, cert, weights_ref="F.rnn.json", options=FAST)


def test_a_certificate_whose_verdict_contradicts_its_results_is_refused() -> None:
    """Planted bug: a certificate edited to say PROVED over a REFUTED result must not give a PROVED report."""
    f = io.read(GOLDEN / "refuted" / "halver_bug.rnn.json")
    cert = check(f).to_json()
    cert["verdict"] = "PROVED"
    with pytest.raises(InputError, match="combine to REFUTED"):
        build_report(f, cert, weights_ref="F.rnn.json", options=FAST)
    cert["results"][0]["verdict"] = "MAYBE"
    with pytest.raises(InputError, match='verdict="MAYBE"'):
        build_report(f, cert, weights_ref="F.rnn.json", options=FAST)


def test_measured_errors_are_exact_and_below_the_claimed_bound() -> None:
    r = _report(BUNDLED["squaring"](), options=ReportOptions(samples=5, max_steps=40, extras=False))
    assert r.rates.target == "x**2" and r.rates.measured
    claimed = {p.T: fmpq(*map(int, p.E.split("/"))) for p in r.rates.claimed}
    for p in r.rates.measured:
        assert p.exact and p.T <= 40
        num, _, den = p.E.partition("/")
        assert fmpq(int(num), int(den or 1)) <= claimed[p.T]
    assert "not sampled" in r.rates.note  # claimed runtimes beyond 40 steps are said to be unmeasured


def test_a_false_rate_claim_is_named_in_the_headline() -> None:
    f = BUNDLED["squaring"]()
    claims = dict(f.claims)
    claims["rate"] = [{"T": 14, "E": "1/1000000"}]
    bad = io.RnnFile(network=f.network, name=f.name, simulation=f.simulation, claims=claims)
    r = _report(bad)
    assert "rate claim is false: at T = 14" in r.headline


def test_renderers_and_plots_are_deterministic_and_offline() -> None:
    r = _report(BUNDLED["squaring"](), options=ReportOptions(samples=3, max_steps=60, rates=False))
    a, b = plots.all_plots(r), plots.all_plots(r)
    assert a == b and set(a) == {"rate", "sparsity", "trajectory"}
    page = html.render(r, a)
    assert page == html.render(r, b)
    assert "<script" not in page and not re.findall(r"https?://(?!www.w3.org/)", page)
    assert "default-src 'none'" in page and "<dc:date>" not in page
    ids = [m for svg in a.values() for m in re.findall(r'\bid="([^"]+)"', svg)]
    assert len(ids) == len(set(ids)), "plot ids must be unique on one page"


def test_from_json_rejects_other_formats() -> None:
    with pytest.raises(InputError, match="certify.report/1"):
        Report.from_json({"format": "certify.certificate/2"})
    with pytest.raises(InputError, match="malformed report"):
        Report.from_json({"format": "certify.report/1", "name": "x"})


def test_certified_rates_are_shown_with_bounds_rounded_the_safe_way() -> None:
    from certify.compiler.tmnu_to_rnn import compile_program
    from certify.constructions.examples import squaring, squaring_claims
    from certify.rational import parse_number

    f = from_compiled(compile_program(squaring()), squaring_claims(rounds=4))
    r = _report(f, options=ReportOptions(samples=3, max_steps=40))
    _validate(r)
    rt = r.rates
    assert rt.certified.status == "computed" and rt.certified_points
    assert [c.T for c in rt.checks] == [p.T for p in rt.claimed]
    assert all(c.verdict is not Verdict.REFUTED for c in rt.checks)
    assert "The claimed error-versus-runtime table is" in r.headline
    for row, point in zip([row for row in rt.certified.table.rows if row[3] != "not certified"], rt.certified_points,
                          strict=True):
        shown = parse_number(row[3].removeprefix("≤ "))
        assert shown >= parse_number(point.E)  # an upper bound is never displayed below itself
    page = html.render(r, plots.all_plots(r))
    assert "certify rates" in page and "certified bound (certify rates)" in page


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10**30), st.integers(1, 10**30), st.integers(1, 6))
def test_displayed_bounds_are_rounded_in_the_safe_direction(p: int, q: int, digits: int) -> None:
    from certify.rational import parse_number
    from certify.report.sentences import bound_text

    x = fmpq(p, q)
    up, down = bound_text(x, True, digits), bound_text(x, False, digits)
    assert up.startswith("≤ ") and down.startswith("≥ ")
    assert parse_number(up[2:]) >= x >= parse_number(down[2:])


@pytest.mark.parametrize("path", ["proofs/squaring/squaring.rnn.json", "proofs/stack_copy/stack_copy.rnn.json",
                                  "proofs/universal/universal.rnn.json", "tests/golden/refuted/halver_bug.rnn.json"])
def test_shared_lane_rollouts_equal_the_exact_network(path: str) -> None:
    """The report's sample rollouts (x-independent units computed once) are Network.run, exactly."""
    from certify.report.sample_rollouts import outputs, sample_inputs

    p = ROOT / path
    if not p.exists():
        pytest.skip(f"{path} is not committed")
    net = io.read(p).network
    xs = sample_inputs(fmpq(-1), fmpq(1), 3)
    want = [[net.output(h)[0] for _, h, _ in net.run([x], 40)] for x in xs]
    got = outputs(net, xs, 40)
    assert [[ys[k] for ys in got] for k in range(len(xs))] == want
