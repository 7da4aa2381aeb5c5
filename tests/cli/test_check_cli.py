from __future__ import annotations

import json
from pathlib import Path

import pytest

from certify.compiler.tmnu_to_rnn import from_compiled
from certify.constructions.examples import EXAMPLES

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_check_then_recheck_every_example(name: str, run_cli, tmp_path: Path) -> None:
    f = tmp_path / f"{name}.rnn.json"
    run_cli("compile", f"example:{name}", "-o", str(f))
    code, out, _ = run_cli("check", str(f), "--certificate", str(tmp_path / "certificate.json"))
    assert code == 0
    assert out.strip().splitlines()[-1].startswith(f"RESULT: PROVED {name}")
    code, out, _ = run_cli("recheck", str(tmp_path / "certificate.json"))
    assert code == 0 and "PROVED confirmed" in out


def test_refuted_file_exits_10_and_prints_the_witness(run_cli) -> None:
    code, out, _ = run_cli("check", str(GOLDEN / "refuted" / "halver_bug.rnn.json"))
    assert code == 10
    assert "witness for step[loop]" in out and "configuration" in out
    assert out.strip().splitlines()[-1].startswith("RESULT: REFUTED")


def test_an_exhausted_solver_budget_exits_20(run_cli) -> None:
    """z3's resource limit is deterministic (unlike a millisecond timeout): the same UNKNOWN everywhere."""
    code, out, _ = run_cli("check", str(GOLDEN / "unknown" / "sawtooth32.rnn.json"), "--rlimit", "1")
    assert code == 20
    assert "z3: max. resource limit exceeded" in out
    assert out.strip().splitlines()[-1].startswith("RESULT: UNKNOWN")


def test_file_without_simulation_gets_static_checks_only(run_cli, tmp_path: Path) -> None:
    doc = json.loads((GOLDEN / "proved" / "halver.rnn.json").read_text())
    del doc["simulation"]
    (tmp_path / "bare.rnn.json").write_text(json.dumps(doc))
    code, out, _ = run_cli("check", str(tmp_path / "bare.rnn.json"))
    assert code == 0
    assert "simulation was NOT checked" in out
    assert out.strip().splitlines()[-1] == "RESULT: PROVED halver: static claims only; no simulation: 1 proved, " \
                                           "0 refuted, 0 unknown"


def test_a_file_that_claims_nothing_is_never_proved(run_cli, tmp_path: Path) -> None:
    """No simulation block and no claims: NOTHING CLAIMED (exit 20), the claims it could make, an UNKNOWN
    certificate that says so, and a re-check that confirms it."""
    doc = json.loads((GOLDEN / "proved" / "halver.rnn.json").read_text())
    del doc["simulation"], doc["claims"]
    (tmp_path / "bare.rnn.json").write_text(json.dumps(doc))
    cert = tmp_path / "c.json"
    code, out, _ = run_cli("check", str(tmp_path / "bare.rnn.json"), "--certificate", str(cert))
    assert code == 20 and "PROVED" not in out
    assert out.strip().splitlines()[-1].startswith("RESULT: NOTHING CLAIMED halver: no simulation block")
    assert "claims.hidden_dim_max" in out and "claims.rate" in out and '"hidden_dim_max": 24' in out
    written = json.loads(cert.read_text())
    assert written["verdict"] == "UNKNOWN" and written["theorem"] == "nothing claimed" and written["results"] == []
    assert "claims nothing" in written["note"]
    code, out, _ = run_cli("check", str(tmp_path / "bare.rnn.json"), "--json")
    assert code == 20 and json.loads(out.split("RESULT:")[0])["verdict"] == "UNKNOWN"
    code, out, _ = run_cli("recheck", str(cert))
    assert code == 20, out


@pytest.mark.parametrize("content", ["not json", '{"rnn": {"W_hh": [[1, "x"]]}}'])
def test_garbage_exits_2(content: str, run_cli, tmp_path: Path) -> None:
    (tmp_path / "g.rnn.json").write_text(content)
    code, _, err = run_cli("check", str(tmp_path / "g.rnn.json"))
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1


