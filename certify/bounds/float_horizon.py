"""How long a float run of any network follows the exact one: a rigorous bound of |ỹ_t − y_t| for every
float run with a p-bit significand (any summation order), over the whole input domain, and the units that
make it grow.

**Deviation bound** (forward error analysis, carried with arb over x-lanes covering the domain). For every
unit, H is an enclosure of its exact value on the lane and δ a bound of |h̃ − h| for every float run. A
unit's pre-activation z = Σ w_j h_j + b (n terms) is computed in floating point as z̃ with

    |z̃ − z| ≤ Σ |w_j|·δ_j + (γ_n + u)·(Σ |w_j|·(|H_j| + δ_j) + |b|) + n·η,     u = 2^(−p), γ_n = n·u/(1 − n·u)

(Higham's γ_n for the sum, u for rounding the weights to the format, η the smallest subnormal for
underflow). The piecewise-linear activations are 1-Lipschitz and exact in floating point; tanh (1-Lipschitz)
and sigmoid (1/4-Lipschitz) add a library error of :data:`LIBRARY_ULPS` ulps (an assumption about the
maths library, stated in the report). The input is rounded to the format first (|x̃ − x| ≤ u·|x|), P and Q
are products like the others, and the readout likewise.

**Absorbed units** (the prediction, before any float run): in an exact rollout at a few inputs, a term
w_j·h_j ≠ 0 added into unit i is *absorbed* in a p-bit format from the first step where it is smaller than
2^(−p) times the largest term of the same sum: a float run drops it (2 + 2^(−63) = 2). A clock or scale unit
worth 2^(−t) is absorbed after about p steps; a float run of such a network stops improving there while
the exact run goes on.

>>> from certify.constructions.clocked import squaring_file
>>> rep = float_horizon(squaring_file(fmpq(1)), steps=40, eps=None, lanes=4)
>>> rep.max_T["float32"] < rep.max_T["float64"] < 40, rep.bits_needed > 53
(True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from flint import arb, ctx, fmpq

from certify.bounds.claims import parse_claims
from certify.bounds.float_observed import observed_step
from certify.errors import InputError
from certify.expr import arb_to_fmpq
from certify.spec.activation import check as known
from certify.spec.file import RnnFile
from certify.spec.network import Network, input_at
from certify.spec.sparse import SparseMatrix

#: Formats: significand bits (with the hidden bit) and the smallest subnormal's exponent.
FORMATS = {"float32": (24, -149), "float64": (53, -1074)}
#: Assumed error of the maths library's tanh / exp (in ulps of the result).
LIBRARY_ULPS = 4
#: Most significand bits ``bits_needed`` searches.
MAX_BITS = 4096


@dataclass(frozen=True)
class Absorbed:
    """Unit ``unit``'s contribution to unit ``into`` (−1: the readout) is absorbed in ``fmt`` from step ``t``;
    ``unit == into``: the unit's own sum cancels to below the rounding of its terms (2 − (2 − 2^(−t)))."""

    unit: int
    into: int
    t: int
    fmt: str


@dataclass(frozen=True)
class HorizonReport:
    steps: int
    eps_text: str
    max_T: dict[str, int | None]
    deviation: dict[str, list[fmpq]]  # per format: the bound of sup |ỹ_t − y_t| at t = 1..steps
    bits_needed: int | None
    absorbed: tuple[Absorbed, ...]
    observed: dict[str, int | None] = field(default_factory=dict)  # first t where a numpy run exceeded ε
    notes: tuple[str, ...] = ()

    def predicted(self, fmt: str) -> int | None:
        """The first step where some unit's contribution is absorbed in ``fmt`` (None: none up to ``steps``)."""
        ts = [a.t for a in self.absorbed if a.fmt == fmt]
        return min(ts) if ts else None

    def json(self) -> dict:
        units = sorted({a.unit for a in self.absorbed})
        return {
            "format": "certify.precision/1", "steps": self.steps, "eps": self.eps_text,
            **{fmt: {"max_T": self.max_T[fmt], "predicted_T": self.predicted(fmt),
                     "observed_T": self.observed.get(fmt),
                     "deviation_at_steps": str(self.deviation[fmt][-1]) if self.deviation[fmt] else None}
               for fmt in FORMATS},
            "bits_needed": self.bits_needed,
            "units": [{"unit": u, "absorbed": [{"into": a.into, "t": a.t, "format": a.fmt}
                                               for a in self.absorbed if a.unit == u]} for u in units],
            "library_ulps_assumed": LIBRARY_ULPS, "notes": list(self.notes),
        }


