"""Rigorous sup-norms: certified bounds bracket brute-force exact/ball evaluations on fine rational grids."""

from __future__ import annotations

import random

import pytest
from flint import arb, fmpq

from certify.bounds.supnorm import chebyshev_supnorm, lane_supnorm
from certify.constructions.examples import squaring
from certify.execute.tmnu_enclosure import Lanes, control_path, enclose_outputs, exact_outputs
from certify.expr import ArbFunction, parse_function
from certify.verdict import Verdict


def cheb(coeffs: dict[int, fmpq], x: fmpq) -> fmpq:
    b1 = b2 = fmpq(0)
    for k in range(max(coeffs, default=0), 0, -1):
        b1, b2 = coeffs.get(k, fmpq(0)) + 2 * x * b1 - b2, b1
    return coeffs.get(0, fmpq(0)) + x * b1 - b2


def grid_max(coeffs: dict[int, fmpq], text: str, n: int = 2000) -> float:
    """max over x = k/n of |p(x) - f(x)|, p exact and f enclosed (the ball's upper end is not used)."""
    f = ArbFunction(parse_function(text))
    best = 0.0
    for k in range(-n, n + 1):
        x = fmpq(k, n)
        e = abs(arb(cheb(coeffs, x)) - f(arb(x)))
        best = max(best, float(e.lower()))
    return best


@pytest.mark.parametrize("text", ["exp(x)", "abs(x)", "sin(5*x)", "sqrt(1-x^2)", "1/(1+25*x^2)",
                                  "piecewise((x + 1, x < -1/2), (3/4 - x**2, x < 1/2), (1 - x, True))"])
def test_certified_sup_is_never_below_a_sampled_value(text: str) -> None:
    rnd = random.Random(text)
    coeffs = {k: fmpq(rnd.randint(-2**10, 2**10), 2**12) for k in range(rnd.randint(1, 12))}
    b = chebyshev_supnorm(coeffs, parse_function(text), rel_tol=0.05)
    sampled = grid_max(coeffs, text, 1000)
    assert b.upper is not None and b.settled
    assert float(b.lower) <= float(b.upper)
    assert sampled <= float(b.upper) * (1 + 1e-12)
    assert float(b.upper) <= max(sampled, float(b.lower)) * 1.06 + 1e-9  # tight, too


def test_a_known_sup() -> None:
    """|1 + x - e^x| peaks at x = 1 with value e - 2."""
    b = chebyshev_supnorm({0: fmpq(1), 1: fmpq(1)}, parse_function("exp(x)"), rel_tol=1e-3)
    e2 = arb(1).exp() - 2
    assert float(b.lower) <= float(e2.upper()) and float(e2.lower()) <= float(b.upper) <= float(e2.mid()) * 1.002
    assert b.witness is not None and b.witness > fmpq(99, 100)


def test_sup_of_a_polynomial_alone() -> None:
    b = chebyshev_supnorm({3: fmpq(1, 2)}, None, rel_tol=0.01)  # sup |T_3/2| = 1/2
    assert float(b.lower) <= 0.5 <= float(b.upper) <= 0.505


def test_decisions_against_a_target() -> None:
    f = parse_function("x**2")
    coeffs = {0: fmpq(1, 2), 2: fmpq(1, 2)}  # exactly x²
    assert chebyshev_supnorm(coeffs, f, target=fmpq(1, 10**6)).decide(fmpq(1, 10**6))[0] is Verdict.PROVED
    off = {0: fmpq(1, 2) + fmpq(1, 100), 2: fmpq(1, 2)}  # off by 1/100 everywhere
    b = chebyshev_supnorm(off, f, target=fmpq(1, 1000))
    verdict, why = b.decide(fmpq(1, 1000))
    assert verdict is Verdict.REFUTED and "at x =" in why
    b = chebyshev_supnorm(off, f, target=fmpq(1, 1000), max_pieces=16)
    assert b.decide(fmpq(1, 100))[0] is not Verdict.REFUTED  # 1/100 is the exact sup: never refuted


def test_high_degree_stays_rigorous() -> None:
    """Degree 300: the block Horner keeps the balls tight; spot-check against exact values."""
    rnd = random.Random(7)
    coeffs = {k: fmpq(rnd.randint(-99, 99), 100 * (k + 1) ** 2) for k in range(301)}
    f = parse_function("cos(40*x)")
    b = chebyshev_supnorm(coeffs, f, rel_tol=0.05)
    sampled = grid_max(coeffs, "cos(40*x)", 300)
    assert b.upper is not None and sampled <= float(b.upper)


def test_lane_bounds_bracket_exact_values_on_squaring() -> None:
    p = squaring()
    path = control_path(p, steps=8)
    lanes = Lanes.uniform(32)
    f = parse_function("x**2")
    for n in (3, 5, 8):
        y = enclose_outputs(p, path, lanes, [n])[n]
        bounds = lane_supnorm(lanes, y, f)
        for i in range(len(lanes)):
            a, b = lanes.bounds(i)
            xs = [a + (b - a) * fmpq(j, 16) for j in range(17)]
            worst = max(abs(exact_outputs(p, path, x, [n])[n] - x * x) for x in xs)
            assert bounds.upper[i] is not None and worst <= bounds.upper[i]
            assert bounds.lower[i] <= worst or bounds.lower[i] <= bounds.upper[i]


def test_lane_bounds_with_a_transcendental_target() -> None:
    p = squaring()
    path = control_path(p, steps=6)
    lanes = Lanes.uniform(64)
    y = enclose_outputs(p, path, lanes, [6])[6]
    f = ArbFunction(parse_function("exp(x) - 1"))
    bounds = lane_supnorm(lanes, y, parse_function("exp(x) - 1"))
    for i in range(0, 64, 5):
        a, b = lanes.bounds(i)
        for j in range(9):
            x = a + (b - a) * fmpq(j, 8)
            e = abs(arb(exact_outputs(p, path, x, [6])[6]) - f(arb(x)))
            assert float(e.lower()) <= float(bounds.upper[i])
