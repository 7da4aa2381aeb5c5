"""``certify check`` decides ``claims.equals_target``: a compiled deep-narrow network equals its target on K^N (PROVED,
recorded in a schema-valid certificate), a planted weight bug is REFUTED with the input sequence in the reason (and
that sequence replays as a difference in the independent reference), a malformed claim exits 2."""

from __future__ import annotations

import dataclasses
import json
import re
from fractions import Fraction
from pathlib import Path

from deep_reference import run_network, run_target
from flint import fmpq

from certify.deep.narrow import compile_target
from certify.deep.target import parse_target
from certify.prove.certificate import read as read_certificate
from certify.spec import io
from certify.spec.file import InputSpec, RnnFile
from certify.verdict import Verdict

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "deep_narrow_target.json"


def _file(tmp_path: Path, bug: bool = False) -> tuple[Path, dict]:
    doc = json.loads(EXAMPLE.read_text())
    tg = parse_target(doc, "example")
    net = compile_target(tg)
    if bug:  # the readout's bias moved by 1/1000: y differs from the target everywhere
        net = dataclasses.replace(net, b_out=tuple(v + fmpq(1, 1000) for v in net.b_out), _hash=[])
    f = RnnFile(net, name="deep_example", input=InputSpec("sequence", tg.domain, tg.N),
                claims={"width_max": 5, "equals_target": doc})
    path = tmp_path / ("bad.rnn.json" if bug else "good.rnn.json")
    io.write(f, path)
    return path, doc


def test_check_proves_the_equality_claim(tmp_path: Path, run_cli) -> None:
    path, _ = _file(tmp_path)
    cert = tmp_path / "certificate.json"
    code, out, err = run_cli("check", str(path), "--certificate", str(cert))
    assert code == 0, out + err
    results = read_certificate(cert).results
    eq = [r for r in results if r.id.startswith("claim[equals_target]")]
    assert eq and all(r.verdict is Verdict.PROVED for r in eq)
    assert {r.id for r in results} >= {"static[width_max]"}


def test_check_refutes_a_planted_bug_with_a_replaying_sequence(tmp_path: Path, run_cli) -> None:
    path, doc = _file(tmp_path, bug=True)
    cert = tmp_path / "certificate.json"
    code, out, err = run_cli("check", str(path), "--certificate", str(cert))
    assert code == 10, out + err
    r = next(r for r in read_certificate(cert).results if r.verdict is Verdict.REFUTED)
    t = int(re.search(r"equals_target\]\[t=(\d+)\]", r.id).group(1))
    seq = re.search(r"x_1\.\.x_N = (.*?) \(replay", r.reason).group(1)
    xs = [[Fraction(v.strip()) for v in part.strip(" ()").split(",")] for part in seq.split(";")]
    bdoc = json.loads(path.read_text())
    assert run_network(bdoc, xs)[t - 1] != run_target(doc, xs)[t]


def test_a_malformed_equality_claim_exits_2(tmp_path: Path, run_cli) -> None:
    path, doc = _file(tmp_path)
    bad = json.loads(path.read_text())
    bad["claims"]["equals_target"] = {"format": "certify.deep-target/1", "dx": "two"}
    path.write_text(json.dumps(bad))
    code, out, err = run_cli("check", str(path))
    assert code == 2 and "Traceback" not in out + err


def test_the_bundled_target_is_the_example_file() -> None:
    from certify.constructions.deep_example import TARGET

    assert json.loads(EXAMPLE.read_text()) == TARGET
