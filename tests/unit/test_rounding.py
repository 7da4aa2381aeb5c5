"""Every float64 rounding helper against its stated inequality, checked in exact rationals (fmpq) over
random floats of every magnitude: subnormals, values near the underflow and overflow thresholds, and
cancelling pairs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from flint import fmpq
from hypothesis import given
from hypothesis import strategies as st

from certify.execute.rounding import (
    ETA,
    REALMIN,
    add_down,
    add_up,
    err_prod,
    float_ball,
    float_balls,
    mul_up,
    nearest,
    next_up,
    next_up_nonzero,
    round_up,
    tight_ball,
    two_sum,
    up,
)
from certify.rational import from_float as exact

MAX = np.finfo(np.float64).max
finite = st.floats(allow_nan=False, allow_infinity=False)


def _batch(seed: int, n: int = 4000) -> np.ndarray:
    """Finite floats of every kind: random bit patterns (every exponent), subnormals, tiny and huge
    normals, small integers and dyadics, and zeros of both signs."""
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2**63, size=n, dtype=np.uint64).view(np.float64)
    bits = bits[np.isfinite(bits)] * rng.choice([-1.0, 1.0], size=np.isfinite(bits).sum())
    sub = rng.integers(1, 2**52, size=n // 4).astype(np.float64) * ETA * rng.choice([-1.0, 1.0], size=n // 4)
    exps = rng.integers(-1074, 1024, size=n)
    scaled = np.ldexp(rng.uniform(0.5, 1.0, size=n), exps) * rng.choice([-1.0, 1.0], size=n)
    small = rng.integers(-64, 65, size=n // 4) / 2.0 ** rng.integers(0, 12, size=n // 4)
    return np.concatenate([bits, sub, scaled[np.isfinite(scaled)], small, [0.0, -0.0, ETA, REALMIN, MAX, -MAX]])


def _pairs(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) pairs: independent, of close magnitude (rounding is most visible), and cancelling."""
    rng = np.random.default_rng(seed)
    a = _batch(seed)
    b = rng.permutation(a)
    with np.errstate(over="ignore"):
        close = a * rng.uniform(0.5, 2.0, size=a.size)
        cancel = -a * (1 + rng.integers(-2**20, 2**20, size=a.size) * 2.0**-52)
    ok = np.isfinite(close) & np.isfinite(cancel)
    return np.concatenate([a, a[ok], a[ok]]), np.concatenate([b, close[ok], cancel[ok]])


def _above(f: float, q: fmpq) -> bool:
    """The float ``f`` (+inf allowed) is >= the rational ``q``."""
    return f == math.inf or (math.isfinite(f) and exact(f) >= q)


def _below(f: float, q: fmpq) -> bool:
    return f == -math.inf or (math.isfinite(f) and exact(f) <= q)


def _finite(*arrays: np.ndarray) -> np.ndarray:
    return np.logical_and.reduce([np.isfinite(x) for x in arrays])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_two_sum_is_error_free(seed: int) -> None:
    a, b = _pairs(seed)
    with np.errstate(over="ignore", invalid="ignore"):
        s, e = two_sum(a, b)
    ok = _finite(s, e)
    assert ok.mean() > 0.9
    for x, y, s1, e1 in zip(a[ok], b[ok], s[ok], e[ok], strict=True):
        assert exact(s1) + exact(e1) == exact(x) + exact(y)


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_add_up_and_add_down_bracket_the_sum_and_are_exact_when_it_is(seed: int) -> None:
    a, b = _pairs(seed)
    with np.errstate(over="ignore", invalid="ignore"):
        hi, lo, fl = add_up(a, b), add_down(a, b), a + b
    ok = _finite(fl)
    for x, y, h, low, f in zip(a[ok], b[ok], hi[ok], lo[ok], fl[ok], strict=True):
        s = exact(x) + exact(y)
        assert _below(low, s) and _above(h, s)
        if exact(f) == s:
            assert h == low == f
        else:  # the two floats around the sum
            assert h == math.nextafter(low, math.inf) and exact(low) < s < exact(h) if math.isfinite(h - low) else True


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_err_prod_bounds_the_product_error_and_is_zero_exactly_when_exact(seed: int) -> None:
    a, b = _pairs(seed)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        p, e = err_prod(a, b)
        hi = mul_up(np.abs(a), np.abs(b))
    ok = _finite(p, e)
    assert ok.mean() > 0.3
    tiny = 0
    for x, y, p1, e1, h in zip(a[ok], b[ok], p[ok], e[ok], hi[ok], strict=True):
        prod = exact(x) * exact(y)
        err = abs(prod - exact(p1))
        assert err <= exact(e1)
        guarded = abs(x) > 2.0**500 or abs(y) > 2.0**500 or (abs(p1) < 2.0**-900 and x != 0 and y != 0)
        assert e1 > 0 if guarded else exact(e1) == err, (x, y)  # Dekker's error is exact where not guarded
        assert _above(h, abs(prod))
        if err == 0 and not guarded:  # exact products stay exact
            assert h == abs(p1)
        tiny += abs(p1) < 2.0**-900 and prod != 0
    assert tiny > 50  # the underflow guard was exercised


