"""Error versus runtime: certify sup_x |y_T(x) - f(x)| for every RNN step T, row by row, and check a
file's claimed rate table (``claims.rate`` = [{"T": t, "E": e}, ...]: E bounds the error from that
row's T up to the next row's; the last row holds for every later T).

The rows come from the TMNU run, which the simulation theorem (``certify check``) makes equal to the
RNN's: y_T is the output register of config n for T in [t0 + c·n, t0 + c·(n+1)). The output can
only change at TMNU steps whose op writes the output register; those are read off the program and
its x-independent control path, so a row's bound covers every T up to the next such step.

Two methods:

* ``universal`` (the stream interpreter, recognized exactly): per round, the certified sup-norm of
  P_r - f plus the proven arithmetic error (:mod:`certify.universal.rates`);
* ``enclosure`` (any other program): affine-in-x enclosures of the output on x-lanes
  (:mod:`certify.execute.tmnu_enclosure`) against arb enclosures of f, lanes bisected where a claim
  is not yet decided, up to a lane budget.

A claim is PROVED when every row it covers is certified below it, REFUTED when a rigorous lower bound
at a witness x exceeds it (the witness is named, with T), and UNKNOWN otherwise. Sampled errors
(float64, on a grid) are only shown and plotted; they are never used as bounds.

>>> from certify.compiler.tmnu_to_rnn import compile_program, from_compiled
>>> from certify.constructions.examples import squaring, squaring_claims
>>> from certify.spec import io
>>> claims = squaring_claims(rounds=4)
>>> f = from_compiled(compile_program(squaring()), claims)
>>> rep = rates(f, samples=65)
>>> [c.verdict.value for c in rep.claims], rep.method
(['PROVED', 'PROVED', 'PROVED', 'PROVED'], 'enclosure')
>>> del claims["rate_until"]       # now the last claim holds 'forever', but squaring never halts
>>> rep = rates(from_compiled(compile_program(squaring()), claims), samples=65)
>>> rep.claims[-1].verdict.value, rep.claims[-1].reason[:60]
('UNKNOWN', 'the claim covers every T from 22 on, but the program never h')
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy
from flint import arb, fmpq

from certify.bounds.supnorm import lane_supnorm
from certify.errors import InputError
from certify.execute.tmnu_enclosure import ControlPath, Form, Lanes, control_path, enclose_outputs, sample_outputs
from certify.expr import ArbFunction, arb_to_fmpq, check_continuous, numpy_function, parse_function
from certify.rational import parse_number
from certify.spec.io import RnnFile
from certify.verdict import Verdict, combine

#: Default number of sampled x for measured errors (a plot aid, not a bound).
SAMPLES = 2001
#: Default lanes of the first enclosure pass and the most lanes any one claim may be refined to.
LANES = 256
MAX_LANES = 2**14
#: Enclosure method: how far past the claims to look for a fixed point (a halting program); a program
#: without one within this many TMNU steps is reported as not halting.
HALT_SEARCH = 10_000


@dataclass(frozen=True)
class RateRow:
    """The certified error for RNN steps T in [T, T_end) (T_end None: every later step)."""

    T: int
    T_end: int | None
    label: str
    steps: tuple[int, ...]  # TMNU configs whose output the row covers
    certified: fmpq | None  # upper bound of sup_x |y_T - f| over the row, None if not certified
    lower: fmpq = fmpq(0)  # rigorous lower bound of sup_x |y_T - f| (at ``witness``)
    witness: fmpq | None = None
    approx: fmpq | None = None  # universal: proven sup|P_r - f|
    arith: fmpq | None = None  # universal: proven sup|y - P_r|
    sampled: float | None = None  # measured max on the sample grid (float64; not a bound)
    sampled_x: float | None = None  # where the sampled maximum was seen
    note: str = ""


@dataclass(frozen=True)
class ClaimCheck:
    T: int
    T_end: int | None
    E: fmpq
    verdict: Verdict
    reason: str


@dataclass(frozen=True)
class RatesReport:
    name: str
    target: str
    method: str
    rows: tuple[RateRow, ...]
    claims: tuple[ClaimCheck, ...]
    notes: tuple[str, ...] = ()
    seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> Verdict:
        return combine(c.verdict for c in self.claims)


def claimed_rate(claims: dict[str, Any]) -> list[tuple[int, fmpq]]:
    """The file's ``claims.rate`` table, sorted by T (bad rows are an InputError naming them)."""
    raw = claims.get("rate") or []
    if not isinstance(raw, list):
        raise InputError("claims.rate must be a list of {\"T\": step, \"E\": bound}")
    out = []
    for i, row in enumerate(raw):
        if not isinstance(row, dict) or "T" not in row or "E" not in row:
            raise InputError(f"claims.rate[{i}] must be an object {{\"T\": step, \"E\": bound}}")
        t = row["T"]
        if not isinstance(t, int) or isinstance(t, bool) or t < 0:
            raise InputError(f"claims.rate[{i}].T={t!r} is not a nonnegative integer step")
        e = parse_number(row["E"], where=f"claims.rate[{i}].E")
        if e < 0:
            raise InputError(f"claims.rate[{i}].E={row['E']!r} is negative")
        out.append((t, e))
    out.sort(key=lambda r: r[0])
    for (a, _), (b, _) in zip(out, out[1:], strict=False):
        if a == b:
            raise InputError(f"claims.rate lists T={a} twice")
    return out


