"""Static bounds of a network: size, weight magnitude, bit size, number of distinct weights.

>>> from certify.spec.network import Network
>>> net = Network.from_dense(W_hh=[[0, "1/2"], ["-3", 0]], W_ih=[[1], [0]], b=[0, "-1/1024"],
...                          W_out=[[1, 0]], b_out=[0], h0=[0, 0])
>>> st = weight_stats(net)
>>> st.max_abs, st.max_abs_at, st.max_bits, st.nonzeros, st.distinct
(3, 'W_hh[1][0]', 11, 5, 4)
"""

from __future__ import annotations

from dataclasses import dataclass

from flint import fmpq

from certify.rational import ZERO, bits
from certify.spec.network import Network


@dataclass(frozen=True)
class WeightStats:
    hidden_dim: int
    nonzeros: int
    distinct: int
    max_abs: fmpq
    max_abs_at: str
    max_bits: int
    max_bits_at: str


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
    return WeightStats(net.hidden_dim, n, len(values), max_abs, max_abs_at, max_bits, max_bits_at)


#: Static claims ``certify check`` understands: claim key -> (what it bounds, how to measure it).
STATIC_CLAIMS = {
    "hidden_dim_max": "hidden dimension",
    "weight_abs_max": "largest |weight|",
    "weight_bits_max": "largest bit size of a weight's numerator or denominator",
    "distinct_weights_max": "number of distinct nonzero weights",
    "nonzeros_max": "number of nonzero weights",
}


def check_claims(net: Network, claims: dict) -> list[tuple[str, str, str, str, bool]]:
    """Each static claim against its measured value: ``(key, meaning, claimed, measured, holds)``.

    >>> from certify.spec.network import Network
    >>> net = Network.from_dense(W_hh=[[2]], W_ih=[[1]], b=[0], W_out=[[1]], b_out=[0], h0=[0])
    >>> [(k, ok) for k, _, _, _, ok in check_claims(net, {"hidden_dim_max": 1, "weight_abs_max": "3/2"})]
    [('hidden_dim_max', True), ('weight_abs_max', False)]
    """
    from certify.rational import parse_number

    st = weight_stats(net)
    measured = {
        "hidden_dim_max": (fmpq(st.hidden_dim), str(st.hidden_dim)),
        "weight_abs_max": (st.max_abs, f"{st.max_abs} at {st.max_abs_at}" if st.nonzeros else "0"),
        "weight_bits_max": (fmpq(st.max_bits), f"{st.max_bits} at {st.max_bits_at}" if st.nonzeros else "0"),
        "distinct_weights_max": (fmpq(st.distinct), str(st.distinct)),
        "nonzeros_max": (fmpq(st.nonzeros), str(st.nonzeros)),
    }
    out = []
    for key in sorted(claims):
        if key not in STATIC_CLAIMS:
            continue
        claimed = parse_number(claims[key], where=f"claims.{key}")
        value, text = measured[key]
        out.append((key, STATIC_CLAIMS[key], str(claimed), text, value <= claimed))
    return out
