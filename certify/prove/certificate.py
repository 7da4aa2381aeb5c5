"""Certificates: versioned, deterministic JSON records of what was proved, how, and with what evidence.

Same weight file and tool versions → byte-identical certificate. Timings live in a separate
``<certificate>.timings.json`` so that they never make two certificates differ.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from certify import __version__
from certify.errors import CertificateFormatError
from certify.jsonio import dumps
from certify.jsonio import read as read_json
from certify.verdict import Verdict, combine

FORMAT = "certify.certificate/2"
#: Formats this version refuses with a clear message (their theorem or hash covered less than today's).
OLD_FORMATS = ("certify.certificate/1",)

THEOREM = (
    "For every input x in the input domain: y_t = lo_out (the output register's lower bound) for 0 <= t < t0; "
    "and for every n >= 0, h[t0 + c*n] = enc(config_n), where config_n is the TMNU configuration after n steps, "
    "and y_t is the output register of config_n for every t in [t0 + c*n, t0 + c*(n+1))."
)


@dataclass(frozen=True)
class Result:
    """The outcome of one obligation or claim."""

    id: str
    kind: str
    verdict: Verdict
    method: str
    reason: str = ""
    domain: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "kind": self.kind, "verdict": self.verdict.value, "method": self.method}
        if self.reason:
            out["reason"] = self.reason
        if self.domain:
            out["domain"] = self.domain
        if self.evidence:
            out["evidence"] = self.evidence
        return out


@dataclass(frozen=True)
class Certificate:
    weights_file: str
    weights_sha256: str
    name: str
    results: tuple[Result, ...]
    simulation_checked: bool
    note: str = ""
    tools: dict[str, str] = field(default_factory=dict)

    @property
    def verdict(self) -> Verdict:
        return combine(r.verdict for r in self.results)

    def counts(self) -> dict[str, int]:
        out = {v.value: 0 for v in Verdict}
        for r in self.results:
            out[r.verdict.value] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "name": self.name,
            "weights": {"file": self.weights_file, "sha256": self.weights_sha256},
            "tools": self.tools,
            "theorem": THEOREM if self.simulation_checked else "static claims only",
            "simulation_checked": self.simulation_checked,
            "note": self.note,
            "verdict": self.verdict.value,
            "counts": self.counts(),
            "results": [r.to_json() for r in sorted(self.results, key=_order)],
        }

    def timings_json(self) -> dict[str, Any]:
        return {"format": FORMAT + "+timings", "seconds": {r.id: round(r.seconds, 6) for r in self.results}}

    def write(self, path: str | Path) -> Path:
        """Write the certificate and, beside it, ``<name>.timings.json``; returns the certificate path."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(dumps(self.to_json()))
        timing_path(p).write_text(dumps(self.timings_json()))
        return p


def timing_path(p: Path) -> Path:
    return p.with_name(p.name.removesuffix(".json") + ".timings.json")


_KIND_ORDER = {"static": 0, "invariant": 1, "prologue": 2, "readout": 3, "step": 4}


def _order(r: Result) -> tuple[int, str]:
    return (_KIND_ORDER.get(r.kind, 9), r.id)


def tool_versions() -> dict[str, str]:
    import flint
    import z3

    return {"certify": __version__, "python": sys.version.split()[0], "python-flint": flint.__version__,
            "z3": z3.get_version_string()}


def read(path: str | Path) -> dict[str, Any]:
    """Load a certificate's JSON, checking its format id (structure is checked by the re-checker)."""
    p = Path(path)
    if not p.exists():
        raise CertificateFormatError(f"{p}: no such certificate")
    doc = read_json(p, "certificate")
    if isinstance(doc, dict) and doc.get("format") in OLD_FORMATS:
        raise CertificateFormatError(f'{p}: format "{doc["format"]}" is no longer accepted (its theorem and hash '
                                     f'cover less than "{FORMAT}"); regenerate it with certify check --certificate')
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CertificateFormatError(f'{p}: not a certificate of format "{FORMAT}"')
    return doc
