"""Certified error against runtime, as the report and the gate read it from :mod:`certify.bounds.rates`.

``certify rates`` certifies sup_x |y_T(x) − f(x)| row by row (each row holds for T in [T, T_end)) and
decides the file's ``claims.rate``. This module only translates its result: bounds stay exact in
:attr:`CertifiedRates.points` and :attr:`CertifiedRates.spans`; the table shows them rounded in the
safe direction (upper bounds up, lower bounds down, :func:`certify.display.round_decimal`). When not
asked for, or when the file claims no target, everything says "not computed" and why.

>>> from certify.constructions.bundled import BUNDLED
>>> certified_rates(BUNDLED["counter"]()).section.reason
'the file names no target function (claims.target)'
>>> _bound(fmpq(1, 4096), upper=True), _bound(fmpq(1, 3), upper=False)
('≤ 2.442e-4', '≥ 0.3333')
"""

from __future__ import annotations

from dataclasses import dataclass

from flint import fmpq

from certify.bounds.claims import ClaimSpan, parse_claims
from certify.bounds.rates import ClaimCheck, rates
from certify.display import round_decimal
from certify.errors import InputError
from certify.plugins import load_plugins
from certify.rational import to_string
from certify.report.model import RateCheck, RatePoint, Section, Table
from certify.spec.file import RnnFile

NO_TARGET = "the file names no target function (claims.target)"


@dataclass(frozen=True)
class CertifiedRates:
    section: Section
    points: tuple[RatePoint, ...] = ()  # certified upper bound at the start of each certified row
    spans: tuple[tuple[int, int | None, fmpq | None], ...] = ()  # (T, T_end, certified upper bound or None)
    checks: tuple[RateCheck, ...] = ()

    def bound_at(self, T: int) -> tuple[fmpq | None, str]:
        """The certified bound of sup_x |y_T − f| at runtime T, or None and why not."""
        for lo, hi, bound in self.spans:
            if lo <= T and (hi is None or hi > T):
                if bound is None:
                    return None, f"the row for T in [{lo}, {'∞' if hi is None else hi}) is not certified"
                return bound, f"certified for T in [{lo}, {'∞' if hi is None else hi})"
        return None, (self.section.reason if self.section.status != "computed" else
                      f"no certified row covers T={T}")


def not_computed(reason: str) -> CertifiedRates:
    return CertifiedRates(Section("not computed", reason))


def _bound(q: fmpq, upper: bool, digits: int = 4) -> str:
    """A certified bound for display: ``≤ u`` with u ≥ q for an upper bound, ``≥ l`` with l ≤ q for a lower one."""
    return f"{'≤' if upper else '≥'} {round_decimal(q, digits, 'up' if upper else 'down', notation='short')}"


def certified_rates(f: RnnFile, enabled: bool = True) -> CertifiedRates:
    """Run ``certify rates`` on ``f`` (its defaults: the same table the command prints)."""
    if parse_claims(f.claims).target is None:
        return not_computed(NO_TARGET)
    if not enabled:
        return not_computed("skipped for this report (--no-rates)")
    load_plugins()
    try:
        rep = rates(f)
    except InputError as err:
        return not_computed(f"certify rates refused the file: {err}")
    rows, points, spans = [], [], []
    for r in rep.rows:
        until = "∞" if r.T_end is None else str(r.T_end)
        parts = []
        if r.approx is not None:
            parts.append(f"approximation {_bound(r.approx, True)}")
        if r.arith is not None:
            parts.append(f"arithmetic {_bound(r.arith, True)}")
        rows.append((str(r.T), until, r.label, "not certified" if r.certified is None else
                     _bound(r.certified, True), _bound(r.lower, False), "; ".join(parts) or r.note))
        spans.append((r.T, r.T_end, r.certified))
        if r.certified is not None:
            points.append(RatePoint(r.T, to_string(r.certified)))
    notes = "; ".join(rep.notes)
    summary = f"certified by the {rep.method} method" + (f" ({notes})" if notes else "")
    table = Table(("T from", "until", "row", "sup |y_T − f| (certified)", "lower bound", "made of"), tuple(rows))
    return CertifiedRates(Section("computed", summary, table), tuple(points), tuple(spans), _checks(rep.claims))


def check_errors(f: RnnFile, rows: list[tuple[int, fmpq]]) -> list[RateCheck] | str:
    """Decide sup_x |y_T(x) − f(x)| <= E at each runtime T of ``rows`` (each a claim over [T, T + 1), so
    the verdict is about runtime T alone); the reason when it cannot be asked.

    >>> from certify.constructions.bundled import BUNDLED
    >>> check_errors(BUNDLED["counter"](), [(10, fmpq(1))])
    'the file names no target function (claims.target)'
    """
    if parse_claims(f.claims).target is None:
        return NO_TARGET
    spans = tuple(ClaimSpan(T, T + 1, E) for T, E in dict(sorted(rows)).items())
    load_plugins()
    try:
        rep = rates(f, claims=spans)
    except InputError as err:
        return f"certify rates refused the file: {err}"
    return list(_checks(rep.claims))


def _checks(claims: tuple[ClaimCheck, ...]) -> tuple[RateCheck, ...]:
    return tuple(RateCheck(c.T, c.T_end, to_string(c.E), c.verdict, c.reason) for c in claims)
