"""`certify run`: rollouts, exact (one x) or rigorous enclosures over a grid of inputs (float64 balls, arb)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click
from flint import fmpq
from rich.table import Table

from certify.cli.app import IntRange, cli, console, progress, sci, show
from certify.cli.options import read_hints, weight_hints_options
from certify.errors import InputError
from certify.rational import decimal, parse_number
from certify.verdict import Verdict, exit_code, result_line

BACKENDS = ("exact", "numpy", "cupy", "array_api_strict", "arb")


@cli.command("run")
@click.argument("weights", type=click.Path(dir_okay=False))
@weight_hints_options
@click.option("--x", "x_text", default=None,
              help="The input x, every component, exact and comma-separated: --x 1/3, --x 0.5,-1/3 for two inputs "
                   "(never broadcast). Default 0 for a one-input network; required otherwise.")
@click.option("--x-seq", "x_seq", default=None,
              help="x_1 … x_T of a run, as a JSON list of input vectors (inline, e.g. '[[1, 0], [0, 0]]', or a file): "
                   "for input.kind = sequence files, and for other kinds when it is consistent with them. T is its "
                   "length.")
@click.option("--x-grid", type=IntRange(), default=None,
              help="Run a batch of N inputs: N evenly spaced points of the input domain (one lane each).")
@click.option("--x-intervals", is_flag=True,
              help="With --x-grid: N subintervals covering the domain instead of points; enclosures are "
                   "affine in x (c + g·(x - x_mid) ± r) on the float64 backends.")
@click.option("--steps", type=IntRange(1, 10**8), default=None, help="RNN steps T.  [default: 1000; with --x-seq its "
                                                                       "length]")
@click.option("--backend", type=click.Choice(BACKENDS), default=None,
              help="exact: rationals (python-flint), the reference; numpy / cupy / array_api_strict: rigorous "
                   "float64 ball enclosures (CuPy needs a GPU and `pip install certify[gpu]`); arb: "
                   "python-flint balls at --prec bits. Default: exact for one --x, numpy with --x-grid.")
@click.option("--exact", "exact_flag", is_flag=True, help="Same as --backend exact.")
@click.option("--json", "json_out", default=None, metavar="OUT",
              help="Exact runs: write every y_t, t = 1 … T, exactly to OUT ('-': stdout) as certify.run/1 JSON.")
@click.option("--prec", type=IntRange(), default=128, show_default=True, help="Bits of precision for --backend arb.")
@click.option("--no-split", is_flag=True,
              help="Do not run the x-independent units exactly (lane splitting); every unit in the float lanes.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None,
              help="Write the enclosures (times, exact x bounds, mid, rad[, gen], finite) to this .npz file.")
@click.option("--samples", type=IntRange(1, 10**6), default=12, show_default=True,
              help="How many evenly spaced steps to print (the last step is always printed).")
@click.option("--tmnu", is_flag=True,
              help="Exact runs: run the TMNU interpreter alongside and compare everything the simulation theorem "
                   "asserts (every readout y_t, and h = enc(config_n) at every step boundary t0 + c·n); print at "
                   "step boundaries. Exit 10 when the RNN and the TMNU differ.")
@click.option("--start", "start_path", default=None,
              help="Start from this TMNU configuration (a JSON file or inline JSON: state, stacks, registers, "
                   "optionally x — e.g. a witness of certify check) encoded into h instead of h0, and compare "
                   "every readout and each TMNU step boundary with the interpreter (exit 10 when they differ).")
def run_cmd(weights: str, x_text: str | None, x_seq: str | None, x_grid: int | None, x_intervals: bool,
            steps: int | None, backend: str | None, exact_flag: bool, json_out: str | None, prec: int, no_split: bool,
            out_path: str | None, samples: int, tmnu: bool, start_path: str | None) -> int:
    """Run a weight file for STEPS steps under its input convention and print sampled outputs y_t.

    \b
    One exact input (the reference semantics; any piecewise-linear network, stacked, with P and Q):
      certify run F.rnn.json --x 1/3 --steps 1000 --exact [--tmnu]
      certify run F.rnn.json --x 0.5,-1/3 --steps 20 --json y.json     (every y_t exactly)
      certify run F.rnn.json --x-seq '[[1, 0], [0, 1], [0, 0]]'         (input.kind = sequence)
    Rigorous enclosures for 4096 inputs at once (every exact y_t(x) is inside its enclosure; one ReLU
    layer, constant input):
      certify run F.rnn.json --x-grid 4096 --steps 100000 --backend numpy [--out enclosures.npz]
      certify run F.rnn.json --x-grid 256 --x-intervals --steps 1000        (affine in x on each piece)
      certify run F.rnn.json --x-grid 16 --steps 5000 --backend arb --prec 512
    Replay a witness of `certify check` (c RNN steps from an encoded configuration vs the TMNU):
      certify run F.rnn.json --start witness.json --steps 4 --tmnu

    The input convention is the file's (certify info shows it): constant (x_t = x for t >= 1), impulse
    (x_1 = x, x_t = 0 after) or sequence (--x-seq). If the file claims a target f (claims.target) exact
    runs of a one-input network show |y_t - f(x)|, next to the claimed bound E(T) when the file has a
    rate table (claims.rate).
    """
    from certify.spec import io

    if exact_flag:
        if backend not in (None, "exact"):
            raise InputError(f"--exact contradicts --backend={backend}")
        backend = "exact"
    if backend is None:
        backend = "numpy" if x_grid is not None else "exact"
    if x_intervals and x_grid is None:
        raise InputError("--x-intervals needs --x-grid N")
    if x_grid is not None and x_text is not None:
        raise InputError("give either --x or --x-grid, not both")
    if x_seq is not None and (x_text is not None or x_grid is not None or start_path is not None or tmnu):
        raise InputError("--x-seq gives the whole input: drop --x, --x-grid, --start and --tmnu")
    exact_one = backend == "exact" and x_grid is None
    if json_out is not None and (not exact_one or tmnu or start_path is not None):
        raise InputError("--json writes the exact outputs of one run: use it with --x or --x-seq and the exact "
                         "backend, without --x-grid, --tmnu or --start")
    f = io.read(weights, read_hints())
    if start_path is not None:
        if backend != "exact" or x_grid is not None:
            raise InputError("--start works with exact runs of one input (--x or the witness's x)")
        return _replay(f, start_path, x_text, steps or 1000)
    if x_seq is not None:
        if backend != "exact":
            raise InputError(f"--x-seq runs exactly; --backend={backend} runs constant inputs over a grid")
        return _run_general(f, None, x_seq, steps, samples, json_out)
    if exact_one and not tmnu:
        return _run_general(f, x_text, None, steps, samples, json_out)
    if exact_one:
        return _run_exact(f, x_text or "0", steps or 1000, samples, tmnu)
    if tmnu:
        raise InputError("--tmnu works with one exact --x only")
    _require_interval_engine(f, backend, x_grid)
    return _run_batch(f, x_text, x_grid, x_intervals, steps or 1000, backend, prec, no_split, out_path, samples)


def _require_interval_engine(f, backend: str, x_grid: int | None) -> None:
    """The batch engines run any network (stacked, P/Q, every activation; tanh and sigmoid in balls only) of one
    input under constant or impulse input: refuse anything else."""
    what = f"--backend {backend}" + (" with --x-grid" if x_grid is not None else "")
    if f.network.input_dim != 1:
        raise InputError(f"{what} runs one-input networks; this one has input_dim={f.network.input_dim}: "
                         "use --exact --x with every component")
    if f.input.kind not in ("constant", "impulse"):
        raise InputError(f"{what} runs constant and impulse inputs; this file's input.kind is {f.input.kind!r}: "
                         "use --exact --x-seq")


def _run_general(f, x_text: str | None, x_seq: str | None, steps: int | None, samples: int,
                 json_out: str | None) -> int:
    """One exact run of any piecewise-linear network under the file's input convention."""
    from certify.execute.exact import sample_times
    from certify.execute.exact_outputs import exact_outputs, inputs, require_exact, run_document
    from certify.jsonio import dumps
    from certify.spec.digest import content_sha256
    from certify.spec.run_input import check_x, parse_x, parse_x_seq, sequence_x

    net, spec = f.network, f.input
    require_exact(net)
    xs: tuple | None = None
    if x_seq is not None:
        xs = parse_x_seq(x_seq, net.input_dim)
        x = sequence_x(xs, spec)
        if steps is not None and steps != len(xs):
            raise InputError(f"--steps={steps} contradicts --x-seq, which gives {len(xs)} inputs")
        steps = len(xs)
        if spec.kind != "sequence":
            xs = None  # consistent with the file's convention: record its x
    else:
        if spec.kind == "sequence":
            raise InputError("input.kind='sequence': give x_1 … x_T with --x-seq (a JSON list of input vectors)")
        if x_text is None and net.input_dim != 1:
            raise InputError(f"--x is required for a network with input_dim={net.input_dim}: give every component, "
                             "comma-separated")
        x = parse_x(x_text if x_text is not None else "0", net.input_dim)
        check_x(x, spec)
        steps = steps or 1000
    times = set(sample_times(steps, samples))
    drive = iter(xs) if xs is not None else inputs(spec.kind, x, steps)
    with progress(steps, "running exactly") as bar:
        task = bar.add_task("run", total=steps)
        tick = lambda t: bar.update(task, completed=t) if t % 256 == 0 else None  # noqa: E731
        rows = exact_outputs(net, drive, keep=None if json_out is not None else times.__contains__, progress=tick)
    if json_out is not None:
        text = dumps(run_document(f.name, spec.kind, None if xs is not None else x, xs, rows, content_sha256(f)))
        if json_out == "-":
            click.echo(text, nl=False)
            return 0
        Path(json_out).write_text(text)
    shown_x = ", ".join(show(v) for v in x) if xs is None else f"x_1 … x_{steps} given"
    _print_outputs(f, f"{spec.kind} input, x = {shown_x}", [(t, y) for t, y in rows if t in times], steps,
                   x[0] if net.input_dim == 1 and xs is None else None)
    if json_out is not None:
        console.print(f"wrote {json_out} (certify.run/1: y_t exactly for t = 1 … {steps})")
    return 0


