"""Assemble a :class:`~certify.report.model.Report` from a weight file and its certificate.

Everything the report says about proofs comes from the certificate, which must be the certificate
of *these* weights (same sha256; otherwise :class:`~certify.errors.InputError`). Everything else is
measured here: static quantities (exactly), a sampled exact rollout for the trajectory plot, and
errors at the file's claimed runtimes at a few sample inputs — lower bounds on the sup-norm error,
labelled as such, never a certificate. Precision comes from :mod:`certify.report.precision_section`,
certified rates from :mod:`certify.report.certified`.

>>> from certify.constructions.bundled import BUNDLED
>>> from certify.prove.checker import check
>>> f = BUNDLED["squaring"]()
>>> r = build_report(f, check(f), weights_ref="squaring.rnn.json")
>>> r.verdict.value, r.construction.hidden_dim == f.network.hidden_dim, r.construction.simulation.c
('PROVED', True, 4)
>>> r.rates.claimed[0], r.rates.measured[0].T
(RatePoint(T=10, E='1/4', exact=True, at=''), 10)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from certify.bounds.claims import parse_claims
from certify.bounds.rates import claimed_rate
from certify.compiler.tmnu_to_rnn import hidden_dim_formula
from certify.errors import InputError
from certify.prove import certificate as certmod
from certify.prove.certificate import Certificate, Result
from certify.prove.obligations import ObligationKind
from certify.rational import parse_number, to_string
from certify.report import precision_section
from certify.report.certified import CertifiedRates, certified_rates, not_computed
from certify.report.model import (
    Claim,
    Construction,
    Failure,
    Obligation,
    RatePoint,
    Rates,
    RegisterInfo,
    Report,
    SimulationInfo,
    Sparsity,
    StackInfo,
    Trajectory,
)
from certify.report.sample_rollouts import run_samples
from certify.report.sentences import headline, rate_sentence, replay_command
from certify.spec.digest import content_sha256
from certify.spec.io import RnnFile
from certify.spec.measure import STATIC_CLAIMS, weight_stats
from certify.verdict import Verdict


@dataclass(frozen=True)
class ReportOptions:
    """Parameters of what a report measures (never globals).

    ``samples`` constant inputs are rolled out exactly for at most ``max_steps`` RNN steps, and
    never more than ``budget`` unit-steps in all; ``plot_points`` caps the trajectory's samples.
    ``witness_prefix`` names the files a witness is saved to (``<prefix>1.json`` ...).
    """

    samples: int = 7
    max_steps: int = 2000
    budget: int = 2_000_000
    plot_points: int = 240
    witness_prefix: str = "witness"
    extras: bool = True  # precision and certified rates (False: neither, for quick reports in tests)
    rates: bool = True   # certified rates (certify.bounds.rates; can take a while)


def build_report(f: RnnFile, cert: Certificate | dict[str, Any], *, weights_ref: str,
                 certificate_ref: str | None = None, timings: dict[str, Any] | None = None,
                 options: ReportOptions = ReportOptions(), name: str | None = None) -> Report:
    """Assemble a report. ``cert`` is a :class:`~certify.prove.certificate.Certificate` (from ``check`` or
    :func:`certify.prove.certificate.read`), or certificate JSON, which is decoded through its schema first;
    ``timings`` the matching ``*.timings.json`` document, or None to leave times out; ``name`` the report's
    title (default: the certificate's name, i.e. the program's)."""
    if not isinstance(cert, Certificate):
        cert = certmod.decode(cert, f"the certificate {certificate_ref}" if certificate_ref else "certificate")
    sha = content_sha256(f)
    if cert.weights_sha256 != sha:
        raise InputError(f"the certificate{f' {certificate_ref}' if certificate_ref else ''} is for weights with "
                         f"sha256 {cert.weights_sha256[:16]}…, but {weights_ref} has sha256 {sha[:16]}…: it is "
                         "stale, re-run certify check")
    if cert.simulation_checked and f.simulation is None:
        raise InputError("the certificate claims a checked simulation, but the weight file has no simulation block")
    seconds = (timings or {}).get("seconds", {}) if timings is not None else None
    sim = f.simulation
    c, t0 = (sim.map.c, sim.map.t0) if sim else (1, 0)
    obligations: list[Obligation] = []
    failures: list[Failure] = []
    claims: list[Claim] = []
    for r in cert.listed():
        ev = r.evidence
        obligations.append(Obligation(
            id=r.id, kind=r.kind, case=_case(r, f), method=r.method, verdict=r.verdict, reason=r.reason,
            seconds=None if seconds is None else seconds.get(r.id), smt=ev.get("smt")))
        if r.kind is ObligationKind.STATIC:
            key = r.id.removeprefix("static[").removesuffix("]")
            claims.append(Claim(key, STATIC_CLAIMS.get(key, key), str(ev.get("claimed", "")),
                                str(ev.get("measured", "")), r.verdict))
        if r.verdict is not Verdict.PROVED:
            w = ev.get("witness")
            wfile = f"{options.witness_prefix}{len(failures) + 1}.json"
            # our own command (the certificate's "command" names paths relative to the certificate's folder):
            # the witness is saved beside the report under ``wfile``
            replay = replay_command(r.kind, weights_ref, w, wfile, c, t0, certificate_ref) if w else None
            failures.append(Failure(r.id, r.verdict, r.reason or "(no reason given)", w, replay))
    construction = _construction(f)
    rates, trajectory = _rollouts(f, options)
    text = headline(cert.verdict, cert.simulation_checked, cert.counts(), len(claims), construction.input_domain,
                    [(x.id, x.reason) for x in failures])
    violated = [p for p in rates.measured if p.exact and _exceeds(p, rates.claimed)]
    if violated:
        p = violated[0]
        text += (f" The file's rate claim is false: at T = {p.T} the exact error at x = {p.at} is {p.E}, above the "
                 "claimed bound.")
    certified = certified_rates(f, options.rates) if options.extras else not_computed("not requested")
    text += rate_sentence(certified.checks)
    cmds = [("check", f"certify check {weights_ref}" + (f" --certificate {certificate_ref}" if certificate_ref
                                                         else ""))]
    if certificate_ref:
        cmds.append(("recheck", f"certify recheck {certificate_ref}"))
    cmds.append(("info", f"certify info {weights_ref}"))
    if sim is not None:
        cmds.append(("run", f"certify run {weights_ref} --x 1/3 --steps {t0 + 10 * c} --exact --tmnu"))
    return Report(
        name=name or cert.name or f.name, weights_file=weights_ref, weights_sha256=sha,
        certificate_file=certificate_ref, verdict=cert.verdict, simulation_checked=cert.simulation_checked,
        headline=text, note=cert.note, counts=_counts(cert.results), obligations=tuple(obligations),
        failures=tuple(failures), claims=tuple(claims), construction=construction,
        precision=precision_section.precision(f, trajectory.times[-1] if trajectory.times else 0)
        if options.extras else precision_section.NOT_REQUESTED,
        rates=_with_certified(rates, certified) if options.extras else rates,
        trajectory=trajectory, sparsity=_sparsity(f), timings=seconds is not None, commands=tuple(cmds))


# --- certificate results in words -----------------------------------------------------------------------------
def _case(r: Result, f: RnnFile) -> str:
    d = r.domain
    if r.kind is ObligationKind.STATIC:
        key = r.id.removeprefix("static[").removesuffix("]")
        return f"{STATIC_CLAIMS.get(key, key)} ≤ {r.evidence.get('claimed', '?')}"
    if r.kind is ObligationKind.INVARIANT and "op" in d:
        side = "≤ upper" if d.get("side") == "hi" else "≥ lower"
        return f"op {d['op']} keeps register {d['register']} {side} bound"
    if r.kind is ObligationKind.PROLOGUE:
        return f"the first {f.simulation.map.t0 if f.simulation else '?'} steps load config₀(x)"
    if r.kind is ObligationKind.READOUT and "t" in d:
        return f"the readout y_{d['t']} is what the theorem says"
    if r.kind is ObligationKind.STEP and "state" in d:
        tops = ", ".join(f"{k}={v}" for k, v in d.get("tops", {}).items())
        return f"state {d['state']}" + (f", tops {tops}" if tops else "")
    return r.id


def _counts(results: tuple[Result, ...]) -> tuple[tuple[str, int, int, int], ...]:
    """(kind, proved, refuted, unknown) per kind present, in the kinds' order."""
    kinds = sorted({r.kind for r in results}, key=lambda k: k.order)
    def count(k: ObligationKind, v: Verdict) -> int:
        return sum(1 for r in results if r.kind is k and r.verdict is v)

    return tuple((k.value, count(k, Verdict.PROVED), count(k, Verdict.REFUTED), count(k, Verdict.UNKNOWN))
                 for k in kinds)


