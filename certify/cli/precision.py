"""`certify precision`: how many bits a float export needs to follow the exact network up to T steps."""

from __future__ import annotations

import click
from rich.table import Table

from certify.cli.app import IntRange, cli, console
from certify.cli.options import read_hints, weight_hints_options
from certify.display import round_decimal
from certify.rational import from_float, parse_number
from certify.spec.digest import content_sha256


@cli.command("precision")
@click.argument("weights", type=click.Path(dir_okay=False))
@weight_hints_options
@click.option("--steps", type=IntRange(1, 10**7), required=True, help="Runtime T (RNN steps).")
@click.option("--eps", "eps_text", default=None,
              help="Tolerance for the x-dependent output (exact, e.g. 1e-6 or 1/1024). Without it, only "
                   "the deviation bounds are shown.")
@click.option("--x-grid", type=IntRange(1, 100_000), default=17, show_default=True,
              help="Inputs (evenly spaced points of the input domain) on which the deviation is bounded.")
def precision_cmd(weights: str, steps: int, eps_text: str | None, x_grid: int) -> int:
    """Certify the precision a floating-point export of WEIGHTS needs up to STEPS.

    \b
    1. x-independent units (control, stacks: the same for every x) are run exactly; the bits a float
       run needs to compute every one of their rows *exactly* (any summation order) are measured.
    2. x-dependent units are enclosed with a simulated float32/float64 rounding on every operation:
       a rigorous bound of |y_t(float) - y_t(exact)| at every step, on the --x-grid inputs.
    Prints the largest T a float32 and a float64 export support and, with --eps, the fewest bits.
    """
    from certify.bounds.precision import NEVER, precision_report
    from certify.spec import io

    f = io.read(weights, read_hints())
    eps = parse_number(eps_text, where="--eps") if eps_text is not None else None
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
    return 0