def tolerances(f: RnnFile, steps: int, eps: fmpq | None) -> tuple[list[fmpq | None], str]:
    """ε_t for t = 1..steps: ``eps``, else the file's claimed error at t (rate table or formula), else None."""
    if eps is not None:
        return [eps] * steps, str(eps)
    spans = parse_claims(f.claims).require("rate", "rate_until", "rate_formula").spans()
    if not spans:
        raise InputError("certify precision needs --eps E, or a claimed rate (claims.rate or claims.rate_formula) "
                         "to compare the float deviation with")
    out: list[fmpq | None] = []
    for t in range(1, steps + 1):
        es = [s.E for s in spans if s.meets(t, t + 1)]
        out.append(min(es) if es else None)
    return out, "the claimed error E(T)"


def float_horizon(f: RnnFile, steps: int, eps: fmpq | None, lanes: int = 16, samples: int = 5) -> HorizonReport:
    """The deviation bounds, horizons, bits needed and absorbed units of ``f`` up to ``steps`` (module text)."""
    net, kind = f.network, f.input.kind
    if kind not in ("constant", "impulse"):
        raise InputError(f"input.kind={kind!r}: precision follows a constant or an impulse input")
    for name in set(net.activations):
        known(name)
    eps_t, eps_text = tolerances(f, steps, eps)
    boxes = _lanes(f, lanes)
    deviation, max_T = {}, {}
    for fmt, (p, emin) in FORMATS.items():
        deviation[fmt] = deviation_bounds(net, kind, boxes, steps, p, emin)
        max_T[fmt] = _last_within(deviation[fmt], eps_t)
    bits = _bits_needed(net, kind, boxes, steps, eps_t)
    points = _sample_points(f, samples)
    absorbed = tuple(absorbed_units(net, kind, points, steps)) if net.is_piecewise_linear else ()
    observed = {fmt: observed_step(net, kind, points, steps, eps_t, dtype)
                for fmt, dtype in (("float32", np.float32), ("float64", np.float64))} \
        if net.is_piecewise_linear else {}
    notes = []
    if not net.is_piecewise_linear:
        notes.append("absorbed units and observed runs need exact rollouts: not computed for "
                     + ", ".join(sorted(set(net.activations))))
    return HorizonReport(steps, eps_text, max_T, deviation, bits, absorbed, observed, tuple(notes))


def _lanes(f: RnnFile, lanes: int) -> list[list[arb]]:
    """Boxes covering the input domain: ``lanes`` pieces of dimension 0, the others whole."""
    d = f.network.input_dim
    out = []
    for i in range(lanes):
        box = []
        for k in range(d):
            lo, hi = f.input.domain_of(k)
            a, b = (lo + (hi - lo) * fmpq(i, lanes), lo + (hi - lo) * fmpq(i + 1, lanes)) if k == 0 else (lo, hi)
            box.append(_ball(a, b))
        out.append(box)
    return out


def _ball(a: fmpq, b: fmpq) -> arb:
    return arb((a + b) / 2, (b - a) / 2)


def _mag(v: arb) -> arb:
    return abs(v).upper()


def _row_counts(mat: SparseMatrix) -> list[int]:
    out = [0] * mat.shape[0]
    for i, _, _ in mat.entries():
        out[i] += 1
    return out


