"""Decide every obligation of a weight file by the cheapest sound method, and build its certificate.

Order: static claims; register-bound invariants (exact intervals, else SMT) — each proved lower
bound becomes a *lemma* the step proofs may use; the prologue; one step obligation per
(state, tops) case (exact symbolic composition with lemmas, else SMT on the residual). A
``sat`` answer is turned into a configuration and replayed exactly before anything is REFUTED;
a solver ``unknown`` or timeout is UNKNOWN with the solver's reason. Nothing else is PROVED.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from certify.errors import InputError
from certify.jsonio import dumps
from certify.prove import affine, claim_checks, pwl, smt, witness
from certify.prove.certificate import Certificate, Result, tool_versions
from certify.prove.obligations import (
    Obligation,
    ObligationKind,
    case_start,
    case_successor,
    describe_case,
    expected_readout,
    initial_expressions,
    invariant_expression,
    invariant_obligations,
    prologue_obligation,
    readout_obligations,
    step_obligations,
)
from certify.rational import to_string
from certify.spec import io
from certify.spec.digest import content_sha256
from certify.spec.io import RnnFile
from certify.spec.measure import check_claims
from certify.verdict import Verdict


@dataclass(frozen=True)
class Options:
    """Parameters of a check (never globals)."""

    timeout: float = 10.0       # seconds per SMT query
    rlimit: int | None = None   # z3's deterministic resource budget per query (None: no budget)
    jobs: int = 1               # worker processes
    smt_dir: Path | None = None  # where .smt2 files are written (None: not written)
    smt_prefix: str = "smt"     # how the certificate refers to that folder
    fail_fast: bool = False     # stop at the first REFUTED obligation (mutation campaigns)
    weights_name: str = ""      # how the certificate names the weight file
    witness_dir: Path | None = None  # where witness files are written (None: not written)
    witness_prefix: str = "witnesses"  # how the certificate refers to that folder


def _result(ob: Obligation, verdict: Verdict, method: str, evidence: dict[str, Any] | None = None,
            reason: str = "") -> Result:
    """The result about ``ob`` (its id, kind and domain) with what was found."""
    return Result(id=ob.id, kind=ob.kind, verdict=verdict, method=method, reason=reason, domain=ob.domain_json(),
                  evidence={} if evidence is None else evidence)


def smt_file_name(ob_id: str) -> str:
    """A stable, filesystem-safe file name for an obligation's SMT-LIB query."""
    safe = re.sub(r"[^A-Za-z0-9._=-]+", "_", ob_id).strip("_")[:80]
    return f"{safe}-{hashlib.sha1(ob_id.encode()).hexdigest()[:8]}.smt2"


