"""Certified error against runtime, as the report and the gate read it from :mod:`certify.bounds.rates`.

The rates module certifies sup_x |y_T(x) − f(x)| row by row (each row holds for T in [T, T_end)) and
checks the file's ``claims.rate``. This module only translates its result: bounds stay exact in
:attr:`CertifiedRates.points` and :attr:`CertifiedRates.spans`; the table shows them rounded in the
safe direction (upper bounds up, lower bounds down). When the module is absent, not asked for, or
the file claims no target, everything says "not computed" and why.

>>> from certify.constructions.bundled import BUNDLED
>>> certified_rates(BUNDLED["counter"]()).section.reason
'the file names no target function (claims.target)'
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass

from flint import fmpq

from certify.errors import InputError
from certify.rational import to_string
from certify.report.model import RateCheck, RatePoint, Section, Table
from certify.report.sentences import bound_text
from certify.spec.io import RnnFile

MODULE = "certify.bounds.rates"


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


def certified_rates(f: RnnFile, enabled: bool = True) -> CertifiedRates:
    """Run the rates module on ``f`` (its defaults: the same table ``certify rates`` prints)."""
    if "target" not in f.claims:
        return not_computed("the file names no target function (claims.target)")
    if not enabled:
        return not_computed("skipped for this report (--no-rates)")
    if importlib.util.find_spec(MODULE) is None:
        return not_computed(f"this version of certify has no certified rates ({MODULE})")
    if f.simulation is None:
        return not_computed("the rates are certified through the TMNU, and this file has no simulation block")
    mod = importlib.import_module(MODULE)
    try:
        rep = mod.rates(f)
    except InputError as err:
        return not_computed(f"certify rates refused the file: {err}")
    rows, points, spans = [], [], []
    for r in rep.rows:
        until = "∞" if r.T_end is None else str(r.T_end)
        parts = []
        if getattr(r, "approx", None) is not None:
            parts.append(f"approximation {bound_text(r.approx, True)}")
        if getattr(r, "arith", None) is not None:
            parts.append(f"arithmetic {bound_text(r.arith, True)}")
        rows.append((str(r.T), until, r.label, "not certified" if r.certified is None else
                     bound_text(r.certified, True), bound_text(r.lower, False), "; ".join(parts) or r.note))
        spans.append((r.T, r.T_end, r.certified))
        if r.certified is not None:
            points.append(RatePoint(r.T, to_string(r.certified)))
    checks = tuple(RateCheck(c.T, c.T_end, to_string(c.E), c.verdict, c.reason) for c in rep.claims)
    notes = "; ".join(rep.notes)
    summary = f"certified by the {rep.method} method" + (f" ({notes})" if notes else "")
    table = Table(("T from", "until", "row", "sup |y_T − f| (certified)", "lower bound", "made of"), tuple(rows))
    return CertifiedRates(Section("computed", summary, table), tuple(points), tuple(spans), checks)


#: The bound of the sentinel row that ends a threshold's span (so that "error at T <= E" is about T only).
_SENTINEL = fmpq(2) ** 64


def check_errors(f: RnnFile, rows: list[tuple[int, fmpq]]) -> list[RateCheck] | str:
    """Ask the rates module whether sup_x |y_T(x) − f(x)| <= E at each runtime T of ``rows``; the reason
    when it cannot be asked. Each row is posed as a claim whose span ends at T + 1 (a sentinel row with a
    huge bound follows it), so the verdict is about runtime T alone.

    >>> from certify.constructions.bundled import BUNDLED
    >>> check_errors(BUNDLED["counter"](), [(10, fmpq(1))])
    'the file names no target function (claims.target)'
    """
    if "target" not in f.claims:
        return "the file names no target function (claims.target)"
    if importlib.util.find_spec(MODULE) is None:
        return f"this version of certify has no certified rates ({MODULE})"
    if f.simulation is None:
        return "the rates are certified through the TMNU, and this file has no simulation block"
    wanted = dict(sorted(rows))
    claims = []
    for T, E in wanted.items():
        claims.append({"T": T, "E": to_string(E)})
        if T + 1 not in wanted:
            claims.append({"T": T + 1, "E": to_string(_SENTINEL)})
    posed = RnnFile(network=f.network, name=f.name, input=f.input, simulation=f.simulation,
                    claims={**f.claims, "rate": claims}, source=f.source)
    try:
        rep = importlib.import_module(MODULE).rates(posed)
    except InputError as err:
        return f"certify rates refused the file: {err}"
    return [RateCheck(c.T, c.T_end, to_string(c.E), c.verdict, c.reason) for c in rep.claims if c.T in wanted]
