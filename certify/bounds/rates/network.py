"""The rate method for any network without a simulation block (a construction built by hand, a trained
RNN): every RNN step T is its own row, certified on the network itself.

* **exact pieces** (piecewise-linear activations, one input): y_T is exactly piecewise affine in x
  (:mod:`certify.execute.pieces`); sup |y_T − f| is bounded on each piece (:mod:`certify.bounds.piece_error`:
  exact for polynomial f, so a claim attained with equality is PROVED);
* **lanes** otherwise, or from the step where the piece count passes ``max_pieces``: rigorous float64
  affine-in-x enclosures of y_T on x-intervals (:func:`~certify.execute.layered.rollout_layered`), each
  lane bounded against f as a piece plus the enclosure's radius, undecided lanes bisected up to the lane
  budget. Where the float64 radius, not the lane width, keeps a lane undecided, the row's note says so.

>>> NETWORK.name, NETWORK.priority < 1000
('network', True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy
from flint import fmpq, fmpq_poly

from certify.bounds.piece_error import PieceBound, piece_error, polynomial, short_upper
from certify.bounds.rates.model import RateRow
from certify.bounds.rates.registry import Declined, MethodRows, RateQuery
from certify.errors import InputError
from certify.execute.arb_forms import centred_forms
from certify.execute.enclosure import Enclosures, Inputs
from certify.execute.layered import rollout_layered
from certify.execute.pieces import AffinePiece, PieceRun, TooManyPieces
from certify.expr import arb_to_fmpq
from certify.rational import from_float
from certify.spec.file import RnnFile
from certify.spec.network import Network

#: Most rows (RNN steps) one call certifies.
MAX_ROWS = 100_000
#: An enclosure radius below this times the value's size is float64 rounding, not relaxation.
ROUNDING_SCALE = fmpq(1, 2**40)
#: Lanes the arb fallback redoes per call, and the precisions it tries in turn.
ESCALATE_LANES = 64
ESCALATE_PRECISIONS = (128, 256, 512, 1024)
#: A bound this large stands for "not bounded" (an enclosure that overflowed).
HUGE = fmpq(10) ** 300


@dataclass(frozen=True)
class NetworkMethod:
    """Applies to every file without a simulation block."""

    name: str = "network"
    priority: int = 900
    described_as: str = "network enclosures"
    claim_keys: Mapping[str, str] = field(default_factory=dict)

    def applies(self, f: RnnFile) -> bool:
        return f.simulation is None

    def rows(self, query: RateQuery) -> MethodRows:
        return network_rows(query)


NETWORK = NetworkMethod()


@dataclass(frozen=True)
class RowTask:
    """What one row needs: its step and the smallest claimed E over it (None: only measure)."""

    T: int
    target: fmpq | None


def row_tasks(query: RateQuery) -> tuple[list[RowTask], list[str]]:
    """The steps to certify: every T of every claim (a claim without an end: up to the horizon, else its own T),
    or 0..horizon without claims."""
    notes = []
    ends = []
    for s in query.claims:
        if s.T_end is not None:
            ends.append(s.T_end - 1)
        elif query.until is not None:
            ends.append(query.until - 1)
        else:
            ends.append(max(s.T, query.options.horizon or s.T))
            notes.append(f"the claim from T={s.T} covers every later T; rows are certified up to "
                         f"T={ends[-1]} only (--horizon sets how far)")
    last = query.options.horizon if query.options.horizon is not None else max(ends, default=10)
    if last + 1 > MAX_ROWS:
        raise InputError(f"certifying up to T={last} is more than {MAX_ROWS} rows; lower --horizon or the claims")
    first = min((s.T for s in query.claims), default=0)
    tasks = []
    for t in range(min(first, last), last + 1):
        es = [s.E for s in query.claims if s.meets(t, t + 1)]
        tasks.append(RowTask(t, min(es) if es else None))
    return tasks, notes


def network_rows(query: RateQuery) -> MethodRows:
    f = query.file
    net, kind = f.network, f.input.kind
    if kind not in ("constant", "impulse"):
        raise Declined(f"input.kind={kind!r}: rates are certified for a constant or an impulse input x")
    if net.input_dim != 1 or net.output_dim != 1:
        raise Declined(f"rates compare y_T with f(x) for one input and one output; this network has "
                       f"input_dim={net.input_dim}, output_dim={net.output_dim}")
    lo, hi = f.input.domain
    tasks, notes = row_tasks(query)
    rows: list[RateRow] = []
    rest = tasks
    if net.is_piecewise_linear:
        rows, rest, more = piece_rows(net, kind, lo, hi, tasks, query.fx, query.options.rel_tol,
                                      query.options.max_pieces)
        notes += more
    if rest:
        lanes = lane_rows(net, kind, lo, hi, rest, query.fx, query.options.lanes, query.options.max_lanes,
                          query.options.rel_tol)
        rows += lanes
    return MethodRows(tuple(rows), tuple(notes))


def piece_rows(net: Network, kind: str, lo: fmpq, hi: fmpq, tasks: Sequence[RowTask], fx: sympy.Expr,
               rel_tol: float, max_pieces: int) -> tuple[list[RateRow], list[RowTask], list[str]]:
    """Rows from exact pieces, in order, until the piece budget stops the enumeration (the rest returned)."""
    poly = polynomial(fx)
    run = PieceRun(net, lo, hi, kind, max_pieces)
    rows: list[RateRow] = []
    last: tuple[list[AffinePiece], fmpq | None, list[PieceBound]] | None = None  # a held output is bounded once
    for i, task in enumerate(tasks):
        try:
            while run.t < task.T:
                run.step()
        except TooManyPieces as err:
            return rows, list(tasks[i:]), [f"exact pieces stopped at T={err.t} (more than {err.limit} pieces); "
                                           f"later rows by float64 lanes"]
        pieces = run.output_pieces()
        if last is not None and last[0] == pieces and last[1] == task.target:
            bounds = last[2]
        else:
            bounds = [piece_error(fx, p.a[0], p.b[0], p.lo, p.hi, target=task.target, poly=poly, rel_tol=rel_tol)
                      for p in pieces]
            last = (pieces, task.target, bounds)
        rows.append(_row(task.T, bounds, f"{len(pieces)} exact pieces"
                         + ("" if poly is not None else " (f bounded with arb)")))
    return rows, [], []


def _row(t: int, bounds: Sequence[PieceBound], note: str, certified: bool = True) -> RateRow:
    best = max(bounds, key=lambda b: b.lower)
    upper = max(b.upper for b in bounds) if certified else None
    return RateRow(t, t + 1, f"T={t}", (t,), upper, best.lower, best.witness if best.lower > 0 else None, note=note)


def lane_rows(net: Network, kind: str, lo: fmpq, hi: fmpq, tasks: Sequence[RowTask], fx: sympy.Expr, lanes: int,
              max_lanes: int, rel_tol: float) -> list[RateRow]:
    """Rows from float64 affine enclosures on x-lanes; a lane is bisected for the rows it leaves undecided, until
    every row is decided or ``max_lanes`` lane evaluations are spent."""
    poly = polynomial(fx)
    times = [t.T for t in tasks]
    cuts = [lo + (hi - lo) * fmpq(i, lanes) for i in range(lanes + 1)]
    todo = [(a, b, frozenset(range(len(tasks)))) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    done: dict[int, list[PieceBound]] = {k: [] for k in range(len(tasks))}
    open_lanes: dict[int, int] = {k: 0 for k in range(len(tasks))}  # lanes left undecided by the budget
    stuck: list[tuple[fmpq, fmpq, int, int]] = []  # (lane, row, index in done[row]) left undecided
    rounding: set[int] = set()  # rows where float64 rounding, not the relaxation, is what keeps a lane open
    used = 0
    while todo:
        used += len(todo)
        inputs = Inputs(tuple(a for a, _, _ in todo), tuple(b for _, b, _ in todo))
        enc = rollout_layered(net, inputs, max(times), times, mode="affine", kind=kind)
        xc, xg, xr = inputs.vector_affine(1)
        nxt: list[tuple[fmpq, fmpq, frozenset[int]]] = []
        for j, (a, b, wanted) in enumerate(todo):
            again = set()
            for k in sorted(wanted):
                target = tasks[k].target
                bound, radius = _lane_bound(enc, k, j, (xc[0, j], xg[0, j], xr[0, j]), a, b, fx, poly, target,
                                            rel_tol)
                decided = target is None or bound.upper <= target or bound.lower > target
                if decided or used + 2 * len(nxt) + 2 > max_lanes or bound.upper >= HUGE:
                    done[k].append(bound)
                    if not decided:
                        open_lanes[k] += 1
                        stuck.append((a, b, k, len(done[k]) - 1))
                        if radius <= ROUNDING_SCALE * (abs(from_float(enc.mid[k, j, 0])) + 1):
                            rounding.add(k)
                else:
                    again.add(k)
            if again:
                m = (a + b) / 2
                nxt += [(a, m, frozenset(again)), (m, b, frozenset(again))]
        todo = nxt
    escalated = _escalate(net, kind, tasks, stuck, done, fx, poly, rel_tol)
    for k, (redone, _) in escalated.items():
        open_lanes[k] -= redone
    limited = {k for k in rounding if open_lanes[k] > 0}
    rows = []
    for k, task in enumerate(tasks):
        note = f"float64 lanes ({used} lane evaluations)"
        if k in escalated:
            note += f"; {escalated[k][0]} lanes decided again with arb at up to {escalated[k][1]} bits"
        if open_lanes[k]:
            note += (f"; {open_lanes[k]} lanes undecided when the lane budget ran out (raise --max-lanes"
                     + (", --max-pieces" if net.is_piecewise_linear else "") + ")")
        if k in limited:
            note += "; on some the float64 rounding, not the lane width, is what remains: more precision is needed"
        certified = all(bd.upper < HUGE for bd in done[k])
        rows.append(_row(task.T, done[k], note, certified))
    return rows


def _escalate(net: Network, kind: str, tasks: Sequence[RowTask], stuck: list[tuple[fmpq, fmpq, int, int]],
              done: dict[int, list[PieceBound]], fx: sympy.Expr, poly: fmpq_poly | None,
              rel_tol: float) -> dict[int, tuple[int, int]]:
    """Redo lanes the float64 pass left undecided with arb centred forms at 128, 256, … bits (at most
    :data:`ESCALATE_LANES` of them); a bound that decides replaces the float64 one. More bits are tried only
    while the rounding part of the form (its value's radius) is what is left above the claim. Returns, per
    row, how many lanes were decided and the most bits used."""
    out: dict[int, tuple[int, int]] = {}
    for a, b, k, i in stuck[:ESCALATE_LANES]:
        target = tasks[k].target
        if target is None:
            continue
        for prec in ESCALATE_PRECISIONS:
            found = _arb_bound(net, kind, a, b, tasks[k].T, fx, poly, target, prec, rel_tol)
            if found is None:
                break
            bound, rounding_part = found
            if bound.upper <= target or bound.lower > target:
                done[k][i] = bound
                n, p = out.get(k, (0, 0))
                out[k] = (n + 1, max(p, prec))
                break
            if rounding_part * 4 < bound.upper - target:  # the lane's width, not precision, is what is left
                break
    return out


def _arb_bound(net: Network, kind: str, a: fmpq, b: fmpq, t: int, fx: sympy.Expr, poly: fmpq_poly | None,
               target: fmpq | None, prec: int, rel_tol: float) -> tuple[PieceBound, fmpq] | None:
    """sup |y_T − f| on [a, b] from the centred form y(m) + y′(X)·(x − m) at ``prec`` bits, and the part of its
    radius that rounding makes (None: not finite)."""
    y, dy = centred_forms(net, kind, a, b, [t], prec)[t]
    if not (y.is_finite() and dy.is_finite()):
        return None
    m, h = (a + b) / 2, (b - a) / 2
    c, s = arb_to_fmpq(y.mid()), arb_to_fmpq(dy.mid())
    radius = arb_to_fmpq(y.rad()) + arb_to_fmpq(dy.rad()) * h
    inner = piece_error(fx, c - s * m, s, a, b, poly=poly, rel_tol=rel_tol,
                        target=None if target is None else max(target - radius, fmpq(0)))
    return PieceBound(short_upper(inner.upper + radius), max(inner.lower - radius, fmpq(0)), inner.witness,
                      exact=False), arb_to_fmpq(y.rad())


def _lane_bound(enc: Enclosures, ti: int, j: int, xmap: tuple[float, float, float], a: fmpq, b: fmpq,
                fx: sympy.Expr, poly: fmpq_poly | None, target: fmpq | None, rel_tol: float) -> tuple[PieceBound, fmpq]:
    """sup |y_T − f| on lane [a, b] from its enclosure y ∈ C + G·ξ ± R, ξ = (x − c)/g (x = c + gξ ± r)."""
    C, R = enc.mid[ti, j, 0], enc.rad[ti, j, 0]
    G = enc.gen[ti, j, 0] if enc.gen is not None else 0.0
    if not (np.isfinite(C) and np.isfinite(R) and np.isfinite(G)):
        return PieceBound(HUGE, fmpq(0), a, exact=False), HUGE
    c, g, r = (from_float(v) for v in xmap)
    Cq, Gq, Rq = from_float(C), from_float(G), from_float(R)
    slope = Gq / g if g != 0 else fmpq(0)
    radius = Rq + (abs(slope) * r if g != 0 else abs(Gq))
    inner = piece_error(fx, Cq - slope * c, slope, a, b, poly=poly, rel_tol=rel_tol,
                        target=None if target is None else max(target - radius, fmpq(0)))
    return PieceBound(short_upper(inner.upper + radius), max(inner.lower - radius, fmpq(0)), inner.witness,
                      exact=False), radius