class _Context:
    """Everything a worker needs to decide obligations of one file."""

    def __init__(self, f: RnnFile, options: Options) -> None:
        if f.simulation is None:
            raise InputError("the file has no simulation block")
        self.f, self.options = f, options
        self.net = f.network
        self.program, self.map = f.simulation.program, f.simulation.map
        if self.net.input_dim != 1 or self.net.output_dim != 1:
            raise InputError(f"a simulation needs input_dim=1 and output_dim=1, the network has "
                             f"{self.net.input_dim} and {self.net.output_dim}")
        domain = f.input.domain
        self.obligations: dict[str, Obligation] = {}
        self.domain = domain
        for ob in [*invariant_obligations(self.program), prologue_obligation(domain),
                   *readout_obligations(self.map.t0, domain), *step_obligations(self.program, self.map, domain)]:
            self.obligations[ob.id] = ob

    # --- SMT -------------------------------------------------------------------------------------
    def _smt(self, ob: Obligation, text: str) -> tuple[smt.SmtResult, dict[str, Any]]:
        evidence: dict[str, Any] = {}
        if self.options.smt_dir is not None:
            name = smt_file_name(ob.id)
            self.options.smt_dir.mkdir(parents=True, exist_ok=True)
            (self.options.smt_dir / name).write_text(text)
            evidence["smt"] = f"{self.options.smt_prefix}/{name}"
        return smt.solve(text, self.options.timeout, variables=[k for k, _, _ in ob.box],
                         rlimit=self.options.rlimit), evidence

    # --- invariants ------------------------------------------------------------------------------
    def invariant(self, ob: Obligation) -> Result:
        memo: dict = {}
        e = invariant_expression(self.program, ob, memo)
        lo, _ = pwl.value_range(e, ob.box_dict(), memo)
        if lo >= 0:
            return _result(ob, Verdict.PROVED, "interval",
                           {"claim": f"{pwl.show(e)} >= 0", "lower_bound": to_string(lo)})
        text = smt.negativity_query(ob.box_dict(), e, comment=f"{ob.id}: is there a box point with {pwl.show(e)} < 0?")
        res, ev = self._smt(ob, text)
        ev["claim"] = f"{pwl.show(e)} >= 0"
        if res.status == "unsat":
            return _result(ob, Verdict.PROVED, "smt", ev)
        if res.status == "unknown":
            return _result(ob, Verdict.UNKNOWN, "smt", ev, reason=res.reason)
        w = witness.invariant_witness(self.program, ob, res.model)
        if w is None:
            return _result(ob, Verdict.UNKNOWN, "smt", ev,
                           reason="the solver's model did not replay as a bound violation")
        ev["witness"] = w.to_json(self.program)
        self._save_witness(ob, ev)
        return _result(ob, Verdict.REFUTED, "smt", ev, reason=w.detail)

    # --- prologue and steps -----------------------------------------------------------------------
    def prologue(self, ob: Obligation) -> Result:
        start = [pwl.constant(v) for v in self.net.h0]
        run = affine.propagate(self.net, start, ob.box_dict(), self.map.t0)
        expected = initial_expressions(self.program, self.map)
        return self._compare(ob, run, list(zip(run.h, expected, strict=True)), "the prologue")

    def readout(self, ob: Obligation) -> Result:
        start = [pwl.constant(v) for v in self.net.h0]
        run = affine.propagate(self.net, start, ob.box_dict(), ob.time)
        y = run.outputs[-1][0] if ob.time else affine.readout(self.net, start)[0]
        what = f"the readout at t={ob.time}"
        return self._compare(ob, run, [(y, expected_readout(self.program, self.map, ob.time))], what)

    def step(self, ob: Obligation, lemmas: dict[tuple, str]) -> Result:
        memo: dict = {}
        start, _, _ = case_start(self.program, self.map, ob)
        run = affine.propagate(self.net, start, ob.box_dict(), self.map.c, lemmas=lemmas, memo=memo)
        expected, old_out, new_out = case_successor(self.program, self.map, ob, memo)
        pairs = list(zip(run.h, expected, strict=True))
        pairs += [(run.outputs[j][0], old_out) for j in range(self.map.c - 1)]
        pairs.append((run.outputs[-1][0], new_out))
        return self._compare(ob, run, pairs, describe_case(ob))

    def _compare(self, ob: Obligation, run: affine.Propagation, pairs: list, what: str) -> Result:
        evidence: dict[str, Any] = {"pattern": run.pattern}
        if run.lemmas_used:
            evidence["lemmas"] = list(run.lemmas_used)
        residuals = affine.differences([a for a, _ in pairs], [b for _, b in pairs])
        if not residuals:
            if ob.kind is ObligationKind.READOUT:
                evidence["readout"] = pwl.show(pairs[0][0])
            else:
                evidence["map"] = self._composed_map(run.h)
            return _result(ob, Verdict.PROVED, "affine" if affine.constant_map(run.h) else "symbolic", evidence)
        text = smt.equality_query(ob.box_dict(), [r for _, r in residuals],
                                  comment=f"{ob.id}: is there a box point where the RNN and the TMNU differ?")
        res, ev = self._smt(ob, text)
        evidence.update(ev)
        evidence["residual_positions"] = [self._position(i, ob) for i, _ in residuals]
        if res.status == "unsat":
            return _result(ob, Verdict.PROVED, "smt", evidence)
        if res.status == "unknown":
            return _result(ob, Verdict.UNKNOWN, "smt", evidence, reason=res.reason)
        if ob.kind.starts_at_h0:
            w = witness.prologue_witness(self.net, self.map, self.program, ob, res.model["x"], self.domain)
        else:
            w = witness.step_witness(self.net, self.map, self.program, ob, res.model, self.domain)
        if w is None:
            return _result(ob, Verdict.UNKNOWN, "smt", evidence,
                           reason=f"{what}: the solver found a point of the box where the RNN and the TMNU differ, "
                                  "but no valid configuration of the obligation's case replays it (stack values "
                                  "off the encoding set)")
        evidence["witness"] = w.to_json(self.program)
        self._save_witness(ob, evidence)
        return _result(ob, Verdict.REFUTED, "smt", evidence, reason=f"{what}: {w.detail}")

    def _save_witness(self, ob: Obligation, evidence: dict[str, Any]) -> None:
        """Write the witness file (when asked) and the `certify run` command that replays it."""
        weights = self.options.weights_name or self.f.source
        w = evidence["witness"]
        if ob.kind.starts_at_h0:
            evidence["command"] = f"certify run {weights} --x {w['x']} --steps {max(self.map.t0, 1)} --exact --tmnu"
            return
        if self.options.witness_dir is None:  # no folder to write to: the configuration goes inline
            inline = json.dumps({"x": w["x"], "config": w["config"]}, separators=(",", ":"))
            evidence["command"] = f"certify run {weights} --start {shlex.quote(inline)} --steps {self.map.c}"
            return
        name = smt_file_name(ob.id).removesuffix(".smt2") + ".json"
        self.options.witness_dir.mkdir(parents=True, exist_ok=True)
        (self.options.witness_dir / name).write_text(dumps(w))
        evidence["command"] = (f"certify run {weights} --start {self.options.witness_prefix}/{name} "
                               f"--steps {self.map.c}")

    def _position(self, i: int, ob: Obligation) -> str:
        if ob.kind is ObligationKind.READOUT:
            return f"readout at t={ob.time}"
        n = self.map.hidden_dim
        if i < n:
            return f"unit {i} ({self.map.units[i].label})"
        j = i - n + 1
        return f"readout after RNN step {j} of {self.map.c}"

    def _composed_map(self, h: list) -> dict[str, str]:
        out = {}
        for q, u in self.map.control:
            if h[u]:
                out[f"state {q}"] = pwl.show(h[u])
        for s in self.map.stacks:
            out[f"stack {s.stack}"] = pwl.show(h[s.unit])
        for r in self.map.registers:
            out[f"register {r.register} (+{r.offset})"] = pwl.show(h[r.unit])
        return out


