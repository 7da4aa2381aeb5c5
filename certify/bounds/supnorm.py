"""Rigorous sup-norms on [-1, 1]: sup_x |g(x) - f(x)| bounded from above and below, for g a
polynomial in the Chebyshev basis (:func:`chebyshev_supnorm`) or an affine-in-x enclosure of a
network output on x-subintervals (:func:`lane_supnorm`). f is enclosed with python-flint ``arb``.

Polynomials are handled in the angle θ (x = cos θ, θ ∈ [0, π]): p(cos θ) = Σ c_k cos kθ =
Re Σ c_k e^{ikθ}, evaluated at points by complex Horner (no Chebyshev recurrence, whose ball
radii grow like (1+√2)^k), with the global bounds |d/dθ p| <= Σ k|c_k| and |d²/dθ² p| <= Σ k²|c_k|.
On a piece Θ = [θc - δ, θc + δ] (e = p∘cos - f∘cos):

    sup_Θ |e| <= |e(θc)| + |e'(θc)|·δ + (Σ k²|c_k| + sup_Θ |(f∘cos)''|)·δ²/2

with (f∘cos)'' enclosed by ``arb_series`` over the ball Θ; where f has a kink in Θ (abs, min, max,
piecewise, sqrt at 0) the first-order form |p(θc) - f(cos Θ)| + Σ k|c_k|·δ is used instead.
Pieces are bisected (branch and bound) until the upper bound is within a relative tolerance of
the best lower bound, below a target, or a piece budget runs out — then the result says so.
The lower bound is |e| at a rational witness x, enclosed rigorously: never a float sample.

>>> from certify.expr import parse_function
>>> b = chebyshev_supnorm({0: fmpq(1), 1: fmpq(1)}, parse_function("exp(x)"), rel_tol=0.01)
>>> float(b.lower) <= 0.7182818285 <= float(b.upper) <= 0.7182818285 * 1.02   # |1 + x - e^x| peaks at x=1
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import sympy
from flint import acb, acb_poly, arb, arb_series, ctx, fmpq

from certify.execute.tmnu_enclosure import Form, Lanes
from certify.expr import ArbFunction, NonSmooth, X, arb_to_fmpq
from certify.verdict import Verdict

#: Default most pieces one sup-norm computation may use before it stops undecided.
MAX_PIECES = 400_000
#: Default absolute tolerance: below it a sup-norm is not refined further.
ABS_TOL = fmpq(1, 2**40)


@dataclass(frozen=True)
class SupBound:
    """lower <= sup_x |g(x) - f(x)| <= upper, both rigorous (upper None: no finite bound found).

    ``witness`` is a rational x with |g(x) - f(x)| >= lower; ``settled`` says whether refinement
    reached its goal (tolerance or target) rather than running out of budget.
    """

    lower: fmpq
    upper: fmpq | None
    witness: fmpq | None
    pieces: int
    settled: bool
    note: str = ""

    def decide(self, claim: fmpq) -> tuple[Verdict, str]:
        """Is sup |g - f| <= claim? PROVED by the upper bound, REFUTED by the witness, else UNKNOWN."""
        if self.upper is not None and self.upper <= claim:
            return Verdict.PROVED, f"certified sup <= {_d(self.upper)} <= {_d(claim)}"
        if self.lower > claim:
            return Verdict.REFUTED, f"|g - f| >= {_d(self.lower)} > {_d(claim)} at x = {self.witness}"
        up = "no finite upper bound" if self.upper is None else f"certified upper bound {_d(self.upper)}"
        return Verdict.UNKNOWN, (f"{up} exceeds the claim {_d(claim)}, and no witness exceeds it "
                                 f"(largest certified |g - f| found: {_d(self.lower)})"
                                 + (f"; {self.note}" if self.note else ""))


def _d(q: fmpq) -> str:
    return f"{float(q):.6g}"


def _up(v: arb) -> fmpq | None:
    u = v.upper()
    return arb_to_fmpq(u) if u.is_finite() else None


def _low(v: arb) -> fmpq:
    lo = v.lower()
    return max(arb_to_fmpq(lo), fmpq(0)) if lo.is_finite() else fmpq(0)


class _Poly:
    """p(cos θ) and its first two θ-derivatives at points θ = π·t, by complex Horner on blocks of
    ``BLOCK`` coefficients, each shifted by e^{i·j·BLOCK·θ} computed directly (the radius of a
    complex Horner grows like (|cos θ| + |sin θ|)^length, so short blocks keep the precision low)."""

    BLOCK = 64

    def __init__(self, coeffs: Mapping[int, fmpq]) -> None:
        n = max(coeffs, default=0)
        self.degree = n
        self.prec = 96 + min(n, self.BLOCK) // 2
        dense = [coeffs.get(k, fmpq(0)) for k in range(n + 1)]
        self.m1 = sum((k * abs(c) for k, c in enumerate(dense)), fmpq(0))
        self.m2 = sum((k**2 * abs(c) for k, c in enumerate(dense)), fmpq(0))
        self.m3 = sum((k**3 * abs(c) for k, c in enumerate(dense)), fmpq(0))
        with _Prec(self.prec):
            self.blocks = []
            for j in range(0, n + 1, self.BLOCK):
                part = list(enumerate(dense[j:j + self.BLOCK], start=j))
                self.blocks.append((j, acb_poly([acb(c) for _, c in part]),
                                    acb_poly([acb(k * c) for k, c in part]),
                                    acb_poly([acb(k * k * c) for k, c in part])))
            self.d3 = acb_poly([acb(k**3 * c) for k, c in enumerate(dense)]) if n <= 128 else None

    def third_on(self, t: fmpq, ht: fmpq) -> arb | None:
        """An enclosure of d³p/dθ³ over θ ∈ π·[t - ht, t + ht] (low degrees only; None otherwise)."""
        if self.d3 is None:
            return None
        with _Prec(self.prec):
            s, c = arb(t, ht).sin_cos_pi()
            return self.d3(acb(c, s)).imag

    def at(self, t: fmpq) -> tuple[arb, arb, arb]:
        """(p, dp/dθ, d²p/dθ²) at θ = π·t."""
        with _Prec(self.prec):
            s, c = arb(t).sin_cos_pi()
            z = acb(c, s)
            v = d1 = d2 = acb(0)
            for j, p0, p1, p2 in self.blocks:
                if j:
                    s, c = arb(j * t).sin_cos_pi()
                    shift = acb(c, s)
                    v, d1, d2 = v + shift * p0(z), d1 + shift * p1(z), d2 + shift * p2(z)
                else:
                    v, d1, d2 = v + p0(z), d1 + p1(z), d2 + p2(z)
            return v.real, -d1.imag, -d2.real

    def at_x(self, x: fmpq) -> arb:
        """p(x) at a rational x in [-1, 1]."""
        with _Prec(self.prec):
            xa = arb(x)
            z = acb(xa, (1 - xa * xa).nonnegative_part().sqrt())
            v = acb(0)
            zb = z ** self.BLOCK
            for j, p0, _, _ in reversed(self.blocks):
                v = v * zb + p0(z) if j else v * zb + p0(z)
            return v.real


class _Prec:
    def __init__(self, prec: int) -> None:
        self.prec = prec

    def __enter__(self) -> None:
        self.old = ctx.prec
        ctx.prec = max(self.old, self.prec)

    def __exit__(self, *exc: object) -> None:
        ctx.prec = self.old


@dataclass
class _Piece:
    t: fmpq  # centre, θ = π t
    ht: fmpq  # half-width in t
    upper: fmpq | None
    lower: fmpq


def chebyshev_supnorm(
    coeffs: Mapping[int, fmpq],
    f: sympy.Expr | None,
    *,
    target: fmpq | None = None,
    rel_tol: float = 0.02,
    abs_tol: fmpq = ABS_TOL,
    max_pieces: int = MAX_PIECES,
) -> SupBound:
    """Bound sup_{x∈[-1,1]} |Σ c_k T_k(x) - f(x)| (f None means 0).

    Without ``target``: refine until upper <= lower + max(lower·rel_tol, abs_tol). With ``target``:
    refine only until the bound is decided against it (upper <= target, or a witness above it).
    """
    poly = _Poly({k: v for k, v in coeffs.items() if v != 0})
    fn = ArbFunction(f) if f is not None else None
    n0 = 16
    while n0 < 4 * (poly.degree + 1) and n0 < 8192:
        n0 *= 2
    ht = fmpq(1, 2 * n0)
    todo = [_Piece(fmpq(2 * i + 1, 2 * n0), ht, None, fmpq(0)) for i in range(n0)]
    done: list[_Piece] = []
    best = _Piece(fmpq(0), fmpq(0), None, fmpq(-1))
    count = 0
    settled = True
    while todo:
        for pc in todo:
            _evaluate(pc, poly, fn)
            if pc.lower > best.lower:
                best = pc
        count += len(todo)
        slack = max(best.lower * fmpq(int(rel_tol * 2**20), 2**20), abs_tol)
        goal = target if target is not None else best.lower + slack
        if target is not None and best.lower > target:
            done += todo
            break
        nxt: list[_Piece] = []
        for pc in todo:
            if pc.upper is not None and pc.upper <= goal:
                done.append(pc)
            elif pc.ht < fmpq(1, 2**40) or count + len(nxt) + 2 > max_pieces:
                done.append(pc)
                settled = False
            else:
                h = pc.ht / 2
                nxt += [_Piece(pc.t - h, h, None, fmpq(0)), _Piece(pc.t + h, h, None, fmpq(0))]
        todo = nxt
    uppers = [pc.upper for pc in done]
    upper = None if any(u is None for u in uppers) else max(u for u in uppers if u is not None)
    witness, lower = _witness(best, poly, fn)
    note = "" if settled else f"piece budget ({max_pieces}) or minimum width reached before the goal"
    return SupBound(lower, upper, witness, count, settled, note)


def _evaluate(pc: _Piece, poly: _Poly, fn: ArbFunction | None) -> None:
    """Upper bound of |e| on the piece (Taylor of order 3 and 2, first order at kinks) and |e(θc)|."""
    with _Prec(max(poly.prec, 64)):
        pv, pd, pdd = poly.at(pc.t)
        theta = arb.pi() * arb(pc.t)
        delta = arb.pi() * arb(pc.ht)
        if fn is None:
            fv = fd = fdd = f2 = f3 = arb(0)
        else:
            try:
                fv, fd, fdd = _taylor(fn, theta, 3)
                _, _, f2, f3 = _taylor(fn, arb(pc.t, pc.ht) * arb.pi(), 4)
            except (NonSmooth, ValueError):
                fv = fd = fdd = f2 = f3 = arb.nan()
        e0 = abs(pv - fv)
        if all(v.is_finite() for v in (fv, fd, fdd, f2, f3)):
            e1, e2 = abs(pd - fd), abs(pdd - fdd)
            d2 = delta * delta
            rem = arb(poly.m3) + abs(f3)
            p3 = poly.third_on(pc.t, pc.ht)
            if p3 is not None and p3.is_finite() and abs(p3 - f3).upper() < rem.upper():
                rem = abs(p3 - f3)
            third = e0 + e1 * delta + e2 * d2 / 2 + rem * d2 * delta / 6
            second = e0 + e1 * delta + (arb(poly.m2) + abs(f2)) * d2 / 2
            bound = third if third.upper() < second.upper() else second
        else:  # first order: f over the whole ball, p Lipschitz in θ
            fball = fn((arb(pc.t, pc.ht) * arb.pi()).cos()) if fn is not None else arb(0)
            bound = abs(pv - fball) + arb(poly.m1) * delta
            e0 = abs(pv - (fn(theta.cos()) if fn is not None else arb(0)))
        pc.upper = _up(bound)
        pc.lower = _low(e0)


def _taylor(fn: ArbFunction, theta: arb, terms: int) -> list[arb]:
    """Derivatives 0..terms-1 of f(cos θ) over the ball θ."""
    cs = fn(arb_series([theta, 1], prec=terms).cos()).coeffs()
    if len(cs) < terms:
        cs = cs + [arb(0)] * (terms - len(cs))
    fact = 1
    out = []
    for i, c in enumerate(cs[:terms]):
        out.append(c * fact)
        fact *= i + 1
    return out


def _witness(best: _Piece, poly: _Poly, fn: ArbFunction | None) -> tuple[fmpq | None, fmpq]:
    """A rational x near the best piece's centre and a rigorous lower bound of |p - f| there."""
    if best.lower < 0:
        return None, fmpq(0)
    with _Prec(64):
        c = (arb.pi() * arb(best.t)).cos().mid()
    x = max(min(arb_to_fmpq(c), fmpq(1)), fmpq(-1))
    x = fmpq(int((x * 2**24).floor()), 2**24)  # a short dyadic, easy to replay
    with _Prec(max(poly.prec, 64)):
        e = poly.at_x(x) - (fn(arb(x)) if fn is not None else arb(0))
    return x, _low(abs(e))


