"""`certify precision`: how many bits a float export needs to follow the exact network up to T steps."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flint import fmpq
from rich.table import Table

from certify.cli.app import IntRange, cli, console
from certify.cli.options import json_out_option, read_hints, weight_hints_options
from certify.display import round_decimal
from certify.rational import from_float, parse_number
from certify.spec.digest import content_sha256
from certify.spec.file import RnnFile


@cli.command("precision")
@click.argument("weights", type=click.Path(dir_okay=False))
@weight_hints_options
@click.option("--steps", type=IntRange(1, 10**7), required=True, help="Runtime T (RNN steps).")
@click.option("--eps", "eps_text", default=None,
              help="Tolerance for the x-dependent output (exact, e.g. 1e-6 or 1/1024). Without it, only "
                   "the deviation bounds are shown.")
@click.option("--x-grid", type=IntRange(1, 100_000), default=17, show_default=True,
              help="One-layer ReLU networks, constant input: inputs on which the compiled-construction analysis "
                   "bounds the deviation.")
@click.option("--x-lanes", type=IntRange(1, 4096), default=16, show_default=True,
              help="Float horizon (any network): x-intervals covering the domain on which the deviation is bounded.")
@json_out_option
def precision_cmd(weights: str, steps: int, eps_text: str | None, x_grid: int, x_lanes: int,
                  json_out: str | None) -> int:
    """Certify the precision a floating-point export of WEIGHTS needs up to STEPS.

    \b
    Any network (the float horizon): a rigorous bound of |y_t(float) - y_t(exact)| for every
    float32 / float64 run (any summation order) over the whole input domain; the largest T at
    which it stays within ε (--eps, else the file's claimed error E(T)); the significand bits
    that T needs; and the units whose contribution a float run absorbs (a clock worth 2^-t added
    to a number near 1 is lost after about 53 steps in float64), with the step predicted from
    exact rollouts and the step a plain NumPy run actually leaves ε.
    \b
    One-layer ReLU networks with constant input (compiled constructions), in addition:
    1. x-independent units (control, stacks: the same for every x) are run exactly; the bits a float
       run needs to compute every one of their rows *exactly* (any summation order) are measured.
    2. x-dependent units are enclosed with a simulated float32/float64 rounding on every operation,
       on the --x-grid inputs. --json-out OUT writes certify.precision/1 JSON.
    """
    from certify.bounds.float_horizon import float_horizon
    from certify.spec import io

    f = io.read(weights, read_hints())
    eps = parse_number(eps_text, where="--eps") if eps_text is not None else None
    compiled = f.network.is_single_relu and f.input.kind == "constant"
    if compiled:
        _compiled_table(f, weights, steps, eps, eps_text, x_grid)
    if compiled and eps is None and not _claims_rate(f):
        console.print("note: the float horizon needs --eps or a claimed rate; skipped")
        return 0
    rep = float_horizon(f, steps, eps, lanes=x_lanes)
    t = Table(title=f"{f.name or weights}: float horizon up to T = {steps}, ε = {rep.eps_text}", title_justify="left")
    for col in ("format", "certified: within ε up to T", "|ỹ_T − y_T| ≤", "predicted (absorbed from t)",
                "observed (NumPy run leaves ε at t)"):
        t.add_column(col, justify="right" if col != "format" else "left")
    for fmt in ("float32", "float64"):
        mt, pr, ob = rep.max_T[fmt], rep.predicted(fmt), rep.observed.get(fmt)
        t.add_row(fmt, "not even T = 1" if mt is None else str(mt),
                  round_decimal(rep.deviation[fmt][-1], 4, "up"),
                  "—" if pr is None else str(pr), "—" if ob is None else str(ob))
    console.print(t)
    console.print(f"significand bits for every t ≤ {steps} within ε: "
                  + (str(rep.bits_needed) if rep.bits_needed is not None else "more than 4096"))
    units = sorted({(a.unit, a.fmt, min(b.t for b in rep.absorbed if b.unit == a.unit and b.fmt == a.fmt))
                    for a in rep.absorbed})
    for unit, fmt, first in units:
        into = sorted({a.into for a in rep.absorbed if a.unit == unit and a.fmt == fmt})
        console.print(f"  unit {unit}: its contribution to " + ", ".join("the readout" if i < 0 else f"unit {i}"
                                                                        for i in into)
                      + f" is absorbed in {fmt} from t = {first}")
    for n in rep.notes:
        console.print(f"note: {n}")
    if json_out:
        Path(json_out).write_text(json.dumps(rep.json(), indent=1) + "\n")
        console.print(f"wrote {json_out}")
    return 0


def _claims_rate(f: RnnFile) -> bool:
    return bool(f.claims.get("rate") or f.claims.get("rate_formula"))


def _compiled_table(f: RnnFile, weights: str, steps: int, eps: fmpq | None, eps_text: str | None,
                    x_grid: int) -> None:
    """The compiled-construction analysis (one ReLU layer, constant input), as before the float horizon."""
    from certify.bounds.precision import NEVER, precision_report
    rep = precision_report(f.network, steps, eps, x_grid, f.input.domain)
    t = Table(title=f"{f.name or weights}: precision certificate up to T = {steps} "
                    f"(sha256 {content_sha256(f)[:12]}…)", show_header=False, title_justify="left")
    n = f.network.hidden_dim
    if rep.exact_units:
        need = (f"{rep.identical_bits} bits" if rep.identical_bits < NEVER else
                "no binary format (a value is not dyadic, e.g. a base-6 stack)")
        t.add_row("x-independent units", f"{rep.exact_units} of {n}: identical in a float run of {need} "
                  f"(widest row at t={rep.identical_peak[0]}, unit {rep.identical_peak[1]})")
    else:
        t.add_row("x-independent units", f"none of {n}")
    for p, name in ((24, "float32"), (53, "float64")):
        u = rep.identical_until[p]
        t.add_row(f"{name}: exact units identical", "up to T" if u >= steps else f"up to t = {u}")
        d = round_decimal(from_float(rep.deviation[p]), 4, "up")  # an upper bound: never shown below itself
        t.add_row(f"{name}: |y_float - y_exact| ≤", f"{d} on {x_grid} inputs, t ≤ {u}"
                  if u else "— (exact units not representable)")
        if eps is not None:
            t.add_row(f"{name}: supports", f"T = {rep.supported(p)}" + (" (all of it)" if rep.supported(p) >= steps
                                                                           else ""))
    if eps is not None:
        t.add_row(f"bits for ε = {eps_text}", str(rep.bits_for_eps) if rep.bits_for_eps else "more than 53")
    console.print(t)
