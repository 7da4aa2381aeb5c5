"""Typed results (issue 10): obligation kinds, certificates read through their schema into typed objects, one
RESULT line and exit-code mapping, gate rows, and the schemas shipped inside the package."""

from __future__ import annotations

import copy
import dataclasses
import importlib.resources
import json
import re
import tomllib
from pathlib import Path

import jsonschema
import pytest

from certify import schemas
from certify.errors import CertificateFormatError, InputError
from certify.gate import GROUPS, Row
from certify.jsonio import dumps
from certify.prove import certificate as certmod
from certify.prove.certificate import Certificate, Result
from certify.prove.obligations import ObligationKind
from certify.report.model import Report
from certify.verdict import Status, Verdict, exit_code, result_line

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = sorted((ROOT / "proofs").glob("*/certificate.json"))
SQUARING = ROOT / "proofs" / "squaring" / "certificate.json"
PROLOGUE = [r["id"] for r in json.loads(SQUARING.read_text())["results"]].index("prologue")


# --- schemas ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, doc", [("certificate", "certificate-schema.json"), ("report", "report-schema.json")])
def test_the_docs_copy_of_each_schema_is_the_shipped_one(name: str, doc: str) -> None:
    assert (ROOT / "docs" / doc).read_text() == schemas.text(name)
    jsonschema.Draft202012Validator.check_schema(schemas.schema(name))


def test_an_installed_certify_ships_its_schemas() -> None:
    """The schemas are package data (read with importlib.resources), not files of the repository."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert data["tool"]["setuptools"]["package-data"]["certify.schemas"] == ["*.json"]
    files = importlib.resources.files("certify.schemas")
    assert {n for n in schemas.SCHEMAS.values()} <= {p.name for p in files.iterdir()}
    assert any(d.startswith("jsonschema") for d in data["project"]["dependencies"])


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.parent.name)
def test_every_committed_certificate_reads_back_to_the_same_bytes(path: Path) -> None:
    cert = certmod.read(path)
    assert isinstance(cert, Certificate) and all(isinstance(r.kind, ObligationKind) for r in cert.results)
    assert dumps(cert.to_json()) == path.read_text()


def _doc() -> dict:
    return json.loads(SQUARING.read_text())


def _edit(doc: dict, path: list, value: object) -> dict:
    doc = copy.deepcopy(doc)
    node = doc
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return doc


@pytest.mark.parametrize("path, value, message", [
    (["results", 3, "kind"], "loop", 'results[3].kind="loop" is not one of static, invariant, prologue, readout, '
                                     "step"),
    (["results", 0, "verdict"], "MAYBE", 'results[0].verdict="MAYBE" is not one of PROVED, UNKNOWN, REFUTED'),
    (["weights", "sha256"], "abc", 'weights.sha256="abc" does not match'),
    (["results", 1, "domain", "variables", "x"], ["0", "1/2", "1"], "results[1].domain.variables.x=an array needs "
                                                                    "at most 2 items"),
    (["results", PROLOGUE, "evidence", "map", "state load"], 1,
     f'results[{PROLOGUE}].evidence.map["state load"]=1 is not a string'),
    (["results", 0, "evidence", "extra"], "x", 'results[0].evidence: unexpected field "extra"'),
    (["counts"], {"PROVED": 19}, 'counts: "UNKNOWN" is missing; counts: "REFUTED" is missing'),
    (["note"], None, "note=null is not a string"),
])
def test_a_schema_failure_names_its_path_in_the_document(tmp_path: Path, path: list, value: object,
                                                         message: str) -> None:
    p = tmp_path / "certificate.json"
    p.write_text(json.dumps(_edit(_doc(), path, value)))
    with pytest.raises(CertificateFormatError) as err:
        certmod.read(p)
    assert str(err.value).startswith(f"{p}: ") and message in str(err.value)


def test_a_fractional_json_number_is_never_read_as_a_string(tmp_path: Path) -> None:
    """The exact JSON reader keeps 1.5 as its text; the schema must still see a number there."""
    p = tmp_path / "certificate.json"
    p.write_text(json.dumps(_doc()).replace('"name": "squaring"', '"name": 1.5'))
    with pytest.raises(CertificateFormatError, match='name="1.5" is not a string'):
        certmod.read(p)


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(verdict="REFUTED"), 'says verdict="REFUTED", but its results combine to PROVED'),
    (lambda d: d["counts"].update(PROVED=3), "counts PROVED 3, UNKNOWN 0, REFUTED 0, but its results are PROVED 19"),
    (lambda d: d["results"].append(dict(d["results"][-1])), 'results[19].id="step[square]" appears twice'),
    (lambda d: d.update(theorem="anything"), "theorem is not the one"),
    (lambda d: d.update(format="certify.certificate/1"), "is no longer accepted"),
    (lambda d: d.update(format="certify.report/1"), 'not a certificate of format "certify.certificate/2"'),
])
def test_a_summary_that_disagrees_with_the_results_is_refused(edit, message: str) -> None:
    doc = _doc()
    edit(doc)
    with pytest.raises(CertificateFormatError, match=message.replace("[", r"\[").replace("]", r"\]")):
        certmod.decode(doc, "c.json")


def test_a_report_is_read_back_through_its_schema() -> None:
    doc = {"format": "certify.report/1", "verdict": "MAYBE"}
    assert 'verdict="MAYBE" is not one of PROVED, REFUTED, UNKNOWN' in schemas.problems("report", doc)
    with pytest.raises(InputError, match=r'r\.json: malformed report: "name" is missing'):
        Report.from_json(doc, "r.json")


# --- kinds, rows, result lines ------------------------------------------------------------------------------------
def test_obligation_kinds_keep_their_json_names_and_order() -> None:
    assert [k.value for k in ObligationKind] == ["static", "invariant", "prologue", "readout", "step"]
    assert GROUPS[1:6] == tuple(k.value for k in ObligationKind)
    doc = _doc()
    cert = certmod.decode(doc)
    assert [r.kind.value for r in cert.listed()] == [r["kind"] for r in doc["results"]]
    r = Result("prologue", ObligationKind.PROLOGUE, Verdict.PROVED, "affine")
    assert r.to_json()["kind"] == "prologue" and type(r.to_json()["kind"]) is str


def test_gate_rows_are_frozen_and_named() -> None:
    row = Row("step[load]", ObligationKind.STEP, Verdict.REFUTED, "unit 3 differs", 0.5)
    assert (row.id, row.kind, row.verdict) == ("step[load]", ObligationKind.STEP, Verdict.REFUTED)
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.verdict = Verdict.PROVED  # type: ignore[misc]


def test_one_exit_code_mapping() -> None:
    assert [exit_code(v) for v in Verdict] == [v.exit_code for v in Verdict] == [0, 20, 10]
    assert exit_code(Status.NOTHING_CLAIMED) == 20 and exit_code(Status.DISAGREE) == 1
    assert all(Status.of_exit_code(exit_code(s)) is s for s in Status if s is not Status.NOTHING_CLAIMED)
    assert result_line(Status.NOTHING_CLAIMED, "F") == "RESULT: NOTHING CLAIMED F"


def test_no_command_builds_its_own_result_line() -> None:
    """Every RESULT: line comes from certify.verdict.result_line."""
    offenders = [p.relative_to(ROOT).as_posix() for p in (ROOT / "certify").rglob("*.py")
                 if p.name != "verdict.py" and re.search(r"[\"']RESULT:", p.read_text())]
    assert offenders == []
