"""The stream compiler: a continuous f → the instruction stream of the universal interpreter.

The choice of polynomials may use floats freely — it is only a choice; every bound that is
reported comes afterwards from exact or rigorous arithmetic (:mod:`certify.bounds.supnorm`,
:mod:`certify.universal.arithmetic`). Steps:

1. Chebyshev coefficients a_k of f in float64 (values at 2N+1 Chebyshev extrema, one FFT).
2. Degrees n_1 < n_2 < ... : each round's estimated (sampled) error of the truncated series is at
   most ``ratio`` times the previous one, until the target is reached (or R rounds of doubling degree).
3. Round r's polynomial p_r has the coefficients a_k (k <= n_r) rounded to multiples of 2^-D_r, with
   D_r large enough that rounding costs at most an eighth of the round's error; the stream adds
   the correction q_r = p_r - p_{r-1}, scaled by 2^e_r so that acc's range [-8, 8] is used well,
   digit by digit; m_r teeth per product keep the round's proven arithmetic error below a quarter
   of the final error, shared among the rounds.

>>> from certify.expr import parse_function
>>> plan = plan_stream(parse_function("x**2"), target=fmpq(1, 100))
>>> [(r.degree, {k: str(v) for k, v in r.poly.items()}) for r in plan.rounds]
[(2, {0: '1/2', 2: '1/2'})]
>>> plan.stream[:2] == "bc" and plan.stream[-1] == "r"
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy
from flint import fmpq

from certify.compiler.tmnu_to_rnn import T0, C
from certify.errors import InputError
from certify.expr import numpy_function
from certify.universal.interpreter import ACC_BOUND

#: Degree of the float Chebyshev expansion the compiler chooses from.
CHEB_N = 8192
#: Largest polynomial degree a round may use.
MAX_DEGREE = 2048
#: Default most RNN steps a stream may need.
MAX_RNN_STEPS = 10**6


@dataclass(frozen=True)
class PlannedRound:
    degree: int
    bits: int  # D: p_r's coefficients are multiples of 2^-D
    shift: int  # e: acc holds 2^e·q_r
    teeth: int  # m
    estimate: float  # sampled float error of the truncated series (planning only, not a bound)
    poly: dict[int, fmpq]  # p_r
    correction: dict[int, fmpq]  # q_r = p_r - p_{r-1}
    text: str  # this round's instructions


@dataclass(frozen=True)
class StreamPlan:
    stream: str
    rounds: tuple[PlannedRound, ...]

    @property
    def rnn_steps(self) -> int:
        """RNN steps until the last round's output shows: t0 + c·(number of instructions)."""
        return T0 + C * len(self.stream)


def chebyshev_coefficients(fn, n: int = CHEB_N) -> np.ndarray:
    """Float Chebyshev coefficients a_0..a_n of the interpolant at the n + 1 extrema cos(πj/n)."""
    xs = np.cos(np.pi * np.arange(n + 1) / n)
    v = fn(xs)
    if not np.all(np.isfinite(v)):
        bad = xs[~np.isfinite(v)][0]
        raise InputError(f"f is not finite at x ≈ {bad:.6g}")
    c = np.real(np.fft.rfft(np.concatenate([v, v[-2:0:-1]]))) / n
    c[0] /= 2
    c[n] /= 2
    return c[: n + 1]


def _clenshaw(a: np.ndarray, xs: np.ndarray) -> np.ndarray:
    b1 = np.zeros_like(xs)
    b2 = np.zeros_like(xs)
    for ak in a[:0:-1]:
        b1, b2 = ak + 2 * xs * b1 - b2, b1
    return a[0] + xs * b1 - b2


def _grid() -> np.ndarray:
    return np.unique(np.concatenate([np.cos(np.linspace(0, np.pi, 12001)), np.linspace(-1, 1, 4001)]))


def _candidates() -> list[int]:
    out, n = list(range(1, 33)), 32
    while n < MAX_DEGREE:
        n = int(n * 1.04) + 1
        out.append(min(n, MAX_DEGREE))
    return sorted(set(out))


def _rounded(a: np.ndarray, degree: int, bits: int) -> dict[int, fmpq]:
    scale = 2.0**bits
    out = {}
    for k in range(degree + 1):
        v = int(round(float(a[k]) * scale))  # float × 2^bits is exact; round() gives an int
        if v:
            out[k] = fmpq(v, 2**bits)
    return out


def _digits(c: fmpq, frac_bits: int) -> str:
    """'c' then signed binary digits of c (|c| < 2), weights 1, 1/2, ..., 2^-frac_bits; trailing zeros cut."""
    n = abs(c) * 2**frac_bits
    if n.q != 1:
        raise AssertionError(f"{c} is not a multiple of 2^-{frac_bits}")
    n = int(n.p)
    bits = format(n, f"0{frac_bits + 1}b")
    if len(bits) > frac_bits + 1:
        raise AssertionError(f"|{c}| >= 2")
    sign = "+" if c > 0 else "-"
    return "c" + "".join(sign if b == "1" else "0" for b in bits).rstrip("0")


def _shift(q: dict[int, fmpq]) -> int:
    """The largest e with 2^e·sum|q_k|·(17/16) <= ACC_BOUND - 1/2 and 2^e·max|q_k| < 2 (a digit
    expansion starts at weight 1; 1/16 covers the T_k errors, which the teeth keep below 1/16)."""
    room = ACC_BOUND - fmpq(1, 2)
    total = sum((abs(v) for v in q.values()), fmpq(0)) * fmpq(17, 16)
    top = max(abs(v) for v in q.values())
    e = int(math.floor(math.log2(float(room / total)))) + 1
    while fmpq(2) ** e * total > room or fmpq(2) ** e * top >= 2:
        e -= 1
    return e