def claimed_until(claims: dict[str, Any]) -> int | None:
    """``claims.rate_until``: the first RNN step the rate table no longer covers (DESIGN §5's T_max).
    Absent, the last row covers every later step.

    >>> claimed_until({"rate": [{"T": 10, "E": "1/4"}], "rate_until": 58}), claimed_until({})
    (58, None)
    """
    if "rate_until" not in claims:
        return None
    until = claims["rate_until"]
    if not isinstance(until, int) or isinstance(until, bool):
        raise InputError(f"claims.rate_until={until!r} is not an integer step")
    last = max((t for t, _ in claimed_rate(claims)), default=-1)
    if until <= last:
        raise InputError(f"claims.rate_until={until} must be after the last claimed row (T={last})")
    return until


@dataclass(frozen=True)
class Theorem:
    """Whether the simulation theorem the rows rest on is proved for this file, and how we know."""

    verdict: Verdict
    reason: str


def simulation_theorem(f: RnnFile, timeout: float = 60.0) -> Theorem:
    """Decide the file's simulation theorem with ``certify check`` (the rows are TMNU outputs: they are the RNN's
    only where the theorem is proved)."""
    from certify.prove.checker import Options, check

    cert = check(f, Options(timeout=timeout))
    bad = [r for r in cert.results if r.verdict is not Verdict.PROVED]
    if not bad:
        return Theorem(Verdict.PROVED, f"certify check proved all {len(cert.results)} obligations")
    return Theorem(cert.verdict, f"certify check: {bad[0].id} is {bad[0].verdict.value}"
                   + (f" ({bad[0].reason})" if bad[0].reason else "") + (f" and {len(bad) - 1} more" if len(bad) > 1
                                                                         else ""))


def _conditional(check: ClaimCheck, theorem: Theorem) -> ClaimCheck:
    """A claim decided on the TMNU's outputs says nothing about the RNN unless the simulation theorem is proved."""
    if theorem.verdict is Verdict.PROVED or check.verdict is Verdict.UNKNOWN:
        return check
    return ClaimCheck(check.T, check.T_end, check.E, Verdict.UNKNOWN,
                      f"the TMNU's error is {check.verdict.value} here ({check.reason}), but the simulation theorem "
                      f"that makes it the RNN's is not proved: {theorem.reason}")