def _print_outputs(f, what: str, rows, steps: int, x: fmpq | None) -> None:
    """The sampled exact outputs, with |y_t - f(x)| and the claimed E(t) when the file claims them (one input)."""
    from certify.bounds.rates import claimed_rate, claimed_until
    from certify.expr import approx_at, parse_function, value_at

    target = parse_function(str(f.claims["target"])) if "target" in f.claims and x is not None else None
    rate = claimed_rate(f.claims) if x is not None else []
    until = claimed_until(f.claims) if x is not None else None
    table = Table(title=f"{f.name}: {what}, exact rational rollout of {steps} steps", title_justify="left")
    table.add_column("t", justify="right")
    table.add_column("y_t (exact)")
    table.add_column("y_t (decimal)")
    if target is not None:
        table.add_column(f"|y_t − f(x)|  f = {f.claims['target']}")
    if rate:
        table.add_column("claimed E(t)")
    fx = value_at(target, x) if target is not None and x is not None else None
    for t, y in rows:
        row = [str(t), ", ".join(show(v) for v in y), ", ".join(decimal(v, 12) for v in y)]
        if target is not None and x is not None:
            row.append(sci(abs(y[0] - fx)) if fx is not None else f"≈ {abs(sympy_float(approx_at(target, x)) - y[0])}")
        if rate:
            e = _claimed(rate, t) if until is None or t < until else None
            row.append(sci(e) if e is not None else "—")
        table.add_row(*row)
    console.print(table)


