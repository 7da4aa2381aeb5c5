"""The measured static quantities of a network, exactly, and the one table that names them: the file's
static claims (``claims.hidden_dim_max``, …), ``certify check``'s ``static[...]`` obligations and the
gate's thresholds and regressions all read :data:`METRICS`.

>>> from certify.spec.network import Network
>>> net = Network.from_dense(W_hh=[[0, "1/2"], ["-3", 0]], W_ih=[[1], [0]], b=[0, "-1/1024"],
...                          W_out=[[1, 0]], b_out=[0], h0=[0, 0])
>>> st = weight_stats(net)
>>> st.max_abs, st.max_abs_at, st.max_bits, st.nonzeros, st.distinct
(3, 'W_hh[1][0]', 11, 5, 4)
>>> {m.name: str(v) for m, v in zip(METRICS, measure(net).values(), strict=True)}
{'hidden_dim': '2', 'weight_abs': '3', 'weight_bits': '11', 'nonzeros': '5', 'distinct_weights': '4', 'width': '2'}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from flint import fmpq

from certify.errors import InputError
from certify.rational import ZERO, bits, parse_number
from certify.spec.network import Network


@dataclass(frozen=True)
class WeightStats:
    """Measured over W_hh, W_ih, b, W_out, b_out (nonzero entries; h0 is state, not a weight)."""

    hidden_dim: int
    nonzeros: int
    distinct: int
    max_abs: fmpq
    max_abs_at: str
    max_bits: int
    max_bits_at: str
    width: int = 0


def weight_stats(net: Network) -> WeightStats:
    """Measured static quantities over W_hh, W_ih, b, W_out, b_out (h0 is state, not a weight)."""
    max_abs, max_abs_at, max_bits, max_bits_at = ZERO, "", 0, ""
    values = set()
    n = 0
    for name, v in net.weights():
        n += 1
        values.add(v)
        if abs(v) > max_abs:
            max_abs, max_abs_at = abs(v), name
        b = bits(v)
        if b > max_bits:
            max_bits, max_bits_at = b, name
    return WeightStats(net.hidden_dim, n, len(values), max_abs, max_abs_at, max_bits, max_bits_at, net.width)


@dataclass(frozen=True)
class Metric:
    """One measured quantity: its name (the gate's), its claim and threshold key (``<name>_max``), what
    it is in a certificate's reason (``meaning``) and in the gate's messages (``short``), whether a
    threshold on it is an integer, and how to read it (exactly, and as evidence text) off the stats."""

    name: str
    meaning: str
    short: str
    integer: bool
    value: Callable[[WeightStats], fmpq]
    text: Callable[[WeightStats], str]

    @property
    def key(self) -> str:
        """The claim key and threshold key: ``hidden_dim_max``."""
        return f"{self.name}_max"


#: Every static quantity, in the gate's order (its measurements and regressions are listed in this order).
METRICS: tuple[Metric, ...] = (
    Metric("hidden_dim", "hidden dimension", "hidden dimension", True,
           lambda s: fmpq(s.hidden_dim), lambda s: str(s.hidden_dim)),
    Metric("weight_abs", "largest |weight|", "largest |weight|", False,
           lambda s: s.max_abs, lambda s: f"{s.max_abs} at {s.max_abs_at}" if s.nonzeros else "0"),
    Metric("weight_bits", "largest bit size of a weight's numerator or denominator", "largest bit size of a weight",
           True, lambda s: fmpq(s.max_bits), lambda s: f"{s.max_bits} at {s.max_bits_at}" if s.nonzeros else "0"),
    Metric("nonzeros", "number of nonzero weights", "number of nonzero weights", True,
           lambda s: fmpq(s.nonzeros), lambda s: str(s.nonzeros)),
    Metric("distinct_weights", "number of distinct nonzero weights", "number of distinct weights", True,
           lambda s: fmpq(s.distinct), lambda s: str(s.distinct)),
    Metric("width", "width (the largest layer's state dimension; deep narrow RNNs, certify width)", "width", True,
           lambda s: fmpq(s.width), lambda s: str(s.width)),
)
BY_KEY: dict[str, Metric] = {m.key: m for m in METRICS}
#: Static claims ``certify check`` understands: claim key -> what it bounds.
STATIC_CLAIMS: dict[str, str] = {m.key: m.meaning for m in METRICS}


def measure(net: Network) -> dict[str, fmpq]:
    """Every metric of ``net``, exactly, by name (in :data:`METRICS` order)."""
    st = weight_stats(net)
    return {m.name: m.value(st) for m in METRICS}


def parse_static(claims: Mapping[str, Any]) -> tuple[dict[str, fmpq], dict[str, str]]:
    """The static claims among ``claims`` as exact numbers by key, and by key a message for each that is
    not a number (both in key order; the other keys are not looked at).

    >>> values, problems = parse_static({"hidden_dim_max": 4, "weight_abs_max": "x", "target": "exp(x)"})
    >>> values, {k: p[:41] for k, p in problems.items()}
    ({'hidden_dim_max': 4}, {'weight_abs_max': 'claims.weight_abs_max="x" is not a number'})
    """
    values: dict[str, fmpq] = {}
    problems: dict[str, str] = {}
    for key in sorted(k for k in claims if k in BY_KEY):
        try:
            values[key] = parse_number(claims[key], where=f"claims.{key}")
        except InputError as err:
            problems[key] = str(err)
    return values, problems


class StaticCheck(NamedTuple):
    """One static claim against its measured value."""

    key: str
    meaning: str
    claimed: str
    measured: str
    holds: bool


def check_claims(net: Network, claims: Mapping[str, Any]) -> list[StaticCheck]:
    """Each static claim against its measured value, by key; a claim that is not a number is an
    :class:`~certify.errors.InputError` naming it.

    >>> net = Network.from_dense(W_hh=[[2]], W_ih=[[1]], b=[0], W_out=[[1]], b_out=[0], h0=[0])
    >>> [(k, ok) for k, _, _, _, ok in check_claims(net, {"hidden_dim_max": 1, "weight_abs_max": "3/2"})]
    [('hidden_dim_max', True), ('weight_abs_max', False)]
    >>> check_claims(net, {"nonzeros_max": "many"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    certify.errors.InputError: claims.nonzeros_max="many" is not a number ...
    """
    values, problems = parse_static(claims)
    if problems:
        raise InputError(next(iter(problems.values())))
    st = weight_stats(net)
    return [StaticCheck(key, BY_KEY[key].meaning, str(claimed), BY_KEY[key].text(st), BY_KEY[key].value(st) <= claimed)
            for key, claimed in values.items()]
