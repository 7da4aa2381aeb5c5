"""Static bounds of a network: size, weight magnitude, bit size, number of distinct weights.

>>> from certify.rnn.network import Network
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
from certify.rnn.network import Network


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
