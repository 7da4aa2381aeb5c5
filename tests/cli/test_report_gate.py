"""`certify report` and `certify gate` from the command line: files, exit codes, RESULT lines, bad input."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[2]
SQ = ROOT / "proofs" / "squaring"
BUG = ROOT / "tests" / "golden" / "refuted" / "halver_bug.rnn.json"


def _last(out: str) -> str:
    return out.strip().splitlines()[-1]


def test_report_html_md_json(run_cli, tmp_path: Path) -> None:
    w, c = str(SQ / "squaring.rnn.json"), str(tmp_path / "cert" / "certificate.json")
    assert run_cli("check", w, "--certificate", c)[0] == 0  # writes certificate.timings.json beside it
    code, out, _ = run_cli("report", w, "--certificate", c, "-o", str(tmp_path / "sq.html"), "--max-steps", "40",
                           "--no-rates")
    assert code == 0 and _last(out) == "RESULT: PROVED squaring: 19 proved, 0 refuted, 0 unknown"
    page = (tmp_path / "sq.html").read_text()
    assert "Every step of this network simulates its TMNU exactly" in page and page.count("<svg") == 3
    assert ">time<" in page and " ms</td>" in page
    code, out, _ = run_cli("report", w, "--certificate", c, "-o", str(tmp_path / "md" / "sq.md"), "--no-timings",
                           "--no-rates")
    assert code == 0
    md = (tmp_path / "md" / "sq.md").read_text()
    assert sorted(p.name for p in (tmp_path / "md").iterdir()) == ["sq-rate.svg", "sq-sparsity.svg",
                                                                    "sq-trajectory.svg", "sq.md"]
    assert "![rate](sq-rate.svg)" in md and "| time |" not in md
    code, out, _ = run_cli("report", w, "--certificate", c, "--json", "--samples", "3", "--no-rates")
    doc = json.loads(out.split("RESULT:")[0])
    jsonschema.Draft202012Validator(json.loads((ROOT / "docs" / "report-schema.json").read_text())).validate(doc)
    assert doc["verdict"] == "PROVED" and doc["certificate_file"] == c


def test_report_runs_the_check_and_shows_the_replay_command(run_cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(BUG, "bug.rnn.json")
    code, out, _ = run_cli("report", "bug.rnn.json", "-o", "out/bug.html")
    assert code == 10 and _last(out).startswith("RESULT: REFUTED bug: ")  # named after the file
    page = Path("out/bug.html").read_text()
    witness = json.loads(Path("out/bug.witness1.json").read_text())
    assert f"certify run bug.rnn.json --x {witness['x']} --start out/bug.witness1.json --steps 4 --tmnu" in page
    assert witness["config"]["state"] == "loop"
    code, out, _ = run_cli("run", "bug.rnn.json", "--x", witness["x"], "--start", "out/bug.witness1.json", "--steps",
                           "4", "--tmnu")  # the replay command shown in the report
    assert code == 10 and "the witness replays" in out and "after 4 RNN steps unit" in out


@pytest.mark.parametrize("args, message", [
    (["-o", "r.txt"], "-o r.txt: the report format is chosen by the suffix"),
    (["--certificate", str(ROOT / "proofs" / "counter" / "certificate.json")], "stale"),
    (["--certificate", "nope.json"], "nope.json: no such certificate"),
])
def test_report_bad_input_exits_2_with_one_line(run_cli, args: list[str], message: str) -> None:
    code, out, err = run_cli("report", str(SQ / "squaring.rnn.json"), *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_gate_on_this_repository(run_cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, err = run_cli("gate", "--junit", str(tmp_path / "junit.xml"))
    assert code == 0, out + err
    assert _last(out).startswith("RESULT: PROVED gate: ")
    root = ET.parse(tmp_path / "junit.xml").getroot()
    assert root.tag == "testsuites" and root.get("failures") == "0"
    assert sorted(s.get("name") for s in root.findall("testsuite")) == sorted(
        p.parent.name for p in (ROOT / "proofs").glob("*/*.rnn.json"))


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """This repository's proofs/ and [tool.certify], copied."""
    shutil.copytree(ROOT / "proofs", tmp_path / "proofs")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_gate_fails_on_a_planted_weight_change(run_cli, copy: Path, monkeypatch) -> None:
    monkeypatch.chdir(copy)
    p = copy / "proofs" / "squaring" / "squaring.rnn.json"
    doc = json.loads(p.read_text())
    doc["rnn"]["W_hh"]["entries"][40][2] = "3/2"
    p.write_text(json.dumps(doc))
    code, out, _ = run_cli("gate", "--junit", "junit.xml", "--jobs", "1", "squaring", "counter")
    assert code == 10
    assert "RESULT: REFUTED gate: 1 of 2 constructions failed (squaring: step REFUTED" in _last(out)
    suite = [s for s in ET.parse(copy / "junit.xml").getroot().findall("testsuite") if s.get("name") == "squaring"][0]
    failed = {c.get("name"): c.find("failure") for c in suite.findall("testcase") if c.find("failure") is not None}
    assert "step[load]" in failed["step"].get("message") and failed["step"].get("type") == "REFUTED"
    assert "stale" in failed["certificate"].get("message")


def test_gate_names_a_threshold_raised_past_what_is_proven(run_cli, copy: Path, monkeypatch) -> None:
    from certify.spec import io

    monkeypatch.chdir(copy)
    hd = io.read(SQ / "squaring.rnn.json").network.hidden_dim
    toml = copy / "pyproject.toml"
    text = toml.read_text()
    assert f"[tool.certify.construction.squaring]\nhidden_dim_max = {hd}" in text
    toml.write_text(text.replace(f"[tool.certify.construction.squaring]\nhidden_dim_max = {hd}",
                                 f"[tool.certify.construction.squaring]\nhidden_dim_max = {hd - 1}"))
    code, out, _ = run_cli("gate", "--junit", "j.xml", "squaring")
    assert code == 10 and "squaring: thresholds REFUTED" in _last(out)
    assert f"hidden_dim_max <= {hd - 1} fails: the hidden dimension is {hd}" in out
    fail = ET.parse(copy / "j.xml").getroot().find(".//testcase[@name='thresholds']/failure")
    assert f"hidden_dim_max <= {hd - 1}" in fail.get("message")


def test_gate_json_and_bad_configuration(run_cli, copy: Path, monkeypatch) -> None:
    monkeypatch.chdir(copy)
    code, out, _ = run_cli("gate", "--json", "counter")
    assert code == 0 and json.loads(out.rsplit("\nRESULT:", 1)[0])["constructions"][0]["name"] == "counter"
    code, _, err = run_cli("gate", "nosuch")
    assert code == 2 and "no construction named 'nosuch'" in err
    (copy / "bad.toml").write_text('weights = ["proofs/*/*.rnn.json"]\n[thresholds]\nweight_abs_max = 0.5\n')
    code, _, err = run_cli("gate", "--config", "bad.toml")
    assert code == 2 and "thresholds.weight_abs_max=0.5 must be an integer or an exact string" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = run_cli("gate", "--config", "missing.toml")
    assert code == 2 and "--config missing.toml: no such file" in err


@pytest.mark.parametrize("command, options", [
    ("report", ["--output", "--json", "--certificate", "--no-timings", "--timeout", "--jobs", "--samples",
                "--no-rates", "--max-steps"]),
    ("gate", ["--config", "--jobs", "--junit", "--json"]),
])
def test_help_explains_every_option(run_cli, command: str, options: list[str]) -> None:
    code, out, _ = run_cli(command, "--help")
    assert code == 0 and "Exit code" in out
    for opt in options:
        assert opt in out