# --- network outputs: affine enclosures on lanes ---------------------------------------------------------
@dataclass(frozen=True)
class LaneBounds:
    """Per lane: a rigorous upper bound of sup |y - f| on it (None: unbounded) and a rigorous lower
    bound of |y(m) - f(m)| at its midpoint m."""

    upper: list[fmpq | None]
    lower: list[fmpq]


def _quadratic(f: sympy.Expr) -> tuple[fmpq, fmpq, fmpq] | None:
    """(a2, a1, a0) when f = a2 x² + a1 x + a0 with rational coefficients."""
    try:
        poly = sympy.Poly(f, X)
    except sympy.PolynomialError:
        return None
    if poly.degree() > 2 or not all(c.is_Rational for c in poly.all_coeffs()):
        return None
    cs = [fmpq(int(c.p), int(c.q)) for c in reversed(poly.all_coeffs())] + [fmpq(0)] * 3
    return cs[2], cs[1], cs[0]


def lane_supnorm(lanes: Lanes, y: Form, f: sympy.Expr) -> LaneBounds:
    """Bounds of |y - f| lane by lane, for y ∈ c + g(x - m) ± r on each lane [m - h, m + h].

    Exact (rational) when f is a quadratic with rational coefficients; else an arb Taylor form
    |c - f(m)| + |g - f'(m)|·h + sup|f''|·h²/2 + r (first order at kinks).
    """
    quad = _quadratic(f)
    fn = ArbFunction(f)
    ups: list[fmpq | None] = []
    lows: list[fmpq] = []
    for i in range(len(lanes)):
        if not np.isfinite(y.r[i]):
            ups.append(None)
            lows.append(fmpq(0))
            continue
        m, h = (fmpq(*float(v).as_integer_ratio()) for v in (lanes.m[i], lanes.h[i]))
        c, g, r = (fmpq(*float(v).as_integer_ratio()) for v in (y.c[i], y.g[i], y.r[i]))
        if quad is not None:
            a2, a1, a0 = quad

            def err(x, a2=a2, a1=a1, a0=a0, c=c, g=g, m=m):
                return abs(c + g * (x - m) - (a2 * x * x + a1 * x + a0))
            pts = [m - h, m + h]
            if a2 != 0:
                v = (g - a1) / (2 * a2)  # where the error's derivative vanishes
                if m - h < v < m + h:
                    pts.append(v)
            ups.append(max(err(p) for p in pts) + r)
            lows.append(max(err(m) - r, fmpq(0)))
            continue
        with _Prec(64):
            try:
                f0, f1 = fn(arb_series([arb(m), 1], prec=2)).coeffs()[:2]
                f2 = 2 * fn(arb_series([arb(m, h), 1], prec=3)).coeffs()[2]
                ah = arb(h)
                bound = abs(arb(c) - f0) + abs(arb(g) - f1) * ah + abs(f2) * ah * ah / 2 + arb(r)
                if not bound.is_finite():
                    raise NonSmooth
            except (NonSmooth, IndexError):
                f0 = fn(arb(m))
                bound = abs(arb(c) - fn(arb(m, h))) + abs(arb(g)) * arb(h) + arb(r)
            ups.append(_up(bound))
            lows.append(_low(abs(arb(c) - f0) - arb(r)))
    return LaneBounds(ups, lows)
