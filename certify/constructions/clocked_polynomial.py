"""One ReLU RNN per polynomial p(x) = Σ a_k x^k on [−D, D] whose error falls like 4^(−C·T) as it runs: Horner's
scheme b_N = a_N, b_k = a_k + x·b_{k+1}, each product by the sawtooth multiplier, and a clock that restarts
every product in **epochs of doubling length**, each product using its inputs as the previous epoch left
them (clocked composition). Our own derivation in the style of arXiv 2511.15326 (whose text we have not read).

Scaling: x̃ = x/D ∈ [−1, 1], ã_k = a_k·D^k/(2B) with B = Σ|a_k|·D^k, so every Horner value b̃_k lies in
[−1/2, 1/2] and p(x) = 2B·b̃_0. b̃_{N−1} = ã_{N−1} + ã_N·x̃ is exact (linear); each other b̃_k = ã_k + P_k.

**Clock and epochs** (11 shared units). k = 4^(−t) (self-loop 1/4); the epoch counter ρ ∈ {4^(−r)} is
multiplied by 4 each step and reloaded with k when it reaches 1, so restarts fall at r_e = 2^e − 1
(e = 1, 2, …); S = relu(ρ − 1/4) and D1 = relu(ρ − 1/16) are its detectors (g = 4S/3 is "ρ = 1", and
16·D1/3 − 20·S/3 is "ρ = 1/4", which lets KG = k·g be a unit); G1, G2, G3 delay g by 1, 2, 3 steps; the
product clock κ = K1 + G3 restarts at 1 three steps after a restart and is divided by 4 each step.

**A product stage** P ≈ x̃·w (16 units): w is *latched* at a restart (LA, LB: ℓ = LA + LB − 4, reloaded
when g = 1 by gating with a margin of 4), s± = |x̃ ± w|/2 (AP±, AN±), and for each a sawtooth squarer
(SG± loads s± when the product clock restarts, teeth a±, b±, c± scaled by κ, accumulator A±):
Q± = s± − A± − v± = f_m(s±) after m levels, |Q± − s±²| ≤ 4^(−(m+1)), P = Q+ − Q− with |P − x̃w| ≤ 2·4^(−(m+1)).
The output b̃_0 is latched at each restart (2 units): y = 2B·(ℓ_Y); so y is constant over an epoch and
improves at each restart.

Hidden dimension 16·(N − 1) + 13 for degree N ≥ 2 (the summary of arXiv 2511.15326 states 80N + 11 for its
construction).

>>> f = polynomial_file([fmpq(0), fmpq(0), fmpq(1)], fmpq(1))      # x² on [−1, 1]
>>> f.network.hidden_dim
29
>>> ys = [y[0] for _, _, y in f.network.run([fmpq(1, 3)], 40, kind="impulse")]
>>> abs(ys[39] - fmpq(1, 9)) <= fmpq(4) * fmpq(1, 4) ** 6
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flint import fmpq

from certify.constructions.unit_builder import ONE, Form, UnitBuilder, plus
from certify.errors import InputError
from certify.rational import to_string
from certify.spec.file import InputSpec, RnnFile
from certify.spec.network import Network

#: Latch margin: latched values and squarer inputs are gated correctly while |value| ≤ MARGIN/2.
MARGIN = 8
#: Most degree a build accepts.
MAX_DEGREE = 12


def restarts(until: int) -> list[int]:
    """Restart steps r_e = 2^e − 1 up to ``until``.

    >>> restarts(40)
    [1, 3, 7, 15, 31]
    """
    out, r = [], 1
    while r <= until:
        out.append(r)
        r = 2 * r + 1
    return out


def _clock(b: UnitBuilder, d: fmpq) -> None:
    """The 11 shared units: the stored input, the clock, the epoch counter and its detectors, the delays."""
    b.unit("xp", {"xp": 1}, x=1 / d)
    b.unit("xn", {"xn": 1}, x=-1 / d)
    b.unit("k", {"k": fmpq(1, 4)}, h0=1)
    rho: Form = {"rho": 4, "S": fmpq(-16, 3), "KG": 1}
    b.unit("rho", rho, h0=fmpq(1, 4))
    b.unit("S", plus(rho, {ONE: fmpq(-1, 4)}))
    b.unit("D1", plus(rho, {ONE: fmpq(-1, 16)}), h0=fmpq(3, 16))
    b.unit("KG", {"k": fmpq(1, 4), ONE: -1, "D1": fmpq(16, 3), "S": fmpq(-20, 3)})
    b.unit("G1", {"S": fmpq(4, 3)})
    b.unit("G2", {"G1": 1})
    b.unit("G3", {"G2": 1})
    b.unit("K1", {"K1": fmpq(1, 4), "G3": fmpq(1, 4), "G2": -1})


G: Form = {"S": fmpq(4, 3)}  # g: "ρ = 1", a restart, as a linear form
X: Form = {"xp": 1, "xn": -1}  # x̃
KAPPA: Form = {"K1": 1, "G3": 1}


def _latch(b: UnitBuilder, name: str, value: dict[str, fmpq]) -> dict[str, fmpq]:
    """ℓ = value at the last restart (2 units); returns ℓ as a linear form."""
    half = fmpq(MARGIN, 2)
    ell = plus({f"{name}A": 1, f"{name}B": 1, ONE: -half})
    b.unit(f"{name}A", plus(ell, {ONE: half}, plus(G, scale=-MARGIN)), h0=half)
    b.unit(f"{name}B", plus(value, {ONE: -half}, plus(G, scale=MARGIN)))
    return ell


def _squarer(b: UnitBuilder, name: str, s: dict[str, fmpq]) -> dict[str, fmpq]:
    """f_m(s) for the s at the product clock's restart (7 units); returns it as a linear form."""
    v = plus({f"{name}a": fmpq(1, 2), f"{name}b": -1, f"{name}c": fmpq(1, 2)})
    b.unit(f"{name}SG", plus(s, {ONE: -MARGIN}, {"G2": MARGIN}))
    w = plus(v, {f"{name}SG": 1})
    b.unit(f"{name}a", plus(w, {"G2": -MARGIN}))
    b.unit(f"{name}b", plus(w, plus(KAPPA, scale=fmpq(-1, 2)), {"G2": -MARGIN}))
    b.unit(f"{name}c", plus(w, plus(KAPPA, scale=-1), {"G2": -MARGIN}))
    b.unit(f"{name}A", plus({f"{name}A": 1}, v, {"G2": -MARGIN}))
    return plus(s, {f"{name}A": -1}, plus(v, scale=-1))


