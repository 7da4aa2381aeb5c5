"""The exact supremum of |a·x + c| / (|x|_∞ + s) over a box of x ≠ 0, with a point that attains it.

This is one row of the memory function where the output difference is affine in x on the box
(linear models everywhere; piecewise-linear ones on a box where every activation stays on one piece).

Proof. Let r = |x|_∞. For fixed r the points with |x|_∞ ≤ r form the box S_r = B ∩ [−r, r]^d, and
g(r) = max_{S_r} |a·x + c| / (r + s) satisfies ratio(x) ≥ g(r) at its maximiser (|x|_∞ ≤ r) and
ratio(x) ≤ g(|x|_∞) everywhere, so sup ratio = sup_r g(r). The max of |a·x + c| over the box S_r is
max(U(r), −L(r)) with U = c + Σ_i max(a_i·l_i(r), a_i·u_i(r)), L likewise, where l_i(r) = max(lo_i, −r) and
u_i(r) = min(hi_i, r) are affine in r between the breaks |lo_i|, |hi_i|. There U and −L are convex in r
(maxima of affine functions), and a convex φ satisfies φ(r)/(r + s) ≤ max of its values at the two ends (φ lies
below its chord, and a chord over r + s is monotone), so the sup is attained at a break (for s = 0 and c = 0
the first piece is homogeneous, its ratio constant; for s = 0, c ≠ 0 and x → 0 inside B it is unbounded).

>>> q = fmpq
>>> v, w, lo = sup_ratio([q(1), q(-2)], q(0), [(q(-1), q(1)), (q(-1), q(1))], 0)
>>> str(v), [str(t) for t in w], str(lo)
('3', ['1', '-1'], '3')
>>> v, w, lo = sup_ratio([q(1)], q(1), [(q(-1), q(1))], 1)   # |x + 1| / (|x| + 1) on [−1, 1]: 1 at x = 1
>>> str(v), [str(t) for t in w], str(lo)
('1', ['1'], '1')
>>> v, w, lo = sup_ratio([q(-1)], q(1), [(q(-1), q(1))], 1)   # |1 − x| / (|x| + 1) → 1 as x → 0, and at x = −1
>>> str(v), [str(t) for t in w], str(lo)
('1', ['-1'], '1')
>>> sup_ratio([q(1)], q(1), [(q(-1), q(1))], 0)[0] is None   # unbounded near x = 0
True
"""

from __future__ import annotations

from collections.abc import Sequence

from flint import arb, fmpq

from certify.errors import InputError

ZERO = fmpq(0)


def norm_inf(x: Sequence[fmpq]) -> fmpq:
    return max((abs(v) for v in x), default=ZERO)


def box_norm_range(box: Sequence[tuple[fmpq, fmpq]]) -> tuple[fmpq, fmpq]:
    """The smallest and largest |x|_∞ over the box."""
    lo = max((ZERO if a <= 0 <= b else min(abs(a), abs(b)) for a, b in box), default=ZERO)
    hi = max((max(abs(a), abs(b)) for a, b in box), default=ZERO)
    return lo, hi


def ratio(delta: fmpq, x: Sequence[fmpq], s: int) -> fmpq | None:
    """|delta| / (|x|_∞ + s), or None when it is undefined (s = 0 and x = 0)."""
    den = norm_inf(x) + s
    return abs(delta) / den if den != 0 else None


def _extreme(a: Sequence[fmpq], c: fmpq, sub: Sequence[tuple[fmpq, fmpq]], top: bool) -> tuple[fmpq, list[fmpq]]:
    point = [(hi if (ai > 0) == top else lo) if ai != 0 else lo for ai, (lo, hi) in zip(a, sub, strict=True)]
    return c + sum((ai * xi for ai, xi in zip(a, point, strict=True)), ZERO), point


