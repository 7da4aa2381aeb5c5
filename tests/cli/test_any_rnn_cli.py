"""Any RNN in (issue 11): info, exact runs, honest checks, reports, the gate and compiled claims on networks
that are not one ReLU layer — stacked layers, P and Q, every activation, impulse and sequence inputs."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from certify.config import Target
from certify.gate import gate_one

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "deep_hardtanh.rnn.json"
GOLDEN = ROOT / "tests" / "golden"

SIGMA = {"relu": lambda z: max(z, Fraction(0)), "hardtanh": lambda z: min(max(z, Fraction(-1)), Fraction(1)),
         "satlin": lambda z: min(max(z, Fraction(0)), Fraction(1)), "identity": lambda z: z}


def _m(rows) -> list[list[Fraction]]:
    return [[Fraction(str(v)) for v in row] for row in rows]


def reference(doc: dict, x: list[Fraction], steps: int) -> list[list[Fraction]]:
    """y_1 … y_T of a certify.rnn/2 document by the definition, in Fractions (shares nothing with certify)."""
    rnn, kind = doc["rnn"], doc["input"]["kind"]
    layers = [{"W_hh": _m(la["W_hh"]), "W_ih": _m(la["W_ih"]), "b": [Fraction(str(v)) for v in la["b"]],
               "act": SIGMA[la["activation"]]} for la in rnn["layers"]]
    P, Q = (_m(rnn[k]) if k in rnn else None for k in ("P", "Q"))  # noqa: N806
    W_out, b_out = _m(rnn["W_out"]), [Fraction(str(v)) for v in rnn["b_out"]]  # noqa: N806
    hs = [[Fraction(0)] * len(la["b"]) for la in layers]
    ys = []
    for t in range(1, steps + 1):
        xt = x if kind == "constant" or t == 1 else [Fraction(0)] * len(x)
        u = [sum(r[j] * xt[j] for j in range(len(xt))) for r in P] if P else xt
        for k, la in enumerate(layers):
            hs[k] = [la["act"](sum(la["W_hh"][i][j] * hs[k][j] for j in range(len(hs[k])))
                               + sum(la["W_ih"][i][j] * u[j] for j in range(len(u))) + la["b"][i])
                     for i in range(len(hs[k]))]
            u = hs[k]
        s = [sum(r[j] * u[j] for j in range(len(u))) for r in Q] if Q else u
        ys.append([sum(W_out[i][j] * s[j] for j in range(len(s))) + b_out[i] for i in range(len(W_out))])
    return ys


def _write(tmp_path: Path, doc: dict, name: str = "n.rnn.json") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(doc))
    return p


def _one_line_error(code: int, err: str) -> None:
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1, err


# --- info ---------------------------------------------------------------------------------------------------
def test_info_shows_layers_activations_and_the_input_convention(run_cli) -> None:
    code, out, _ = run_cli("info", str(EXAMPLE))
    assert code == 0
    assert "certify.rnn/2" in out and "2 layers (hardtanh 2, hardtanh 1)" in out
    assert "layer 0" in out and "activation hardtanh, width 2" in out and "activation hardtanh, width 1" in out
    assert "impulse: x_1 = x, x_t = 0 for t >= 2; x in [-1, 1] x [0, 2]" in out
    assert "activation relu" not in out and "claims nothing" in out


def test_info_shows_p_and_q(run_cli, tmp_path: Path) -> None:
    doc = json.loads(EXAMPLE.read_text())
    doc["rnn"]["P"] = [[1], [2]]
    doc["rnn"]["Q"] = [[1], [1]]
    doc["rnn"]["W_out"] = [[1, 1]]
    doc["input"] = {"kind": "constant", "domain": [-1, 1]}
    code, out, _ = run_cli("info", str(_write(tmp_path, doc)))
    assert code == 0 and "P (lifting)" in out and "(1 → 2)" in out and "Q (projection)" in out


# --- run ----------------------------------------------------------------------------------------------------
def test_run_json_is_every_exact_output_of_a_stacked_hardtanh_network_with_impulse_input(run_cli, tmp_path) -> None:
    out = tmp_path / "y.json"
    code, text, err = run_cli("run", str(EXAMPLE), "--x", "1/2,1", "--steps", "12", "--json", str(out))
    assert code == 0, err
    doc = json.loads(out.read_text())
    assert doc["format"] == "certify.run/1" and doc["input"] == {"kind": "impulse"} and doc["x"] == ["1/2", "1"]
    want = reference(json.loads(EXAMPLE.read_text()), [Fraction(1, 2), Fraction(1)], 12)
    assert len(doc["y"]) == 12
    assert [[Fraction(v) for v in y] for y in doc["y"]] == want
    assert "-9/8" in text  # y_1, printed too


def test_run_json_with_p_q_identity_and_constant_input(run_cli, tmp_path: Path) -> None:
    doc = {"format": "certify.rnn/2", "name": "pq", "input": {"kind": "constant", "domain": [-2, 2]},
           "rnn": {"P": [[1], ["-1/2"]],
                   "layers": [{"activation": "satlin", "W_hh": [["1/2", 0], [1, 0]], "W_ih": [[1, 0], [0, 1]],
                               "b": [0, "1/3"]},
                              {"activation": "identity", "W_hh": [["-1/4"]], "W_ih": [[1, -1]], "b": [1]}],
                   "Q": [[2], [-1]], "W_out": [[1, 0], [0, 3]], "b_out": [0, "1/7"]}}
    code, _, err = run_cli("run", str(_write(tmp_path, doc)), "--x", "-3/2", "--steps", "9", "--json",
                           str(tmp_path / "y.json"))
    assert code == 0, err
    got = json.loads((tmp_path / "y.json").read_text())["y"]
    assert [[Fraction(v) for v in y] for y in got] == reference(doc, [Fraction(-3, 2)], 9)


def test_a_scalar_x_for_a_two_input_network_is_refused(run_cli) -> None:
    code, _, err = run_cli("run", str(EXAMPLE), "--x", "0.5", "--steps", "3")
    _one_line_error(code, err)
    assert "input_dim=2" in err and "give every component" in err
    code, _, err = run_cli("run", str(EXAMPLE), "--steps", "3")
    _one_line_error(code, err)
    assert "--x is required" in err and "input_dim=2" in err


def test_x_outside_its_domain_is_refused_naming_value_and_domain(run_cli) -> None:
    code, _, err = run_cli("run", str(EXAMPLE), "--x", "1/2,3", "--steps", "3")
    _one_line_error(code, err)
    assert "--x[1]=3" in err and "[0, 2]" in err


def test_tanh_has_no_exact_outputs(run_cli, tmp_path: Path) -> None:
    doc = json.loads(EXAMPLE.read_text())
    doc["rnn"]["layers"][1]["activation"] = "tanh"
    code, _, err = run_cli("run", str(_write(tmp_path, doc)), "--x", "0,1", "--steps", "3", "--json", "-")
    _one_line_error(code, err)
    assert "layers[1]: the activation tanh has no exact rational values" in err


def test_sequence_input_from_x_seq(run_cli, tmp_path: Path) -> None:
    doc = json.loads(EXAMPLE.read_text())
    doc["input"] = {"kind": "sequence", "domain": [[-1, 1], [0, 2]], "length": 3}
    f = _write(tmp_path, doc)
    seq = [["1/2", 1], [0, 2], ["-1", 0]]
    (tmp_path / "seq.json").write_text(json.dumps(seq))
    code, _, err = run_cli("run", str(f), "--x-seq", str(tmp_path / "seq.json"), "--json", str(tmp_path / "y.json"))
    assert code == 0, err
    out = json.loads((tmp_path / "y.json").read_text())
    assert out["x_seq"] == [["1/2", "1"], ["0", "2"], ["-1", "0"]] and len(out["y"]) == 3
    code, _, err = run_cli("run", str(f), "--x", "0,0")
    _one_line_error(code, err)
    assert "--x-seq" in err
    code, _, err = run_cli("run", str(f), "--x-seq", '[[0, 0], [0, 0]]')
    _one_line_error(code, err)
    assert "input.length is 3" in err
    code, _, err = run_cli("run", str(f), "--x-seq", '[[0, 0], [0, 5], [0, 0]]')
    _one_line_error(code, err)
    assert "--x-seq[1][1]=5" in err


def test_x_seq_must_agree_with_an_impulse_file(run_cli) -> None:
    code, out, _ = run_cli("run", str(EXAMPLE), "--x-seq", '[["1/2", 1], [0, 0], [0, 0]]', "--json", "-")
    assert code == 0 and json.loads(out)["x"] == ["1/2", "1"]
    code, _, err = run_cli("run", str(EXAMPLE), "--x-seq", '[["1/2", 1], [0, 1]]')
    _one_line_error(code, err)
    assert "x_2=[0, 1] is not 0" in err


@pytest.mark.parametrize("args", [("--x-grid", "3"), ("--x-grid", "3", "--x-intervals"),
                                  ("--x", "0,0", "--backend", "numpy"), ("--x", "0,0", "--backend", "arb")])
def test_interval_engines_refuse_two_inputs_in_one_line(args, run_cli) -> None:
    code, _, err = run_cli("run", str(EXAMPLE), "--steps", "3", *args)
    _one_line_error(code, err)
    assert "input_dim=2" in err


DEEP_TANH = {"format": "certify.rnn/2", "name": "deep", "input": {"kind": "impulse", "domain": [-1, 1]},
             "rnn": {"layers": [{"activation": "hardtanh", "W_hh": [["1/2", 0], [0, "1/4"]], "W_ih": [[1], [-1]],
                                 "b": [0, "1/8"]},
                                {"activation": "tanh", "W_hh": [["1/2"]], "W_ih": [[1, 1]], "b": [0]}],
                     "W_out": [[2]]}}


@pytest.mark.parametrize("args", [("--x", "1/2", "--backend", "numpy"), ("--x", "1/2", "--backend", "arb"),
                                  ("--x-grid", "4"), ("--x-grid", "4", "--x-intervals")])
def test_interval_engines_run_a_deep_tanh_network_with_impulse_input(args, run_cli, tmp_path: Path) -> None:
    code, out, err = run_cli("run", str(_write(tmp_path, DEEP_TANH)), "--steps", "20", *args)
    assert code == 0, err
    assert "every enclosure finite: yes" in out


def test_interval_engines_refuse_sequence_input(run_cli, tmp_path: Path) -> None:
    doc = {"format": "certify.rnn/2", "name": "seq", "input": {"kind": "sequence", "domain": [-1, 1]},
           "rnn": {"activation": "relu", "W_hh": [["1/2"]], "W_ih": [[1]], "b": [0], "W_out": [[1]]}}
    code, _, err = run_cli("run", str(_write(tmp_path, doc)), "--x-grid", "3", "--steps", "3")
    _one_line_error(code, err)
    assert "input.kind is 'sequence'" in err


# --- check, report, gate --------------------------------------------------------------------------------------
def test_check_of_a_claimless_network_is_nothing_claimed(run_cli, tmp_path: Path) -> None:
    code, out, _ = run_cli("check", str(EXAMPLE), "--certificate", str(tmp_path / "c.json"))
    assert code == 20 and "PROVED" not in out
    assert out.strip().splitlines()[-1].startswith("RESULT: NOTHING CLAIMED deep_hardtanh")
    assert "claims.weight_abs_max" in out and "claims.rate" in out
    cert = json.loads((tmp_path / "c.json").read_text())
    assert cert["verdict"] == "UNKNOWN" and cert["theorem"] == "nothing claimed"


def test_check_with_a_static_claim_says_what_was_checked(run_cli, tmp_path: Path) -> None:
    doc = json.loads(EXAMPLE.read_text())
    doc["claims"] = {"weight_abs_max": 2, "hidden_dim_max": 3}
    code, out, _ = run_cli("check", str(_write(tmp_path, doc)))
    assert code == 0
    assert out.strip().splitlines()[-1] == ("RESULT: PROVED deep_hardtanh: static claims only; no simulation: "
                                            "2 proved, 0 refuted, 0 unknown")
    doc["claims"] = {"hidden_dim_max": 2}
    code, out, _ = run_cli("check", str(_write(tmp_path, doc)))
    assert code == 10 and "static[hidden_dim_max]" in out and "REFUTED" in out


def test_report_of_a_claimless_file_has_a_neutral_nothing_claimed_box(run_cli, tmp_path: Path) -> None:
    doc = json.loads(EXAMPLE.read_text())
    doc["input"]["domain"] = [-1, 1]
    f = _write(tmp_path, doc)
    code, out, _ = run_cli("report", str(f), "-o", str(tmp_path / "r.html"))
    assert code == 20 and out.strip().splitlines()[-1].startswith("RESULT: NOTHING CLAIMED")
    page = (tmp_path / "r.html").read_text()
    assert 'class="verdict NOTHING"><span class="badge">NOTHING CLAIMED.' in page
    assert "verdict PROVED" not in page and "NOTHING TO PROVE" not in page
    code, _, _ = run_cli("report", str(f), "-o", str(tmp_path / "r.md"))
    assert code == 20 and "**NOTHING CLAIMED.** Nothing is claimed" in (tmp_path / "r.md").read_text()


def test_the_gate_never_passes_a_file_that_claims_nothing(run_cli, tmp_path: Path) -> None:
    doc = json.loads((GOLDEN / "proved" / "halver.rnn.json").read_text())
    del doc["simulation"], doc["claims"]
    f = _write(tmp_path, doc)
    run_cli("check", str(f), "--certificate", str(tmp_path / "c.json"))
    for require in (False, True):
        out = gate_one(Target("bare", f, tmp_path / "c.json"), 10.0, require, False)
        assert out.verdict.value != "PROVED"
        assert any("NOTHING CLAIMED" in c.message for c in out.checks)


# --- compile: claims on one's own construction -----------------------------------------------------------------
PROGRAM = '''
from certify.tmnu.build import Builder, relu

b = Builder("halver")
x = b.register("x", bound=1, input=True)
y = b.register("y", bound=1)
b.output(y)
b.op("abs", y=relu(x) + relu(-x))
b.op("half", y=y / 2)
b.sequence("load", ["abs"], then="loop")
b.forever("loop", "half")
b.claims(weight_abs_max=2, nonzeros_max=100)
program = b.build()
CLAIMS = {"nonzeros_max": 60, "target": "0", "rate": [{"T": 10, "E": "1/2"}]}
'''


def test_compile_claims_round_trip_and_recompile_keeps_the_program_claims(run_cli, tmp_path: Path) -> None:
    src, out = tmp_path / "halver.py", tmp_path / "h.rnn.json"
    src.write_text(PROGRAM)
    (tmp_path / "claims.json").write_text('{"weight_abs_max": "5/2", "distinct_weights_max": 10}')
    code, _, err = run_cli("compile", str(src), "-o", str(out), "--claims", str(tmp_path / "claims.json"))
    assert code == 0, err
    claims = json.loads(out.read_text())["claims"]
    assert claims == {"hidden_dim_max": 24, "weight_abs_max": "5/2", "nonzeros_max": 60, "target": "0",
                      "rate": [{"T": 10, "E": "1/2"}], "distinct_weights_max": 10}
    code, check_out, _ = run_cli("check", str(out))
    assert code == 0 and "static" in check_out
    code, _, _ = run_cli("compile", str(src), "-o", str(out))  # recompile: the program's claims stay
    claims = json.loads(out.read_text())["claims"]
    assert claims == {"hidden_dim_max": 24, "weight_abs_max": 2, "nonzeros_max": 60, "target": "0",
                      "rate": [{"T": 10, "E": "1/2"}]}


@pytest.mark.parametrize(("claims", "message"), [
    ('{"hidden_dim_maks": 3}', 'unknown claim key "hidden_dim_maks"'),
    ('{"weight_abs_max": "big"}', 'claims.weight_abs_max="big" is not a number'),
    ('{"rate": [{"T": 1}]}', "claims.rate[0] must be an object"),
    ("[1]", "expected an object of claims")])
def test_compile_refuses_bad_claims_naming_them(claims: str, message: str, run_cli, tmp_path: Path) -> None:
    code, _, err = run_cli("compile", "example:counter", "-o", str(tmp_path / "c.rnn.json"), "--claims", claims)
    _one_line_error(code, err)
    assert message in err


def test_a_float_in_program_claims_is_refused(run_cli, tmp_path: Path) -> None:
    src = tmp_path / "halver.py"
    src.write_text(PROGRAM.replace('"nonzeros_max": 60', '"weight_abs_max": 0.5'))
    code, _, err = run_cli("compile", str(src), "-o", str(tmp_path / "h.rnn.json"))
    _one_line_error(code, err)
    assert "CLAIMS.weight_abs_max=0.5 is a binary float" in err


# --- the worked example of docs/any-rnn.md ---------------------------------------------------------------------
def test_the_documented_walkthrough_runs(run_cli, tmp_path: Path) -> None:
    text = (ROOT / "docs" / "any-rnn.md").read_text()
    assert "examples/deep_hardtanh.rnn.json" in text
    code, out, _ = run_cli("run", str(EXAMPLE), "--x", "1/2,1", "--steps", "4", "--json", "-")
    assert code == 0
    ys = json.loads(out)["y"]
    for y in ys:  # every value the document shows is the one certify computes
        assert f'"{y[0]}"' in text
