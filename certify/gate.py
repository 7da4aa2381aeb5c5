"""``certify gate``: check every configured construction and fail when anything is not proved.

Per construction (a :class:`~certify.config.Target`) the gate makes one :class:`Check` per group,
each with a three-valued verdict:

* ``static``, ``invariant``, ``prologue``, ``step`` — a fresh ``certify check`` of the weights (or,
  with ``fresh_check = false``, the verdicts of the baseline certificate when it is the certificate
  of these weights); the group fails with the ids of its obligations that are not PROVED
  (``simulation`` fails when the file has no simulation block and the configuration requires one);
* ``certificate`` — the baseline certificate exists, is PROVED and is *fresh*: its content hash is the
  file's (weights, h0, input, simulation block and claims; a change without regenerating makes it
  stale → REFUTED);
* ``thresholds`` — measured static bounds (exact) against the configured ``*_max`` values, and the
  certified sup error at runtime T against ``error`` (not certified below the threshold → UNKNOWN;
  an exact error at a sample input above it → REFUTED);
* ``regression`` — measured bounds against the baseline's (from the baseline's weight file when it
  is the certified one, else from the baseline certificate's static evidence), and obligations
  PROVED in the baseline that are not PROVED now.

The gate's verdict is the worst of all checks; its exit code is that verdict's (DESIGN §8).

>>> from certify.verdict import Verdict
>>> Check("squaring", "step", Verdict.PROVED, "2 PROVED").failed
False
"""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from flint import fmpq

from certify.config import THRESHOLD_METRICS, GateConfig, Target
from certify.errors import InputError
from certify.prove import certificate as certmod
from certify.prove.certificate import Certificate
from certify.prove.checker import Options, check
from certify.prove.obligations import ObligationKind
from certify.rational import parse_number, to_string
from certify.recheck import RecheckError
from certify.recheck import recheck as run_recheck
from certify.report.assemble import ReportOptions, measured_errors
from certify.report.certified import check_errors
from certify.spec import io
from certify.spec import measure as metrics
from certify.spec.digest import content_sha256
from certify.verdict import Verdict, combine, result_line

#: The check groups of one construction, in order: one per obligation kind between the simulation and the rest.
GROUPS = ("simulation", *(k.value for k in ObligationKind), "certificate", "thresholds", "regression")
#: The measured quantities (one table for claims, certificates, thresholds and regressions), by name.
METRICS = {m.name: m for m in metrics.METRICS}


@dataclass(frozen=True)
class Check:
    """One group of one construction: a JUnit test case. ``failures`` name each failing case."""

    construction: str
    group: str
    verdict: Verdict
    message: str
    failures: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.verdict is not Verdict.PROVED


@dataclass(frozen=True)
class Outcome:
    """Everything the gate found about one construction."""

    name: str
    weights: str
    sha256: str
    checks: tuple[Check, ...]
    seconds: float

    @property
    def verdict(self) -> Verdict:
        return combine(c.verdict for c in self.checks)


@dataclass(frozen=True)
class GateResult:
    config: str
    outcomes: tuple[Outcome, ...]
    seconds: float

    @property
    def verdict(self) -> Verdict:
        return combine(o.verdict for o in self.outcomes)

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code

    def result_line(self) -> str:
        """``RESULT: PROVED|REFUTED|UNKNOWN gate: ...`` naming every failing construction and group."""
        n = len(self.outcomes)
        bad = [o for o in self.outcomes if o.verdict is not Verdict.PROVED]
        if not bad:
            checks = sum(len(o.checks) for o in self.outcomes)
            return result_line(Verdict.PROVED, "gate", f"{n} construction{'s' * (n != 1)}, {checks} checks passed")
        what = "; ".join(f"{o.name}: " + ", ".join(f"{c.group} {c.verdict.value}" for c in o.checks if c.failed)
                         for o in bad)
        return result_line(self.verdict, "gate", f"{len(bad)} of {n} constructions failed ({what})")


def run_gate(cfg: GateConfig, jobs: int | None = None) -> GateResult:
    """Check every target of ``cfg`` (``jobs`` in parallel; default: the configuration's ``jobs``)."""
    t0 = time.perf_counter()
    jobs = cfg.jobs if jobs is None else jobs
    args = [(t, cfg.timeout, cfg.require_simulation, cfg.recheck, cfg.rlimit) for t in cfg.targets]
    if jobs > 1 and len(args) > 1:
        with ProcessPoolExecutor(min(jobs, len(args))) as pool:
            outcomes = list(pool.map(_gate_star, args))
    else:
        outcomes = [gate_one(*a) for a in args]
    return GateResult(str(cfg.source), tuple(outcomes), time.perf_counter() - t0)


def _gate_star(a: tuple) -> Outcome:
    return gate_one(*a)