def sup_ratio(a: Sequence[fmpq], c: fmpq, box: Sequence[tuple[fmpq, fmpq]],
              s: int) -> tuple[fmpq | None, list[fmpq] | None, fmpq | None]:
    """(sup, witness, its ratio): the sup over x in the box, x ≠ 0, of |a·x + c| / (|x|_∞ + s) (s = 0 or 1),
    and the best nonzero corner met, with its exact ratio (equal to the sup unless the sup is only
    approached as x → 0, where s = 1 makes the ratio continuous).

    The sup is None when it is infinite (s = 0, c ≠ 0 and the box reaches x = 0)."""
    if len(a) != len(box):
        raise InputError(f"the affine form has {len(a)} coefficients, the box {len(box)} intervals")
    r_min, r_max = box_norm_range(box)
    if r_max == 0:
        raise InputError("the box is the single point x = 0, where the memory function is not defined")
    if s == 0 and r_min == 0 and c != 0:
        return None, None, None
    breaks = {r_min, r_max} | {abs(v) for iv in box for v in iv}
    sup: fmpq | None = None
    witness: tuple[fmpq, list[fmpq]] | None = None
    for r in sorted(b for b in breaks if r_min <= b <= r_max and (b > 0 or s > 0)):
        sub = [(max(lo, -r), min(hi, r)) for lo, hi in box]
        for top in (True, False):
            value, point = _extreme(a, c, sub, top)
            v = abs(value) / (r + s)
            sup = v if sup is None or v > sup else sup
            if norm_inf(point) != 0:
                exact = abs(value) / (norm_inf(point) + s)
                if witness is None or exact > witness[0]:
                    witness = (exact, point)
    if witness is None:  # every corner met is x = 0: take the farthest corner of the box
        point = [hi if abs(hi) >= abs(lo) else lo for lo, hi in box]
        value = c + sum((ai * xi for ai, xi in zip(a, point, strict=True)), ZERO)
        witness = (abs(value) / (norm_inf(point) + s), point)
    assert sup is not None and witness[0] <= sup  # r_max > 0 is always a break
    return sup, witness[1], witness[0]


def sup_ratio_form(alpha: arb, beta: Sequence[arb], box: Sequence[tuple[fmpq, fmpq]], mid: Sequence[fmpq],
                   s: int) -> arb | None:
    """An upper bound of |Δ(x)| / (|x|_∞ + s) over the box (x ≠ 0) when Δ(x) ∈ alpha + Σ_j beta_j·(x_j − mid_j)
    for every x of the box (the mean-value form: alpha ∋ Δ(mid), beta_j ∋ ∂Δ/∂x_j over the box).

    As for :func:`sup_ratio`: over S_r the bound max(U, −L) is separable in the coordinates, each term the max of
    a convex piecewise-linear function of x_j at the two ends of [l_j(r), u_j(r)], hence convex in r between the
    breaks |lo_j|, |hi_j|; so its ratio to r + s is largest at a break. None: unbounded (s = 0 near x = 0).

    >>> b = sup_ratio_form(arb(fmpq(3, 4)), [arb(fmpq(1, 2))], [(fmpq(1), fmpq(2))], [fmpq(3, 2)], 0)
    >>> b.contains(fmpq(1, 2)) and b.upper() <= fmpq(1, 2) + fmpq(1, 10**9)   # Δ(x) = x/2: ratio 1/2
    True
    """
    r_min, r_max = box_norm_range(box)
    if s == 0 and r_min == 0:
        return None
    a_lo, a_hi = arb(alpha.lower()), arb(alpha.upper())
    b_lo = [arb(b.lower()) for b in beta]
    b_hi = [arb(b.upper()) for b in beta]
    best: arb | None = None
    breaks = {r_min, r_max} | {abs(v) for iv in box for v in iv}
    for r in sorted(b for b in breaks if r_min <= b <= r_max):
        up, lo = a_hi, a_lo
        for j, (a, b) in enumerate(box):
            ends = [arb(max(a, -r) - mid[j]), arb(min(b, r) - mid[j])]
            terms = [c * e for c in (b_lo[j], b_hi[j]) for e in ends]
            up = up + max(t.upper() for t in terms)
            lo = lo + min(t.lower() for t in terms)
        v = arb(up.upper()).max(arb(-lo.lower())) / arb(r + s)
        best = v if best is None else best.max(v)
    return best
