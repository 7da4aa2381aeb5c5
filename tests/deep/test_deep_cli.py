"""The commands: certify width (table, JSON, a file), certify build deep-narrow, certify equiv, certify check's
width_max; bad input is one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "deep_narrow_target.json"


def test_width_json(run_cli) -> None:
    code, out, _ = run_cli("width", "--dx", "2", "--dy", "1", "--activation", "sigmoid", "--json")
    row = json.loads(out)
    assert code == 0 and (row["width"], row["theorem"], row["version"]) == (7, "Theorem 5", "jmlr")
    code, out, _ = run_cli("width", "--dx", "2", "--dy", "1", "--version", "arxiv-v1", "--json")
    assert code == 0 and json.loads(out)["width"] == 5
    code, out, _ = run_cli("width", "--dx", "2", "--dy", "1", "--activation", "tanh", "--target", "lp-rdx")
    assert code == 20 and "no bound" in out


def test_width_table(run_cli) -> None:
    code, out, _ = run_cli("width", "--dx", "1", "--dy", "1", "--table", "--json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 48 and rows[0]["width"] == 5


def test_build_check_width_equiv(run_cli, tmp_path: Path) -> None:
    net = tmp_path / "narrow.rnn.json"
    code, out, _ = run_cli("build", "deep-narrow", str(EXAMPLE), "-o", str(net))
    assert code == 0 and "depth" in out and "RESULT: PROVED" in out
    doc = json.loads(net.read_text())
    assert doc["input"]["kind"] == "sequence" and doc["input"]["length"] == 4
    assert {k: v for k, v in doc["claims"].items() if k != "equals_target"} == {"width_max": 5,
                                                                                "width_target": "continuous"}
    assert doc["claims"]["equals_target"] == json.loads(EXAMPLE.read_text()) | {"name": doc["claims"]["equals_target"]
                                                                                ["name"]}
    code, out, _ = run_cli("check", str(net))
    assert code == 0 and "RESULT: PROVED" in out and "5 proved" in out
    code, out, _ = run_cli("width", str(net), "--json")
    assert code == 0 and json.loads(out.splitlines()[0])["measured"] == 5
    code, out, _ = run_cli("equiv", str(net), str(EXAMPLE), "--json-out", str(tmp_path / "eq.json"))
    assert code == 0 and "4 proved, 0 refuted" in out
    assert json.loads((tmp_path / "eq.json").read_text())["verdict"] == "PROVED"
    # the width claim is checked like the other static claims
    doc["claims"]["width_max"] = 4
    net.write_text(json.dumps(doc))
    code, out, _ = run_cli("check", str(net))
    assert code == 10 and "static[width_max]" in out
    # a network wider than the theorem's bound
    code, out, _ = run_cli("width", str(net), "--target", "lp-rdx")
    assert code == 10 and "width 5 > 3" in out


def test_equiv_refutes_a_planted_bug(run_cli, tmp_path: Path) -> None:
    net = tmp_path / "narrow.rnn.json"
    assert run_cli("build", "deep-narrow", str(EXAMPLE), "-o", str(net), "--no-prove")[0] == 0
    doc = json.loads(net.read_text())
    doc["rnn"]["b_out"][0] = "0"   # the output offset dropped: one weight changed
    net.write_text(json.dumps(doc))
    code, out, _ = run_cli("equiv", str(net), str(EXAMPLE), "--json-out", str(tmp_path / "eq.json"))
    assert code == 10 and "REFUTED" in out and "witness" in out
    res = json.loads((tmp_path / "eq.json").read_text())
    assert all(r["verdict"] == "REFUTED" and len(r["witness"]) == 4 for r in res["results"])


@pytest.mark.parametrize(("change", "message"), [
    ({"format": "certify.deep-target/9"}, "format"),
    ({"N": 1000}, "N=1000"),
    ({"dx": 3}, "domain lists 2 intervals"),
    ({"domain": [[1, 0], [0, 1]]}, "lo < hi"),
    ({"steps": [{"t": 1, "A": [[1]], "c": [0], "W": [[1]], "d": [0]}]}, "t\\*dx=2"),
    ({"steps": [{"t": 1, "A": [["x", 1]], "c": [0], "W": [[1]], "d": [0]}]}, "x"),
    ({"colour": "blue"}, "colour"),
])
def test_bad_target_is_one_line_exit_2(run_cli, tmp_path: Path, change: dict, message: str) -> None:
    doc = json.loads(EXAMPLE.read_text()) | change
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    code, out, err = run_cli("build", "deep-narrow", str(bad), "-o", str(tmp_path / "o.rnn.json"))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert __import__("re").search(message, err), err


def test_equiv_on_another_network(run_cli, tmp_path: Path) -> None:
    """A network certify did not build (hardtanh, two inputs, one output) is decided too: here it differs."""
    code, out, _ = run_cli("equiv", str(ROOT / "examples" / "deep_hardtanh.rnn.json"), str(EXAMPLE))
    assert code == 10 and "witness" in out
    doc = json.loads(EXAMPLE.read_text())
    doc.update(dx=1, domain=[[0, 1]], steps=[{"t": t, "A": [[1] * t], "c": [0], "W": [[1]], "d": [0]}
                                             for t in range(1, 5)])
    one = tmp_path / "one.json"
    one.write_text(json.dumps(doc))
    code, _, err = run_cli("equiv", str(ROOT / "examples" / "deep_hardtanh.rnn.json"), str(one))
    assert code == 2 and "input_dim=2" in err and "dx=1" in err


def test_committed_example_network_is_fresh_and_proved(run_cli, tmp_path: Path) -> None:
    """examples/deep_narrow.rnn.json is what `certify build deep-narrow` writes for the example target today."""
    fresh = tmp_path / "fresh.rnn.json"
    assert run_cli("build", "deep-narrow", str(EXAMPLE), "-o", str(fresh), "--no-prove")[0] == 0
    committed = ROOT / "examples" / "deep_narrow.rnn.json"
    assert json.loads(fresh.read_text()) == json.loads(committed.read_text())
    code, out, _ = run_cli("equiv", str(committed), str(EXAMPLE))
    assert code == 0 and "RESULT: PROVED" in out
    code, out, _ = run_cli("check", str(committed))  # the file claims the equality: check decides it too
    assert code == 0 and out.strip().splitlines()[-1].startswith("RESULT: PROVED")


def test_a_target_too_deep_to_compile_is_refused_before_building(run_cli, tmp_path: Path) -> None:
    dx, n = 8, 64
    doc = {"format": "certify.deep-target/1", "name": "deep", "kind": "continuous", "dx": dx, "dy": 1, "N": n,
           "domain": [[0, 1]] * dx,
           "steps": [{"t": t, "A": [[1] * (t * dx)], "c": [0], "W": [[1]], "d": [0]} for t in range(1, n + 1)]}
    big = tmp_path / "big.json"
    big.write_text(json.dumps(doc))
    code, _, err = run_cli("build", "deep-narrow", str(big), "-o", str(tmp_path / "o.rnn.json"))
    assert code == 2 and "depth up to" in err and "50000" in err