def test_a_product_that_underflows_to_zero_is_bounded() -> None:
    a, b = np.array([2.0**-600, ETA, -(2.0**-540)]), np.array([3 * 2.0**-600, 0.25, 2.0**-540])
    p, e = err_prod(a, b)
    assert p.tolist() == [0.0, 0.0, -0.0]
    for x, y, e1 in zip(a, b, e, strict=True):
        assert exact(e1) >= abs(exact(x) * exact(y)) > 0
    assert exact(mul_up(a[:2], b[:2])[0]) >= exact(a[0]) * exact(b[0])
    assert err_prod(np.array([0.0]), np.array([2.0**-1074]))[1][0] == 0.0  # an exact zero stays exact


@given(finite, finite)
def test_directed_helpers_on_hypothesis_floats(x: float, y: float) -> None:
    a, b = np.array([x]), np.array([y])
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        s, hi, lo = a + b, add_up(a, b), add_down(a, b)
        p, hp = np.abs(a) * np.abs(b), mul_up(np.abs(a), np.abs(b))
    if np.isfinite(s[0]):
        assert _below(lo[0], exact(x) + exact(y)) and _above(hi[0], exact(x) + exact(y))
    if np.isfinite(p[0]):
        assert _above(hp[0], abs(exact(x) * exact(y)))


def _one_op_results(seed: int) -> list[tuple[float, fmpq]]:
    """(fl(x), x) for nonnegative exact results x of one operation (+, ×, /) on random floats."""
    a, b = _pairs(seed)
    a, b = np.abs(a), np.abs(b)
    out = []
    with np.errstate(all="ignore"):
        for v, op in ((a + b, "+"), (a * b, "*"), (a / np.where(b == 0, 1.0, b), "/")):
            for x, y, f in zip(a, b, v, strict=True):
                if np.isfinite(f):
                    xe, ye = exact(x), exact(y)
                    out.append((float(f), xe + ye if op == "+" else xe * ye if op == "*" else xe / (ye or 1)))
    return out


@pytest.mark.parametrize("seed", [10, 11])
def test_up_and_next_up_bound_one_rounded_operation(seed: int) -> None:
    results = _one_op_results(seed)
    assert len(results) > 5000
    vs = np.array([v for v, _ in results])
    with np.errstate(over="ignore"):
        ups, nexts, nonzero = up(vs), next_up(vs), next_up_nonzero(vs)
    for (v, x), u, n, nz in zip(results, ups, nexts, nonzero, strict=True):
        assert _above(u, x) and _above(n, x) and _above(next_up(v), x)  # next_up(v): the scalar path
        if v != 0 or x == 0:
            assert _above(nz, x)
    assert up(0.0) > 0 and next_up_nonzero(np.array([0.0]))[0] == 0.0


def _rationals(seed: int, n: int = 3000) -> list[fmpq]:
    """Rationals across the float range: random fractions scaled by 2^k, k from -1080 to 1020."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        num, den = int(rng.integers(-(2**62), 2**62)), int(rng.integers(1, 2**62))
        k = int(rng.integers(-1080, 1021))
        q = fmpq(num, den) * (fmpq(2) ** k if k >= 0 else fmpq(1, 2 ** -k))
        out.append(q)
    return out + [fmpq(0), fmpq(1, 3), fmpq(-1, 10), fmpq(1, 2**1080), exact(MAX)]


def _prev(f: float) -> float:
    return math.nextafter(f, -math.inf)


@pytest.mark.parametrize("seed", [12, 13])
def test_nearest_and_round_up_against_exact(seed: int) -> None:
    for q in _rationals(seed):
        m = nearest(q)
        err = abs(q - exact(m))
        for other in (math.nextafter(m, math.inf), _prev(m)):
            assert not math.isfinite(other) or err <= abs(q - exact(other))
        u = round_up(q)
        assert _above(u, q) and not _above(_prev(u), q)  # the smallest float >= q
        assert (u == m) == (exact(m) >= q)


@pytest.mark.parametrize("seed", [14, 15])
def test_balls_of_rationals_contain_them(seed: int) -> None:
    qs = [q for q in _rationals(seed) if abs(q) <= fmpq(2) ** 1000]
    for q in qs:
        m, r = float_ball(q)
        tm, tr = tight_ball(q)
        assert m == tm == nearest(q)
        assert abs(q - exact(m)) <= exact(r) and abs(q - exact(tm)) <= exact(tr)
        assert tr <= r and (tr == 0) == (r == 0) == (exact(m) == q)
        assert tr == round_up(abs(q - exact(tm)))  # the tight radius is the smallest float radius
    mids, rads = float_balls(qs[:50])
    assert [(float(a), float(b)) for a, b in zip(mids, rads, strict=True)] == [float_ball(q) for q in qs[:50]]
