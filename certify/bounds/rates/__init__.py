"""Error versus runtime (DESIGN §5): certified rows of sup_x |y_T(x) - f(x)| against the RNN step T, and
a file's claimed rate table decided against them.

* :mod:`~certify.bounds.rates.table` — :func:`rates`, the entry point;
* :mod:`~certify.bounds.rates.registry` — rate methods, registered (:func:`register`), tried in order;
* :mod:`~certify.bounds.rates.network` — any network without a simulation block: exact pieces, else lanes;
* :mod:`~certify.bounds.rates.enclosure` — the generic TMNU method, registered here; plug-ins register
  theirs (the universal approximator: :mod:`certify.universal`, loaded by :mod:`certify.plugins`);
* :mod:`~certify.bounds.rates.decide` — claims against rows, and the simulation theorem they rest on;
* :mod:`~certify.bounds.rates.samples` — measured (float64) errors, a plot aid and a witness hint;
* :mod:`~certify.bounds.rates.model` — rows, decided claims, the report and its JSON.

The file's claims are parsed by :mod:`certify.bounds.claims` (``claimed_rate`` and ``claimed_until``
are re-exported here for the callers that read the table itself).
"""

from __future__ import annotations

from certify.bounds.claims import ClaimSpan, claimed_rate, claimed_until
from certify.bounds.rates.decide import Theorem, simulation_theorem
from certify.bounds.rates.enclosure import ENCLOSURE
from certify.bounds.rates.model import (
    LANES,
    MAX_LANES,
    SAMPLES,
    ClaimCheck,
    RateOptions,
    RateRow,
    RatesReport,
    report_json,
)
from certify.bounds.rates.network import NETWORK
from certify.bounds.rates.registry import Declined, MethodRows, RateMethod, RateQuery, methods, register
from certify.bounds.rates.samples import lower_at, sample_grid
from certify.bounds.rates.table import rates

register(ENCLOSURE)
register(NETWORK)

__all__ = [
    "LANES", "MAX_LANES", "SAMPLES", "ClaimCheck", "ClaimSpan", "Declined", "MethodRows", "RateMethod", "RateOptions",
    "RateQuery", "RateRow", "RatesReport", "Theorem", "claimed_rate", "claimed_until", "lower_at", "methods", "rates",
    "register", "report_json", "sample_grid", "simulation_theorem",
]
