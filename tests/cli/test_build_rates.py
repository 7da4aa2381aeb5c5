"""`certify build universal` → `certify check` → `certify rates`, exit codes and messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def exp_file(tmp_path_factory) -> Path:
    from certify.cli import main

    out = tmp_path_factory.mktemp("universal") / "exp.rnn.json"
    assert main(["build", "universal", "--f", "exp(x)", "--target-error", "1e-2", "-o", str(out)]) == 0
    return out


def test_build_writes_a_certified_rate_table(exp_file: Path, run_cli) -> None:
    doc = json.loads(exp_file.read_text())
    assert doc["claims"]["target"] == "exp(x)"
    rate = doc["claims"]["rate"]
    assert [r["T"] for r in rate] == sorted(r["T"] for r in rate) and len(rate) >= 3
    assert doc["simulation"]["program"]["name"] == "universal"
    code, out, _ = run_cli("info", str(exp_file))
    assert code == 0 and "max |weight|" in out and "hidden" in out


def test_check_then_rates(exp_file: Path, run_cli, tmp_path: Path) -> None:
    code, out, _ = run_cli("check", str(exp_file))
    assert code == 0 and "RESULT: PROVED" in out
    plot = tmp_path / "exp.png"
    report = tmp_path / "exp.rates.json"
    code, out, _ = run_cli("rates", str(exp_file), "--plot", str(plot), "--json", str(report), "--samples", "257")
    assert code == 0, out
    assert "RESULT: PROVED" in out.splitlines()[-1] and plot.stat().st_size > 1000
    rep = json.loads(report.read_text())
    assert rep["method"] == "universal" and all(c["verdict"] == "PROVED" for c in rep["claims"])


def test_an_edited_claim_is_refuted_with_exit_10_naming_T(exp_file: Path, run_cli, tmp_path: Path) -> None:
    doc = json.loads(exp_file.read_text())
    t = doc["claims"]["rate"][-1]["T"]
    doc["claims"]["rate"][-1]["E"] = "1e-9"
    bad = tmp_path / "bad.rnn.json"
    bad.write_text(json.dumps(doc))
    code, out, _ = run_cli("rates", str(bad), "--no-plot", "--samples", "257")
    assert code == 10
    assert f"at T={t}" in out and f"first refuted at T={t}" in out.splitlines()[-1]


def test_builds_for_two_functions_differ_only_in_h0(exp_file: Path, run_cli, tmp_path: Path) -> None:
    other = tmp_path / "abs.rnn.json"
    code, out, err = run_cli("build", "universal", "--f", "abs(x)", "--rounds", "3", "-o", str(other))
    assert code == 0, err
    a, b = json.loads(exp_file.read_text())["rnn"], json.loads(other.read_text())["rnn"]
    assert {k: v for k, v in a.items() if k != "h0"} == {k: v for k, v in b.items() if k != "h0"}
    assert a["h0"] != b["h0"]
    assert "the same for every f" in out


@pytest.mark.parametrize("f,msg", [
    ("1/x", "not continuous on all of [-1, 1]"),
    ("log(x)", "not continuous"),
    ("where(x < 0, 0, 1)", "discontinuous at x = 0"),
    ("sqrt(x)", "not continuous"),
    ("foo(x)", "unknown name 'foo'"),
    ("exp(", "not a valid expression"),
    ("20*x", "sup|f| < 7"),
    ("x < 1", "condition, not a function"),
])
def test_bad_functions_are_rejected_with_exit_2(f: str, msg: str, run_cli, tmp_path: Path) -> None:
    code, out, err = run_cli("build", "universal", "--f", f, "-o", str(tmp_path / "x.rnn.json"))
    assert code == 2
    assert msg in err and len(err.strip().splitlines()) == 1


def test_rates_on_the_bundled_squaring_file(run_cli, tmp_path: Path) -> None:
    sq = tmp_path / "sq.rnn.json"
    assert run_cli("compile", "example:squaring", "-o", str(sq))[0] == 0
    code, out, _ = run_cli("rates", str(sq), "--no-plot", "--max-lanes", "1024", "--samples", "129")
    assert code == 20  # the tight claims of late rounds need more lanes; the last one never ends
    assert "PROVED" in out and "RESULT: UNKNOWN" in out.splitlines()[-1]


def test_rates_needs_a_target(run_cli, tmp_path: Path) -> None:
    f = tmp_path / "c.rnn.json"
    assert run_cli("compile", "example:counter", "-o", str(f))[0] == 0
    code, _, err = run_cli("rates", str(f))
    assert code == 2 and "claims no target" in err