def gate_one(t: Target, timeout: float, require_simulation: bool, recheck: bool,
             rlimit: int | None = None) -> Outcome:
    """All checks of one construction (``timeout`` and ``rlimit``: per SMT query of the fresh check)."""
    start = time.perf_counter()
    if t.require_simulation is not None:  # the construction's own setting wins (a hand-built network has none)
        require_simulation = t.require_simulation
    f = io.read(t.weights)
    sha = content_sha256(f)
    base = _baseline(t)
    results, sim_checked, source = _results(t, f, base, timeout, rlimit)
    checks: list[Check] = []
    if results is not None and not results and not sim_checked:  # never a pass: the file claims nothing
        checks.append(Check(t.name, "simulation", Verdict.UNKNOWN, "NOTHING CLAIMED: the file has no simulation "
                            "block and no static claims, so nothing is proved", ("nothing claimed",)))
    elif results is not None and not sim_checked:
        v = Verdict.UNKNOWN if require_simulation else Verdict.PROVED
        checks.append(Check(t.name, "simulation", v, "the file has no simulation block: its steps are not proved"
                            + ("" if require_simulation else " (not required)"), ("simulation",) if
                            require_simulation else ()))
    for kind in ObligationKind:
        rs = [r for r in results or [] if r.kind is kind]
        if not rs:
            continue
        bad = [r for r in rs if r.verdict is not Verdict.PROVED]
        msg = f"{len(rs)} PROVED{source}" if not bad else "; ".join(f"{r.id} {r.verdict.value}: {r.reason}"
                                                                      for r in bad)
        checks.append(Check(t.name, kind.value, combine(r.verdict for r in rs), msg, tuple(r.id for r in bad),
                            sum(r.seconds for r in rs)))
    # verdicts read from a baseline (fresh_check = false) are only as good as that file: always re-check it then
    checks.append(_certificate(t, base, sha, recheck or not t.fresh_check))
    checks.append(_thresholds(t, f))
    checks.append(_regression(t, base, f, {r.id: r.verdict for r in results or []}))
    return Outcome(t.name, shown(t.weights), sha, tuple(checks), time.perf_counter() - start)


@dataclass(frozen=True)
class Row:
    """One obligation's verdict as the gate groups it: from a fresh check, or read from the baseline certificate
    (whose times are not recorded: 0)."""

    id: str
    kind: ObligationKind
    verdict: Verdict
    reason: str
    seconds: float = 0.0


def _results(t: Target, f: io.RnnFile, base: Certificate | None, timeout: float,
             rlimit: int | None) -> tuple[list[Row] | None, bool, str]:
    """The obligations' verdicts: from a fresh check, or (``fresh_check = false``) from the baseline certificate
    when it is the certificate of these weights; None when there is none to read (the certificate check fails)."""
    if not t.fresh_check:
        if base is None or base.weights_sha256 != content_sha256(f):
            return None, False, ""
        rows = [Row(r.id, r.kind, r.verdict, r.reason) for r in base.results]
        return rows, base.simulation_checked, " (read from the baseline certificate)"
    cert = check(f, Options(timeout=timeout, rlimit=rlimit, weights_name=t.weights.name))
    secs = cert.timings_json()["seconds"]
    return [Row(r.id, r.kind, r.verdict, r.reason, secs.get(r.id, 0.0)) for r in cert.results], \
        cert.simulation_checked, ""


def shown(p: Path) -> str:
    """A path for messages: relative to the working directory when it is below it."""
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


# --- the baseline certificate ----------------------------------------------------------------------------------
def _baseline(t: Target) -> Certificate | None:
    if not t.baseline.is_file():
        return None
    return certmod.read(t.baseline)


def _certificate(t: Target, base: Certificate | None, sha: str, recheck: bool) -> Check:
    t0 = time.perf_counter()
    if base is None:
        return Check(t.name, "certificate", Verdict.REFUTED,
                     f"no baseline certificate at {shown(t.baseline)}: run certify check {shown(t.weights)} "
                     f"--certificate {shown(t.baseline)}", ("missing certificate",))
    got = base.weights_sha256
    if got != sha:
        return Check(t.name, "certificate", Verdict.REFUTED,
                     f"stale: {shown(t.baseline)} certifies weights with content sha256 {got[:16]}…, but "
                     f"{shown(t.weights)} has content sha256 {sha[:16]}… (the file changed without regenerating the "
                     "certificate)",
                     ("stale certificate",), time.perf_counter() - t0)
    verdict = base.verdict
    if verdict is not Verdict.PROVED:
        return Check(t.name, "certificate", verdict, f"the baseline certificate {shown(t.baseline)} is {verdict.value}",
                     ("baseline verdict",), time.perf_counter() - t0)
    if recheck:
        try:
            rep = run_recheck(t.baseline, weights=t.weights)
        except RecheckError as err:
            raise InputError(str(err)) from None
        if not rep.ok:
            return Check(t.name, "certificate", Verdict.REFUTED, "the independent re-check disagrees: "
                         + "; ".join(rep.problems[:3]), ("recheck",), time.perf_counter() - t0)
    return Check(t.name, "certificate", Verdict.PROVED,
                 f"{shown(t.baseline)} is fresh (sha256 {sha[:16]}…) and PROVED" + (", re-checked" if recheck else ""),
                 seconds=time.perf_counter() - t0)