def _run_batch(f, x_text, x_grid, x_intervals, steps, backend, prec, no_split, out_path, samples) -> int:
    from certify.execute.enclosure import Inputs
    from certify.execute.exact import sample_times

    net = f.network
    lo, hi = f.input.domain
    if x_grid is None:
        x = parse_number(x_text or "0", where="--x")
        if not lo <= x <= hi:
            raise InputError(f"--x={x} is outside the file's input domain [{lo}, {hi}]")
        inputs = Inputs.points([x])
    else:
        inputs = Inputs.intervals(lo, hi, x_grid) if x_intervals else Inputs.grid(lo, hi, x_grid)
    if backend == "exact" and not inputs.is_points:
        raise InputError("--backend exact needs points: drop --x-intervals")
    times = sample_times(steps, samples)
    label = {"exact": "running exactly", "arb": f"arb balls, {prec} bits"}.get(backend, f"rigorous float64 ({backend})")
    with progress(steps, label) as bar:
        task = bar.add_task("run", total=steps)

        def tick(t: int) -> None:
            bar.update(task, completed=t)

        enc = _enclose(net, inputs, steps, times, backend, prec, not no_split, tick, f.input.kind)
    _print_enclosures(f.name, enc, steps, backend)
    if out_path:
        enc.save_npz(out_path)
        console.print(f"wrote {out_path}")
    return 0