def rates(f: RnnFile, *, samples: int = SAMPLES, lanes: int = LANES, max_lanes: int = MAX_LANES,
          horizon: int | None = None, rel_tol: float = 0.05, theorem: Theorem | None = None) -> RatesReport:
    """Certify the error-versus-runtime table of a weight file and check its claims (module docstring).

    The rows are outputs of the TMNU run; a claim is decided for the RNN only when the simulation theorem is
    proved (``theorem``; by default decided here with ``certify check``), otherwise it is UNKNOWN."""
    start = time.perf_counter()
    if f.simulation is None:
        raise InputError("certify rates needs a file with a simulation block (a compiled TMNU program)")
    if "target" not in f.claims:
        raise InputError("the file claims no target function (claims.target); nothing to compare y_T with")
    text = str(f.claims["target"])
    fx = parse_function(text)
    check_continuous(fx, text)
    claims = claimed_rate(f.claims)
    claimed_until(f.claims)  # validated before any work
    from certify.universal.interpreter import is_universal

    program = f.simulation.program
    notes: list[str] = []
    if is_universal(program):
        from certify.universal.arithmetic import NotAnalysable
        from certify.universal.rates import universal_rows

        try:
            rows, more = universal_rows(f, fx, rel_tol=rel_tol, claims=claims)
            method = "universal"
        except NotAnalysable as err:
            notes.append(f"the stream is not analysable as rounds ({err}); falling back to enclosures")
            rows, more = _enclosure_rows(f, fx, claims, lanes=lanes, max_lanes=max_lanes, horizon=horizon)
            method = "enclosure"
        notes += more
    else:
        rows, more = _enclosure_rows(f, fx, claims, lanes=lanes, max_lanes=max_lanes, horizon=horizon)
        method = "enclosure"
        notes += more
    rows = _with_samples(f, fx, rows, samples)
    theorem = theorem if theorem is not None else simulation_theorem(f)
    checks = tuple(_conditional(_check_claim(f, fx, rows, claims, i), theorem) for i in range(len(claims)))
    if theorem.verdict is not Verdict.PROVED:
        notes.append(f"the simulation theorem is not proved ({theorem.reason}): the rows are the TMNU's errors, "
                     "not certified for the RNN")
    if not claims:
        notes.append("the file claims no rate table (claims.rate); rows are certified, nothing is checked")
    return RatesReport(f.name, text, method, tuple(rows), checks, tuple(notes), time.perf_counter() - start)


# --- claims ------------------------------------------------------------------------------------------------
def _covers(row: RateRow, lo: int, hi: int | None) -> bool:
    """Does [row.T, row.T_end) meet [lo, hi)?"""
    return (hi is None or hi > row.T) and (row.T_end is None or row.T_end > lo)


