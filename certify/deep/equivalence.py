"""Prove that a piecewise-linear network equals a :class:`~certify.deep.target.Target` on K^N, for every t it gives.

Per output time t: compose the network exactly over the box K^N (one variable per x_s[k],
:func:`certify.prove.affine.propagate_sequence`) and the target (:meth:`Target.expressions`); when the two
expressions are the same canonical piecewise-linear expression the equality is PROVED (``symbolic``).
Otherwise z3 (linear real arithmetic, ReLU as if-then-else, :mod:`certify.prove.smt`: the query is built from
indices, never from text of a file, and passes the allowlist guard) looks for a point of the box where
they differ: ``unsat`` is PROVED (``smt``); ``sat`` gives a sequence x_1 … x_N that is replayed exactly
(the network's run against the target's value) before the time is REFUTED with it as witness; a solver
``unknown`` or timeout is UNKNOWN with the solver's reason.

>>> from certify.deep.target import Target
>>> from certify.deep.narrow import compile_target
>>> tg = Target.from_lists(dx=1, dy=1, N=2, domain=[[-1, 1]], steps=[
...     {"t": 1, "A": [[1]], "c": [0], "W": [[1]], "d": [0]},
...     {"t": 2, "A": [[1, 1]], "c": [0], "W": [[-1]], "d": [0]}])
>>> eq = prove_equal(compile_target(tg), tg)
>>> eq.verdict.value, [r.method for r in eq.results]
('PROVED', ['symbolic', 'symbolic'])
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from flint import fmpq

from certify.deep.target import Target, variable
from certify.errors import InputError
from certify.prove import affine, smt
from certify.rational import to_string
from certify.spec.network import Network
from certify.verdict import Verdict, combine

FORMAT = "certify.deep-equivalence/1"


@dataclass(frozen=True)
class TimeResult:
    """The verdict on y_t = f[t](x[1:t]) for every x ∈ K^N, with its method and, if REFUTED, the witness."""

    t: int
    verdict: Verdict
    method: str
    reason: str = ""
    witness: tuple[tuple[fmpq, ...], ...] = ()
    network_y: tuple[fmpq, ...] = ()
    target_y: tuple[fmpq, ...] = ()
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"t": self.t, "verdict": self.verdict.value, "method": self.method,
                               "seconds": round(self.seconds, 3)}
        if self.reason:
            out["reason"] = self.reason
        if self.witness:
            out["witness"] = [[to_string(v) for v in x] for x in self.witness]
            out["network_y"] = [to_string(v) for v in self.network_y]
            out["target_y"] = [to_string(v) for v in self.target_y]
        return out


@dataclass(frozen=True)
class Equivalence:
    """Every time's result; the verdict is the worst of them."""

    network_sha256: str
    target_sha256: str
    results: tuple[TimeResult, ...]
    seconds: float

    @property
    def verdict(self) -> Verdict:
        return combine(r.verdict for r in self.results)

    def as_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "network_sha256": self.network_sha256, "target_sha256": self.target_sha256,
                "verdict": self.verdict.value, "seconds": round(self.seconds, 3),
                "results": [r.as_json() for r in self.results]}


def target_sha256(tg: Target) -> str:
    """The sha256 of the target's canonical JSON (exact numbers as strings, sorted keys)."""
    return hashlib.sha256(json.dumps(tg.as_json(), sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def check_shapes(net: Network, tg: Target) -> None:
    if net.input_dim != tg.dx:
        raise InputError(f"the network has input_dim={net.input_dim}, the target dx={tg.dx}")
    if net.output_dim != tg.dy:
        raise InputError(f"the network has output_dim={net.output_dim}, the target dy={tg.dy}")
    if not net.is_piecewise_linear:
        raise InputError(f"the network's activations {sorted(set(net.activations))} are not all piecewise linear: "
                         "an exact equivalence proof needs relu, hardtanh, satlin or identity")


def replay(net: Network, tg: Target, xs: list[list[fmpq]], t: int) -> tuple[list[fmpq], list[fmpq]]:
    """(y_t of the network, f[t] of the target) on the sequence xs, both exactly."""
    tg.check_sequence(xs)
    ys = [y for _, _, y in net.run_sequence(xs)]
    return ys[t - 1], tg.evaluate(xs)[tg.times.index(t)]


def prove_equal(net: Network, tg: Target, timeout: float = 60.0, rlimit: int | None = None) -> Equivalence:
    """Decide y_t = f[t] on K^N for every t the target gives (see the module doc)."""
    check_shapes(net, tg)
    start = time.perf_counter()
    box = tg.box()
    memo: dict = {}
    inputs = [[{variable(s, k): fmpq(1)} for k in range(tg.dx)] for s in range(1, tg.N + 1)]
    run = affine.propagate_sequence(net, box, inputs, memo)
    results = []
    for t in tg.times:
        t0 = time.perf_counter()
        got, want = run.outputs[t - 1], tg.expressions(t, box, memo)
        diffs = affine.differences(got, want)
        if not diffs:
            results.append(TimeResult(t, Verdict.PROVED, "symbolic", seconds=time.perf_counter() - t0))
            continue
        text = smt.equality_query(box, [d for _, d in diffs], comment=f"deep-narrow equivalence at t={t}")
        r = smt.solve(text, timeout=timeout, variables=list(box), rlimit=rlimit)
        if r.status == "unsat":
            results.append(TimeResult(t, Verdict.PROVED, "smt", seconds=time.perf_counter() - t0))
        elif r.status == "sat":
            xs = [[r.model[variable(s, k)] for k in range(tg.dx)] for s in range(1, tg.N + 1)]
            y, f = replay(net, tg, xs, t)
            if y != f:
                results.append(TimeResult(t, Verdict.REFUTED, "smt", f"y_{t} = {_show(y)} but f[{t}] = {_show(f)}",
                                          tuple(tuple(x) for x in xs), tuple(y), tuple(f), time.perf_counter() - t0))
            else:
                results.append(TimeResult(t, Verdict.UNKNOWN, "smt", "the solver's point did not replay as a "
                                          "difference (a solver or encoding fault)", seconds=time.perf_counter() - t0))
        else:
            results.append(TimeResult(t, Verdict.UNKNOWN, "smt", r.reason or "solver unknown",
                                      seconds=time.perf_counter() - t0))
    return Equivalence(net.sha256(), target_sha256(tg), tuple(results), time.perf_counter() - start)


def _show(v: list[fmpq]) -> str:
    return "[" + ", ".join(to_string(x) for x in v) + "]"
