"""`certify memory`: the memory function 𝓜(t) of Wang–Li–Li (Def. 3.1), certified, and its decay constants."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table

from certify.cli.app import IntRange, cli, console, err_console
from certify.cli.options import read_hints, weight_hints_options
from certify.display import round_decimal
from certify.errors import InputError
from certify.rational import parse_number
from certify.verdict import Verdict, combine, result_line

#: The memory input each file input kind means (a sequence file must say which it wants).
FROM_FILE = {"constant": "heaviside", "impulse": "impulse"}


def _x(v) -> str:
    """A witness coordinate: exact when short, else 6 digits."""
    text = str(v)
    return text if len(text) <= 14 else round_decimal(v, 6, "nearest")


def parse_box(text: str, dim: int) -> list:
    """``lo:hi`` for every input, or ``lo:hi,lo:hi,…`` one per input (exact numbers)."""
    parts = [p.strip() for p in text.split(",")]
    out = []
    for k, p in enumerate(parts):
        lo, sep, hi = p.partition(":")
        if not sep:
            raise InputError(f"--box {p!r}: write lo:hi (e.g. -1:1), one per input or one for all")
        a, b = parse_number(lo, where=f"--box[{k}] lo"), parse_number(hi, where=f"--box[{k}] hi")
        if not a <= b:
            raise InputError(f"--box {p!r} is empty")
        out.append((a, b))
    if len(out) == 1:
        out *= dim
    if len(out) != dim:
        raise InputError(f"--box gives {len(out)} intervals; the network has input_dim={dim}")
    return out


@cli.command("memory")
@click.argument("weights", type=click.Path(dir_okay=False))
@weight_hints_options
@click.option("--steps", "-K", type=IntRange(0, 100_000), required=True, help="Rows t = 0 … K.")
@click.option("--box", default=None, help="x box: lo:hi for all inputs or lo:hi,lo:hi,… (default: input.domain).")
@click.option("--norm", type=click.Choice(["abs", "abs+1"]), default="abs", show_default=True,
              help="abs: |Δ|/|x|_∞ (Def. 3.1); abs+1: |Δ|/(|x|_∞ + 1) (the paper's proofs).")
@click.option("--input", "kind", type=click.Choice(["heaviside", "impulse", "reversed"]), default=None,
              help="Test input (default: heaviside for input.kind constant, impulse for impulse).")
@click.option("--warmup", type=IntRange(0, 100_000), default=0, help="reversed: steps N that x is held before t = 0.")
@click.option("--decay", is_flag=True, help="Also prove C, β with 𝓜(t) ≤ C·e^(−βt) for every t.")
@click.option("--claim-C", "claim_c", default=None, help="With --claim-beta: decide this claimed C (exact number).")
@click.option("--claim-beta", "claim_beta", default=None, help="With --claim-C: decide this claimed β.")
@click.option("--tol", default="1/1000", show_default=True, help="Relative gap upper/lower at which a row is done.")
@click.option("--max-rollouts", type=IntRange(1, 10**7), default=2000, show_default=True,
              help="Branch and bound budget (box and point rollouts).")
@click.option("--seconds", type=click.FloatRange(0.1, 86400), default=120.0, show_default=True,
              help="Branch and bound time budget.")
@click.option("--json", "json_path", default=None, help="Write the certify.memory/1 JSON here ('-': stdout).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
              help="Write the log-y plot here (.png/.svg/.pdf).")
def memory_cmd(weights: str, steps: int, box: str | None, norm: str, kind: str | None, warmup: int, decay: bool,
               claim_c: str | None, claim_beta: str | None, tol: str, max_rollouts: int, seconds: float,
               json_path: str | None, plot_path: str | None) -> int:
    """Certify the memory function of WEIGHTS for t = 0 … K.

    \b
    Each row: an upper bound of 𝓜(t) over every x ≠ 0 of the box, and a lower bound attained at a
    witness x (replayed exactly, or in arb for tanh/sigmoid). Exact (upper = lower) where the network
    is affine on the box; branch and bound over x otherwise. --decay proves constants for every t;
    --claim-C/--claim-beta decide a claimed pair (REFUTED with the witness (t, x) of a row above it).
    Exit 0 / 10 / 20; the last line is RESULT: ...
    """
    from certify.memory.decay import check_claim
    from certify.memory.document import memory_json, sampled
    from certify.memory.row_decay import decay_from_rows
    from certify.memory.search import memory
    from certify.report.memory_plot import memory_plot
    from certify.spec import io
    from certify.spec.digest import content_sha256

    f = io.read(weights, read_hints())
    net = f.network
    if kind is None:
        if f.input.kind not in FROM_FILE:
            raise InputError(f"input.kind={f.input.kind!r}: say which memory input to use (--input heaviside, "
                             "impulse or reversed)")
        kind = FROM_FILE[f.input.kind]
    if (claim_c is None) != (claim_beta is None):
        raise InputError("--claim-C and --claim-beta go together (the claim is M(t) <= C·e^(-beta·t))")
    xbox = parse_box(box, net.input_dim) if box is not None else [f.input.domain_of(k) for k in range(net.input_dim)]
    tolerance = parse_number(tol, where="--tol")
    if tolerance < 0:
        raise InputError(f"--tol={tol} must be >= 0 (the relative gap upper/lower at which a row is done)")
    res = memory(net, xbox, steps, norm=norm, kind=kind, warmup=warmup, tol=tolerance,
                 max_boxes=max_rollouts, seconds=seconds)
    dec = None
    if decay or claim_c is not None:
        dec = decay_from_rows(net, norm, kind, res)
        if claim_c is not None and claim_beta is not None:
            dec = check_claim(parse_number(claim_c, where="--claim-C"), parse_number(claim_beta, where="--claim-beta"),
                              res, dec)
    sample = sampled(net, xbox, steps + (warmup if kind == "reversed" else 0), kind, warmup, norm) \
        if kind != "reversed" else None
    doc = memory_json(f.name, content_sha256(f), net, res, dec, sample)
    out = err_console if json_path == "-" else console
    table = Table(title=f"{f.name}: memory function, {kind} input, norm {norm}  ({net.describe()})",
                  title_justify="left")
    for c in ("t", "lower ≥", "upper ≤", "gap", "witness x"):
        table.add_column(c, justify="left" if c == "witness x" else "right")
    for r in res.rows:
        gap = "exact" if r.exact else "∞" if r.upper is None else (
            f"{float((r.upper - r.lower) / r.upper):.1e}" if r.upper > 0 else "0")
        table.add_row(str(r.t), round_decimal(r.lower, 5, "down"),
                      "∞" if r.upper is None else round_decimal(r.upper, 5, "up"), gap,
                      ", ".join(_x(v) for v in r.witness) if r.witness else "—")
    out.print(table)
    for n in res.notes:
        out.print(f"note: {n}")
    out.print(f"{res.boxes} rollouts, {res.seconds:.2f} s ({res.seconds / max(1, len(res.rows)):.3f} s per row)")
    if dec is not None:
        out.print(f"decay: {dec.verdict.value}" + (f" C = {round_decimal(dec.C, 6, 'up')}, β = "
                                                  f"{round_decimal(dec.beta, 6, 'down')}" if dec.C is not None and
                                                  dec.beta is not None else "") + f" ({dec.reason})")
    if json_path == "-":
        click.echo(json.dumps(doc, indent=1))
    elif json_path:
        Path(json_path).write_text(json.dumps(doc, indent=1) + "\n")
        out.print(f"wrote {json_path} ({doc['format']})")
    if plot_path:
        memory_plot(doc, plot_path)
        out.print(f"plot: {plot_path}")
    unbounded = [r.t for r in res.rows if r.upper is None and not r.infinite]
    verdicts = [Verdict.UNKNOWN if unbounded else Verdict.PROVED] + ([dec.verdict] if dec is not None else [])
    verdict = combine(verdicts)
    what = f"bounds of M(t) for t = 0..{steps} ({sum(r.exact for r in res.rows)} exact)"
    if unbounded:
        what += f"; no upper bound at t = {unbounded[0]}" + (" …" if len(unbounded) > 1 else "")
    if dec is not None:
        what += f"; decay {dec.verdict.value}"
    click.echo(result_line(verdict, f"{f.name} memory", what))
    return verdict.exit_code
