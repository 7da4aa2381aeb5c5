"""sup |f(x) − (a + b·x)| over an interval, for one affine piece of a network's output: exact when f is a
polynomial with rational coefficients, rigorous (arb) otherwise.

Polynomial f: the error e(x) = f(x) − a − b·x is a polynomial; its largest |e| on [lo, hi] is at an endpoint
or at a real root of e′ inside. Rational roots (flint's factorisation over ℚ) give exact values, so a
claim attained with equality is decided exactly; an irrational root sits in an isolating interval (flint's
``complex_roots``: real roots have an exactly zero imaginary part), bisected with exact sign tests until
the interval evaluation of e on it decides or a budget is spent. Other f: a first-order Taylor form of
f at the piece's midpoint (arb), the piece bisected until the bound is within a tolerance of the lower
bound or below the claim.

>>> from certify.expr import parse_function
>>> b = piece_error(parse_function("x**2"), fmpq(0), fmpq(1), fmpq(0), fmpq(1))   # x² − x on [0, 1]
>>> str(b.upper), str(b.lower), str(b.witness)
('1/4', '1/4', '1/2')
>>> b = piece_error(parse_function("x**3"), fmpq(0), fmpq(0), fmpq(0), fmpq(2))  # x³ − 0 on [0, 2]
>>> str(b.upper), str(b.witness)
('8', '2')
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from flint import acb, arb, arb_series, ctx, fmpq, fmpq_poly, fmpz_poly

from certify.expr import ArbFunction, NonSmooth, X, arb_to_fmpq

#: Bisections of an isolating interval (exact sign tests) before an irrational critical value is left enclosed.
ROOT_BISECTIONS = 60
#: Sub-intervals a non-polynomial f may split one piece into.
MAX_SPLITS = 4096


@dataclass(frozen=True)
class PieceBound:
    """A rigorous ``upper`` bound of sup |e| on the piece and a ``lower`` bound attained at ``witness``."""

    upper: fmpq
    lower: fmpq
    witness: fmpq
    exact: bool  # upper == the true supremum


def polynomial(f: sympy.Expr) -> fmpq_poly | None:
    """f as a polynomial in x with rational coefficients, or None.

    >>> polynomial(sympy.Rational(1, 2) * X**2 + 1), polynomial(sympy.exp(X))
    (1/2*x^2 + 1, None)
    """
    try:
        poly = sympy.Poly(f, X)
    except sympy.PolynomialError:
        return None
    coeffs = poly.all_coeffs()
    if not all(c.is_Rational for c in coeffs):
        return None
    return fmpq_poly([fmpq(int(c.p), int(c.q)) for c in reversed(coeffs)])


def piece_error(f: sympy.Expr, a: fmpq, b: fmpq, lo: fmpq, hi: fmpq, *, target: fmpq | None = None,
                poly: fmpq_poly | None = None, rel_tol: float = 0.05) -> PieceBound:
    """Bounds of sup_{x ∈ [lo, hi]} |f(x) − a − b·x| (module text). ``target``: stop refining once the upper
    bound is at most it (or the lower bound above it)."""
    p = poly if poly is not None else polynomial(f)
    if p is not None:
        return _polynomial_error(p - fmpq_poly([a, b]), lo, hi, target)
    return _arb_error(ArbFunction(f), a, b, lo, hi, target, rel_tol)


def _polynomial_error(e: fmpq_poly, lo: fmpq, hi: fmpq, target: fmpq | None) -> PieceBound:
    points = [lo, hi]
    enclosed: list[tuple[fmpq_poly, fmpq, fmpq]] = []  # (irreducible factor of e′, an isolating interval of its root)
    d = e.derivative()
    if d.degree() >= 1:
        _, factors = d.factor()
        for q, _mult in factors:
            if q.degree() == 1:
                root = -q[0] / q[1]
                if lo < root < hi:
                    points.append(root)
            else:
                enclosed.extend((q, u, v) for u, v in _real_roots_inside(q, lo, hi))
    values = [(abs(e(x)), x) for x in points]
    low, witness = max(values, key=lambda v: v[0])
    upper = low
    for q, u, v in enclosed:
        up, near, at = _refined_abs_upper(e, q, u, v, low if target is None else max(low, target))
        upper = max(upper, short_upper(up))
        if near > low:
            low, witness = near, at
    if target is not None and upper > target >= low and _nonnegative(target - e, lo, hi) \
            and _nonnegative(target + e, lo, hi):
        upper = target  # exact: |e| <= target on [lo, hi], attained only at irrational points
    return PieceBound(upper, low, witness, exact=not enclosed or upper == low)


def _nonnegative(p: fmpq_poly, lo: fmpq, hi: fmpq) -> bool:
    """Exactly: p >= 0 on [lo, hi] (no factor of odd multiplicity changes sign inside, and p is >= 0 somewhere
    inside where it is not 0)."""
    if p.degree() < 0:
        return True
    _, factors = p.factor()
    for q, mult in factors:
        if mult % 2 == 0:
            continue
        if q.degree() == 1 and lo < -q[0] / q[1] < hi:
            return False
        if q.degree() >= 2 and _real_roots_inside(q, lo, hi):
            return False
    for k in range(1, 64):  # a nonzero polynomial has finitely many roots: some dyadic point inside is not one
        x = lo + (hi - lo) * fmpq(k, 64) if hi > lo else lo
        if p(x) != 0:
            return p(x) > 0
    return p(lo) >= 0


def short_upper(q: fmpq, bits: int = 64) -> fmpq:
    """q rounded up to ``bits`` significant bits (a short number for reports; still an upper bound).

    >>> q = fmpq(10**20, 3**50); str(short_upper(q, 8)), short_upper(q, 8) >= q
    ('293/2097152', True)
    """
    if q <= 0 or q.p.bit_length() + q.q.bit_length() <= 2 * bits:
        return q
    shift = bits - (q.p.bit_length() - q.q.bit_length())
    return fmpq(-((-q.p << shift) // q.q), 1 << shift) if shift >= 0 else q


def _real_roots_inside(q: fmpq_poly, lo: fmpq, hi: fmpq) -> list[tuple[fmpq, fmpq]]:
    """Isolating rational intervals of the real roots of the irreducible ``q`` (degree ≥ 2) inside (lo, hi)."""
    num = fmpz_poly([int((c * q.denom()).p) for c in q.coeffs()])
    out = []
    roots: list[tuple[acb, int]] = num.complex_roots()  # type: ignore[assignment]  # (root, multiplicity) pairs
    for root, _ in roots:
        if root.imag != 0:
            continue
        mid, rad = arb_to_fmpq(root.real.mid()), arb_to_fmpq(root.real.rad())
        u, v = mid - rad, mid + rad
        if v <= lo or u >= hi:
            continue
        # the root is irrational (q irreducible, degree >= 2), so it is never lo or hi: shrink until inside or out
        for _ in range(ROOT_BISECTIONS):
            if lo < u and v < hi:
                break
            m = (u + v) / 2
            if (q(u) > 0) == (q(m) > 0):
                u = m
            else:
                v = m
            if v <= lo or u >= hi:
                break
        if v <= lo or u >= hi:
            continue
        out.append((max(u, lo), min(v, hi)))
    return out


def _refined_abs_upper(e: fmpq_poly, q: fmpq_poly, u: fmpq, v: fmpq, enough: fmpq) -> tuple[fmpq, fmpq, fmpq]:
    """(an upper bound of |e| at the root of the irreducible factor ``q`` of e′ isolated in [u, v], |e| at a
    rational point next to it, that point), bisecting with exact signs of q (the root is simple and alone in
    [u, v], so q changes sign across it; other factors of e′ may not) until the upper bound is at most
    ``enough`` or the budget is spent."""
    best = _abs_upper_on(e, u, v)
    for _ in range(ROOT_BISECTIONS):
        if best <= enough:
            break
        m = (u + v) / 2
        qm = q(m)
        if qm == 0:  # impossible for an irreducible q of degree >= 2; kept as a guard
            return abs(e(m)), abs(e(m)), m
        if (q(u) > 0) == (qm > 0):
            u = m
        else:
            v = m
        best = min(best, _abs_upper_on(e, u, v))
    m = short_inside(u, v)
    return best, abs(e(m)), m


def short_inside(u: fmpq, v: fmpq) -> fmpq:
    """The dyadic number in [u, v] with the fewest bits after the point (a witness easy to read and replay).

    >>> str(short_inside(fmpq(1, 3), fmpq(1, 2))), str(short_inside(fmpq(7, 10), fmpq(71, 100)))
    ('1/2', '45/64')
    """
    k = 0
    while True:
        m = fmpq(-((-u.p << k) // u.q), 1 << k)  # ceil(u·2^k)/2^k
        if m <= v:
            return m
        k += 1


def _abs_upper_on(e: fmpq_poly, u: fmpq, v: fmpq) -> fmpq:
    """An upper bound of |e| on [u, v] by a centred form: |e(m)| + sup|e′|·r, with sup|e′| by interval Horner."""
    m, r = (u + v) / 2, (v - u) / 2
    de = e.derivative()
    slope = fmpq(0)
    for c in reversed(de.coeffs()):  # |de| on [m - r, m + r]: Horner on |x| <= |m| + r
        slope = slope * (abs(m) + r) + abs(c)
    return abs(e(m)) + slope * r


def _arb_error(fn: ArbFunction, a: fmpq, b: fmpq, lo: fmpq, hi: fmpq, target: fmpq | None,
               rel_tol: float) -> PieceBound:
    """Bisect [lo, hi] until the Taylor bounds decide ``target`` or agree within ``rel_tol``."""
    todo = [(lo, hi)]
    done_upper = fmpq(0)
    low, witness = fmpq(0), lo
    splits = 0
    while todo:
        u, v = todo.pop()
        up, lw, at = _taylor_bound(fn, a, b, u, v)
        if lw > low:
            low, witness = lw, at
        if target is not None and low > target:  # refuted: the rest is bounded once each, unsplit, for a valid upper
            rest = [_taylor_bound(fn, a, b, u2, v2)[0] for u2, v2 in todo]
            return PieceBound(max([up, done_upper, low, *rest]), low, witness, exact=False)
        good_enough = (up <= target) if target is not None else (up <= low * fmpq(1 + int(rel_tol * 1000), 1000))
        if good_enough or splits >= MAX_SPLITS:
            done_upper = max(done_upper, up)
            continue
        splits += 1
        m = (u + v) / 2
        todo += [(u, m), (m, v)]
    return PieceBound(max(done_upper, low), low, witness, exact=False)


def _taylor_bound(fn: ArbFunction, a: fmpq, b: fmpq, u: fmpq, v: fmpq) -> tuple[fmpq, fmpq, fmpq]:
    """(upper bound of |f − a − bx| on [u, v], rigorous lower bound of it at the midpoint, the midpoint)."""
    m, h = (u + v) / 2, (v - u) / 2
    old = ctx.prec
    ctx.prec = 96
    try:
        line_m = arb(a) + arb(b) * arb(m)
        f0 = fn(arb(m))
        try:
            f1 = fn(arb_series([arb(m), 1], prec=2)).coeffs()[1]
            f2 = 2 * fn(arb_series([arb(m, h), 1], prec=3)).coeffs()[2]
            bound = abs(f0 - line_m) + abs(f1 - arb(b)) * arb(h) + abs(f2) * arb(h) * arb(h) / 2
            if not bound.is_finite():
                raise NonSmooth
        except (NonSmooth, IndexError):
            whole = fn(arb(m, h))
            bound = abs(whole - line_m) + abs(arb(b)) * arb(h)
        lower = abs(f0 - line_m).lower()
    finally:
        ctx.prec = old
    up = short_upper(arb_to_fmpq(bound.upper())) if bound.is_finite() else fmpq(10) ** 300
    low = max(arb_to_fmpq(lower), fmpq(0)) if lower.is_finite() else fmpq(0)
    return up, low, m