def _linear(mat: SparseMatrix, vals: Sequence[arb], devs: Sequence[arb], bias: Sequence[fmpq] | None,
            u: arb, eta: arb, others: Sequence[int] | None = None) -> tuple[list[arb], list[arb]]:
    """Exact enclosures and deviation bounds of mat·v (+ bias), each row a float sum (module text). ``others``:
    per row, the terms of the same float sum that another call adds (γ_n counts the whole sum, in any order)."""
    rows: list[list[tuple[int, fmpq]]] = [[] for _ in range(mat.shape[0])]
    for i, j, w in mat.entries():
        rows[i].append((j, w))
    out_v, out_d = [], []
    for i, row in enumerate(rows):
        b = bias[i] if bias is not None else fmpq(0)
        n = len(row) + (1 if b != 0 else 0) + (others[i] if others is not None else 0)
        val = arb(b)
        dev = arb(0)
        size = abs(arb(b))
        for j, w in row:
            aw = abs(arb(w))
            val += arb(w) * vals[j]
            dev += aw * devs[j]
            size += aw * (_mag(vals[j]) + devs[j])
        if n:
            gamma = n * u / (1 - n * u)
            dev += (gamma + u) * size + n * eta
        out_v.append(val)
        out_d.append(dev.upper())
    return out_v, out_d


def _activate(name: str, z: list[arb], dz: list[arb], u: arb) -> tuple[list[arb], list[arb]]:
    if name == "relu":
        return [_relu(v) for v in z], dz
    if name == "identity":
        return z, dz
    if name == "hardtanh":
        return [_clamp(v, arb(-1), arb(1)) for v in z], dz
    if name == "satlin":
        return [_clamp(v, arb(0), arb(1)) for v in z], dz
    lip = arb(1) if name == "tanh" else arb(1) / 4
    vals = [v.tanh() if name == "tanh" else 1 / (1 + (-v).exp()) for v in z]
    return vals, [(lip * d + LIBRARY_ULPS * u * _mag(v)).upper() for v, d in zip(vals, dz, strict=True)]


def _relu(v: arb) -> arb:
    lo, hi = v.lower(), v.upper()
    if lo >= 0:
        return v
    if hi <= 0:
        return arb(0)
    return arb(hi / 2, hi / 2)


def _clamp(v: arb, a: arb, b: arb) -> arb:
    lo, hi = v.lower(), v.upper()
    lo = a if lo < a else (b if lo > b else lo)
    hi = b if hi > b else (a if hi < a else hi)
    return arb((lo + hi) / 2, (hi - lo) / 2)


def deviation_bounds(net: Network, kind: str, boxes: list[list[arb]], steps: int, p: int, emin: int) -> list[fmpq]:
    """The bound of sup |ỹ_t − y_t| over every lane, for t = 1..steps, in a p-bit format."""
    old = ctx.prec
    ctx.prec = max(128, p + 64)
    try:
        u, eta = arb(2) ** (-p), arb(2) ** emin
        worst = [arb(0)] * steps
        for box in boxes:
            h = [arb(v) for v in net.h0]
            dh = [arb(0)] * len(h)
            for t in range(1, steps + 1):
                xs = [arb(v) for v in input_at(kind, box, t)]  # type: ignore[arg-type]  # arb balls, not fmpq
                dx = [(u * _mag(x)).upper() for x in xs]
                if net.P is not None:
                    xs, dx = _linear(net.P, list(xs), dx, None, u, eta)
                new_h: list[arb] = []
                new_d: list[arb] = []
                inp, dinp = list(xs), dx
                for layer, (hl, dl) in zip(net.layers, _split(net, h, dh), strict=True):
                    n_in, n_rec = _row_counts(layer.W_ih), _row_counts(layer.W_hh)
                    zh, dzh = _linear(layer.W_hh, hl, dl, layer.b, u, eta, n_in)
                    if layer.input_dim:
                        bias_terms = [r + (1 if v != 0 else 0) for r, v in zip(n_rec, layer.b, strict=True)]
                        zi, dzi = _linear(layer.W_ih, inp, dinp, None, u, eta, bias_terms)
                        z = [a + b for a, b in zip(zh, zi, strict=True)]
                        # both parts count every term of the one sum (γ_n of the whole row), plus a rounding
                        # of their addition should an implementation add two partial sums
                        dz = [(da + db + u * (_mag(a) + _mag(b) + da + db)).upper()
                              for a, b, da, db in zip(zh, zi, dzh, dzi, strict=True)]
                    else:
                        z, dz = zh, dzh
                    v, dv = _activate(layer.activation, z, dz, u)
                    new_h += v
                    new_d += dv
                    inp, dinp = v, dv
                h, dh = new_h, new_d
                last = len(h) - net.layers[-1].hidden_dim
                s, ds = h[last:], dh[last:]
                if net.Q is not None:
                    s, ds = _linear(net.Q, s, ds, None, u, eta)
                _, dy = _linear(net.W_out, s, ds, net.b_out, u, eta)
                top = dy[0].upper()  # exact points: the comparison is exact
                worst[t - 1] = top if top > worst[t - 1] else worst[t - 1]
        return [arb_to_fmpq(w.upper()) for w in worst]
    finally:
        ctx.prec = old


