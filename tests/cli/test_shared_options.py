"""Options shared by the commands (issue 10): one meaning and one default each; --json prints JSON on stdout
everywhere; the library, not the CLI, keeps a certificate's smt/ folder to its own queries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from certify.cli import cli
from certify.cli.options import TIMEOUT

ROOT = Path(__file__).resolve().parents[2]


def _option(command: str, name: str):
    cmd = cli.commands[command]
    return next((p for p in cmd.params if p.name == name), None)


@pytest.mark.parametrize("command", ["check", "report", "recheck"])
def test_timeout_has_one_default(command: str) -> None:
    opt = _option(command, "timeout")
    assert opt is not None and opt.default == TIMEOUT == 60.0


@pytest.mark.parametrize("command", ["check", "report", "gate"])
def test_jobs_has_one_meaning(command: str) -> None:
    opt = _option(command, "jobs")
    assert opt is not None and opt.default is None and opt.help.startswith("Worker processes.")


@pytest.mark.parametrize("command", ["check", "report", "gate", "rates"])
def test_json_is_offered_by_every_command_with_a_result_document(command: str) -> None:
    opt = next(p for p in cli.commands[command].params if "--json" in p.opts)
    assert opt.help.startswith("Print the result as JSON on stdout")


@pytest.fixture
def squaring(tmp_path: Path, run_cli) -> Path:
    f = tmp_path / "sq.rnn.json"
    assert run_cli("compile", "example:squaring", "-o", str(f))[0] == 0
    return f


def test_rates_json_prints_and_json_out_writes(squaring: Path, run_cli, tmp_path: Path) -> None:
    args = ("rates", str(squaring), "--no-plot", "--samples", "9", "--horizon", "30")
    code, out, _ = run_cli(*args, "--json")
    doc = json.loads(out.rsplit("\nRESULT:", 1)[0])
    assert code == 20 and doc["format"] == "certify.rates/1" and out.splitlines()[-1].startswith("RESULT: UNKNOWN")
    code, out, err = run_cli(*args, "--json-out", str(tmp_path / "r.json"))
    written = json.loads((tmp_path / "r.json").read_text())
    assert code == 20 and written["rows"] == doc["rows"] and "deprecated" not in err
    assert out.splitlines()[-1].startswith("RESULT: UNKNOWN squaring rates: ")
    code, out, err = run_cli(*args, "--json", str(tmp_path / "old.json"))
    assert code == 20 and (tmp_path / "old.json").is_file() and "--json PATH is deprecated" in err
    assert "RESULT: UNKNOWN" in out.splitlines()[-1]


def test_check_keeps_the_smt_folder_to_its_own_queries(squaring: Path, run_cli, tmp_path: Path) -> None:
    cert = tmp_path / "out" / "certificate.json"
    stale = tmp_path / "out" / "smt" / "an-earlier-run.smt2"
    stale.parent.mkdir(parents=True)
    stale.write_text("(check-sat)\n")
    other = stale.with_name("notes.txt")
    other.write_text("kept")
    code, _, _ = run_cli("check", str(squaring), "--certificate", str(cert))
    assert code == 0 and not stale.exists() and other.exists()
    cited = {Path(r["evidence"]["smt"]).name for r in json.loads(cert.read_text())["results"]
             if "smt" in r.get("evidence", {})}
    assert cited and {p.name for p in stale.parent.glob("*.smt2")} == cited
