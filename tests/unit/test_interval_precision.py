"""The precision certificate: windows, identical float runs checked against real float32 runs, ε bounds."""

from __future__ import annotations

import numpy as np
from flint import fmpq

from certify.bounds.precision import NEVER, identical_windows, precision_report, window
from certify.spec.network import Network


def test_windows() -> None:
    assert window([fmpq(1), fmpq(1, 2**30)])[0] == 31
    assert window([fmpq(5), fmpq(-3)])[0] == 4  # partial sums up to |5| + |-3| = 8 need 4 bits
    assert window([fmpq(2, 3)])[0] == NEVER
    assert window([])[0] == 0


def clock(start: str = "0", tick: str = "1/256") -> Network:
    """Unit 0 counts up by ``tick`` (x-independent); unit 1 = relu(x + unit0/2 + 1) depends on x."""
    return Network.from_dense(W_hh=[[1, 0], ["1/2", 0]], W_ih=[[0], [1]], b=[tick, 1], W_out=[[0, 1]],
                              b_out=[0], h0=[start, 0])


def test_identical_claim_matches_a_real_float32_run() -> None:
    start = fmpq(256) - fmpq(100, 2**16)  # 24 bits until the count reaches 256, then 25
    net = clock(str(start), "1/65536")
    bits, _, until, n_exact = identical_windows(net, 500)
    assert n_exact == 1 and bits == 25 and until[24] == 99 and until[53] == 500
    c = np.float32(float(start))
    for t in range(1, 102):
        c = np.float32(c + np.float32(2.0**-16))
        same = fmpq(*float(c).as_integer_ratio()) == start + fmpq(t, 2**16)
        assert same == (t <= until[24] + 1), t  # exact while certified (t = 100 lands on 256); rounds at 101


def test_eps_bounds_cover_a_real_float32_run() -> None:
    net = clock()
    rep = precision_report(net, 300, eps=fmpq(1, 10**3), x_grid=3)
    assert rep.deviation[24] > 0 and rep.supported(24) == 300 and rep.bits_for_eps is not None
    for x in (-1.0, 0.0, 1.0):
        c = y = np.float32(0)
        for t in range(1, 301):
            c, y = np.float32(c + np.float32(1 / 256)), np.maximum(np.float32(x) + c * np.float32(0.5) + 1, 0)
            exact = max(fmpq(int(x)) + fmpq(t - 1, 512) + 1, fmpq(0))
            assert abs(fmpq(*float(y).as_integer_ratio()) - exact) <= fmpq(*rep.deviation[24].as_integer_ratio())
