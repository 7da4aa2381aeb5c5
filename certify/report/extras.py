"""Optional analyses a report shows when they exist: the precision table and certified rate tables.

They live in :mod:`certify.bounds.precision` and :mod:`certify.bounds.rates`. When a module is absent
(or the file has nothing for it to analyse), the section says "not computed" and why; it never
shows numbers it did not get from that module.

>>> NOT_REQUESTED.status
'not computed'
"""

from __future__ import annotations

import importlib
import importlib.util

from certify.report.model import RatePoint, Section
from certify.rnn.io import RnnFile

NOT_REQUESTED = Section("not computed", "not requested for this report")


def _module(name: str):
    if importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name)


def precision(f: RnnFile) -> Section:
    """The precision table of :mod:`certify.bounds.precision`, or "not computed" with the reason."""
    mod = _module("certify.bounds.precision")
    if mod is None:
        return Section("not computed", "this version of certify has no precision analysis (certify.bounds.precision)")
    return Section("not computed", "certify.bounds.precision exists but the report does not read it yet")


def certified_rates(f: RnnFile) -> tuple[Section, tuple[RatePoint, ...]]:
    """The certified per-round rate table of :mod:`certify.bounds.rates`, or "not computed"."""
    if "rate" not in f.claims and "target" not in f.claims:
        return Section("not computed", "the file claims no rate"), ()
    mod = _module("certify.bounds.rates")
    if mod is None:
        return Section("not computed", "this version of certify has no certified rates (certify.bounds.rates)"), ()
    return Section("not computed", "certify.bounds.rates exists but the report does not read it yet"), ()