def _product(b: UnitBuilder, name: str, w: dict[str, fmpq]) -> dict[str, fmpq]:
    """P ≈ x̃·w with w latched at the restart (16 units); returns P as a linear form."""
    ell = _latch(b, f"{name}w", w)
    q: dict[str, dict[str, fmpq]] = {}
    for sign, tag in ((1, "p"), (-1, "m")):
        half = plus(X, plus(ell, scale=sign), scale=fmpq(1, 2))
        b.unit(f"{name}{tag}P", half)
        b.unit(f"{name}{tag}N", plus(half, scale=-1))
        q[tag] = _squarer(b, f"{name}{tag}", plus({f"{name}{tag}P": 1, f"{name}{tag}N": 1}))
    return plus(q["p"], plus(q["m"], scale=-1))


def scaled(coeffs: Sequence[fmpq], d: fmpq) -> tuple[list[fmpq], fmpq]:
    """(ã_k, B): ã_k = a_k·D^k/(2B), B = Σ|a_k|·D^k."""
    raw = [c * d**k for k, c in enumerate(coeffs)]
    big = sum((abs(c) for c in raw), fmpq(0))
    if big == 0:
        raise InputError("--coeffs: the polynomial is 0")
    return [c / (2 * big) for c in raw], big


def polynomial_network(coeffs: Sequence[fmpq], d: fmpq) -> Network:
    """The clocked Horner RNN of p(x) = Σ coeffs[k]·x^k on [−d, d] (module text)."""
    if d <= 0:
        raise InputError(f"--domain D={d} must be positive (the input ranges over [-D, D])")
    n = len(coeffs) - 1
    if n < 2 or n > MAX_DEGREE:
        raise InputError(f"--coeffs gives degree {n}: the clocked polynomial RNN is built for degrees 2 to "
                         f"{MAX_DEGREE} (a linear p needs no product)")
    if coeffs[-1] == 0:
        raise InputError("--coeffs: the last coefficient (the leading one) is 0")
    a, big = scaled(coeffs, d)
    b = UnitBuilder()
    _clock(b, d)
    horner = plus({ONE: a[n - 1]}, plus(X, scale=a[n]))  # b̃_{N−1}, exact
    for k in range(n - 2, -1, -1):
        horner = plus({ONE: a[k]}, _product(b, f"s{k}", horner))
    out = _latch(b, "Y", horner)
    return b.network(readout=plus(out, scale=2 * big))


def error_bound(n: int, big: fmpq, r: int) -> fmpq | None:
    """A proven bound of |y_T − p| for T in (r, next restart], from the output latched at restart r: each stage adds
    2·4^(−(m+1)) (m: its levels in the epoch that ended at r) to the error its input had one epoch earlier, times
    2B. None when some stage in the chain had no complete level (m < 0) or no earlier epoch."""
    rs = restarts(r)
    if not rs or rs[-1] != r:
        return None
    err = fmpq(0)
    for depth in range(n - 1):  # stage 0 at epoch ending r, stage 1 one epoch earlier, …
        i = len(rs) - 1 - depth
        if i < 1:
            return None
        m = rs[i] - rs[i - 1] - 3
        if m < 0:
            return None
        err += 2 * fmpq(1, 4) ** (m + 1)
    return 2 * big * err


def polynomial_claims(coeffs: Sequence[fmpq], d: fmpq, until: int) -> dict[str, Any]:
    """The claimed rate table: one row per restart r (from the first where every stage has a level), E proven by
    :func:`error_bound`, up to ``until``."""
    n = len(coeffs) - 1
    _, big = scaled(coeffs, d)
    rows = []
    for r in restarts(until):
        e = error_bound(n, big, r)
        if e is not None and r + 1 <= until:
            rows.append({"T": r + 1, "E": to_string(e)})
    terms = " + ".join(f"({to_string(c)})*x**{k}" for k, c in enumerate(coeffs) if c != 0)
    claims: dict[str, Any] = {"target": terms, "hidden_dim_max": 16 * (n - 1) + 13, "rate": rows}
    if rows:
        claims["rate_until"] = until + 1
    return claims


def polynomial_file(coeffs: Sequence[fmpq], d: fmpq, until: int = 63) -> RnnFile:
    """The clocked polynomial RNN with its claims, impulse input on [−d, d]."""
    return RnnFile(polynomial_network(coeffs, d), name="polynomial_clocked", input=InputSpec("impulse", ((-d, d),)),
                   claims=polynomial_claims(coeffs, d, until))
