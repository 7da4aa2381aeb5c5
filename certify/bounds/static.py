"""Static bounds of a network: moved to :mod:`certify.spec.measure` (the spec layer measures a network,
so that ``certify check`` reads it without importing ``bounds``); the names stay importable from here.

>>> >>> weight_stats is measure.weight_stats and STATIC_CLAIMS is measure.STATIC_CLAIMS
True
"""

from __future__ import annotations

from certify.spec.measure import STATIC_CLAIMS, WeightStats, check_claims, weight_stats

__all__ = ["STATIC_CLAIMS", "WeightStats", "check_claims", "weight_stats"]