def _check_claim(f: RnnFile, fx: sympy.Expr, rows: list[RateRow], claims: list[tuple[int, fmpq]],
                 i: int) -> ClaimCheck:
    t, e = claims[i]
    t_end = claims[i + 1][0] if i + 1 < len(claims) else claimed_until(f.claims)
    assert f.simulation is not None
    t0 = f.simulation.map.t0
    if t < t0:
        return ClaimCheck(t, t_end, e, Verdict.UNKNOWN, f"T={t} is in the prologue (before t0={t0}); not analysed")
    hit = [r for r in rows if _covers(r, t, t_end)]
    last = max((r.T_end for r in rows if r.T_end is not None), default=None)
    uncovered = not hit or (t_end is None and all(r.T_end is not None for r in rows)) or (
        t_end is not None and last is not None and t_end > last and all(r.T_end is not None for r in rows))
    bad = [r for r in hit if r.lower > e]
    if not bad:  # try to refute by an exact replay where the sampled error was largest
        bad = [r for r in (_replayed(f, fx, r) for r in hit if r.sampled is not None and r.sampled > float(e))
               if r.lower > e][:1]
    if bad:
        r = bad[0]
        return ClaimCheck(t, t_end, e, Verdict.REFUTED,
                          f"at T={max(r.T, t)}: |y_T - f| >= {_g(r.lower)} > E={_g(e)} at x = {r.witness} "
                          f"(replay: certify run {f.source or 'FILE'} --x {r.witness} --steps {max(r.T, t)} --exact)")
    if uncovered:
        upto = max((r.T_end or 0) for r in rows) if rows else t
        why = (f"the claim covers every T from {t} on, but the program never halts and rows are certified up to "
               f"T={upto - 1} only" if t_end is None else f"steps from T={upto} on are not covered by certified rows")
        return ClaimCheck(t, t_end, e, Verdict.UNKNOWN, why + " (--horizon sets how far to certify)")
    over = [r for r in hit if r.certified is None or r.certified > e]
    if not over:
        worst = max(r.certified for r in hit if r.certified is not None)
        return ClaimCheck(t, t_end, e, Verdict.PROVED, f"certified sup|y_T - f| <= {_g(worst)} <= E={_g(e)}")
    r = over[0]
    up = "no certified bound" if r.certified is None else f"the certified bound {_g(r.certified)}"
    return ClaimCheck(t, t_end, e, Verdict.UNKNOWN,
                      f"at T={max(r.T, t)}: {up} exceeds E={_g(e)} and no witness exceeds E "
                      f"(largest certified |y_T - f| found: {_g(r.lower)})" + (f"; {r.note}" if r.note else ""))


def _replayed(f: RnnFile, fx: sympy.Expr, row: RateRow) -> RateRow:
    """The row with its lower bound raised by an exact replay at the sampled arg-max x."""
    from certify.execute.tmnu_enclosure import exact_outputs

    assert f.simulation is not None and row.sampled_x is not None
    x = fmpq(int((fmpq(*row.sampled_x.as_integer_ratio()) * 2**24).floor()), 2**24)  # short, easy to replay
    program = f.simulation.program
    step = max(row.steps)
    y = exact_outputs(program, control_path(program, steps=step), x, [step])[step]
    low = lower_at(fx, x, y)
    return _replace(row, lower=low, witness=x) if low > row.lower else row


def _g(q: fmpq) -> str:
    return f"{float(q):.4g}"


