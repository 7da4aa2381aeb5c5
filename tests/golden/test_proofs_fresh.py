"""CI's staleness gate: proofs/ and reports/ must be exactly what `make proofs` produces now, and the
certificates must re-check.

Reports are compared byte for byte. Only their SVG plots depend on matplotlib's version: when the
committed HTML was made with another matplotlib (its ``<meta name="generator">``), the SVG markup
is masked and everything else is still compared exactly (the plotted data is in the JSON report).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path

import pytest

from certify.constructions.bundled import BUNDLED
from certify.recheck import recheck
from certify.recheck.read import RecheckError

ROOT = Path(__file__).resolve().parents[2]
PROOFS = ROOT / "proofs"
REPORTS = ROOT / "reports"


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
    reports = tmp_path / "reports"
    _make_proofs().make_report(name, tmp_path, reports)
    problems = report_differences(name, REPORTS, reports)
    assert not problems, "; ".join(problems) + ": run `make proofs` and commit reports/"


_SVG = re.compile(r"<svg\b.*?</svg>", re.S)
_GENERATOR = re.compile(r'<meta name="generator" content="([^"]*)">')


def _report_files(folder: Path, name: str) -> dict[str, Path]:
    pats = [f"{name}.html", f"{name}.md", f"{name}.json", f"{name}-*.svg", f"{name}.witness*.json"]
    return {p.name: p for pat in pats for p in folder.glob(pat)}


def report_differences(name: str, committed: Path, fresh: Path) -> list[str]:
    """Every way the committed report of ``name`` differs from a fresh one (empty: fresh)."""
    have, want = _report_files(committed, name), _report_files(fresh, name)
    problems = [f"reports/{n} is missing" for n in sorted(set(want) - set(have))]
    problems += [f"reports/{n} is left over" for n in sorted(set(have) - set(want))]
    html = have.get(f"{name}.html")
    old_gen = _GENERATOR.search(html.read_text()) if html else None
    new_gen = _GENERATOR.search(want[f"{name}.html"].read_text())
    same_plots = bool(old_gen and new_gen and old_gen.group(1) == new_gen.group(1))
    for n in sorted(set(want) & set(have)):
        a, b = have[n].read_text(), want[n].read_text()
        if not same_plots and n.endswith((".svg", ".html")):
            a, b = _SVG.sub("<svg/>", _GENERATOR.sub("", a)), _SVG.sub("<svg/>", _GENERATOR.sub("", b))
        if a != b:
            problems.append(f"reports/{n} is stale")
    return problems


#: constructions committed in proofs/ that make_proofs does not rebuild (their own module regenerates them)
OTHERS = sorted({d.parent.name for d in PROOFS.glob("*/certificate.json")
                 if (d.parent / f"{d.parent.name}.rnn.json").is_file()} - set(BUNDLED))


@pytest.mark.parametrize("name", OTHERS)
def test_reports_of_other_committed_constructions_are_fresh(name: str, tmp_path: Path) -> None:
    """Their report, made from the committed proofs/<name>/, is the committed one."""
    _make_proofs().make_report(name, PROOFS, tmp_path)
    problems = report_differences(name, REPORTS, tmp_path)
    assert not problems, "; ".join(problems) + ": run `make proofs` and commit reports/"


def test_no_orphan_reports() -> None:
    """Every file in reports/ belongs to a construction in proofs/."""
    names = sorted(set(BUNDLED) | set(OTHERS))
    assert _make_proofs().committed(PROOFS) == sorted(set(BUNDLED) | set(OTHERS))
    known = {n for name in names for n in _report_files(REPORTS, name)} | {"README.md"}
    orphans = sorted(p.name for p in REPORTS.iterdir() if p.name not in known)
    assert not orphans, f"reports/ has files of no construction in proofs/: {orphans}"


def test_a_tampered_report_is_stale(tmp_path: Path) -> None:
    """Planted bug: a committed report whose verdict line was edited, or whose plot is gone, is caught."""
    name = "squaring"
    committed = tmp_path / "committed"
    shutil.copytree(REPORTS, committed)
    html = committed / f"{name}.html"
    html.write_text(html.read_text().replace("Every step of this network", "Every step of that network"))
    (committed / f"{name}-rate.svg").unlink()
    problems = report_differences(name, committed, REPORTS)
    assert f"reports/{name}.html is stale" in problems
    assert f"reports/{name}-rate.svg is missing" in problems
    assert report_differences(name, REPORTS, REPORTS) == []


@pytest.mark.parametrize("name", sorted(set(BUNDLED) | set(OTHERS)))
def test_committed_certificates_recheck(name: str) -> None:
    from certify.spec import io

    f = io.read(PROOFS / name / f"{name}.rnn.json")
    if not f.network.is_single_relu or f.input.kind != "constant":
        # the independent re-checker reads certify.rnn/1 files only (one ReLU layer, constant input); it refuses
        # a hand-built impulse-input network by name rather than say anything about it
        with pytest.raises(RecheckError, match="reads certify.rnn/1 files"):
            recheck(PROOFS / name / "certificate.json")
        return
    rep = recheck(PROOFS / name / "certificate.json")
    assert rep.ok, rep.problems
    assert rep.verdict == "PROVED"


@pytest.mark.parametrize("name", OTHERS)
def test_other_committed_networks_are_what_the_compiler_makes_now(name: str) -> None:
    """A committed file not rebuilt by make_proofs (e.g. the universal approximator's) must still be the
    current compiler's output for the program it carries, or its proof is about an outdated network."""
    from certify.compiler.tmnu_to_rnn import compile_program
    from certify.spec import io

    f = io.read(PROOFS / name / f"{name}.rnn.json")
    assert f.simulation is not None
    fresh = compile_program(f.simulation.program)
    stale = f"proofs/{name} was compiled by an older compiler: regenerate it (make proofs) and commit"
    assert fresh.network == f.network, stale
    assert fresh.simulation == f.simulation.map, stale