def test_json_output_and_jobs(run_cli) -> None:
    code, out, _ = run_cli("check", str(GOLDEN / "proved" / "halver.rnn.json"), "--json", "--jobs", "2")
    assert code == 0
    doc = json.loads(out.split("RESULT:")[0])
    assert doc["format"] == "certify.certificate/2" and doc["verdict"] == "PROVED"


def test_recheck_detects_a_stale_certificate(run_cli, tmp_path: Path) -> None:
    f = tmp_path / "h.rnn.json"
    f.write_text((GOLDEN / "proved" / "halver.rnn.json").read_text())
    run_cli("check", str(f), "--certificate", str(tmp_path / "certificate.json"))
    f.write_text((GOLDEN / "refuted" / "halver_bug.rnn.json").read_text())
    code, out, _ = run_cli("recheck", str(tmp_path / "certificate.json"))
    assert code == 1 and "DISAGREEMENT" in out and "stale" in out


def test_recheck_rejects_a_non_certificate(run_cli, tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text("{}")
    code, _, err = run_cli("recheck", str(tmp_path / "c.json"))
    assert code == 2 and "not a certify.certificate/2 file" in err


def test_witness_replays_as_a_certify_run_command(run_cli, tmp_path: Path, monkeypatch) -> None:
    weights = tmp_path / "bug.rnn.json"
    weights.write_text((GOLDEN / "refuted" / "halver_bug.rnn.json").read_text())
    code, out, _ = run_cli("check", str(weights), "--certificate", str(tmp_path / "certificate.json"))
    assert code == 10
    command = next(line.split(": ", 1)[1] for line in out.splitlines() if "replay (run it in" in line)
    assert command.startswith("certify run bug.rnn.json --start witnesses/")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(*command.split()[1:])
    assert code == 10 and "the witness replays" in out and "after 4 RNN steps unit" in out
    cert = json.loads((tmp_path / "certificate.json").read_text())
    refuted = [r for r in cert["results"] if r["verdict"] == "REFUTED"]
    assert refuted and all(r["evidence"]["command"].startswith("certify run") for r in refuted)


def test_invariant_witness_has_a_configuration(run_cli, tmp_path: Path) -> None:
    from certify.compiler.tmnu_to_rnn import compile_program
    from certify.spec import io
    from certify.tmnu.build import Builder, relu

    b = Builder("leaky")
    x = b.register("x", bound=1, input=True)
    r = b.register("r", bounds=(0, 1))
    b.output(r)
    b.op("grow", r=r + relu(x) / 2)
    b.forever("go", "grow")
    io.write(from_compiled(compile_program(b.build())), tmp_path / "leaky.rnn.json")
    code, out, _ = run_cli("check", str(tmp_path / "leaky.rnn.json"), "--certificate", str(tmp_path / "c.json"))
    assert code == 10 and "outside its declared bounds" in out
    w = json.loads(next((tmp_path / "witnesses").glob("invariant*.json")).read_text())
    assert w["config"]["state"] == "go" and "registers" in w


def test_start_rejects_a_bad_configuration(run_cli, tmp_path: Path) -> None:
    (tmp_path / "w.json").write_text(json.dumps({"state": "nowhere", "registers": {}}))
    code, _, err = run_cli("run", str(GOLDEN / "proved" / "halver.rnn.json"), "--start", str(tmp_path / "w.json"))
    assert code == 2 and "state='nowhere' is not a state" in err


def test_without_a_certificate_folder_the_replay_command_is_inline(run_cli, tmp_path: Path, monkeypatch) -> None:
    import shlex

    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli("check", str(GOLDEN / "refuted" / "halver_bug.rnn.json"))
    assert code == 10 and not list(tmp_path.iterdir())  # nothing written
    command = next(line.split("replay: ", 1)[1] for line in out.splitlines() if "replay: " in line)
    code, out, _ = run_cli(*shlex.split(command)[1:])
    assert code == 10 and "the witness replays" in out
