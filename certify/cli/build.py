"""`certify build`: named constructions → weight files (the universal approximator, the clocked squaring RNN)."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flint import fmpq
from rich.table import Table

from certify.cli.app import FloatRange, IntRange, cli, console
from certify.compiler.tmnu_to_rnn import from_compiled
from certify.display import round_decimal
from certify.rational import parse_number
from certify.spec.digest import content_sha256


@cli.group("build")
def build_group() -> None:
    """Build a named construction into a weight file with its certified claims."""


@build_group.command("universal")
@click.option("--f", "f_text", required=True, help='Target function of x, e.g. "exp(x)", "abs(x)", '
              '"where(x < 0, -x, x**2)". Must be continuous on [-1, 1] with sup|f| < 7.')
@click.option("--target-error", "target_text", default=None,
              help="Certified sup error to reach at the last round (exact: 1e-3, 1/1000). Default 1e-3.")
@click.option("--rounds", type=IntRange(1, 60), default=None,
              help="Number of rounds (degrees 2, 4, 8, ...); with --target-error: rounds whose errors fall "
                   "geometrically to the target.")
@click.option("--ratio", type=FloatRange(0.01, 0.9), default=0.25, show_default=True,
              help="With --target-error alone: each round's estimated error is at most this times the last.")
@click.option("--max-steps", type=IntRange(100, 10**8), default=10**6, show_default=True,
              help="Most RNN steps the stream may need.")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), required=True,
              help="Weight file to write (certify.rnn/1 JSON).")
def universal_cmd(f_text: str, target_text: str | None, rounds: int | None, ratio: float, max_steps: int,
                  output: str) -> int:
    """The universal approximator for f: one fixed RNN (the same weights for every f except the
    initial stack value h0) whose output y_T approaches f on all of [-1, 1] as T grows.

    The rate table written to claims.rate is certified: per round, a rigorous sup-norm of the
    polynomial added so far minus f, plus the proven arithmetic error. Check it with
    `certify check` (the simulation) and `certify rates` (the table).
    """
    from certify.compiler.tmnu_to_rnn import compile_program
    from certify.spec import io
    from certify.spec.measure import weight_stats
    from certify.universal.build import build_universal

    start = time.perf_counter()
    target = parse_number(target_text, where="--target-error") if target_text is not None else None
    if target is None and rounds is None:
        target = parse_number("1e-3")
    b = build_universal(f_text, target=target, rounds=rounds, ratio=ratio, max_rnn_steps=max_steps)
    compiled = compile_program(b.program)
    f = from_compiled(compiled, b.claims)
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    io.write(f, output)
    st = weight_stats(compiled.network)
    t = Table(title=f"universal approximator for f = {f_text}", title_justify="left")
    for col in ("round", "from RNN step T", "degree", "teeth", "sup|P_r - f| ≤", "arithmetic ≤", "certified E ≤"):
        t.add_column(col, justify="right")
    for r in b.rows:
        rd = r.round
        t.add_row(str(r.index), str(r.T), str(rd.degree) if rd else "—",
                  (f"{min(rd.teeth)}" + (f"–{max(rd.teeth)}" if max(rd.teeth) != min(rd.teeth) else "")) if rd and
                  rd.teeth else "—", _e(r.approx.upper), _e(r.arith) if rd else "—", _e(r.bound))
    console.print(t)
    console.print(f"  stream: {len(b.plan.stream)} instructions; last round's output from RNN step "
                  f"{b.rows[-1].T} (≤ {max_steps})")
    console.print(f"  network: hidden_dim {compiled.network.hidden_dim}, max |weight| {st.max_abs} "
                  f"({st.max_abs_at}); the same for every f — only h0 (the stream) differs")
    console.print(f"  wrote {output} (content sha256 {content_sha256(f)[:16]}…) in {time.perf_counter() - start:.1f} s")
    return 0


@build_group.command("squaring")
@click.option("--domain", "domain_text", default="1", show_default=True,
              help="D: the input x ranges over [-D, D] (exact, e.g. 2 or 3/2).")
@click.option("--up-to", type=IntRange(2, 10_000), default=40, show_default=True,
              help="Last RNN step T of the claimed rate (claims.rate_formula: D^2*4^(-T) for 2 <= T <= this).")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), required=True,
              help="Weight file to write (certify.rnn/1 JSON).")
def squaring_cmd(domain_text: str, up_to: int, output: str) -> int:
    """The clocked squaring RNN for x^2 on [-D, D]: 8 ReLU units, impulse input, one sawtooth
    level per step, so that sup|y_T - x^2| = D^2*4^(-T) exactly for T >= 2 (claimed in the file,
    attained with equality). Certify the claim with `certify rates OUTPUT` (exact pieces)."""
    from certify.constructions.clocked import PUBLISHED_WIDTH, squaring_file
    from certify.spec import io

    d = parse_number(domain_text, where="--domain")
    f = squaring_file(d, up_to)
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    io.write(f, output)
    console.print(f"squaring RNN on [-{d}, {d}]: hidden_dim {f.network.hidden_dim} (the published construction: "
                  f"{PUBLISHED_WIDTH} for degree N, {80 * 2 + 11} for N = 2); impulse input; claimed "
                  f"sup|y_T - x^2| = {d * d}*4^(-T) for 2 <= T <= {up_to}")
    console.print(f"  wrote {output} (content sha256 {content_sha256(f)[:16]}…); check it with: certify rates {output}")
    return 0


def _e(q: fmpq | None) -> str:
    """A certified upper bound for people: 4 significant digits, rounded up."""
    return "—" if q is None else round_decimal(q, 4, "up")
