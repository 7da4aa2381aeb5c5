"""The generic rate method, for any compiled TMNU program: affine-in-x enclosures of the output on x-lanes
(:mod:`certify.execute.tmnu_enclosure`) against arb enclosures of f (:func:`~certify.bounds.supnorm.lane_supnorm`),
lanes bisected where a claim is not yet decided, up to a lane budget.

The output can only change at TMNU steps whose op writes the output register; those are read off the
program and its x-independent control path, so one row per such step covers every RNN step T up to
the next one (y_T is the output register of config n for T in [t0 + c·n, t0 + c·(n+1))).

>>> ENCLOSURE.name, ENCLOSURE.priority > 0
('enclosure', True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import sympy
from flint import arb, fmpq

from certify.bounds.rates.model import RateRow
from certify.bounds.rates.registry import MethodRows, RateQuery
from certify.bounds.supnorm import lane_supnorm
from certify.execute.tmnu_enclosure import ControlPath, Form, Lanes, control_path, enclose_outputs
from certify.expr import arb_to_fmpq
from certify.spec.file import RnnFile
from certify.tmnu.program import Program

#: How far past the claims to look for a fixed point (a halting program); a program without one within this
#: many TMNU steps is reported as not halting.
HALT_SEARCH = 10_000


@dataclass(frozen=True)
class EnclosureMethod:
    """Applies to every file with a simulation block; tried last."""

    name: str = "enclosure"
    priority: int = 1000
    described_as: str = "enclosures"
    claim_keys: Mapping[str, str] = field(default_factory=dict)

    def applies(self, f: RnnFile) -> bool:
        return f.simulation is not None

    def rows(self, query: RateQuery) -> MethodRows:
        return enclosure_rows(query)


ENCLOSURE = EnclosureMethod()


def _last_step(query: RateQuery, t0: int, c: int) -> int:
    """The last RNN step to certify: the horizon, else the end of the claims (a last claim without an end: one
    more TMNU step past its start)."""
    if query.options.horizon is not None:
        return query.options.horizon
    ends = [s.T_end - 1 if s.T_end is not None else s.T + c - 1 for s in query.claims]
    if query.until is not None:
        ends.append(query.until - 1)
    return max(ends, default=t0 + c - 1)


def enclosure_rows(query: RateQuery) -> MethodRows:
    """One row per TMNU step that writes the output, certified up to the claims' end (module docstring)."""
    f = query.file
    assert f.simulation is not None
    program, sim = f.simulation.program, f.simulation.map
    c, t0 = sim.c, sim.t0
    n_last = max((_last_step(query, t0, c) - t0) // c, 0)
    path = control_path(program, steps=max(n_last, HALT_SEARCH))  # does it halt soon after the claims?
    if path.fixed_from is not None and query.options.horizon is None:
        n_last = max(n_last, path.fixed_from)
    writes = sorted({0, *(n for n in path.writes(program.output_register) if n <= n_last)})
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
    for span in query.claims:
        for k, r in enumerate(rows):
            if r.meets(span.T, span.T_end):
                targets[k] = min(targets.get(k, span.E), span.E)
    certified = _certify_rows(program, path, rows, query.fx, targets, query.options.lanes, query.options.max_lanes)
    return MethodRows(tuple(certified), tuple(notes))


def _certify_rows(program: Program, path: ControlPath, rows: list[RateRow], fx: sympy.Expr,
                  targets: dict[int, fmpq], lanes: int, max_lanes: int) -> list[RateRow]:
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
        out.append(replace(row, certified=certified, lower=best[2], witness=witness, note=note))
    return out