# --- thresholds and regressions --------------------------------------------------------------------------------
def measure(f: io.RnnFile) -> dict[str, fmpq]:
    """The gate's metrics of a network, exactly (:func:`certify.spec.measure.measure`)."""
    return metrics.measure(f.network)


def _thresholds(t: Target, f: io.RnnFile) -> Check:
    t0 = time.perf_counter()
    th = t.thresholds
    got = measure(f)
    fails, names, verdicts, passed = [], [], [], 0
    for m in THRESHOLD_METRICS:
        limit = getattr(th, m.key)
        if limit is None:
            continue
        if got[m.name] <= limit:
            passed += 1
            continue
        verdicts.append(Verdict.REFUTED)
        names.append(m.key)
        fails.append(f"{m.key} <= {to_string(fmpq(limit))} fails: the {m.short} is {to_string(got[m.name])}")
    for (T, E), (v, why) in zip(th.error, _error_thresholds(f, list(th.error)), strict=True):
        if v is Verdict.PROVED:
            passed += 1
            continue
        verdicts.append(v)
        names.append(f"error[T={T}]")
        fails.append(f"error at T={T} <= {to_string(E)} {'fails' if v is Verdict.REFUTED else 'is not proved'}: "
                     f"{why}")
    if not fails:
        return Check(t.name, "thresholds", Verdict.PROVED, f"{passed} thresholds met" if passed else
                     "no thresholds configured", seconds=time.perf_counter() - t0)
    return Check(t.name, "thresholds", combine(verdicts), "; ".join(fails), tuple(names), time.perf_counter() - t0)


def _error_thresholds(f: io.RnnFile, rows: list[tuple[int, fmpq]]) -> list[tuple[Verdict, str]]:
    """Certified sup error at each T against its E, decided by ``certify rates``. When it cannot analyse the file,
    an exact error at a sample input above E still REFUTES; anything else is UNKNOWN."""
    if not rows:
        return []
    checks = check_errors(f, rows)
    if not isinstance(checks, str):
        by_t = {c.T: c for c in checks}
        return [(by_t[T].verdict, by_t[T].reason) if T in by_t else (Verdict.UNKNOWN, "not checked")
                for T, _ in rows]
    measured = {p.T: p for p in measured_errors(f, [T for T, _ in rows], ReportOptions())}
    out = []
    for T, E in rows:
        p = measured.get(T)
        if p is not None and p.exact and parse_number(p.E) > E:
            out.append((Verdict.REFUTED, f"the exact error at x = {p.at} is {p.E}"))
        else:
            out.append((Verdict.UNKNOWN, f"no certified error bound: {checks}"))
    return out


def _baseline_metrics(t: Target, base: Certificate | None) -> tuple[dict[str, fmpq], str]:
    if base is None:
        return {}, ""
    wfile = t.baseline.parent / base.weights_file
    if wfile.is_file():
        try:
            bf = io.read(wfile)
        except InputError:
            bf = None
        if bf is not None and content_sha256(bf) == base.weights_sha256:
            return measure(bf), f"the baseline weights {shown(wfile)}"
    out = {}
    for r in base.results:
        for m in metrics.METRICS:
            if r.id == f"static[{m.key}]":
                text = str(r.evidence.get("measured", "")).split(" ")[0]
                with contextlib.suppress(InputError):
                    out[m.name] = parse_number(text)
    return out, f"the static evidence of {shown(t.baseline)}"


def _regression(t: Target, base: Certificate | None, f: io.RnnFile, fresh: dict[str, Verdict]) -> Check:
    t0 = time.perf_counter()
    base_metrics, source = _baseline_metrics(t, base)
    fails, names = [], []
    now = measure(f)
    for metric, old in base_metrics.items():
        if now[metric] > old:
            fails.append(f"{METRICS[metric].short} regressed: {to_string(now[metric])} > {to_string(old)} in {source}")
            names.append(metric)
    for r in base.results if base is not None else ():
        if r.verdict is Verdict.PROVED and r.id in fresh and fresh[r.id] is not Verdict.PROVED:
            fails.append(f"{r.id} was PROVED in the baseline, now {fresh[r.id].value}")
            names.append(r.id)
    if fails:
        v = Verdict.UNKNOWN if all(fresh.get(n) is Verdict.UNKNOWN for n in names) else Verdict.REFUTED
        return Check(t.name, "regression", v, "; ".join(fails), tuple(names), time.perf_counter() - t0)
    what = f"no bound regressed against {source}" if base_metrics else "no baseline bounds to compare"
    return Check(t.name, "regression", Verdict.PROVED, what, seconds=time.perf_counter() - t0)


def summary_json(r: GateResult) -> dict:
    """The gate's result as JSON (for ``certify gate --json``)."""
    return {"format": "certify.gate/1", "config": r.config, "verdict": r.verdict.value, "exit_code": r.exit_code,
            "constructions": [{"name": o.name, "weights": o.weights, "sha256": o.sha256, "verdict": o.verdict.value,
                               "checks": [{"group": c.group, "verdict": c.verdict.value, "message": c.message,
                                           "failures": list(c.failures)} for c in o.checks]} for o in r.outcomes],
            "result": r.result_line()}