def _teeth(q: dict[int, fmpq], budget: fmpq) -> int:
    """Fewest teeth m with sum_k |q_k|·4^-m·k(k+1) <= budget and 4^-m·K(K+1) <= 1/16."""
    top = max(q)
    weight = sum((abs(v) * k * (k + 1) for k, v in q.items()), fmpq(0))
    m = 1
    while 4**m < 16 * top * (top + 1) or weight / 4**m > budget:
        m += 1
    return m


def _round_text(q: dict[int, fmpq], e: int, bits: int, m: int) -> str:
    scale = fmpq(2) ** e
    frac = max(bits - e, 0)
    parts = ["b"]
    if 0 in q:
        parts.append(_digits(q[0] * scale, frac))
    for k in range(1, max(q) + 1):
        parts.append("p" + "t" * m + "f")
        if k in q:
            parts.append(_digits(q[k] * scale, frac))
    parts.append("h" * e if e >= 0 else "d" * (-e))
    parts.append("r")
    return "".join(parts)


def plan_stream(
    f: sympy.Expr,
    *,
    target: fmpq | None = None,
    rounds: int | None = None,
    ratio: float = 0.25,
    max_rnn_steps: int = MAX_RNN_STEPS,
    drop: tuple[int, ...] = (),
) -> StreamPlan:
    """Choose the rounds and write the stream (see the module docstring).

    ``target`` only: rounds shrink the estimated error by ``ratio`` until it is below target/3.
    ``rounds`` only: R rounds of degree 2, 4, ..., 2^R. Both: R rounds whose errors fall
    geometrically from f's size to target/3. ``drop`` removes planned degrees (used by the builder
    when a round fails to improve the certified error).
    """
    fn = numpy_function(f)
    a = chebyshev_coefficients(fn)
    xs = _grid()
    fx = fn(xs)
    size = float(np.max(np.abs(fx)))
    degrees = _choose_degrees(a, xs, fx, size, target, rounds, ratio)
    degrees = [d for d in degrees if d not in drop]
    if not degrees:
        raise InputError("no round left to plan")
    floor = max(size, 1e-300) * 1e-12  # below this, float coefficients are noise
    goal = float(target) / 3 if target is not None else 0.0
    estimates = {d: max(_err(a, d, xs, fx), floor, goal) for d in degrees}
    budget = fmpq(*float(estimates[degrees[-1]] / (4 * len(degrees))).as_integer_ratio())
    out: list[PlannedRound] = []
    prev: dict[int, fmpq] = {}
    bits = 0
    for d in degrees:
        est = estimates[d]
        bits = max(bits, int(math.ceil(math.log2(4 * (d + 1) / est))), 1)
        poly = _rounded(a, d, bits)
        q = {k: poly.get(k, fmpq(0)) - prev.get(k, fmpq(0)) for k in set(poly) | set(prev)}
        q = {k: v for k, v in q.items() if v != 0}
        if not q:
            continue
        e = _shift(q)
        m = _teeth(q, budget)
        text = _round_text(q, e, bits, m)
        out.append(PlannedRound(d, bits, e, m, estimates[d], poly, q, text))
        prev = poly
    stream = "".join(r.text for r in out)
    plan = StreamPlan(stream, tuple(out))
    if plan.rnn_steps > max_rnn_steps:
        raise InputError(f"this f needs {plan.rnn_steps} RNN steps (degree {degrees[-1]}) for the requested accuracy, "
                         f"more than --max-steps {max_rnn_steps}; ask for a larger error or fewer rounds")
    return plan


def _err(a: np.ndarray, d: int, xs: np.ndarray, fx: np.ndarray) -> float:
    return float(np.max(np.abs(_clenshaw(a[: d + 1], xs) - fx)))


def _choose_degrees(a, xs, fx, size: float, target: fmpq | None, rounds: int | None, ratio: float) -> list[int]:
    if target is None and rounds is None:
        raise InputError("give a target error or a number of rounds")
    if rounds is not None and rounds < 1:
        raise InputError(f"--rounds {rounds} must be at least 1")
    if target is not None and target <= 0:
        raise InputError(f"--target-error {target} must be positive")
    cands = _candidates()
    errs: dict[int, float] = {}

    def err(d: int) -> float:
        if d not in errs:
            errs[d] = _err(a, d, xs, fx)
        return errs[d]

    if target is not None and rounds is not None:
        goal = float(target) / 3
        ratio = (goal / max(size, goal)) ** (1 / rounds)
    if target is not None:
        goal = float(target) / 3
        out: list[int] = []
        level = size
        while not out or err(out[-1]) > goal:
            want = max(level * ratio, goal) if rounds is None or len(out) + 1 < rounds else goal
            d = next((c for c in cands if (not out or c > out[-1]) and err(c) <= want), None)
            if d is None:
                raise InputError(f"f needs a Chebyshev degree above {MAX_DEGREE} to reach error {float(target):.3g} "
                                 f"(best sampled error {min(err(c) for c in cands):.3g})")
            out.append(d)
            level = err(d)
        return out
    assert rounds is not None  # target is None here, and one of the two is given (checked above)
    out = []
    for r in range(1, rounds + 1):
        d = min(2**r, MAX_DEGREE)
        if out and (d <= out[-1] or err(d) > 0.9 * err(out[-1])):
            continue  # no real improvement: merge into the next round
        out.append(d)
    return out