# --- measured quantities --------------------------------------------------------------------------------------
def _construction(f: RnnFile) -> Construction:
    net, st = f.network, weight_stats(f.network)
    one = len(set(f.input.domains)) == 1 and f.input.length is None
    lo, hi = f.input.domains[0] if one else (min(a for a, _ in f.input.domains), max(b for _, b in f.input.domains))
    box = None if one else f.input.describe_domain() + (f", N = {f.input.length}" if f.input.length else "")
    sim = None
    if f.simulation is not None:
        p, m = f.simulation.program, f.simulation.map
        sim = SimulationInfo(
            program=p.name, c=m.c, t0=m.t0, states=len(p.states), transitions=len(p.transitions), ops=len(p.ops),
            hidden_dim_formula=hidden_dim_formula(p),
            stacks=tuple(StackInfo(s.name, tuple(s.alphabet), m.stack_encoding(s.name).base, len(s.initial))
                         for s in p.stacks),
            registers=tuple(RegisterInfo(r.name, to_string(r.lo), to_string(r.hi),
                                         "input x" if r.initial is None else f"initial {to_string(r.initial)}",
                                         r.name == p.output_register) for r in p.registers))
    return Construction(
        hidden_dim=net.hidden_dim, input_dim=net.input_dim, output_dim=net.output_dim, nonzeros=st.nonzeros,
        nonzeros_hh=sum(layer.W_hh.nnz for layer in net.layers), distinct_weights=st.distinct,
        weight_abs_max=to_string(st.max_abs),
        weight_abs_at=st.max_abs_at, weight_bits_max=st.max_bits, weight_bits_at=st.max_bits_at,
        input_kind=f.input.kind, input_domain=(to_string(lo), to_string(hi)), simulation=sim, input_box=box)


