"""``certify build universal``: f → stream → the interpreter with that stream → a certified rate table.

The build is honest about what it claims: every row of ``claims.rate`` is a certified bound
(:func:`certify.universal.rates.certify_stream`) times ``CLAIM_HEADROOM`` (10 %, so
that ``certify rates`` can re-decide it without refining as far as the build did), rounded *up* to
three significant digits; rows are kept only while the certified error strictly decreases (a round
that fails to improve is dropped and the stream re-planned without it).

>>> b = build_universal("x**2", target=fmpq(1, 100))
>>> [r.index for r in b.rows], b.claims["rate"][-1]["T"] == b.rows[-1].T
([0, 1], True)
>>> b.program.stack("S").initial == tuple(b.plan.stream)
True
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from flint import fmpq

from certify.bounds.supnorm import chebyshev_supnorm
from certify.display import round_significant
from certify.errors import InputError
from certify.expr import check_continuous, parse_function
from certify.rational import to_string
from certify.tmnu.program import Program
from certify.universal.arithmetic import NotAnalysable
from certify.universal.interpreter import OUT_BOUND, universal_interpreter
from certify.universal.rates import UniversalRow, certify_stream
from certify.universal.stream import MAX_RNN_STEPS, StreamPlan, plan_stream

#: Claimed E = certified bound × this (then rounded up): room for a cheaper re-check.
CLAIM_HEADROOM = fmpq(11, 10)


@dataclass(frozen=True)
class UniversalBuild:
    f_text: str
    program: Program
    plan: StreamPlan
    rows: tuple[UniversalRow, ...]
    claims: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)


def build_universal(
    f_text: str,
    *,
    target: fmpq | None = None,
    rounds: int | None = None,
    ratio: float = 0.25,
    max_rnn_steps: int = MAX_RNN_STEPS,
    rel_tol: float = 0.05,
) -> UniversalBuild:
    """Plan, certify and package the stream for f (see the module docstring)."""
    t_start = time.perf_counter()
    f = parse_function(f_text)
    check_continuous(f, f_text)
    f_sup = chebyshev_supnorm({}, f, rel_tol=0.01)
    if f_sup.upper is None or f_sup.upper >= OUT_BOUND - 1:
        raise InputError(f'f="{f_text}" reaches |f| ≈ {float(f_sup.lower):.4g}; the universal network outputs '
                         f"values in [-{OUT_BOUND}, {OUT_BOUND}], so f must satisfy sup|f| < {OUT_BOUND - 1} (scale f)")
    drop: tuple[int, ...] = ()
    goal = target
    t_plan = t_cert = 0.0
    for _ in range(8):
        t0 = time.perf_counter()
        plan = plan_stream(f, target=goal, rounds=rounds, ratio=ratio, max_rnn_steps=max_rnn_steps, drop=drop)
        t1 = time.perf_counter()
        try:
            rows = certify_stream(plan.stream, f, rel_tol=rel_tol, f_sup=f_sup)
        except NotAnalysable as err:
            raise InputError(f"the planned stream is not certifiable ({err}); this is a bug in the planner") from None
        t_plan += t1 - t0
        t_cert += time.perf_counter() - t1
        stuck = _first_non_decrease(rows)
        if stuck is not None:
            drop += (plan.rounds[stuck - 1].degree,)
            continue
        final = rows[-1].bound
        if target is not None and (final is None or final > target):
            goal = (goal or target) / 2  # the certified bound came out above the target: aim lower
            continue
        break
    else:
        raise InputError(f'could not reach a certified error decreasing round by round for f="{f_text}" '
                         f"(last certified bounds: {[None if r.bound is None else float(r.bound) for r in rows]})")
    claims = {
        "target": f_text,
        "rate": [{"T": r.T, "E": to_string(_up(r.bound * CLAIM_HEADROOM))} for r in rows if r.bound is not None],
        "universal": {
            "stream_symbols": len(plan.stream),
            "rounds": [_round_claim(r) for r in rows[1:]],
        },
    }
    program = universal_interpreter(plan.stream)
    seconds = {"plan": t_plan, "certify": t_cert, "total": time.perf_counter() - t_start}
    return UniversalBuild(f_text, program, plan, tuple(rows), claims, seconds)


def _first_non_decrease(rows: list[UniversalRow]) -> int | None:
    """Index of the first round whose certified bound is missing or not below the previous row's."""
    for prev, row in zip(rows, rows[1:], strict=False):
        if row.bound is None or prev.bound is None or row.bound >= prev.bound:
            return row.index
    return None


def _round_claim(r: UniversalRow) -> dict[str, Any]:
    assert r.round is not None
    return {
        "round": r.index,
        "T": r.T,
        "degree": r.round.degree,
        "teeth": sorted(set(r.round.teeth)),
        "shift": r.round.shift,
        "approx_bound": to_string(_up(r.approx.upper)) if r.approx.upper is not None else None,
        "arith_bound": to_string(_up(r.arith)),
    }


def _up(q: fmpq) -> fmpq:
    """Rounded up to three significant digits, for readable claims."""
    return round_significant(q, 3, "up") if q > 0 else fmpq(0)