# --- sampled errors ------------------------------------------------------------------------------------------
def sample_grid(n: int) -> np.ndarray:
    """n points in [-1, 1]: half Chebyshev-spaced (dense at the ends), half uniform; exact floats."""
    k = max(n // 2, 2)
    return np.unique(np.concatenate([np.cos(np.linspace(0, np.pi, k)), np.linspace(-1, 1, n - k + 1)]))


def _with_samples(f: RnnFile, fx: sympy.Expr, rows: list[RateRow], samples: int) -> list[RateRow]:
    if samples <= 0 or not rows:
        return rows
    assert f.simulation is not None
    program = f.simulation.program
    xs = sample_grid(samples)
    fv = numpy_function(fx)(xs)
    steps = sorted({s for r in rows for s in r.steps})
    path = control_path(program, steps=max(steps)) if steps else None
    ys = sample_outputs(program, path, xs, steps) if path is not None else {}
    out = []
    for r in rows:
        errs = [(float(np.max(np.abs(ys[s] - fv))), float(xs[np.argmax(np.abs(ys[s] - fv))])) for s in r.steps
                if s in ys and np.all(np.isfinite(ys[s]))]
        best = max(errs) if errs else (None, None)
        out.append(_replace(r, sampled=best[0], sampled_x=best[1]))
    return out


def _replace(row: RateRow, **kw: Any) -> RateRow:
    from dataclasses import replace

    return replace(row, **kw)


# --- the generic method: affine enclosures on lanes -----------------------------------------------------------
def _enclosure_rows(f: RnnFile, fx: sympy.Expr, claims: list[tuple[int, fmpq]], *, lanes: int, max_lanes: int,
                    horizon: int | None) -> tuple[list[RateRow], list[str]]:
    assert f.simulation is not None
    program, sim = f.simulation.program, f.simulation.map
    c, t0 = sim.c, sim.t0
    until = claimed_until(f.claims)
    last_t = horizon if horizon is not None else (
        until - 1 if until is not None else max((t for t, _ in claims), default=t0) + c - 1)
    n_last = max((last_t - t0) // c, 0)
    path = control_path(program, steps=max(n_last, HALT_SEARCH))  # does it halt soon after the claims?
    if path.fixed_from is not None and horizon is None:
        n_last = max(n_last, path.fixed_from)
    writes = [0] + [n for n in path.writes(program.output_register) if n <= n_last]
    writes = sorted(set(writes))
    notes = []
    if path.fixed_from is None or path.fixed_from > n_last:
        path = ControlPath(program, path.ops[:n_last], None)
        notes.append(f"the program does not halt: rows are certified up to T={t0 + c * (n_last + 1) - 1} only")
    rows: list[RateRow] = []
    for i, n in enumerate(writes):
        nxt = writes[i + 1] if i + 1 < len(writes) else None
        t_end = t0 + c * nxt if nxt is not None else (None if path.fixed_from is not None else t0 + c * (n_last + 1))
        rows.append(RateRow(t0 + c * n, t_end, f"TMNU step {n}", (n,), None))
    targets: dict[int, fmpq] = {}
    for j, (t, e) in enumerate(claims):
        t_end = claims[j + 1][0] if j + 1 < len(claims) else until
        for k, r in enumerate(rows):
            if _covers(r, t, t_end):
                targets[k] = min(targets.get(k, e), e)
    return _certify_rows(program, path, rows, fx, targets, lanes, max_lanes), notes


def _certify_rows(program, path: ControlPath, rows: list[RateRow], fx: sympy.Expr, targets: dict[int, fmpq],
                  lanes: int, max_lanes: int) -> list[RateRow]:
    """Enclose every row's output on shared lanes; bisect the lanes where some row's bound is above its
    target, re-running only the split lanes for only the rows that asked, until decided or out of lanes."""
    leaves: list[list[tuple[float, fmpq | None, fmpq]]] = [[] for _ in rows]  # (m, upper, lower) per row
    used = [0] * len(rows)
    todo = Lanes.uniform(lanes)
    wants = [set(range(len(rows)))] * len(todo)  # rows each pending lane is evaluated for
    while len(todo):
        steps = sorted({rows[k].steps[0] for w in wants for k in w})
        ys = enclose_outputs(program, path, todo, steps)
        split_for: list[set[int]] = [set() for _ in range(len(todo))]
        for k in sorted({k for w in wants for k in w}):
            idx = np.array([i for i, w in enumerate(wants) if k in w])
            sub = todo.take(idx)
            y = ys[rows[k].steps[0]]
            b = lane_supnorm(sub, Form(y.c[idx], y.g[idx], y.r[idx]), fx)
            target = targets.get(k)
            refuted = target is not None and any(lo > target for lo in b.lower)
            used[k] += len(idx)
            for j, i in enumerate(idx):
                up = b.upper[j]
                need = (target is not None and not refuted and (up is None or up > target)
                        and np.isfinite(y.r[i]) and used[k] + 2 <= max_lanes)
                if need:
                    split_for[i].add(k)
                    used[k] += 1
                else:
                    leaves[k].append((float(todo.m[i]), up, b.lower[j]))
        mask = np.array([bool(w) for w in split_for])
        if not mask.any():
            break
        todo = todo.take(mask).split()
        kept = [w for w in split_for if w]
        wants = kept + kept  # split() puts the left halves first, then the right halves
    out = []
    for k, row in enumerate(rows):
        ups = [u for _, u, _ in leaves[k]]
        certified = None if any(u is None for u in ups) else max(u for u in ups if u is not None)
        best = max(leaves[k], key=lambda lf: lf[2])
        witness = arb_to_fmpq(arb(best[0])) if best[2] > 0 else None
        target = targets.get(k)
        note = ""
        if certified is None:
            note = "the enclosure lost all precision (radius overflow) on some lane"
        elif target is not None and certified > target and best[2] <= target:
            note = f"lane budget {max_lanes} reached"
        out.append(_replace(row, certified=certified, lower=best[2], witness=witness, note=note))
    return out


def lower_at(fx: sympy.Expr, x: fmpq, y: fmpq) -> fmpq:
    """A rigorous lower bound of |y - f(x)| for an exact y."""
    v = abs(arb(y) - ArbFunction(fx)(arb(x)))
    lo = v.lower()
    return max(arb_to_fmpq(lo), fmpq(0)) if lo.is_finite() else fmpq(0)


# --- output ------------------------------------------------------------------------------------------------
def report_json(rep: RatesReport) -> dict[str, Any]:
    """The report as JSON-ready data (exact bounds as "p/q" strings, with decimals beside them)."""
    from certify.rational import to_string

    def q(v: fmpq | None) -> Any:
        return None if v is None else {"exact": to_string(v), "approx": float(v)}

    return {
        "format": "certify.rates/1",
        "name": rep.name,
        "target": rep.target,
        "method": rep.method,
        "verdict": rep.verdict.value,
        "rows": [{"T": r.T, "T_end": r.T_end, "label": r.label, "tmnu_steps": list(r.steps),
                  "certified": q(r.certified), "lower": q(r.lower),
                  "witness": None if r.witness is None else to_string(r.witness),
                  "approx_bound": q(r.approx), "arith_bound": q(r.arith), "sampled": r.sampled, "note": r.note}
                 for r in rep.rows],
        "claims": [{"T": c.T, "T_end": c.T_end, "E": to_string(c.E), "verdict": c.verdict.value, "reason": c.reason}
                   for c in rep.claims],
        "notes": list(rep.notes),
        "seconds": rep.seconds,
    }


def plot_rates(rep: RatesReport, path: str) -> None:
    """A log-log plot of the certified error against the RNN step T, with the sampled (measured) error
    and the claimed E(T) beside it; written to ``path`` (PNG, SVG or PDF by extension), never shown."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in rep.rows if r.T > 0]
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    if rows:
        end = max((r.T_end or r.T) for r in rows)
        end = max(end, rows[-1].T) * 2
        xs, ys = [], []
        for r in rows:
            if r.certified is not None and r.certified > 0:
                xs += [r.T, r.T_end or end]
                ys += [float(r.certified)] * 2
        if xs:
            ax.plot(xs, ys, "-", color="C0", lw=2, label="certified upper bound of sup|y_T - f|")
        sx = [r.T for r in rows if r.sampled]
        sy = [r.sampled for r in rows if r.sampled]
        if sx:
            ax.plot(sx, sy, "o", color="C1", label="sampled max |y_T - f| (float64 grid; not a bound)")
        cl = [c for c in rep.claims if c.E > 0]
        if cl:
            cx, cy = [], []
            for c in cl:
                cx += [max(c.T, 1), c.T_end or end]
                cy += [float(c.E)] * 2
            ax.plot(cx, cy, "--", color="C2", lw=1.2, zorder=5, label="claimed E(T)")
        approx = [(r.T, float(r.approx)) for r in rows if r.approx]
        if approx:
            ax.plot(*zip(*approx, strict=True), "s", color="C3", ms=3, label="approximation part sup|P_r - f|")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("RNN step T")
    ax.set_ylabel("error")
    ax.set_title(f"{rep.name}: f = {rep.target[:60]}  [{rep.verdict.value}]", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, metadata={"Date": None} if path.endswith(".svg") else None)
    plt.close(fig)
