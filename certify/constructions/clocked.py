"""Hand-built ReLU RNNs in the quantifier-reversal style (one network per target; the error falls like
4^(−t) as it runs), from the sawtooth lemma (Yarotsky): the piecewise-linear interpolant of s² on the
dyadic grid of [0, 1] with 2^m pieces is f_m(s) = s − Σ_{j=1..m} g_j(s)/4^j, g_j the j-fold tooth
g(s) = 2s for s ≤ 1/2, 2 − 2s after; sup |f_m − s²| = 4^(−(m+1)), attained at the grid's midpoints.

The RNN runs one tooth per step. A **clock** unit k (self-loop 1/4, h0 = 4) is worth 4^(1−t) and scales the
tooth's kinks, so the scaled tooth v_j = g_j/4^j is again a ReLU combination of state units:
v_{j+1} = (2·relu(v_j) − 4·relu(v_j − k/2) + 2·relu(v_j − k))/4. With impulse input x ∈ [−D, D]:

    p, n  = relu(±x_t/D)            (only at t = 1: the impulse)      s = |x|/D = p + n
    G     = relu(G + p + n)         (s, stored from t = 2 on)
    k     = relu(k/4), k_0 = 4      (the clock: 4^(1−t))
    a,b,c = relu(w), relu(w − k/2), relu(w − k),   w = p + n + (2a − 4b + 2c)/4
    S     = relu(S + (2a − 4b + 2c)/4)                 (Σ v_j so far)
    y     = D²·(G − S − (2a − 4b + 2c)/4)             = D²·f_{t−1}(|x|/D)

so sup_{|x| ≤ D} |y_t − x²| = D²·4^(−t) for t ≥ 2 (and D² at t = 0, 1): 8 hidden units for every D.

>>> f = squaring_file(fmpq(2))
>>> f.network.hidden_dim, [str(y[0]) for _, _, y in f.network.run([fmpq(3, 2)], 4, kind="impulse")][1:]
(8, ['5/2', '9/4', '9/4'])
"""

from __future__ import annotations

from typing import Any

from flint import fmpq

from certify.errors import InputError
from certify.rational import to_string
from certify.spec.file import InputSpec, RnnFile
from certify.spec.network import Network

#: The summary's hidden dimension of the published construction for a degree-N polynomial (80N + 11).
PUBLISHED_WIDTH = "80N + 11"
#: Rows of the claimed rate table the builder writes (T = 0 … this).
CLAIMED_UP_TO = 40


def _check_domain(d: fmpq) -> None:
    if d <= 0:
        raise InputError(f"--domain D={d} must be positive (the input ranges over [-D, D])")


def squaring_network(d: fmpq) -> Network:
    """The 8-unit squaring RNN for x ∈ [−d, d] (module text); units p n G k a b c S."""
    _check_domain(d)
    q = fmpq(1, 4)
    W: list[list[fmpq]] = [[fmpq(0)] * 8 for _ in range(8)]
    p, n, G, k, a, b, c, S = range(8)
    W[G][G] = W[G][p] = W[G][n] = fmpq(1)
    W[k][k] = q
    tooth = {a: fmpq(1, 2), b: fmpq(-1), c: fmpq(1, 2)}  # (2a − 4b + 2c)/4
    for unit, shift in ((a, fmpq(0)), (b, fmpq(-1, 2)), (c, fmpq(-1))):
        W[unit][p] = W[unit][n] = fmpq(1)
        for j, w in tooth.items():
            W[unit][j] = w
        W[unit][k] = shift
    W[S][S] = fmpq(1)
    for j, w in tooth.items():
        W[S][j] = w
    W_ih = [[1 / d], [-1 / d]] + [[0]] * 6
    out = [fmpq(0), fmpq(0), fmpq(1), fmpq(0), *(-w for w in tooth.values()), fmpq(-1)]
    h0 = [0, 0, 0, 4, 0, 0, 0, 0]
    return Network.from_dense(W_hh=W, W_ih=W_ih, b=[0] * 8, W_out=[[d * d * w for w in out]], b_out=[0], h0=h0)


def squaring_claims(d: fmpq, up_to: int = CLAIMED_UP_TO) -> dict[str, Any]:
    """The claims the construction is built to meet: error D² at T = 0, 1 and exactly D²·4^(−T) after."""
    d2 = d * d
    return {"target": "x**2", "hidden_dim_max": 8,
            "rate": [{"T": 0, "E": to_string(d2)}], "rate_until": 2,
            "rate_formula": {"E": f"{to_string(d2)}*4**(-T)", "T_min": 2, "T_max": up_to}}


def squaring_file(d: fmpq, up_to: int = CLAIMED_UP_TO) -> RnnFile:
    """The squaring RNN with its claims, impulse input on [−d, d]."""
    return RnnFile(squaring_network(d), name="squaring_clocked", input=InputSpec("impulse", ((-d, d),)),
                   claims=squaring_claims(d, up_to))
