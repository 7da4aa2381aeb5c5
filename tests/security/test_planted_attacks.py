"""Planted attacks of issue 9 (classes 1, 4, 5 and 6): each turned a wrong verdict into PROVED or a forged
certificate into "confirmed" on the old main. Every one must now fail closed.

1. a readout the theorem asserts but no obligation checked (y_t at t0, before t0);
4. forged refutations (witnesses outside their obligation's box or case);
5. what the certificate's hash covers (static claims dropped, simulation block or claims changed, program
   validated by the re-checker with its own rules);
6. replays that compare everything (the last readout of a TMNU step, the encoding at t0).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from cases import compiled

from certify import recheck as independent
from certify.compiler.tmnu_to_rnn import from_compiled
from certify.prove.checker import Options, check
from certify.spec import io
from certify.verdict import Verdict


def _squaring() -> io.RnnFile:
    from certify.constructions.bundled import BUNDLED

    return BUNDLED["squaring"]()


def _write(doc: dict, path: Path) -> Path:
    path.write_text(json.dumps(doc))
    return path


def _doc(f: io.RnnFile) -> dict:
    return json.loads(io.dumps(f))


def _start_unit_readout(f: io.RnnFile, weight: str = "4") -> dict:
    """Attack 1: a nonzero W_out entry on the start state's control unit (a state never re-entered)."""
    doc = _doc(f)
    unit = doc["simulation"]["control"][doc["simulation"]["program"]["start"]]
    w_out = doc["rnn"]["W_out"]
    if isinstance(w_out, dict):
        w_out["entries"].append([0, unit, weight])
    else:
        w_out[0][unit] = weight
    return doc


# --- 1. the readout at t0 -------------------------------------------------------------------------------------
def test_readout_at_t0_is_an_obligation_and_the_w_out_mutant_is_refuted(tmp_path: Path, run_cli) -> None:
    weights = _write(_start_unit_readout(_squaring()), tmp_path / "mutant.rnn.json")
    code, out, _ = run_cli("check", str(weights), "--certificate", str(tmp_path / "certificate.json"))
    assert code == 10 and "RESULT: REFUTED" in out
    cert = json.loads((tmp_path / "certificate.json").read_text())
    refuted = [r for r in cert["results"] if r["verdict"] == "REFUTED"]
    assert [r["id"] for r in refuted] == ["readout[t=2]"]
    # the witness replays through the command the certificate gives (exit 10: the run violates the theorem)
    command = refuted[0]["evidence"]["command"].split()
    assert command[:2] == ["certify", "run"] and "--tmnu" in command
    code, out, _ = run_cli(*[str(weights) if a.endswith("mutant.rnn.json") else a for a in command[1:]])
    assert code == 10 and "the readout y_2 is 4" in out
    # the independent re-checker confirms the refutation
    code, out, _ = run_cli("recheck", str(tmp_path / "certificate.json"))
    assert code == 10 and "REFUTED confirmed" in out


def test_readouts_before_t0_are_obligations(tmp_path: Path) -> None:
    f = _squaring()
    doc = _doc(f)
    doc["rnn"]["b_out"] = ["1/2"]  # shifts y_t for every t: y_0 is no longer lo_out
    cert = check(io.loads(json.dumps(doc), "b_out.rnn.json"))
    verdicts = {r.id: r.verdict for r in cert.results}
    assert verdicts["readout[t=0]"] is Verdict.REFUTED and verdicts["readout[t=1]"] is Verdict.REFUTED


def test_rates_do_not_prove_rows_of_a_file_whose_simulation_is_refuted(tmp_path: Path, run_cli) -> None:
    doc = _start_unit_readout(_squaring())
    doc["claims"]["rate"].insert(0, {"T": 2, "E": "1"})  # a row at t0, where the mutant's y_T is off by 4
    weights = _write(doc, tmp_path / "mutant.rnn.json")
    code, out, _ = run_cli("rates", str(weights), "--no-plot", "--samples", "0")
    assert code != 0 and "0 of 13 claimed rows proved" in out
    assert "simulation theorem" in out and "readout[t=2] is REFUTED" in out


