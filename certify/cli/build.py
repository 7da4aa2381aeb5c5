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
from certify.errors import InputError
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


@build_group.command("polynomial")
@click.option("--coeffs", "coeffs_text", required=True,
              help="a0,a1,...,aN: p(x) = a0 + a1*x + ... + aN*x^N, exact (e.g. 1/2,-1,3), degree 2 to 12.")
@click.option("--domain", "domain_text", default="1", show_default=True,
              help="D: the input x ranges over [-D, D] (exact).")
@click.option("--until", type=IntRange(8, 10_000), default=40, show_default=True,
              help="Claims cover RNN steps up to this T (one row per epoch; certify rates needs more exact pieces "
                   "the further it goes).")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), required=True,
              help="Weight file to write (certify.rnn/2 JSON: impulse input).")
def polynomial_cmd(coeffs_text: str, domain_text: str, until: int, output: str) -> int:
    """The clocked polynomial RNN for p on [-D, D]: Horner's scheme, each product by two sawtooth
    squarers, restarted by a clock in epochs of doubling length (restarts at T = 1, 3, 7, 15, 31, ...),
    each product using its input as the previous epoch left it. One network per p, impulse input;
    the error falls like 4^(-C*T). Claims: one row per epoch, E proven from the construction.
    Certify them with `certify rates OUTPUT` (exact pieces; raise --max-pieces for later epochs)."""
    from certify.constructions.clocked import PUBLISHED_WIDTH
    from certify.constructions.clocked_polynomial import polynomial_file
    from certify.spec import io

    parts = [c.strip() for c in coeffs_text.split(",")]
    if len(parts) > 64:
        raise InputError(f"--coeffs has {len(parts)} entries; at most 64")
    coeffs = [parse_number(c, where=f"--coeffs[{i}]") for i, c in enumerate(parts)]
    d = parse_number(domain_text, where="--domain")
    f = polynomial_file(coeffs, d, until)
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    io.write(f, output)
    n = len(coeffs) - 1
    console.print(f"polynomial RNN for p(x) = {f.claims['target']} on [-{d}, {d}]: hidden_dim {f.network.hidden_dim} "
                  f"(16(N-1) + 13; the published construction: {PUBLISHED_WIDTH} = {80 * n + 11} for N = {n})")
    for row in f.claims["rate"]:
        bound = round_decimal(parse_number(row["E"]), 4, "up")
        console.print(f"  claimed: sup|y_T - p| <= {bound} from T = {row['T']}")
    console.print(f"  wrote {output} (content sha256 {content_sha256(f)[:16]}…); check it with: certify rates {output}")
    return 0


def _e(q: fmpq | None) -> str:
    """A certified upper bound for people: 4 significant digits, rounded up."""
    return "—" if q is None else round_decimal(q, 4, "up")


@build_group.command("deep-narrow")
@click.argument("target", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), required=True,
              help="Weight file to write (certify.rnn/2 JSON, sequence input over K^N).")
@click.option("--prove/--no-prove", default=True, show_default=True,
              help="Prove the network equal to the target on K^N right away (as `certify equiv OUTPUT TARGET`).")
