"""Certificates: versioned, deterministic JSON records of what was proved, how, and with what evidence.

Same weight file and tool versions → byte-identical certificate. Timings live in a separate
``<certificate>.timings.json`` so that they never make two certificates differ. A certificate is
read back through its schema (``certify/schemas/certificate.json``, format ``certify.certificate/2``)
into the same typed :class:`Certificate` that :func:`certify.prove.checker.check` builds:

>>> cert = Certificate("d.rnn.json", "0" * 64, "demo", (Result("static[hidden_dim_max]", ObligationKind.STATIC,
...                    Verdict.PROVED, "measure", evidence={"claimed": "2", "measured": "2"}),), False)
>>> back = decode(cert.to_json(), "demo certificate")
>>> back == cert, back.results[0].kind, back.verdict
(True, <ObligationKind.STATIC: 'static'>, <Verdict.PROVED: 'PROVED'>)
>>> decode(cert.to_json() | {"verdict": "REFUTED"}, "c.json")
Traceback (most recent call last):
...
certify.errors.CertificateFormatError: c.json: the certificate says verdict="REFUTED", but its results combine to \
PROVED

The independent re-checker (``certify recheck``) reads certificates its own way and uses none of this.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import flint
import z3

from certify import __version__, schemas
from certify.errors import CertificateFormatError
from certify.jsonio import dumps
from certify.jsonio import read as read_json
from certify.prove.obligations import ObligationKind
from certify.verdict import Status, Verdict, combine

FORMAT = "certify.certificate/2"
#: Formats this version refuses with a clear message (their theorem or hash covered less than today's).
OLD_FORMATS = ("certify.certificate/1",)

THEOREM = (
    "For every input x in the input domain: y_t = lo_out (the output register's lower bound) for 0 <= t < t0; "
    "and for every n >= 0, h[t0 + c*n] = enc(config_n), where config_n is the TMNU configuration after n steps, "
    "and y_t is the output register of config_n for every t in [t0 + c*n, t0 + c*(n+1))."
)
#: The theorem of a certificate whose file has no simulation block.
STATIC_ONLY = "static claims only"
#: The theorem of a certificate whose file claims nothing (no simulation block, no static claims): its verdict
#: is UNKNOWN, never a vacuous PROVED, and its status NOTHING CLAIMED.
NOTHING = "nothing claimed"


@dataclass(frozen=True)
class Result:
    """The outcome of one obligation or claim."""

    id: str
    kind: ObligationKind
    verdict: Verdict
    method: str
    reason: str = ""
    domain: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "kind": self.kind.value, "verdict": self.verdict.value,
                               "method": self.method}
        if self.reason:
            out["reason"] = self.reason
        if self.domain:
            out["domain"] = self.domain
        if self.evidence:
            out["evidence"] = self.evidence
        return out

    @staticmethod
    def from_json(d: dict[str, Any]) -> Result:
        """A result of a schema-valid certificate (times are not in it: 0)."""
        return Result(id=d["id"], kind=ObligationKind(d["kind"]), verdict=Verdict(d["verdict"]), method=d["method"],
                      reason=d.get("reason", ""), domain=d.get("domain", {}), evidence=d.get("evidence", {}))


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
    def nothing_claimed(self) -> bool:
        """No simulation was checked and no claim was made: nothing is proved (not even vacuously).

        >>> Certificate("f.rnn.json", "0" * 64, "f", (), False).verdict
        <Verdict.UNKNOWN: 'UNKNOWN'>
        """
        return not self.results and not self.simulation_checked

    @property
    def verdict(self) -> Verdict:
        """The worst verdict of the results; UNKNOWN when the file claims nothing (:attr:`nothing_claimed`)."""
        return Verdict.UNKNOWN if self.nothing_claimed else combine(r.verdict for r in self.results)

    @property
    def status(self) -> Status:
        """What the ``RESULT:`` line says: the verdict, or NOTHING CLAIMED."""
        return Status.NOTHING_CLAIMED if self.nothing_claimed else Status.of(self.verdict)

    @property
    def theorem(self) -> str:
        """The theorem the results prove together (:data:`THEOREM`, :data:`STATIC_ONLY` or :data:`NOTHING`)."""
        return THEOREM if self.simulation_checked else NOTHING if self.nothing_claimed else STATIC_ONLY

    def listed(self) -> tuple[Result, ...]:
        """The results in the order the certificate lists them: by kind (static, invariant, prologue, readout,
        step), then by id."""
        return tuple(sorted(self.results, key=_order))

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
            "theorem": self.theorem,
            "simulation_checked": self.simulation_checked,
            "note": self.note,
            "verdict": self.verdict.value,
            "counts": self.counts(),
            "results": [r.to_json() for r in self.listed()],
        }

    def timings_json(self) -> dict[str, Any]:
        return {"format": FORMAT + "+timings", "seconds": {r.id: round(r.seconds, 6) for r in self.results}}

    def write(self, path: str | Path, smt_dir: Path | None = None) -> Path:
        """Write the certificate and, beside it, ``<name>.timings.json``; returns the certificate path.

        ``smt_dir``, the folder the check wrote its SMT-LIB queries to: its ``*.smt2`` files that no result
        cites (an earlier run's) are removed, so that the folder holds exactly this certificate's evidence."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        if smt_dir is not None and smt_dir.is_dir():
            cited = {Path(str(r.evidence.get("smt", ""))).name for r in self.results}
            for stale in smt_dir.glob("*.smt2"):
                if stale.name not in cited:
                    stale.unlink()
        p.write_text(dumps(self.to_json()))
        timing_path(p).write_text(dumps(self.timings_json()))
        return p


def timing_path(p: Path) -> Path:
    """Where a certificate's times go: ``C.json`` → ``C.timings.json``."""
    return p.with_name(p.name.removesuffix(".json") + ".timings.json")


def _order(r: Result) -> tuple[int, str]:
    return (r.kind.order, r.id)


def tool_versions() -> dict[str, str]:
    """The versions that made a certificate (they go into it: a new solver makes a new certificate)."""
    return {"certify": __version__, "python": sys.version.split()[0], "python-flint": flint.__version__,
            "z3": z3.get_version_string()}


# --- reading -----------------------------------------------------------------------------------------------
def read(path: str | Path) -> Certificate:
    """Read a certificate file: its format id, then its schema, then the agreement of its summary with its results
    (:func:`decode`). Anything else is a :class:`~certify.errors.CertificateFormatError` naming the path in the
    document. Whether it is the certificate of given weights (its content hash) is the caller's to check."""
    p = Path(path)
    if not p.exists():
        raise CertificateFormatError(f"{p}: no such certificate")
    return decode(read_json(p, "certificate"), str(p))


def decode(doc: Any, source: str = "certificate") -> Certificate:
    """A certificate's JSON (a parsed file, or :meth:`Certificate.to_json`) as a typed :class:`Certificate`."""
    if isinstance(doc, dict) and doc.get("format") in OLD_FORMATS:
        raise CertificateFormatError(f'{source}: format "{doc["format"]}" is no longer accepted (its theorem and '
                                     f'hash cover less than "{FORMAT}"); regenerate it with certify check '
                                     "--certificate")
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CertificateFormatError(f'{source}: not a certificate of format "{FORMAT}"')
    schemas.validate("certificate", doc, source, CertificateFormatError)
    results = tuple(Result.from_json(r) for r in doc["results"])
    seen: set[str] = set()
    for i, r in enumerate(results):
        if r.id in seen:
            raise CertificateFormatError(f'{source}: results[{i}].id="{r.id}" appears twice')
        seen.add(r.id)
    cert = Certificate(weights_file=doc["weights"]["file"], weights_sha256=doc["weights"]["sha256"],
                       name=doc["name"], results=results, simulation_checked=doc["simulation_checked"],
                       note=doc["note"], tools=dict(doc["tools"]))
    if doc["verdict"] != cert.verdict.value:
        raise CertificateFormatError(f'{source}: the certificate says verdict="{doc["verdict"]}", but its results '
                                     f"combine to {cert.verdict.value}")
    if doc["counts"] != cert.counts():
        said, found = (", ".join(f"{k} {c[k]}" for k in c) for c in (doc["counts"], cert.counts()))
        raise CertificateFormatError(f"{source}: the certificate counts {said}, but its results are {found}")
    if doc["theorem"] != cert.theorem:
        raise CertificateFormatError(f"{source}: theorem is not the one a certificate with "
                                     f"simulation_checked={str(cert.simulation_checked).lower()} and "
                                     f"{len(cert.results)} results proves")
    return cert


def read_timings(path: Path) -> dict[str, float]:
    """Seconds per obligation from a ``*.timings.json`` (``{"seconds": {id: number}}``); anything else is bad input.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d) / "c.timings.json"
    ...     _ = p.write_text('{"format": "certify.certificate/2+timings", "seconds": {"prologue": 0.25}}')
    ...     read_timings(p)
    {'prologue': 0.25}
    """
    doc = read_json(path, "timings file")
    secs = doc.get("seconds") if isinstance(doc, dict) else None
    if not isinstance(secs, dict) or not all(isinstance(v, (int, float, str)) for v in secs.values()):
        raise CertificateFormatError(f'{path}: expected {{"seconds": {{obligation: seconds}}}}')
    try:
        return {str(k): float(v) for k, v in secs.items()}
    except ValueError:
        raise CertificateFormatError(f"{path}: a time is not a number") from None

