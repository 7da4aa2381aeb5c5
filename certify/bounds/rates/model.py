"""What ``certify rates`` computes: certified rows of error against runtime, the claims decided against
them, and the report as JSON (format ``certify.rates/1``; exact bounds as "p/q" strings).

>>> row = RateRow(10, None, "round 1", (4,), fmpq(1, 1000))
>>> rep = RatesReport("f", "x**2", "enclosure", (row,), (ClaimCheck(10, None, fmpq(1, 100), Verdict.PROVED, "ok"),))
>>> doc = report_json(rep)
>>> doc["verdict"], doc["rows"][0]["certified"], doc["claims"][0]["E"]
('PROVED', {'exact': '1/1000', 'approx': 0.001}, '1/100')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flint import fmpq

from certify.execute.pieces import MAX_PIECES
from certify.rational import to_string
from certify.verdict import Verdict, combine

#: Default number of sampled x for measured errors (a plot aid, not a bound).
SAMPLES = 2001
#: Default lanes of the first enclosure pass and the most lanes any one claim may be refined to.
LANES = 256
MAX_LANES = 2**14


@dataclass(frozen=True)
class RateOptions:
    """How hard a method works: enclosure lanes and horizon (RNN step; None: the claims'), sup-norm tolerance."""

    lanes: int = LANES
    max_lanes: int = MAX_LANES
    horizon: int | None = None
    rel_tol: float = 0.05
    max_pieces: int = MAX_PIECES


@dataclass(frozen=True)
class RateRow:
    """The certified error for RNN steps T in [T, T_end) (T_end None: every later step)."""

    T: int
    T_end: int | None
    label: str
    steps: tuple[int, ...]  # TMNU configs whose output the row covers
    certified: fmpq | None  # upper bound of sup_x |y_T - f| over the row, None if not certified
    lower: fmpq = fmpq(0)  # rigorous lower bound of sup_x |y_T - f| (at ``witness``)
    witness: fmpq | None = None
    approx: fmpq | None = None  # universal: proven sup|P_r - f|
    arith: fmpq | None = None  # universal: proven sup|y - P_r|
    sampled: float | None = None  # measured max on the sample grid (float64; not a bound)
    sampled_x: float | None = None  # where the sampled maximum was seen
    note: str = ""

    def meets(self, lo: int, hi: int | None) -> bool:
        """Does [T, T_end) meet [lo, hi)?"""
        return (hi is None or hi > self.T) and (self.T_end is None or self.T_end > lo)


@dataclass(frozen=True)
class ClaimCheck:
    """A claimed E over RNN steps [T, T_end), decided against the rows."""

    T: int
    T_end: int | None
    E: fmpq
    verdict: Verdict
    reason: str


@dataclass(frozen=True)
class RatesReport:
    name: str
    target: str
    method: str
    rows: tuple[RateRow, ...]
    claims: tuple[ClaimCheck, ...]
    notes: tuple[str, ...] = ()
    seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> Verdict:
        return combine(c.verdict for c in self.claims)


def report_json(rep: RatesReport) -> dict[str, Any]:
    """The report as JSON-ready data (exact bounds as "p/q" strings, with decimals beside them)."""

    def q(v: fmpq | None) -> Any:
        return None if v is None else {"exact": to_string(v), "approx": float(v)}

    return {
        "format": "certify.rates/1",
        "name": rep.name,
        "target": rep.target,
        "method": rep.method,
        "verdict": rep.verdict.value,
        "rows": [{"T": r.T, "T_end": r.T_end, "label": r.label, "tmnu_steps": list(r.steps),
                  "certified": q(r.certified), "lower": q(r.lower),
                  "witness": None if r.witness is None else to_string(r.witness),
                  "approx_bound": q(r.approx), "arith_bound": q(r.arith), "sampled": r.sampled, "note": r.note}
                 for r in rep.rows],
        "claims": [{"T": c.T, "T_end": c.T_end, "E": to_string(c.E), "verdict": c.verdict.value, "reason": c.reason}
                   for c in rep.claims],
        "notes": list(rep.notes),
        "seconds": rep.seconds,
    }