def deep_narrow_cmd(target: str, output: str, prove: bool) -> int:
    """Compile a past-dependent TARGET (certify.deep-target/1: f[t] a one-hidden-layer ReLU network of x[1:t]) to a
    deep narrow ReLU RNN whose outputs equal f[t] exactly on K^N: width d_x + d_y + 2 for continuous targets
    (Theorem 5 allows d_x + d_y + 3), d_x + d_y + 1 for seq2vec ones (Theorem 9). The file claims width_max,
    its width_target (read by `certify width`) and equals_target (the target itself): `certify check OUTPUT`
    proves the width and the equality on K^N and records both in its certificate."""
    from certify.deep.equivalence import prove_equal
    from certify.deep.narrow import compile_target
    from certify.deep.target import read_target
    from certify.deep.width import bound
    from certify.spec import io
    from certify.spec.file import InputSpec, RnnFile
    from certify.verdict import exit_code, result_line

    start = time.perf_counter()
    tg = read_target(target)
    net = compile_target(tg)
    f = RnnFile(network=net, name=f"{tg.name}_narrow", input=InputSpec("sequence", tg.domain, tg.N),
                claims={"width_max": net.width, "width_target": tg.kind, "equals_target": tg.as_json()})
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    io.write(f, output)
    b = bound(tg.dx, tg.dy, "relu", tg.kind)
    console.print(f"compiled {tg.name} ({tg.kind}, d_x = {tg.dx}, d_y = {tg.dy}, N = {tg.N}): depth {net.depth}, "
                  f"width {net.width} (paper: <= {b.width}, {b.theorem}); wrote {output} "
                  f"(content sha256 {content_sha256(f)[:16]}…) in {time.perf_counter() - start:.2f} s")
    if not prove:
        console.print(f"prove it with: certify check {output}  (or certify equiv {output} {target})")
        return 0
    eq = prove_equal(net, tg)
    n = sum(1 for r in eq.results if r.verdict.value == "PROVED")
    console.print(result_line(eq.verdict, f.name, f"y_t = f[t] on K^{tg.N}: {n} of {len(eq.results)} times proved "
                              f"({', '.join(sorted({r.method for r in eq.results}))}) in {eq.seconds:.2f} s"))
    return exit_code(eq.verdict)


@build_group.command("deep-lp")
@click.argument("target", type=click.Path(dir_okay=False))
@click.option("-M", "M", type=IntRange(1, 16), default=2, show_default=True, help="Quantiser bits per input value.")
@click.option("--delta", "delta_text", default=None,
              help="Width of each quantiser ramp (exact, in (0, 2^-M); default 2^-(M+12)).")
@click.option("-p", "p", type=IntRange(1, 16), default=1, show_default=True, help="The p of the L^p error.")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), required=True,
              help="Weight file to write (certify.rnn/2 JSON, sequence input over [0, 1]^dx).")
def deep_lp_cmd(target: str, M: int, delta_text: str | None, p: int, output: str) -> int:  # noqa: N803
    """The L^p construction (Theorem 15) of a continuous TARGET with d_y = 1 on K = [0, 1]^{d_x}: quantiser, the
    eq. 48 packer, a memoriser and a clamp; writes the network and prints, for each t, a certified upper bound on
    ||f[t] - y_t||_{L^p(K^N)} (cell by cell exact composition, plus the measure of the misrouted set)."""
    from certify.deep.lp import build_lp, certify_lp
    from certify.deep.target import read_target
    from certify.spec import io
    from certify.spec.file import InputSpec, RnnFile

    start = time.perf_counter()
    tg = read_target(target)
    delta = parse_number(delta_text, where="--delta") if delta_text is not None else fmpq(1, 2 ** (M + 12))
    lp = build_lp(tg, M, delta)
    f = RnnFile(network=lp.network, name=f"{tg.name}_lp", input=InputSpec("sequence", tg.domain, tg.N),
                claims={"width_max": lp.network.width, "width_target": "lp-compact"})
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    io.write(f, output)
    console.print(f"compiled {tg.name} (M = {M}, delta = {delta}): depth {lp.network.depth}, width "
                  f"{lp.network.width}, {len(lp.points)} memoriser points; wrote {output}")
    t = Table(title=f"certified L^{p} error on [0, 1]^({tg.dx} x {tg.N})", title_justify="left")
    for col in ("t", "good cells", "misrouted measure", f"||f[t] - y_t||_{p} <="):
        t.add_column(col, justify="right")
    for b in certify_lp(tg, lp, p):
        t.add_row(str(b.t), str(b.cells), _e(b.bad_measure), _e(b.upper))
    console.print(t)
    console.print(f"  done in {time.perf_counter() - start:.2f} s")
    return 0