def test_gate_fails_the_w_out_mutant(tmp_path: Path, run_cli) -> None:
    weights = _write(_start_unit_readout(_squaring()), tmp_path / "squaring.rnn.json")
    run_cli("check", str(weights), "--certificate", str(tmp_path / "certificate.json"))
    (tmp_path / "certify.toml").write_text('weights = ["squaring.rnn.json"]\nbaseline = "certificate.json"\n')
    code, out, _ = run_cli("gate", "--config", str(tmp_path / "certify.toml"))
    assert code == 10 and "readout[t=2]" in out


# --- 4. forged refutations -----------------------------------------------------------------------------------
def _proved_certificate(tmp_path: Path) -> tuple[Path, dict]:
    f = _squaring()
    io.write(f, tmp_path / "squaring.rnn.json")
    cert = check(f, Options(weights_name="squaring.rnn.json", smt_dir=tmp_path / "smt"))
    assert cert.verdict is Verdict.PROVED
    path = cert.write(tmp_path / "certificate.json")
    return path, json.loads(path.read_text())


def _forge(doc: dict, rid: str, witness: dict) -> dict:
    doc = copy.deepcopy(doc)
    r = next(r for r in doc["results"] if r["id"] == rid)
    r["verdict"], r["method"], r["reason"] = "REFUTED", "smt", "forged"
    r["evidence"] = {"witness": witness}
    doc["verdict"] = "REFUTED"
    doc["counts"] = {"PROVED": doc["counts"]["PROVED"] - 1, "REFUTED": 1, "UNKNOWN": 0}
    return doc


_REGS = {"x": "1/2", "acc": "0", "t": "0", "d": "0", "s": "1"}


@pytest.mark.parametrize("rid, witness, why", [
    ("step[square]", {"x": "3", "config": {"state": "square", "stacks": {}, "registers": _REGS}}, "input domain"),
    ("step[square]", {"x": "0", "config": {"state": "load", "stacks": {}, "registers": _REGS}}, "state"),
    ("step[square]", {"x": "0", "config": {"state": "square", "stacks": {},
                                            "registers": {**_REGS, "acc": "1000"}}}, "outside its bounds"),
    ("step[square]", {"x": "0", "config": {"state": "square", "stacks": {}, "registers": {"x": "0"}}},
     "exactly the program's registers"),
    ("invariant[load.acc.hi]", {"x": "0", "registers": {**_REGS, "x": "5"}}, "outside its bounds"),
    ("readout[t=1]", {"x": "-7"}, "input domain"),
    ("prologue", {"x": "0"}, "reproduces the start configuration"),
])
def test_recheck_refuses_forged_refutations(tmp_path: Path, rid: str, witness: dict, why: str) -> None:
    path, doc = _proved_certificate(tmp_path)
    _write(_forge(doc, rid, witness), path)
    rep = independent.recheck(path)
    assert not rep.ok and any(rid in p and why in p for p in rep.problems), rep.problems


def test_witness_of_another_case_is_refused_for_stacks(tmp_path: Path) -> None:
    c = compiled("stack_copy")
    f = from_compiled(c)
    io.write(f, tmp_path / "w.rnn.json")
    cert = check(f, Options(weights_name="w.rnn.json"))
    path = cert.write(tmp_path / "certificate.json")
    doc = json.loads(path.read_text())
    step = next(r for r in doc["results"] if r["kind"] == "step" and r["domain"]["tops"] and
                any(v is not None for v in r["domain"]["tops"].values()))
    tops = step["domain"]["tops"]
    regs = {r.name: "0" if r.initial is None else str(r.initial) for r in c.program.registers}
    stacks = {s: [] for s in tops}  # empty stacks, but the case needs a nonempty top somewhere
    forged = _forge(doc, step["id"], {"x": "0", "config": {"state": step["domain"]["state"], "stacks": stacks,
                                                           "registers": regs}})
    _write(forged, path)
    rep = independent.recheck(path)
    assert any("top" in p for p in rep.problems), rep.problems


