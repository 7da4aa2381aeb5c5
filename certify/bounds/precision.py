"""Precision certificates: how many bits a floating-point export needs to follow the exact network.

Two parts, both rigorous:

1. **Identical** (the x-independent units: control, stacks, clocks -- the same for every x). With
   dyadic weights and values, a p-bit float run computes ``z_i = Σ_j w_ij h_j + b_i`` *exactly*, in any
   summation order, when every term and the whole row fit in one window of p bits: all partial sums
   are then multiples of 2^lsb below 2^(msb+1). The exact lanes are run to T, each row's window is
   measured, and the running maximum is the number of bits an identical run needs. Stacks in base
   2k lose log2(2k) bits per symbol: a 300-symbol stack needs hundreds of bits from the start.
2. **Within ε** (the x-dependent units): the float64 ball executor is run with a *simulated* p-bit
   format (:class:`~certify.execute.interval.SimFormat`), so each enclosure holds both the exact
   y_t(x) and every p-bit execution's y_t(x); twice its radius bounds their distance. Valid while
   part 1 keeps the exact units identical and no value leaves the format's range. Checked at every
   step up to T, on a grid of inputs.

>>> from certify.compiler.tmnu_to_rnn import compile_program
>>> from certify.constructions.examples import counter
>>> rep = precision_report(compile_program(counter()).network, steps=400, x_grid=3)
>>> rep.identical_bits <= 24, rep.identical_until[24], rep.exact_units
(True, 400, 44)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from flint import fmpq

from certify.errors import InputError
from certify.execute.backend import get_backend
from certify.execute.enclosure import Inputs
from certify.execute.interval import SimFormat
from certify.execute.lanes import ExactLanes, split_lanes
from certify.execute.rollout import _Run
from certify.spec.network import Network

#: The two export formats reported on, as (bits, emin): float32 and float64.
FORMATS = {24: SimFormat(24, -126), 53: SimFormat(53, -1022)}
NEVER = 10**9  # window of a non-dyadic value: no binary format holds it exactly


def _v2_msb(q: fmpq) -> tuple[int, int] | None:
    """(2-adic valuation, floor(log2|q|)) of a nonzero dyadic rational; None if q is not dyadic."""
    p, d = int(q.p), int(q.q)
    if d & (d - 1):
        return None
    k = d.bit_length() - 1
    a = abs(p)
    return (a & -a).bit_length() - 1 - k, a.bit_length() - 1 - k


def window(terms: list[fmpq]) -> tuple[int, int, int]:
    """(bits, lsb, msb): the p-bit window that holds every partial sum of ``terms`` (NEVER if not dyadic).

    >>> window([fmpq(3, 4), fmpq(1, 2)])          # multiples of 1/4 below 2^1: 3 bits
    (3, -2, 0)
    >>> window([fmpq(1, 3)])[0] == NEVER
    True
    """
    lsb, total = None, fmpq(0)
    for t in terms:
        if t == 0:
            continue
        vm = _v2_msb(t)
        if vm is None:
            return NEVER, 0, 0
        lsb = vm[0] if lsb is None else min(lsb, vm[0])
        total += abs(t)
    if lsb is None:
        return 0, 0, 0
    msb = _v2_msb(total)
    top = msb[1] if msb is not None else int(total.p).bit_length() - int(total.q).bit_length()
    return top - lsb + 1, lsb, top


def _fits(bits: int, lsb: int, msb: int, fmt: SimFormat) -> bool:
    """A window fits the format: p bits, nothing below the subnormal quantum, nothing near overflow."""
    return bits <= fmt.bits and (bits == 0 or (lsb >= fmt.emin - fmt.bits + 1 and msb < -fmt.emin))


@dataclass(frozen=True)
class PrecisionReport:
    """What a float export of ``net`` supports up to ``steps`` (see the module docstring)."""

    steps: int
    exact_units: int
    identical_bits: int
    identical_peak: tuple[int, int]  # (t, unit) where the widest window was first met
    identical_until: dict[int, int]  # format bits -> last t with the exact units identical (0: not even h0)
    eps: fmpq | None
    deviation: dict[int, float] = field(default_factory=dict)  # format bits -> max bound of |y_float - y| (≤ T)
    within_until: dict[int, int] = field(default_factory=dict)  # format bits -> last t with bound ≤ eps
    bits_for_eps: int | None = None  # smallest p whose bound stays ≤ eps up to T (x-dependent part)

    def supported(self, bits: int) -> int:
        """Largest T up to which a ``bits``-bit export is certified (identical exact part, ε for the rest)."""
        t = self.identical_until.get(bits, 0)
        return min(t, self.within_until[bits]) if self.eps is not None and bits in self.within_until else t


def identical_windows(net: Network, steps: int) -> tuple[int, tuple[int, int], dict[int, int], int]:
    """Part 1: (bits needed up to T, (t, unit) of the peak, last identical t per format, exact units)."""
    split = split_lanes(net)
    ex = ExactLanes(net, split)
    until = dict.fromkeys(FORMATS, steps)
    worst, peak = 0, (0, -1)

    def account(t: int, unit: int, w: tuple[int, int, int]) -> None:
        nonlocal worst, peak
        if w[0] > worst:
            worst, peak = w[0], (t, unit)
        for p, fmt in FORMATS.items():
            if not _fits(*w, fmt):
                until[p] = min(until[p], max(t - 1, 0))

    for k, i in enumerate(split.indep):  # weights and h0 must be representable themselves
        for _, v in net.W_hh.rows[i]:
            account(0, i, window([v]))
        account(0, i, window([net.b[i]]))
        account(0, i, window([ex.h[k]]))
    seen_period = None
    for t in range(1, steps + 1):
        if ex.period is not None and seen_period is not None and t > seen_period + ex.period:
            break  # every later window repeats one already measured
        for k, (row, b) in enumerate(zip(ex.rows, ex.b, strict=True)):
            account(t, split.indep[k], window([v * ex.h[j] for j, v in row] + [b]))
        ex.step()
        if ex.period is not None and seen_period is None:
            seen_period = t
    return worst, peak, until, len(split.indep)


def deviation_run(net: Network, fmt: SimFormat, steps: int, inputs: Inputs) -> np.ndarray:
    """Part 2: per step t = 1..T, a bound of max over inputs |y_t(p-bit run) - y_t(exact)| (inf past range)."""
    run = _Run(net, inputs, get_backend("numpy"), split_lanes(net), "ball", fmt, True)
    out = np.full(steps, np.inf)
    for t in range(1, steps + 1):
        run.step()
        m, r = run.lanes.state()
        mid, _, rad = run.sample()
        fine = run.lanes.finite().all() and (m.size == 0 or float((np.abs(m) + r).max()) < fmt.max / 4) \
            and float((np.abs(mid) + rad).max(initial=0.0)) < fmt.max / 4
        if not fine:
            break
        out[t - 1] = 2 * float(rad.max(initial=0.0))
    return out


def precision_report(net: Network, steps: int, eps: fmpq | None = None, x_grid: int = 17,
                     domain: tuple[fmpq, fmpq] = (fmpq(-1), fmpq(1))) -> PrecisionReport:
    """Both parts for float32 and float64 (and, with ``eps``, the fewest bits that reach it)."""
    if steps < 1:
        raise InputError(f"--steps={steps} must be at least 1")
    if eps is not None and eps <= 0:
        raise InputError(f"--eps={eps} must be positive")
    bits, peak, until, n_exact = identical_windows(net, steps)
    inputs = Inputs.grid(domain[0], domain[1], x_grid)
    deviation, within = {}, {}
    for p, fmt in FORMATS.items():
        horizon = until[p]
        dev = deviation_run(net, fmt, horizon, inputs) if horizon else np.zeros(0)
        deviation[p] = float(dev.max(initial=0.0))
        if eps is not None:
            bad = np.nonzero(dev > float(eps) * (1 - 2.0**-40))[0]  # the float compare is kept conservative
            within[p] = int(bad[0]) if bad.size else horizon
    best = None
    if eps is not None and (bits <= 53 or not n_exact):
        def ok(p: int) -> bool:
            dev = deviation_run(net, SimFormat(p, -1022), steps, inputs)
            return float(dev.max(initial=0.0)) <= float(eps) * (1 - 2.0**-40)

        lo, hi = max(8, bits if n_exact else 8), 53  # enclosures only grow as p shrinks: bisect
        if ok(hi):
            while lo < hi:
                mid = (lo + hi) // 2
                lo, hi = (lo, mid) if ok(mid) else (mid + 1, hi)
            best = hi
    return PrecisionReport(steps, n_exact, bits, peak, until, eps, deviation, within, best)