def _sparsity(f: RnnFile) -> Sparsity:
    net = f.network
    if net.depth != 1 or net.P is not None or net.Q is not None:
        return Sparsity()  # the plot draws one layer's [W_hh | W_ih | b]
    n, d = net.hidden_dim, net.input_dim
    pos: list[tuple[int, int]] = []
    neg: list[tuple[int, int]] = []
    cells = [(i, j, v) for i, j, v in net.W_hh.entries()] + [(i, n + j, v) for i, j, v in net.W_ih.entries()]
    cells += [(i, n + d, v) for i, v in enumerate(net.b) if v != 0]
    for i, j, v in sorted(cells):
        (pos if v > 0 else neg).append((i, j))
    return Sparsity(n, n + d + 1, (("W_hh", 0), ("W_ih", n), ("b", n + d)), tuple(pos), tuple(neg))


def _steps(f: RnnFile, o: ReportOptions, want: int) -> int:
    k = o.samples if f.network.input_dim == 1 and f.network.output_dim >= 1 else 0
    return max(0, min(want, o.max_steps, o.budget // max(1, k * f.network.hidden_dim)))


def measured_errors(f: RnnFile, times: list[int], o: ReportOptions) -> list[RatePoint]:
    """The largest error |y_T(x) - f(x)| over the sample inputs at each runtime T in ``times`` (within the
    rollout budget; exact when every f(x) is rational). Lower bounds on the sup-norm error, not certificates."""
    if "target" not in f.claims or not times:
        return []
    return run_samples(f, o.samples, _steps(f, o, max(times)), o.plot_points, set(times)).largest()


def _rollouts(f: RnnFile, o: ReportOptions) -> tuple[Rates, Trajectory]:
    rate = _claimed(f.claims)
    sim = f.simulation
    want = max((p.T for p in rate), default=(sim.map.t0 + 30 * sim.map.c) if sim else 100)
    s = run_samples(f, o.samples, _steps(f, o, want), o.plot_points, {p.T for p in rate})
    target_text = str(f.claims["target"]) if "target" in f.claims else None
    note = ""
    beyond = [p.T for p in rate if s.steps < p.T]
    if beyond:
        note = (f"errors were measured up to T = {s.steps} (the exact-rollout budget); claimed runtimes from "
                f"T = {beyond[0]} on were not sampled")
    if rate and target_text is None:
        note = "the file claims a rate table but names no target (claims.target): errors were not measured"
    rates = Rates(target=target_text, claimed=tuple(rate), measured=tuple(s.largest()),
                  sample_inputs=tuple(to_string(x) for x in s.xs), note=note)
    return rates, Trajectory(tuple(to_string(x) for x in s.xs), s.times, s.values, s.targets)


def _claimed(claims: dict[str, Any]) -> list[RatePoint]:
    """``claims.rate`` and ``claims.rate_formula`` as points (through :mod:`certify.bounds.claims`, the one parser
    of them; a formula's value rounded down where it is irrational)."""
    table = [RatePoint(t, to_string(e)) for t, e in claimed_rate({"rate": claims.get("rate") or []})]
    formula = parse_claims({"rate_formula": claims["rate_formula"]}).require().rate_formula \
        if "rate_formula" in claims else None
    return table + ([RatePoint(s.T, to_string(s.E)) for s in formula.spans()] if formula is not None else [])


def _exceeds(p: RatePoint, claimed: tuple[RatePoint, ...]) -> bool:
    bound = next((c for c in claimed if c.T == p.T), None)
    return bound is not None and parse_number(p.E) > parse_number(bound.E)


def _with_certified(rates: Rates, c: CertifiedRates) -> Rates:
    return Rates(rates.target, rates.claimed, rates.measured, rates.sample_inputs, rates.note, c.section, c.points,
                 c.checks)
