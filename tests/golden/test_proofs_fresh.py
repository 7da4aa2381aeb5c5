"""CI's staleness gate: proofs/ must be exactly what `make proofs` produces now, and must re-check."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from certify.constructions.bundled import BUNDLED
from certify.prove.recheck import recheck

ROOT = Path(__file__).resolve().parents[2]
PROOFS = ROOT / "proofs"


def _make_proofs():
    spec = importlib.util.spec_from_file_location("make_proofs", ROOT / "scripts" / "make_proofs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def _without_tools(path: Path) -> dict:
    doc = json.loads(path.read_text())
    doc.pop("tools", None)  # solver and Python versions may differ between machines
    return doc


def _smt(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in (folder / "smt").glob("*.smt2")}


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_committed_proofs_are_fresh(name: str, tmp_path: Path) -> None:
    committed = PROOFS / name
    assert committed.is_dir(), f"proofs/{name} is missing: run `make proofs` and commit it"
    verdict, _ = _make_proofs().make(name, tmp_path)
    assert verdict == "PROVED"
    fresh = tmp_path / name
    stale = "is stale: run `make proofs` and commit the result"
    assert (fresh / f"{name}.rnn.json").read_bytes() == (committed / f"{name}.rnn.json").read_bytes(), \
        f"proofs/{name}/{name}.rnn.json {stale}"
    assert _without_tools(fresh / "certificate.json") == _without_tools(committed / "certificate.json"), \
        f"proofs/{name}/certificate.json {stale}"
    assert _smt(fresh) == _smt(committed), f"proofs/{name}/smt {stale}"


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_committed_certificates_recheck(name: str) -> None:
    rep = recheck(PROOFS / name / "certificate.json")
    assert rep.ok, rep.problems
    assert rep.verdict == "PROVED"