# --- process pool plumbing (workers rebuild the context from the file's text) -------------------------------
_WORKER: _Context | None = None


def _init_worker(text: str, source: str, options: Options) -> None:
    global _WORKER
    _WORKER = _Context(io.loads(text, source), options)


def _decide(ob_id: str, lemmas: dict[tuple, str]) -> Result:
    assert _WORKER is not None
    return _timed(_WORKER, ob_id, lemmas)


def _timed(ctx: _Context, ob_id: str, lemmas: dict[tuple, str]) -> Result:
    ob = ctx.obligations[ob_id]
    t0 = time.perf_counter()
    if ob.kind is ObligationKind.INVARIANT:
        r = ctx.invariant(ob)
    elif ob.kind is ObligationKind.PROLOGUE:
        r = ctx.prologue(ob)
    elif ob.kind is ObligationKind.READOUT:
        r = ctx.readout(ob)
    else:
        r = ctx.step(ob, lemmas)
    return replace(r, seconds=time.perf_counter() - t0)


def _lemmas(ctx: _Context, invariant_results: list[Result]) -> dict[tuple, str]:
    """Proved lower bounds ``op_i(r) - lo_i >= 0``, keyed by their expression."""
    lemmas: dict[tuple, str] = {}
    for r in invariant_results:
        ob = ctx.obligations[r.id]
        if r.verdict is Verdict.PROVED and ob.side == "lo":
            lemmas[pwl.freeze(invariant_expression(ctx.program, ob, {}))] = ob.id
    return lemmas