# --- 5. the hash covers everything the theorem depends on ---------------------------------------------------
def test_dropping_a_failing_static_claim_is_caught(tmp_path: Path) -> None:
    f = _squaring()
    doc = _doc(f)
    doc["claims"]["hidden_dim_max"] = 10  # false: the network has 39 units
    weights = _write(doc, tmp_path / "w.rnn.json")
    cert = check(io.read(weights), Options(weights_name="w.rnn.json"))
    assert cert.verdict is Verdict.REFUTED
    path = cert.write(tmp_path / "certificate.json")
    forged = json.loads(path.read_text())
    forged["results"] = [r for r in forged["results"] if r["kind"] != "static"]
    forged["verdict"], forged["counts"]["REFUTED"] = "PROVED", 0
    _write(forged, path)
    rep = independent.recheck(path)
    assert any("missing static claims" in p for p in rep.problems), rep.problems


@pytest.mark.parametrize("change", ["goto", "c", "claims", "input domain", "register bounds", "h0"])
def test_a_changed_file_makes_the_certificate_stale(tmp_path: Path, change: str) -> None:
    path, _ = _proved_certificate(tmp_path)
    doc = _doc(_squaring())
    sim = doc["simulation"]
    if change == "goto":
        sim["program"]["transitions"][-1]["goto"] = sim["program"]["states"][0]
    elif change == "c":
        sim["c"] = 5
    elif change == "claims":
        doc["claims"]["rate"][0]["E"] = "1/8"
    elif change == "input domain":
        doc["input"]["domain"] = ["-1/2", "1/2"]
    elif change == "register bounds":
        sim["program"]["registers"][1]["bounds"][1] = "2"
    else:
        h0 = doc["rnn"]["h0"]
        if isinstance(h0, dict):
            h0["entries"][0][1] = "2"
        else:
            h0[0] = "2"
    _write(doc, tmp_path / "squaring.rnn.json")
    rep = independent.recheck(path)
    assert rep.problems and rep.problems[0].startswith("stale:"), rep.problems


def test_gate_with_fresh_check_false_refuses_a_baseline_of_another_file(tmp_path: Path, run_cli) -> None:
    path, _ = _proved_certificate(tmp_path)
    doc = _doc(_squaring())
    doc["simulation"]["program"]["transitions"][-1]["goto"] = doc["simulation"]["program"]["states"][0]
    _write(doc, tmp_path / "squaring.rnn.json")
    (tmp_path / "certify.toml").write_text('weights = ["squaring.rnn.json"]\nbaseline = "certificate.json"\n'
                                           "fresh_check = false\n")
    code, out, _ = run_cli("gate", "--config", str(tmp_path / "certify.toml"))
    assert code != 0 and "stale" in out


@pytest.mark.parametrize("edit, why", [
    (lambda p: p["registers"][1].update(initial="5"), "initial value"),
    (lambda p: p["registers"][0].update(input="yes"), "must be true or false"),
    (lambda p: p["transitions"].append(dict(p["transitions"][-1])), "transitions match"),
    (lambda p: p["transitions"][-1].update(goto="nowhere"), "undeclared"),
])
def test_recheck_validates_the_program_with_its_own_rules(tmp_path: Path, edit, why: str) -> None:
    path, _ = _proved_certificate(tmp_path)
    doc = _doc(_squaring())
    edit(doc["simulation"]["program"])
    _write(doc, tmp_path / "squaring.rnn.json")
    with pytest.raises(independent.RecheckError, match=why):
        independent.recheck(path)


