"""Rate methods are registered, not imported by name: bounds never imports a plug-in, a method that
declines hands over to the next, one parser owns a file's claims, and the gate's error thresholds are
decided as claim spans (no sentinel rows)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flint import fmpq

from certify.bounds.claims import ClaimSpan, parse_claims
from certify.bounds.rates import (
    Declined,
    MethodRows,
    RateQuery,
    RateRow,
    Theorem,
    methods,
    rates,
    register,
    registry,
)
from certify.compiler.tmnu_to_rnn import compile_program, from_compiled
from certify.constructions.examples import squaring, squaring_claims
from certify.errors import InputError
from certify.report.certified import check_errors
from certify.spec.file import RnnFile
from certify.verdict import Verdict


@pytest.fixture
def scratch_registry() -> Iterator[None]:
    saved = dict(registry._METHODS)
    yield
    registry._METHODS.clear()
    registry._METHODS.update(saved)


@dataclasses.dataclass(frozen=True)
class Fake:
    name: str = "fake"
    priority: int = 0
    described_as: str = "fakes"
    claim_keys: dict = dataclasses.field(default_factory=lambda: {"fake_key": "read by the fake method"})
    decline: bool = False

    def applies(self, f: RnnFile) -> bool:
        return True

    def rows(self, query: RateQuery) -> MethodRows:
        if self.decline:
            raise Declined("the fake method cannot")
        return MethodRows((RateRow(2, None, "everything", (0,), fmpq(1)),), ("fake rows",))


def _squaring(rounds: int = 3) -> RnnFile:
    return from_compiled(compile_program(squaring()), squaring_claims(rounds=rounds))


def _proved() -> Theorem:
    """The simulation theorem, taken as proved (``certify check`` proves it for squaring elsewhere)."""
    return Theorem(Verdict.PROVED, "assumed by the test")


def test_a_registered_method_runs_first_and_one_that_declines_hands_over(scratch_registry: None) -> None:
    f = _squaring()
    register(Fake())
    rep = rates(f, samples=0, theorem=_proved())
    assert rep.method == "fake" and rep.notes[0] == "fake rows"
    assert [c.verdict for c in rep.claims][-1] is Verdict.UNKNOWN  # 1 > the claimed E: not proved, not refuted
    register(Fake(decline=True))
    rep = rates(f, samples=0, theorem=_proved())
    assert rep.method == "enclosure" and rep.notes[0] == "the fake method cannot; falling back to enclosures"
    assert parse_claims({"fake_key": 1}).unknown == ()


def test_bounds_never_imports_a_plugin_and_plugins_load_in_one_place() -> None:
    code = ("import sys, certify.bounds.rates, certify.report.junit; "
            "assert not [m for m in sys.modules if m.startswith('certify.universal')], 'bounds imported universal'; "
            "assert 'certify.gate' not in sys.modules, 'junit imported the gate'; "
            "assert [m.name for m in certify.bounds.rates.methods()] == ['network', 'enclosure']; "
            "from certify.plugins import load_plugins; print(load_plugins())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "('universal', 'network', 'enclosure')"
    assert [m.name for m in methods()][-1] == "enclosure"


def test_claims_are_parsed_once_problems_collected_unknown_keys_kept() -> None:
    c = parse_claims({"target": "x", "rate": [{"T": 4, "E": "1/2"}], "rate_until": "soon", "hidden_dim_max": "many",
                      "universal": {}, "favourite_colour": "blue"})
    assert c.target == "x" and [(r.T, r.E) for r in c.rate] == [(4, fmpq(1, 2))] and c.rate_until is None
    assert c.unknown == ("favourite_colour",)  # 'universal' is declared by the universal plug-in
    assert [k for k, _ in c.problems] == ["hidden_dim_max", "rate_until"]
    with pytest.raises(InputError, match="rate_until='soon' is not an integer step"):
        c.require("rate", "rate_until")
    c.require("rate")  # the rate table itself is fine
    with pytest.raises(InputError, match=r'hidden_dim_max="many".*; claims.rate_until'):
        c.require()
    assert [(s.T, s.T_end) for s in parse_claims({"rate": [{"T": 9, "E": 1}, {"T": 3, "E": 2}]}).spans()] == \
        [(3, 9), (9, None)]


def test_error_thresholds_are_decided_as_spans_of_one_step() -> None:
    f = _squaring(rounds=3)
    checks = check_errors(f, [(14, fmpq(1, 16)), (14 + 4, fmpq(1, 1000))])
    assert not isinstance(checks, str)
    assert [(c.T, c.T_end, c.verdict) for c in checks] == [(14, 15, Verdict.PROVED), (18, 19, Verdict.REFUTED)]
    # the file's own rate_until (10 steps past its last row) does not constrain a threshold beyond it
    until = f.claims["rate_until"]
    checks = check_errors(f, [(until + 40, fmpq(1))])
    assert not isinstance(checks, str) and checks[0].verdict is not Verdict.REFUTED


def test_spans_decide_like_the_file_table() -> None:
    f = _squaring(rounds=3)
    table = rates(f, samples=0, theorem=_proved())
    spans = parse_claims(f.claims).spans()
    direct = rates(f, samples=0, theorem=_proved(), claims=spans)
    assert [(c.T, c.T_end, c.verdict, c.reason) for c in table.claims] == \
        [(c.T, c.T_end, c.verdict, c.reason) for c in direct.claims]
    assert ClaimSpan(3, 9, fmpq(1)).meets(8, 100) and not ClaimSpan(3, 9, fmpq(1)).meets(9, 100)


def test_the_rates_plot_is_one_style_and_deterministic(tmp_path: Path) -> None:
    from certify.report.plots import rates_plot

    rep = rates(_squaring(), samples=65, theorem=_proved())
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    rates_plot(rep, str(a))
    rates_plot(rep, str(b))
    text = a.read_text()
    assert text == b.read_text() and "certified bound (certify rates)" in text and "<dc:date>" not in text
    png = tmp_path / "a.png"
    rates_plot(rep, str(png))
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_the_rates_command_shares_the_library_defaults_and_warns_of_unknown_claims(run_cli, tmp_path: Path) -> None:
    import json

    from certify.bounds.rates import LANES, MAX_LANES, SAMPLES
    from certify.cli import rates as cmd
    from certify.spec import io

    assert (cmd.SAMPLES, cmd.LANES, cmd.MAX_LANES) == (SAMPLES, LANES, MAX_LANES)
    p = tmp_path / "sq.rnn.json"
    io.write(_squaring(rounds=2), p)
    doc = json.loads(p.read_text())
    doc["claims"]["colour"] = "blue"
    p.write_text(json.dumps(doc))
    code, out, err = run_cli("rates", str(p), "--no-plot", "--samples", "9")
    assert code == 0 and "warning: claims.colour is not a claim certify reads" in err
    assert "RESULT: PROVED" in out.splitlines()[-1]

