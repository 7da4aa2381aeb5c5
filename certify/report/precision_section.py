"""The report's precision section: the table of :mod:`certify.bounds.precision` (certified rates:
:mod:`certify.report.certified`).

When the file has nothing for that analysis (no runtime, more than one input), the section says
"not computed" and why; it never shows numbers it did not get from that module.

>>> NOT_REQUESTED.status
'not computed'
"""

from __future__ import annotations

from fractions import Fraction

from certify.bounds.precision import NEVER, precision_report
from certify.report.model import Section, Table
from certify.spec.io import RnnFile

NOT_REQUESTED = Section("not computed", "not requested for this report")


def precision(f: RnnFile, steps: int, x_grid: int = 9) -> Section:
    """The precision table of :mod:`certify.bounds.precision` up to ``steps``, or "not computed" and why.

    Float bounds from that module are shown rounded *up* (:func:`up`), so a displayed bound is never
    below the certified one.
    """
    if steps < 1:
        return Section("not computed", "no runtime to analyse")
    if f.network.input_dim != 1:
        return Section("not computed", f"the precision analysis takes one constant input; this network has "
                                       f"input_dim={f.network.input_dim}")
    if not f.network.is_single_relu or f.input.kind != "constant":
        return Section("not computed", f"the precision analysis runs one ReLU layer with constant input; this network "
                                       f"is {f.network.describe()} with {f.input.kind} input")
    rep = precision_report(f.network, steps, None, x_grid, f.input.domain)
    n = f.network.hidden_dim
    if not rep.exact_units:
        head = f"No unit of {n} is independent of x; the float bounds cover every unit"
    elif rep.identical_bits == NEVER:
        head = (f"{rep.exact_units} of {n} units do not depend on x; one of their values is not dyadic (first at "
                f"t = {rep.identical_peak[0]}, unit {rep.identical_peak[1]}), so no binary float format computes "
                "them identically")
    else:
        head = (f"{rep.exact_units} of {n} units do not depend on x; a float run computes them identically up to "
                f"T = {steps} with {rep.identical_bits} bits (widest row at t = {rep.identical_peak[0]}, unit "
                f"{rep.identical_peak[1]})")
    rows = []
    for bits, name in ((24, "float32"), (53, "float64")):
        until = rep.identical_until.get(bits, 0)
        dev = rep.deviation.get(bits)
        rows.append((name, str(bits), f"t ≤ {until}" if until < steps else f"all T ≤ {steps}",
                     f"≤ {up(dev)} for t ≤ {until}" if until and dev is not None else "—"))
    return Section("computed", f"{head}. Runtime analysed: T = {steps}; output bound on {x_grid} inputs.",
                   Table(("format", "bits", "x-independent units identical", "|y_float − y_exact|"), tuple(rows)))


def up(x: float, digits: int = 3) -> str:
    """A nonnegative float bound as decimal text rounded up to ``digits`` significant digits (never below x).

    >>> up(1.684850176042492e-16), up(0.0), up(2170.18625870464), up(float("inf"))
    ('1.69e-16', '0', '2.18e3', 'inf')
    """
    if x != x or x == float("inf"):
        return "inf"
    q = Fraction(x)
    if q <= 0:
        return "0"
    e = len(str(q.numerator)) - len(str(q.denominator))
    while q < Fraction(10) ** e:
        e -= 1
    while q >= Fraction(10) ** (e + 1):
        e += 1
    scale = Fraction(10) ** (e - digits + 1)
    m = -((-q) // scale)  # ceiling
    if m == 10**digits:
        m, e = m // 10, e + 1
    text = str(m)
    mant = text[0] + ("." + text[1:].rstrip("0") if text[1:].rstrip("0") else "")
    return f"{mant}e{e}" if e else mant