def test_recheck_refuses_missing_and_extra_obligations(tmp_path: Path) -> None:
    path, doc = _proved_certificate(tmp_path)
    forged = copy.deepcopy(doc)
    forged["results"] = [r for r in forged["results"] if r["id"] != "readout[t=2]"]
    forged["counts"]["PROVED"] -= 1
    _write(forged, path)
    assert any("missing obligations" in p for p in independent.recheck(path).problems)
    forged = copy.deepcopy(doc)
    extra = copy.deepcopy(next(r for r in forged["results"] if r["id"] == "readout[t=2]"))
    extra["id"] = "readout[t=3]"
    forged["results"].append(extra)
    forged["counts"]["PROVED"] += 1
    _write(forged, path)
    assert any("does not have" in p for p in independent.recheck(path).problems)


def test_recheck_refuses_paths_outside_the_certificate_folder(tmp_path: Path) -> None:
    path, doc = _proved_certificate(tmp_path)
    forged = copy.deepcopy(doc)
    smt = next(r for r in forged["results"] if "smt" in r.get("evidence", {}))
    smt["evidence"]["smt"] = "../../../etc/hostname"
    _write(forged, path)
    rep = None
    with pytest.raises(independent.RecheckError, match="relative path inside"):
        rep = independent.recheck(path)
    assert rep is None
    forged["weights"]["file"] = "/etc/hostname"
    _write(forged, path)
    with pytest.raises(independent.RecheckError, match="relative path"):
        independent.recheck(path)


# --- 6. replays compare everything ----------------------------------------------------------------------------
def test_start_replay_compares_the_readout_after_the_last_rnn_step(tmp_path: Path, run_cli) -> None:
    """A W_out entry on a unit that is nonzero only at step boundaries changes y only at the c-th RNN step."""
    f = _squaring()
    doc = _doc(f)
    reg_unit = doc["simulation"]["registers"]["s"]["unit"]  # s = 1 in square: its stage-0 unit is nonzero
    w_out = doc["rnn"]["W_out"]
    if isinstance(w_out, dict):
        w_out["entries"].append([0, reg_unit, "1"])
    else:
        w_out[0][reg_unit] = "1"
    weights = _write(doc, tmp_path / "w.rnn.json")
    config = {"state": "square", "stacks": {}, "registers": _REGS}
    code, out, _ = run_cli("run", str(weights), "--start", json.dumps({"x": "1/2", "config": config}), "--steps", "4")
    assert code == 10 and "the witness replays" in out and "readout y_4" in out


def test_tmnu_run_compares_the_encoding_at_t0_exactly(tmp_path: Path, run_cli) -> None:
    """A prologue that loads another (valid) stack content decodes fine; only an exact comparison sees it."""
    c = compiled("stack_copy")
    f = from_compiled(c)
    enc = c.simulation.stacks[0]
    stack = c.program.stacks[0]
    assert stack.initial, "stack_copy starts with a nonempty stack"
    other = (stack.alphabet[-1] if stack.initial[0] != stack.alphabet[-1] else stack.alphabet[0],) + stack.initial[1:]
    h0 = list(f.network.h0)
    unit = next(i for i, v in enumerate(h0) if v == enc.encode(stack.initial))
    h0[unit] = enc.encode(other)
    mutant = io.RnnFile(network=f.network.replace(h0=tuple(h0)), name="m", simulation=f.simulation, claims={})
    io.write(mutant, tmp_path / "m.rnn.json")
    cert = check(mutant)
    assert {r.id for r in cert.results if r.verdict is Verdict.REFUTED} >= {"prologue"}
    code, out, _ = run_cli("run", str(tmp_path / "m.rnn.json"), "--x", "0", "--steps", str(c.simulation.t0),
                           "--exact", "--tmnu")
    assert code == 10 and f"at t={c.simulation.t0} (TMNU step 0) unit {enc.unit}" in out
