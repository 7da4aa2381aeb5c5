"""`certify check`: prove that a weight file's RNN simulates its TMNU exactly, and its static claims."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table

from certify.cli.app import cli, console, err_console
from certify.cli.options import (
    jobs_option,
    json_option,
    read_hints,
    resolve_jobs,
    rlimit_option,
    timeout_option,
    weight_hints_options,
)
from certify.verdict import Verdict, exit_code, result_line

if TYPE_CHECKING:
    from certify.prove.certificate import Certificate


@cli.command("check")
@click.argument("weights", type=click.Path(dir_okay=False))
@weight_hints_options
@timeout_option
@rlimit_option
@jobs_option
@click.option("--certificate", "cert_path", type=click.Path(dir_okay=False),
              help="Write the certificate here (JSON), with its SMT-LIB files in smt/ and timings beside it.")
@json_option
@click.option("--fail-fast", is_flag=True, help="Stop at the first REFUTED obligation.")
@click.option("--all", "show_all", is_flag=True, help="List every obligation, not only the ones not PROVED.")
def check_cmd(weights: str, timeout: float, rlimit: int | None, jobs: int | None, cert_path: str | None, as_json: bool,
              fail_fast: bool, show_all: bool) -> int:
    """Prove, with exact arithmetic, that every RNN step of WEIGHTS simulates its TMNU step exactly.

    \b
    Obligations (each over an explicit box, see the certificate):
      invariant[op.reg.lo|hi]  the op maps the declared register bounds into themselves
      prologue                 the first t0 steps load the start configuration, for every x
      step[state|tops]         RNN^c(enc(config)) = enc(δ(config)) for every config with that
                               state and those stack tops, and every x; the readout is right
                               at each of the c steps
    plus the file's static claims (hidden_dim_max, weight_abs_max, weight_bits_max, ...).

    Verdicts: PROVED (exact argument), REFUTED (with a witness replayed in exact arithmetic),
    UNKNOWN (with a reason, e.g. a solver timeout). Exit code 0 all PROVED, 10 something
    REFUTED, 20 something UNKNOWN, 2 bad input. The last line is RESULT: ...
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from certify.plugins import load_plugins
    from certify.prove.checker import Options, check, obligation_count  # when it runs: --help stays fast
    from certify.spec import io

    load_plugins()  # plug-ins' claims (claims.equals_target) are decided by check too

    f = io.read(weights, read_hints())
    smt_dir = Path(cert_path).parent / "smt" if cert_path else None
    witness_dir = Path(cert_path).parent / "witnesses" if cert_path else None  # else: replay commands inline
    options = Options(timeout=timeout, rlimit=rlimit, jobs=resolve_jobs(jobs), smt_dir=smt_dir, fail_fast=fail_fast,
                      weights_name=_relative(weights, cert_path), witness_dir=witness_dir)
    total = obligation_count(f)
    with Progress(TextColumn("checking obligations"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True, disable=as_json) as bar:
        task = bar.add_task("check", total=total)
        cert = check(f, options, progress=lambda r: bar.advance(task))
    if cert_path:
        cert.write(cert_path, smt_dir=smt_dir)  # and removes an earlier run's queries from smt/
    if as_json:
        console.print_json(json.dumps(cert.to_json()))
    else:
        if cert.nothing_claimed:
            _nothing_claimed(f)
        else:
            _summary(cert, show_all, cert_path)
        if cert_path:
            console.print(f"certificate: {cert_path}")
    console.print(_result_line(cert, f.claims))
    return exit_code(cert.status)


def _relative(weights: str, cert_path: str | None) -> str:
    """How the certificate names the weight file: relative to the certificate's folder (``recheck`` refuses
    absolute paths)."""
    if not cert_path:
        return weights
    return Path(os.path.relpath(Path(weights).resolve(), Path(cert_path).resolve().parent)).as_posix()


def _summary(cert: Certificate, show_all: bool, cert_path: str | None) -> None:
    from certify.prove.obligations import ObligationKind

    by_kind: dict[ObligationKind, dict[str, int]] = {}
    methods: dict[str, int] = {}
    for r in cert.results:
        k = by_kind.setdefault(r.kind, {v.value: 0 for v in Verdict})
        k[r.verdict.value] += 1
        methods[r.method] = methods.get(r.method, 0) + 1
    t = Table(title=f"{cert.name}: {len(cert.results)} obligations and claims", title_justify="left")
    for col in ("kind", "PROVED", "REFUTED", "UNKNOWN"):
        t.add_column(col, justify="left" if col == "kind" else "right")
    for kind in ObligationKind:
        if kind in by_kind:
            c = by_kind[kind]
            t.add_row(kind.value, str(c["PROVED"]), str(c["REFUTED"]), str(c["UNKNOWN"]))
    console.print(t)
    console.print("methods: " + ", ".join(f"{m} {n}" for m, n in sorted(methods.items())))
    if cert.note:
        console.print(f"note: {cert.note}")
    shown = [r for r in cert.results if show_all or r.verdict is not Verdict.PROVED]
    if shown:
        d = Table(title="obligations" if show_all else "not proved", title_justify="left")
        for col in ("obligation", "method", "verdict", "reason"):
            d.add_column(col)
        for r in shown:
            d.add_row(r.id, r.method, r.verdict.value, r.reason)
        console.print(d)
        for r in shown:
            w = r.evidence.get("witness")
            if w:
                console.print(f"witness for {r.id}: x = {w['x']}"
                              + (f", configuration {json.dumps(w['config'])}" if "config" in w else "")
                              + (f", registers {json.dumps(w['registers'])}" if "registers" in w else ""))
                if "command" in r.evidence:
                    where = f" (run it in {Path(cert_path).parent})" if cert_path else ""
                    console.print(f"  replay{where}: {r.evidence['command']}")


def _nothing_claimed(f) -> None:
    """What the file could claim: each static key with its measured value, and the rate claims."""
    from certify.bounds.suggest import static_block, suggestions

    console.print(f"{f.name or 'this file'} claims nothing that certify check decides: it has no simulation block "
                  "and no static claims, so nothing was checked. Claims it could make (a measured value is the "
                  "tightest claim that holds):")
    t = Table(show_header=True, title_justify="left")
    for col in ("claim", "measured", "what it says", "decided by"):
        t.add_column(col)
    for s in suggestions(f.network):
        t.add_row(f"claims.{s.key}", s.value or "—", s.meaning, "certify check" if s.static else "certify rates")
    console.print(t)
    console.print(f'e.g. "claims": {static_block(f.network)}  (or certify compile --claims FILE)', soft_wrap=True,
                  markup=False)


def _result_line(cert: Certificate, claims: dict) -> str:
    c = cert.counts()
    if cert.nothing_claimed:
        rest = [k for k in ("target", "rate", "rate_until") if k in claims]
        return result_line(cert.status, cert.name, "no simulation block and no static claims; nothing was checked"
                           + (f" ({', '.join('claims.' + k for k in rest)}: certify rates)" if rest else ""))
    counts = f"{c['PROVED']} proved, {c['REFUTED']} refuted, {c['UNKNOWN']} unknown"
    what = counts if cert.simulation_checked else f"static claims only; no simulation: {counts}"
    return result_line(cert.status, cert.name, what)