def check(f: RnnFile, options: Options = Options(), progress: Callable[[Result], None] | None = None) -> Certificate:
    """Check a weight file: static claims, then (if it has a simulation block) every obligation."""
    results: list[Result] = []
    for key, meaning, claimed, measured, holds in check_claims(f.network, f.claims):
        r = Result(id=f"static[{key}]", kind=ObligationKind.STATIC,
                   verdict=Verdict.PROVED if holds else Verdict.REFUTED, method="measure",
                   reason="" if holds else f"{meaning} is {measured}, above the claimed {claimed}",
                   evidence={"claimed": claimed, "measured": measured})
        results.append(r)
        if progress:
            progress(r)
    for key, decide_claim in claim_checks.registered().items():  # plug-ins' claims (e.g. equivalence to a target)
        if key in f.claims:
            for r in decide_claim(f, f.claims[key], options.timeout, options.rlimit):
                results.append(r)
                if progress:
                    progress(r)
    weights_file, sha, tools = options.weights_name or f.source, content_sha256(f), tool_versions()
    if f.simulation is None:
        note = ("the file has no simulation block: only static claims were checked; the simulation was NOT checked"
                if results else "the file claims nothing (no simulation block, no static claims): nothing was "
                                "checked and nothing is proved")
        return Certificate(weights_file=weights_file, weights_sha256=sha, name=f.name, results=tuple(results),
                           simulation_checked=False, tools=tools, note=note)
    ctx = _Context(f, options)
    ids = list(ctx.obligations)
    inv_ids = [i for i in ids if ctx.obligations[i].kind is ObligationKind.INVARIANT]
    rest = [i for i in ids if ctx.obligations[i].kind is not ObligationKind.INVARIANT]

    def run_batch(batch: list[str], lemmas: dict[tuple, str]) -> list[Result]:
        out: list[Result] = []
        if options.jobs > 1 and len(batch) > 1:
            with ProcessPoolExecutor(options.jobs, initializer=_init_worker,
                                     initargs=(io.dumps(f), f.source, options)) as pool:
                futures = [pool.submit(_decide, i, lemmas) for i in batch]
                for fut in futures:
                    r = fut.result()
                    out.append(r)
                    if progress:
                        progress(r)
                    if options.fail_fast and r.verdict is Verdict.REFUTED:
                        for other in futures:
                            other.cancel()
                        break
            return out
        for i in batch:
            r = _timed(ctx, i, lemmas)
            out.append(r)
            if progress:
                progress(r)
            if options.fail_fast and r.verdict is Verdict.REFUTED:
                break
        return out

    inv = run_batch(inv_ids, {})
    results += inv
    if not (options.fail_fast and any(r.verdict is Verdict.REFUTED for r in inv)):
        results += run_batch(rest, _lemmas(ctx, inv))
    note = "" if len(results) - len(check_claims(f.network, f.claims)) == len(ids) else \
        "stopped at the first REFUTED obligation (--fail-fast); the others were not checked"
    return Certificate(weights_file=weights_file, weights_sha256=sha, name=f.name, results=tuple(results),
                       simulation_checked=True, note=note, tools=tools)


def obligation_count(f: RnnFile) -> int:
    """How many obligations ``check`` will decide (for progress bars)."""
    n = len(check_claims(f.network, f.claims))
    if f.simulation is None:
        return n
    return n + len(_Context(f, Options()).obligations)
