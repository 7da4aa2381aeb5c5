"""Deciding a claimed E over RNN steps [T, T_end) against certified rows: PROVED when every row it meets
is certified at most E, REFUTED when a rigorous lower bound at a witness x exceeds E (the witness and T
are named, with the command that replays it), UNKNOWN otherwise; and only for the RNN when the
simulation theorem that makes the rows the RNN's is proved (``certify check``).

Bounds in the reasons are shown to 4 significant digits, rounded the safe way (certified upper bounds
up, lower bounds down), and the claimed E in the direction of the bound it is compared with: rounding is
monotone, so a displayed comparison never reads backwards (the exact E is beside the reason).

>>> from certify.bounds.claims import ClaimSpan
>>> rows = [RateRow(2, 10, "a", (0,), fmpq(1, 3)), RateRow(10, None, "b", (8,), fmpq(1, 100))]
>>> decide_rows(rows, ClaimSpan(10, None, fmpq(1, 50)), t0=2).reason
'certified sup|y_T - f| <= 0.01 <= E=0.02'
>>> decide_rows(rows, ClaimSpan(2, 10, fmpq(1, 50)), t0=2).reason[:51]
'at T=2: the certified bound 0.3334 exceeds E=0.02 a'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import sympy
from flint import fmpq

from certify.bounds.claims import ClaimSpan
from certify.bounds.rates.model import ClaimCheck, RateRow
from certify.bounds.rates.samples import lower_at
from certify.display import Direction, round_decimal
from certify.execute.tmnu_enclosure import control_path, exact_outputs
from certify.prove.checker import Options, check
from certify.spec.file import RnnFile
from certify.verdict import Verdict


@dataclass(frozen=True)
class Theorem:
    """Whether the simulation theorem the rows rest on is proved for this file, and how we know."""

    verdict: Verdict
    reason: str


def simulation_theorem(f: RnnFile, timeout: float = 60.0) -> Theorem:
    """Decide the file's simulation theorem with ``certify check`` (the rows are TMNU outputs: they are the RNN's
    only where the theorem is proved)."""
    cert = check(f, Options(timeout=timeout))
    bad = [r for r in cert.results if r.verdict is not Verdict.PROVED]
    if not bad:
        return Theorem(Verdict.PROVED, f"certify check proved all {len(cert.results)} obligations")
    return Theorem(cert.verdict, f"certify check: {bad[0].id} is {bad[0].verdict.value}"
                   + (f" ({bad[0].reason})" if bad[0].reason else "") + (f" and {len(bad) - 1} more" if len(bad) > 1
                                                                         else ""))


def conditional(check: ClaimCheck, theorem: Theorem) -> ClaimCheck:
    """A claim decided on the TMNU's outputs says nothing about the RNN unless the simulation theorem is proved."""
    if theorem.verdict is Verdict.PROVED or check.verdict is Verdict.UNKNOWN:
        return check
    return ClaimCheck(check.T, check.T_end, check.E, Verdict.UNKNOWN,
                      f"the TMNU's error is {check.verdict.value} here ({check.reason}), but the simulation theorem "
                      f"that makes it the RNN's is not proved: {theorem.reason}")


def decide(f: RnnFile, fx: sympy.Expr, rows: list[RateRow], span: ClaimSpan) -> ClaimCheck:
    """Decide one claim on the TMNU's rows, trying an exact replay where the sampled error was largest."""
    assert f.simulation is not None
    program = f.simulation.program

    def replayed(row: RateRow) -> RateRow:
        """The row with its lower bound raised by an exact replay at the sampled arg-max x."""
        assert row.sampled_x is not None
        x = fmpq(int((fmpq(*row.sampled_x.as_integer_ratio()) * 2**24).floor()), 2**24)  # short, easy to replay
        step = max(row.steps)
        y = exact_outputs(program, control_path(program, steps=step), x, [step])[step]
        low = lower_at(fx, x, y)
        return replace(row, lower=low, witness=x) if low > row.lower else row

    return decide_rows(rows, span, f.simulation.map.t0, replayed, f.source)


