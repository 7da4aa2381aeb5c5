"""`certify report`: a proof report of a weight file (HTML with plots, Markdown, or JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from certify.cli.app import IntRange, cli, console, err_console
from certify.cli.options import (
    jobs_option,
    json_option,
    read_hints,
    resolve_jobs,
    rlimit_option,
    timeout_option,
    weight_hints_options,
)
from certify.errors import DidNotRecheck, InputError
from certify.verdict import result_line

if TYPE_CHECKING:
    from certify.prove.certificate import Certificate
    from certify.spec.io import RnnFile


@cli.command("report")
@click.argument("weights", type=click.Path(dir_okay=False))
@weight_hints_options
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False),
              help="Write the report here; the suffix picks the format: .html (one self-contained page, plots "
                   "inline), .md (GitHub Markdown, plots as <stem>-<plot>.svg beside it) or .json "
                   "(certify.report/1, see docs/report-schema.json).")
@json_option
@click.option("--certificate", "cert_path", type=click.Path(dir_okay=False),
              help="Report on this certificate (certify check --certificate ...) instead of running the checker; "
                   "it must be the certificate of WEIGHTS (same content hash) and the independent re-checker must "
                   "confirm it (else exit 1). Its *.timings.json, when present, gives the obligation times.")
@click.option("--no-timings", is_flag=True, help="Leave obligation times out (reports that are reproducible byte "
                                                 "for byte).")
@timeout_option
@rlimit_option
@jobs_option
@click.option("--samples", type=IntRange(1, 64), default=7, show_default=True,
              help="Constant inputs x rolled out exactly for the trajectory plot and the measured errors.")
@click.option("--no-rates", is_flag=True,
              help="Skip the certified error-versus-runtime table (certify rates), which can take a while; the "
                   "claimed bound and the measured errors are still shown.")
@click.option("--max-steps", type=IntRange(1, 10**7), default=2000, show_default=True,
              help="Longest exact rollout for the trajectory and the measured errors (claimed runtimes beyond it "
                   "are not sampled; the report says so).")
def report_cmd(weights: str, out: str | None, as_json: bool, cert_path: str | None, no_timings: bool, timeout: float,
               rlimit: int | None, jobs: int | None, samples: int, no_rates: bool, max_steps: int) -> int:
    """Write a proof report of WEIGHTS: the verdict in plain words, what failed (with the witness and the
    command that replays it), the construction, every obligation, the static claims, precision, error
    against runtime, and plots.

    \b
      certify report F.rnn.json -o reports/F.html            runs certify check, writes one HTML page
      certify report F.rnn.json --certificate out/certificate.json -o F.md
      certify report F.rnn.json --json > F.report.json

    Without --certificate, --timeout and --jobs are the check's. Exit code: the certificate's verdict (0 PROVED,
    10 REFUTED, 20 UNKNOWN), 2 bad input, 1 when the independent re-checker does not confirm a given
    certificate. The last line is RESULT: ...
    """
    # imported when the command runs, so that `certify --help` stays fast
    from certify.prove import certificate as certmod
    from certify.prove.checker import Options, check
    from certify.report import files
    from certify.report.assemble import ReportOptions, build_report
    from certify.spec import io

    f = io.read(weights, read_hints())
    target = Path(out) if out else None
    if target is not None and target.suffix.lower() not in files.SUFFIXES:
        raise InputError(f"-o {out}: the report format is chosen by the suffix, one of {', '.join(files.SUFFIXES)}")
    timings: dict | None
    if cert_path:
        cert = certmod.read(cert_path)
        _confirmed(f, cert, weights, cert_path)
        tpath = certmod.timing_path(Path(cert_path))
        timings = {"seconds": certmod.read_timings(tpath)} if tpath.exists() and not no_timings else None
    else:
        with err_console.status("checking obligations", spinner="line"):
            cert = check(f, Options(timeout=timeout, rlimit=rlimit, jobs=resolve_jobs(jobs), weights_name=weights))
        timings = None if no_timings else cert.timings_json()
    prefix = str(target.with_name(f"{target.stem}.witness")) if target is not None else "witness"
    options = ReportOptions(samples=samples, max_steps=max_steps, witness_prefix=prefix, rates=not no_rates)
    stem = Path(weights).name.removesuffix(".json").removesuffix(".rnn")
    rep = build_report(f, cert, weights_ref=weights, certificate_ref=cert_path, timings=timings, options=options,
                       name=stem)
    if as_json:
        console.print_json(files.to_json_text(rep))
    if target is not None:
        for p in files.write(rep, target):
            console.print(f"wrote {p}")
    if not as_json and target is None:
        console.print(rep.headline)
        console.print("(give -o NAME.html, -o NAME.md or --json for the full report)")
    c_ = rep.counts
    detail = "no simulation block and no static claims; nothing was checked" if rep.nothing_claimed else \
        (f"{sum(p for _, p, _, _ in c_)} proved, {sum(x for _, _, x, _ in c_)} refuted, "
         f"{sum(u for _, _, _, u in c_)} unknown")
    console.print(result_line(rep.status, rep.name, detail))
    return rep.exit_code


def _confirmed(f: RnnFile, cert: Certificate, weights: str, cert_path: str) -> None:
    """A certificate's verdicts are shown only when they are of these weights and the re-checker confirms them."""
    from certify.errors import InputError
    from certify.recheck import RecheckError, recheck
    from certify.spec.digest import content_sha256

    got, sha = cert.weights_sha256, content_sha256(f)
    if got != sha:
        raise InputError(f"the certificate {cert_path} is for weights with content sha256 {got[:16]}…, but "
                         f"{weights} has content sha256 {sha[:16]}…: it is stale, re-run certify check")
    with err_console.status("re-checking the certificate independently", spinner="line"):
        try:
            rep = recheck(cert_path, weights=weights)
        except RecheckError as err:
            raise InputError(str(err)) from None
    if not rep.ok:
        raise DidNotRecheck(f"the independent re-check does not confirm {cert_path}: " + "; ".join(rep.problems[:3]))

