"""`certify run`: rollouts (exact today)."""

from __future__ import annotations

import click
from flint import fmpq
from rich.table import Table

from certify.cli.app import cli, console, progress, sci, show
from certify.errors import InputError
from certify.rational import decimal, parse_number


@cli.command("run")
@click.argument("weights", type=click.Path(dir_okay=False))
@click.option("--x", "x_text", default="0", show_default=True, help="Input x (exact: 1/3, 0.25, -1e-3).")
@click.option("--steps", type=click.IntRange(1, 10**8), default=1000, show_default=True, help="RNN steps T.")
@click.option("--exact", "backend", flag_value="exact", default=True,
              help="Exact rational arithmetic (python-flint); the reference semantics.")
@click.option("--samples", type=click.IntRange(1, 10**6), default=12, show_default=True,
              help="How many evenly spaced steps to print (the last step is always printed).")
@click.option("--tmnu", is_flag=True, help="Print at TMNU step boundaries (t0 + c·n) with the decoded state.")
def run_cmd(weights: str, x_text: str, steps: int, backend: str, samples: int, tmnu: bool) -> int:
    """Run a weight file for STEPS steps with constant input x and print sampled outputs y_t.

    If the file claims a target f (claims.target) the error |y_t - f(x)| is shown, next to the
    claimed bound E(T) when the file has a rate table (claims.rate).
    """
    from certify.execute.exact import rollout, sample_times
    from certify.expr import approx_at, parse_function, value_at
    from certify.rnn import io

    f = io.read(weights)
    net = f.network
    x = parse_number(x_text, where="--x")
    lo, hi = f.input.domain
    if not lo <= x <= hi:
        raise InputError(f"--x={x} is outside the file's input domain [{lo}, {hi}]")
    sim = f.simulation
    if tmnu and sim is None:
        raise InputError("--tmnu needs a file with a simulation block")
    if tmnu:
        assert sim is not None
        times = [sim.map.t0 + sim.map.c * n for n in range((steps - sim.map.t0) // sim.map.c + 1)]
        times = [t for t in times if t >= 1]
        if len(times) > samples:
            keep = set(sample_times(len(times), samples))
            times = [t for i, t in enumerate(times, 1) if i in keep]
    else:
        times = sample_times(steps, samples)
    target = parse_function(str(f.claims["target"])) if "target" in f.claims else None
    rate = _rate_table(f.claims.get("rate"))
    with progress(steps, "running exactly") as bar:
        task = bar.add_task("run", total=steps)
        results = rollout(net, [x] * net.input_dim, steps, times,
                          progress=lambda t: bar.update(task, completed=t) if t % 256 == 0 else None)
    table = Table(title=f"{f.name}: x = {show(x)}, exact rational rollout of {steps} steps",
                  title_justify="left")
    table.add_column("t", justify="right")
    if tmnu:
        table.add_column("TMNU step", justify="right")
        table.add_column("state")
    table.add_column("y_t (exact)")
    table.add_column("y_t (decimal)")
    if target is not None:
        table.add_column(f"|y_t − f(x)|  f = {f.claims['target']}")
    if rate:
        table.add_column("claimed E(t)")
    fx = value_at(target, x) if target is not None else None
    for t, h, y in results:
        row = [str(t)]
        if tmnu:
            assert sim is not None
            n = (t - sim.map.t0) // sim.map.c
            conf = sim.map.decode(sim.program, h)
            row += [str(n), conf.state]
        row.append(", ".join(show(v) for v in y))
        row.append(", ".join(decimal(v, 12) for v in y))
        if target is not None:
            if fx is not None:
                row.append(sci(abs(y[0] - fx)))
            else:
                err = abs(sympy_float(approx_at(target, x)) - y[0])
                row.append(f"≈ {err}")
        if rate:
            e = _claimed(rate, t)
            row.append(sci(e) if e is not None else "—")
        table.add_row(*row)
    console.print(table)
    return 0


def sympy_float(v) -> fmpq:  # display only: a 30-digit decimal of f(x), as a rational
    return parse_number(str(v))


def _rate_table(v) -> list[tuple[int, fmpq]]:
    if not v:
        return []
    out = []
    for i, row in enumerate(v if isinstance(v, list) else []):
        if not isinstance(row, dict) or "T" not in row or "E" not in row:
            raise InputError(f"claims.rate[{i}] must be an object {{\"T\": step, \"E\": bound}}")
        out.append((int(row["T"]), parse_number(row["E"], where=f"claims.rate[{i}].E")))
    return sorted(out)


def _claimed(rate: list[tuple[int, fmpq]], t: int) -> fmpq | None:
    best = None
    for T, e in rate:
        if t >= T:
            best = e
    return best