def decide_network(f: RnnFile, fx: sympy.Expr, rows: list[RateRow], span: ClaimSpan) -> ClaimCheck:
    """Decide one claim on a network's own rows; where a sampled error exceeds E, the sampled x is replayed
    exactly (piecewise-linear networks) for a witness."""
    net, kind = f.network, f.input.kind

    def replayed(row: RateRow) -> RateRow:
        assert row.sampled_x is not None
        x = fmpq(int((fmpq(*row.sampled_x.as_integer_ratio()) * 2**24).floor()), 2**24)
        y = [yt for t, _, yt in net.run([x], row.T, kind=kind)][-1][0] if row.T >= 1 else net.output(net.h0)[0]
        low = lower_at(fx, x, y)
        return replace(row, lower=low, witness=x) if low > row.lower else row

    exact = net.is_piecewise_linear
    check = decide_rows(rows, span, 0, replayed if exact else None, f.source)
    if not exact and check.verdict is Verdict.REFUTED:
        return replace(check, reason=check.reason.replace("--exact)", "--backend arb --prec 256)"))
    return check


def decide_rows(rows: list[RateRow], span: ClaimSpan, t0: int, replay: Callable[[RateRow], RateRow] | None = None,
                source: str = "") -> ClaimCheck:
    """Decide ``span`` on ``rows``; ``replay`` raises a row's lower bound by an exact run (module docstring)."""
    t, t_end, e = span.T, span.T_end, span.E
    if t < t0:
        return ClaimCheck(t, t_end, e, Verdict.UNKNOWN, f"T={t} is in the prologue (before t0={t0}); not analysed")
    hit = [r for r in rows if r.meets(t, t_end)]
    last = max((r.T_end for r in rows if r.T_end is not None), default=None)
    uncovered = not hit or (t_end is None and all(r.T_end is not None for r in rows)) or (
        t_end is not None and last is not None and t_end > last and all(r.T_end is not None for r in rows))
    e_up = span.refutes_above
    bad = [r for r in hit if r.lower > e_up]
    if not bad and replay is not None:
        bad = [r for r in (replay(r) for r in hit if r.sampled is not None and r.sampled > float(e_up))
               if r.lower > e_up][:1]
    if bad:
        r = bad[0]
        return ClaimCheck(t, t_end, e, Verdict.REFUTED,
                          f"at T={max(r.T, t)}: |y_T - f| >= {_g(r.lower, 'down')} > E={_g(e, 'down')} "
                          f"at x = {r.witness} "
                          f"(replay: certify run {source or 'FILE'} --x {r.witness} --steps {max(r.T, t)} --exact)")
    if uncovered:
        upto = max((r.T_end or 0) for r in rows) if rows else t
        why = (f"the claim covers every T from {t} on, but the program never halts and rows are certified up to "
               f"T={upto - 1} only" if t_end is None else f"steps from T={upto} on are not covered by certified rows")
        return ClaimCheck(t, t_end, e, Verdict.UNKNOWN, why + " (--horizon sets how far to certify)")
    over = [r for r in hit if r.certified is None or r.certified > e]
    if not over:
        worst = max(r.certified for r in hit if r.certified is not None)
        return ClaimCheck(t, t_end, e, Verdict.PROVED,
                          f"certified sup|y_T - f| <= {_g(worst, 'up')} <= E={_g(e, 'up')}")
    r = over[0]
    up = "no certified bound" if r.certified is None else f"the certified bound {_g(r.certified, 'up')}"
    return ClaimCheck(t, t_end, e, Verdict.UNKNOWN,
                      f"at T={max(r.T, t)}: {up} exceeds E={_g(e, 'up')} and no witness exceeds E "
                      f"(largest certified |y_T - f| found: {_g(r.lower, 'down')})" + (f"; {r.note}" if r.note else ""))


def _g(q: fmpq, direction: Direction) -> str:
    return round_decimal(q, 4, direction, notation="g")