def _enclose(net, inputs, steps, times, backend, prec, split, tick, kind: str):
    if backend == "arb":
        from certify.execute.balls import rollout_arb

        return rollout_arb(net, inputs, steps, times, prec=prec, split=split, progress=tick, kind=kind)
    if backend == "exact":
        from certify.execute.exact import enclosures_exact

        return enclosures_exact(net, inputs, steps, times, progress=tick, kind=kind)
    from certify.execute.rollout import rollout_intervals

    return rollout_intervals(net, inputs, steps, times, backend=backend, split=split, progress=tick, kind=kind)


def _print_enclosures(name: str, enc, steps: int, backend: str) -> None:
    import numpy as np

    B = enc.inputs.size
    kind = "points" if enc.inputs.is_points else ("x-intervals, affine in x" if enc.gen is not None
                                                  else "x-intervals")
    table = Table(title=f"{name}: {B} inputs ({kind}), {steps} steps, backend {backend}; "
                        f"{enc.exact_units} x-independent units run exactly", title_justify="left")
    table.add_column("t", justify="right")
    table.add_column("widest enclosure", justify="right")
    show_lanes = sorted({0, B // 2, B - 1})
    for j in show_lanes:
        table.add_column(f"y_t, x ∈ [{show(enc.inputs.lo[j])}, {show(enc.inputs.hi[j])}]")
    for i, t in enumerate(enc.times):
        w = 2 * enc.rad[i] + (2 * np.abs(enc.gen[i]) if enc.gen is not None else 0)
        row = [str(t), f"{float(w.max()):.3e}" if w.size else "—"]
        for j in show_lanes:
            if not enc.finite[j]:
                row.append("not finite")
                continue
            m, r = float(enc.mid[i, j, 0]), float(enc.rad[i, j, 0])
            g = f" + {float(enc.gen[i, j, 0]):.6g}·ξ" if enc.gen is not None else ""
            row.append(f"{m:.12g}{g} ± {r:.2e}")
        table.add_row(*row)
    console.print(table)
    finite = bool(enc.finite.all())
    console.print(f"widest enclosure at t={enc.times[-1] if enc.times else steps}: {enc.width():.6e}; "
                  f"every enclosure finite: {'yes' if finite else f'no ({int((~enc.finite).sum())} lanes overflowed)'}"
                  + (f"; exact lanes periodic with period {enc.period}" if enc.period else ""))
    for note in enc.notes:
        console.print(f"note: {note}")


def _run_exact(f, x_text: str, steps: int, samples: int, tmnu: bool) -> int:
    """An exact run of a file with a simulation block, compared with the TMNU interpreter (``--tmnu``)."""
    from certify.bounds.rates import claimed_rate, claimed_until
    from certify.expr import approx_at, parse_function, value_at
    from certify.prove.replay import theorem_run

    net, sim = f.network, f.simulation
    if sim is None:
        raise InputError("--tmnu needs a file with a simulation block")
    x = parse_number(x_text, where="--x")
    lo, hi = f.input.domain
    if not lo <= x <= hi:
        raise InputError(f"--x={x} is outside the file's input domain [{lo}, {hi}]")
    target = parse_function(str(f.claims["target"])) if "target" in f.claims else None
    rate = claimed_rate(f.claims)
    until = claimed_until(f.claims)
    with progress(steps, "running exactly") as bar:
        task = bar.add_task("run", total=steps)
        tick = lambda t: bar.update(task, completed=t) if t % 256 == 0 else None  # noqa: E731
        run = theorem_run(net, sim.map, sim.program, x, steps, samples, tick)
    results: Sequence[tuple[int, list[fmpq] | None, list[fmpq]]] = [(r.t, None, [r.y]) for r in run.rows]
    boundaries = {r.t: (str(r.n) if r.n >= 0 else "—", r.config.state if r.config is not None else
                        ("(prologue)" if r.n < 0 else "(inside a step)"), "✓" if r.problem is None else "✗")
                  for r in run.rows}
    first_problem = run.first_problem
    table = Table(title=f"{f.name}: x = {show(x)}, exact rational rollout of {steps} steps",
                  title_justify="left")
    table.add_column("t", justify="right")
    for col in ("TMNU step", "state ✓/✗"):
        table.add_column(col)
    table.add_column("y_t (exact)")
    table.add_column("y_t (decimal)")
    if target is not None:
        table.add_column(f"|y_t − f(x)|  f = {f.claims['target']}")
    if rate:
        table.add_column("claimed E(t)")
    fx = value_at(target, x) if target is not None else None
    for t, _, y in results:
        n, state, verdict = boundaries[t]
        row = [str(t), n, f"{state} {verdict}", ", ".join(show(v) for v in y), ", ".join(decimal(v, 12) for v in y)]
        if target is not None:
            if fx is not None:
                row.append(sci(abs(y[0] - fx)))
            else:
                err = abs(sympy_float(approx_at(target, x)) - y[0])
                row.append(f"≈ {err}")
        if rate:
            e = _claimed(rate, t) if until is None or t < until else None
            row.append(sci(e) if e is not None else "—")
        table.add_row(*row)
    console.print(table)
    if first_problem is not None:
        console.print(f"the RNN and the TMNU differ: {first_problem}")
        console.print(result_line(Verdict.REFUTED, f"the run from h0 with x = {show(x)} violates the simulation "
                                                   "theorem"))
        return exit_code(Verdict.REFUTED)
    console.print(f"the RNN simulates the TMNU on this run: every readout y_0 … y_{steps} and every step boundary "
                  "h[t0 + c·n] = enc(config_n) compared exactly")
    return 0


def _replay(f, start_path: str, x_text: str | None, steps: int) -> int:
    """Run c RNN steps at a time from an encoded configuration and compare everything with the interpreter."""
    from certify.jsonio import loads
    from certify.jsonio import read as read_json
    from certify.prove.replay import check_start, replay_start
    from certify.prove.witness import read_config

    if f.simulation is None:
        raise InputError("--start needs a file with a simulation block")
    prog, smap = f.simulation.program, f.simulation.map
    if start_path.lstrip().startswith("{"):  # an inline configuration, as `certify check` prints it
        doc = loads(start_path, "--start")
    else:
        path = Path(start_path)
        if not path.is_file():
            raise InputError(f"--start {start_path}: no such file")
        doc = read_json(path, "--start file")
    config = read_config(prog, doc.get("config", doc) if isinstance(doc, dict) else doc, start_path)
    x_given = x_text if x_text is not None else (doc.get("x", "0") if isinstance(doc, dict) else "0")
    x = parse_number(x_given, where="--x")
    check_start(prog, config, x, f.input.domain)
    rep = replay_start(f.network, smap, prog, config, x, max(1, steps // smap.c))
    table = Table(title=f"{f.name}: replay from {start_path}, x = {show(x)}", title_justify="left")
    for col in ("RNN step", "TMNU step", "interpreter state", "y (RNN)", "y (TMNU)", "compared"):
        table.add_column(col)
    for r in rep.rows:
        j = (r.t - 1) % smap.c + 1
        where = str(r.n) if r.config is not None else f"{r.n}+{j}/{smap.c}"
        state = r.config.state if r.config is not None else ""
        table.add_row(str(r.t), where, state, show(r.y), show(r.expected),
                      "✓ readout and h = enc(config)" if r.problem is None and r.config is not None else
                      "✓" if r.problem is None else f"✗ {r.problem}")
    console.print(table)
    if rep.first_problem is not None:
        console.print(f"the RNN and the TMNU differ {rep.first_problem}: the witness replays")
        console.print(result_line(Verdict.REFUTED, "the replay violates the simulation theorem"))
        return exit_code(Verdict.REFUTED)
    console.print("the RNN simulates the TMNU on this run (every readout and every step boundary compared)")
    return 0


def sympy_float(v) -> fmpq:  # display only: a 30-digit decimal of f(x), as a rational
    return parse_number(str(v))


def _claimed(rate: list[tuple[int, fmpq]], t: int) -> fmpq | None:
    best = None
    for T, e in rate:
        if t >= T:
            best = e
    return best
