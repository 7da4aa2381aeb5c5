"""What a file could claim, when it claims nothing: each static claim key with the network's measured value
(the tightest claim that holds), and the rate claims with what they need.

``certify check`` prints these for a file without a simulation block and without claims, instead of a
vacuous PROVED; the values are suggestions to copy into the file's ``claims`` block (or ``certify
compile --claims``), never claims certify makes on the file's behalf.

>>> from certify.spec.network import Network
>>> net = Network.from_dense(W_hh=[["1/2"]], W_ih=[[1]], b=[0], W_out=[[2]], b_out=[0], h0=[0])
>>> [(s.key, s.value) for s in suggestions(net)][:3]
[('hidden_dim_max', '1'), ('weight_abs_max', '2'), ('weight_bits_max', '2')]
>>> static_block(net)
'{"hidden_dim_max": 1, "weight_abs_max": 2, "weight_bits_max": 2, "nonzeros_max": 3, "distinct_weights_max": 3, \
"width_max": 1}'
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from certify.bounds.claims import KEYS
from certify.rational import to_json, to_string
from certify.spec.measure import METRICS, weight_stats
from certify.spec.network import Network

#: The claims that ``certify rates`` decides (not ``certify check``), with an example value.
RATE_EXAMPLE = {"target": "x**2", "rate": [{"T": 100, "E": "1/1000"}], "rate_until": 1000}


@dataclass(frozen=True)
class Suggestion:
    """A claim key, the value the network measures (the tightest true claim; '' for the rate keys), what it says."""

    key: str
    value: str
    meaning: str
    static: bool = True


def suggestions(net: Network) -> tuple[Suggestion, ...]:
    """Every static claim key with its measured value, then the rate keys (decided by ``certify rates``)."""
    st = weight_stats(net)
    out = [Suggestion(m.key, to_string(m.value(st)), m.meaning) for m in METRICS]
    out += [Suggestion(k, "", KEYS[k], static=False) for k in ("target", "rate", "rate_until")]
    return tuple(out)


def static_block(net: Network) -> str:
    """The static claims that hold with equality, as a JSON object to paste into a ``claims`` block."""
    st = weight_stats(net)
    return json.dumps({m.key: to_json(m.value(st)) for m in METRICS})
