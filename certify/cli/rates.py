"""`certify rates`: certified error versus runtime of a weight file, and its claimed rate table."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flint import fmpq
from rich.table import Table

from certify.cli.app import IntRange, cli, console, err_console
from certify.cli.options import json_or_legacy_path_option, json_out_option, read_hints, weight_hints_options
from certify.display import round_decimal
from certify.verdict import Verdict, result_line

#: ``certify.bounds.rates``' defaults (not imported here: the command imports the heavy modules when run).
SAMPLES, LANES, MAX_LANES = 2001, 256, 2**14


@cli.command("rates")
@click.argument("weights", type=click.Path(dir_okay=False))
@weight_hints_options
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
              help="Write the log-log plot here (.png/.svg/.pdf). Default: WEIGHTS with .rates.png.")
@click.option("--no-plot", is_flag=True, help="Do not write a plot.")
@json_or_legacy_path_option
@json_out_option
@click.option("--samples", type=IntRange(0, 10**6), default=SAMPLES, show_default=True,
              help="x grid for the sampled (measured, float64) error shown beside the certified one.")
@click.option("--lanes", type=IntRange(1, 2**20), default=LANES, show_default=True,
              help="Enclosure method: x-lanes of the first pass (a power of 2).")
@click.option("--max-lanes", type=IntRange(1, 2**24), default=MAX_LANES, show_default=True,
              help="Enclosure method: most lanes per row before a claim is left UNKNOWN.")
@click.option("--horizon", type=IntRange(1, 10**8), default=None,
              help="Certify rows up to this RNN step (default: the last claimed T).")
@click.option("--max-pieces", type=IntRange(1, 2**26), default=2**16, show_default=True,
              help="Networks without a simulation block: most exact linear pieces of y_T before later rows go to "
                   "float64 lanes.")
def rates_cmd(weights: str, plot_path: str | None, no_plot: bool, json_arg: str | None, json_out: str | None,
              samples: int, lanes: int, max_lanes: int, horizon: int | None, max_pieces: int) -> int:
    """Certify sup_x |y_T(x) - f(x)| against the RNN step T, and check the file's claims.rate.

    \b
    A compiled TMNU program: the output can only change at TMNU steps whose op writes the output
    register, so each row's bound holds from its T up to the next row's. For the universal
    interpreter a row is a round: certified sup|P_r - f| plus the proven arithmetic error. For any
    other program: affine-in-x enclosures on x-lanes against arb enclosures of f, bisected.
    \b
    Any other network (no simulation block; one input, constant or impulse, x over input.domain):
    every step T is a row. Piecewise-linear activations: y_T is enumerated exactly as linear
    pieces in x and |piece - f| bounded on each (exact for polynomial f, so a claim attained with
    equality is PROVED); beyond --max-pieces, or for tanh/sigmoid: float64 affine enclosures on
    x-lanes, bisected up to --max-lanes. Claims: claims.rate, or claims.rate_formula =
    {"E": "D**2*4**(-T)", "T_min": 2, "T_max": 30} (every T in the range).
    A claimed E(T) is PROVED when certified, REFUTED (naming T and a witness x) when a rigorous
    lower bound exceeds it, UNKNOWN otherwise. Exit 0 / 10 / 20; the last line is RESULT: ...
    For a compiled program the bounds assume its simulation theorem, which `certify check` proves.
    """
    from certify.bounds.claims import parse_claims
    from certify.bounds.rates import rates, report_json
    from certify.plugins import load_plugins
    from certify.report.plots import rates_plot
    from certify.spec import io

    as_json, json_path = json_arg == "-", json_out
    if json_arg not in (None, "-"):
        err_console.print("note: --json PATH is deprecated: use --json-out PATH (--json alone prints the JSON)")
        json_path = json_path or json_arg
    out_console = err_console if as_json else console  # with --json, stdout holds the JSON and the RESULT line
    f = io.read(weights, read_hints())
    for key in parse_claims(f.claims).unknown:
        err_console.print(f"warning: claims.{key} is not a claim certify reads; it is ignored")
    load_plugins()
    rep = rates(f, samples=samples, lanes=lanes, max_lanes=max_lanes, horizon=horizon, max_pieces=max_pieces)
    t = Table(title=f"{rep.name}: error versus runtime, f = {rep.target}  (method: {rep.method})",
              title_justify="left")
    cols = ["T from", "to", "row"]
    if rep.method == "universal":
        cols += ["|P_r - f| ≤", "arith ≤"]
    cols += ["certified ≤", "sampled"]
    notes = any(r.note for r in rep.rows)
    for c in cols + (["note"] if notes else []):
        t.add_column(c, justify="right" if c not in ("row", "note") else "left")
    for r in rep.rows:
        row = [str(r.T), "∞" if r.T_end is None else str(r.T_end - 1), r.label]
        if rep.method == "universal":
            row += [_e(r.approx), _e(r.arith)]
        row += [_e(r.certified), f"{r.sampled:.3e}" if r.sampled is not None else "—"]
        t.add_row(*(row + ([r.note] if notes else [])))
    if not as_json:
        console.print(t)
    if rep.claims:
        claims_table = Table(title="claims.rate", title_justify="left")
        for col in ("T", "E", "verdict", "reason"):
            claims_table.add_column(col)
        for ch in rep.claims:
            claims_table.add_row(str(ch.T), _e(ch.E), ch.verdict.value, ch.reason)
        if not as_json:
            console.print(claims_table)
    for n in rep.notes:
        out_console.print(f"note: {n}")
    if not no_plot:
        out = plot_path or str(Path(weights).with_suffix("").with_suffix("")) + ".rates.png"
        rates_plot(rep, out)
        out_console.print(f"plot: {out}")
    if json_path:
        Path(json_path).write_text(json.dumps(report_json(rep), indent=1) + "\n")
        out_console.print(f"report: {json_path}")
    if as_json:
        console.print_json(json.dumps(report_json(rep)))
    counts = {v: sum(1 for ch in rep.claims if ch.verdict is v) for v in Verdict}
    refuted = [ch for ch in rep.claims if ch.verdict is Verdict.REFUTED]
    what = (f"{counts[Verdict.PROVED]} of {len(rep.claims)} claimed rows proved, {counts[Verdict.REFUTED]} refuted, "
            f"{counts[Verdict.UNKNOWN]} unknown" if rep.claims else "no claimed rate table")
    if refuted:
        what += f"; first refuted at T={refuted[0].T}"
    console.print(result_line(rep.verdict, f"{rep.name} rates", f"{what} ({rep.seconds:.1f} s)"))
    return rep.verdict.exit_code


def _e(q: fmpq | None) -> str:
    """An upper bound (certified, or the claimed E) for people: 4 significant digits, rounded up, so that a
    bound shown below a claim is below it (the exact values are in --json)."""
    return "—" if q is None else round_decimal(q, 4, "up")