def _split(net: Network, h: list[arb], dh: list[arb]) -> list[tuple[list[arb], list[arb]]]:
    out, k = [], 0
    for layer in net.layers:
        out.append((h[k:k + layer.hidden_dim], dh[k:k + layer.hidden_dim]))
        k += layer.hidden_dim
    return out


def _last_within(dev: list[fmpq], eps_t: list[fmpq | None]) -> int | None:
    """The largest T with dev_t ≤ ε_t for every t ≤ T (steps without a tolerance do not count); None: not even
    T = 1."""
    last = None
    for t, (d, e) in enumerate(zip(dev, eps_t, strict=True), start=1):
        if e is not None and d > e:
            return last
        last = t
    return last


def _bits_needed(net: Network, kind: str, boxes: list[list[arb]], steps: int, eps_t: list[fmpq | None]) -> int | None:
    """The fewest significand bits whose deviation bound stays within ε_t for t = 1..steps (binary search)."""
    def ok(p: int) -> bool:
        return _last_within(deviation_bounds(net, kind, boxes, steps, p, -1074 - p), eps_t) == steps

    if not ok(MAX_BITS):
        return None
    lo, hi = 2, MAX_BITS
    while lo < hi:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _sample_points(f: RnnFile, n: int) -> list[list[fmpq]]:
    """n inputs across the domain (endpoints, centre, non-dyadic points between), every dimension alike."""
    d = f.network.input_dim
    out = []
    for i in range(n):
        out.append([lo + (hi - lo) * fmpq(2 * i + 1, 2 * n) for lo, hi in (f.input.domain_of(k) for k in range(d))])
    return out


def absorbed_units(net: Network, kind: str, points: list[list[fmpq]], steps: int) -> list[Absorbed]:
    """The first absorption of each (unit → unit) contribution, per format, in exact rollouts at ``points``."""
    first: dict[tuple[int, int, str], int] = {}
    for x in points:
        h = list(net.h0)
        for t in range(1, steps + 1):
            terms = _terms(net, h, input_at(kind, x, t))
            for into, row in terms.items():
                big = max((abs(v) for _, v in row), default=fmpq(0))
                total = sum((v for _, v in row), fmpq(0))
                for unit, v in row:
                    if v == 0 or unit < 0:
                        continue
                    for fmt, (p, _) in FORMATS.items():
                        if abs(v) * 2**p < big:
                            key = (unit, into, fmt)
                            first[key] = min(first.get(key, t), t)
                for fmt, (p, _) in FORMATS.items():  # the sum itself cancels below its terms' rounding
                    if into >= 0 and total != 0 and abs(total) * 2**p < big:
                        key = (into, into, fmt)
                        first[key] = min(first.get(key, t), t)
            h = net.step(h, input_at(kind, x, t))
    return sorted((Absorbed(u, i, t, fmt) for (u, i, fmt), t in first.items()), key=lambda a: (a.t, a.unit, a.into))


def _terms(net: Network, h: list[fmpq], x: Sequence[fmpq]) -> dict[int, list[tuple[int, fmpq]]]:
    """For a one-layer network: the terms w·h_j (unit j) and the bias/input (unit −1) of each unit's sum,
    and of the readout (−1); deeper networks: the recurrent terms of each layer (global unit indices)."""
    out: dict[int, list[tuple[int, fmpq]]] = {}
    k = 0
    for layer, hl in zip(net.layers, net.split(h), strict=True):
        for i, j, w in layer.W_hh.entries():
            out.setdefault(k + i, []).append((k + j, w * hl[j]))
        for i, v in enumerate(layer.b):
            out.setdefault(k + i, []).append((-1, v))
        k += layer.hidden_dim
    last = len(h) - net.layers[-1].hidden_dim
    if net.Q is None:
        for _, j, w in net.W_out.entries():
            out.setdefault(-1, []).append((last + j, w * h[last + j]))
    return out
