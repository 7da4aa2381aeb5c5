"""`certify recheck`: re-check a certificate with the independent checker (no code shared with the prover)."""

from __future__ import annotations

import click

from certify.cli.app import cli, console
from certify.cli.options import timeout_option
from certify.errors import InputError
from certify.verdict import Status, Verdict, exit_code, result_line


@cli.command("recheck")
@click.argument("certificates", nargs=-1, required=True, type=click.Path(dir_okay=False))
@timeout_option
@click.option("--weights", "weights", type=click.Path(dir_okay=False), default=None,
              help="The weight file to re-check against (default: the file the certificate names, relative to "
                   "the certificate's folder). With several certificates, each is checked against it.")
def recheck_cmd(certificates: tuple[str, ...], timeout: float, weights: str | None) -> int:
    """Re-check CERTIFICATES against their weight files with an independent checker.

    The checker reads the weight file itself, enumerates the obligations itself, recomputes every
    composition with Python fractions (verifying each recorded ReLU decision), rebuilds and solves
    its own SMT queries, re-runs every cited SMT-LIB file through z3 and cvc5 (when installed), and
    checks that every witness lies in its obligation's domain and replays it. The certificate must list
    exactly the obligations and static claims the file's theorem needs, and its content hash must be the
    file's (weights, h0, input, simulation block and claims). A stale certificate or any disagreement
    fails loudly with exit code 1; a malformed file exits 2; otherwise the exit code is the
    certificate's (0 PROVED, 10 REFUTED, 20 UNKNOWN). --timeout applies to z3 and cvc5 alike.
    """
    from certify.recheck import RecheckError, recheck

    worst = 0
    for path in certificates:
        try:
            rep = recheck(path, timeout=timeout, weights=weights)
        except RecheckError as err:
            raise InputError(str(err)) from None
        solvers = " and ".join(rep.solvers) if rep.solvers else "no solver needed"
        if rep.ok:
            console.print(f"{path}: {rep.verdict} confirmed — {rep.confirmed} results re-checked, "
                          f"{rep.smt_files} SMT-LIB files re-run ({solvers})")
            code = exit_code(Verdict(rep.verdict)) if rep.verdict in {v.value for v in Verdict} else 1
        else:
            console.print(f"{path}: DISAGREEMENT — the independent re-check does not confirm this certificate:")
            for p in rep.problems:
                console.print(f"  ✗ {p}")
            code = 1
        worst = 1 if 1 in (worst, code) else max(worst, code)
    plural = "s" if len(certificates) != 1 else ""
    console.print(result_line(Status.of_exit_code(worst), f"({len(certificates)} certificate{plural} re-checked)"))
    return worst
