"""The ``certify`` command line. It only wires modules together and maps results to exit codes.

Exit codes (DESIGN §8): 0 all PROVED / success · 10 something REFUTED · 20 something UNKNOWN ·
2 bad input or usage · 1 internal error.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import click
from flint import fmpq
from rich.console import Console
from rich.table import Table

from certify import __version__
from certify.errors import CertifyError, InputError
from certify.rational import decimal, parse_number

console = Console(highlight=False, markup=False)
err_console = Console(stderr=True, highlight=False, markup=False)


def show(q: fmpq, digits: int = 12) -> str:
    """An exact rational for people: the fraction when short, else its decimal expansion (truncated).

    >>> show(parse_number("1/3")), show(parse_number("123456789/1000000000000000000000000"))
    ('1/3', '≈ 1.234567e-16')
    """
    text = str(q)
    if len(text) <= 22:
        return text
    return f"≈ {decimal(q, digits)}"


def sci(q: fmpq) -> str:
    """Decimal text of a small nonnegative rational, for error columns."""
    text = str(q)
    return text if len(text) <= 14 else f"≈ {decimal(q, 8)}"


def _progress(total: int, label: str):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=err_console, transient=True, disable=total < 2000)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="certify")
def cli() -> None:
    """certify: exact verification and certified bounds for ReLU RNN constructions.

    \b
    Start with a bundled construction:
      certify compile example:squaring -o squaring.rnn.json
      certify info squaring.rnn.json
      certify run squaring.rnn.json --x 1/3 --steps 100 --exact --tmnu
    """


# --- compile ------------------------------------------------------------------------------------------------
@cli.command("compile")
@click.argument("program")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), required=True,
              help="Weight file to write (certify.rnn/1 JSON, e.g. F.rnn.json).")
def compile_cmd(program: str, output: str) -> int:
    """Compile a TMNU PROGRAM into an RNN weight file with its simulation map.

    PROGRAM is example:NAME (counter, stack_copy, squaring), a Python file defining `program`,
    or a JSON program (*.json).
    """
    from certify.compiler.tmnu_to_rnn import compile_program
    from certify.constructions.examples import EXAMPLE_CLAIMS
    from certify.rnn import io
    from certify.tmnu.load import load_program

    prog = load_program(program)
    compiled = compile_program(prog)
    claims = EXAMPLE_CLAIMS[prog.name]() if program.startswith("example:") and prog.name in EXAMPLE_CLAIMS else {}
    f = io.from_compiled(compiled, claims)
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    io.write(f, output)
    net, sim = compiled.network, compiled.simulation
    console.print(f"compiled {prog.name!r}: {len(prog.states)} states, {len(prog.stacks)} stacks, "
                  f"{len(prog.registers)} registers, {len(prog.ops)} ops, {len(prog.transitions)} transitions")
    console.print(f"  RNN: hidden_dim {net.hidden_dim}, {net.W_hh.nnz} nonzeros in W_hh, "
                  f"c = {sim.c} RNN steps per TMNU step, start step t0 = {sim.t0}")
    console.print(f"  wrote {output} (sha256 {net.sha256()[:16]}…)")
    return 0


# --- info ---------------------------------------------------------------------------------------------------
@cli.command("info")
@click.argument("weights", type=click.Path(dir_okay=False))
def info_cmd(weights: str) -> int:
    """Summarize a weight file: dimensions, weights, and its simulation map."""
    from certify.bounds.static import weight_stats
    from certify.rnn import io

    f = io.read(weights)
    net = f.network
    st = weight_stats(net)
    t = Table(title=f"{f.name or weights}", show_header=False, title_justify="left")
    t.add_row("file", f"{weights}  (sha256 {net.sha256()[:16]}…)")
    t.add_row("dimensions", f"hidden {net.hidden_dim}, input {net.input_dim}, output {net.output_dim}, "
                            f"activation {net.activation}")
    t.add_row("weights", f"{st.nonzeros} nonzero ({net.W_hh.nnz} in W_hh), {st.distinct} distinct values")
    t.add_row("max |weight|", f"{show(st.max_abs)}  (at {st.max_abs_at})" if st.nonzeros else "0")
    t.add_row("max bits", f"{st.max_bits} (numerator/denominator of {st.max_bits_at})" if st.nonzeros else "0")
    h0_nz = [v for v in net.h0 if v != 0]
    t.add_row("h0", f"{len(h0_nz)} nonzero entries, largest {max((len(str(v)) for v in h0_nz), default=0)} chars")
    t.add_row("input", f"{f.input.kind}: x_t = x for every t ≥ 1, x ∈ [{f.input.domain[0]}, {f.input.domain[1]}]")
    if f.simulation is None:
        t.add_row("simulation", "none (this file has no TMNU program; only static checks apply)")
    else:
        p, m = f.simulation.program, f.simulation.map
        t.add_row("simulates", f"TMNU {p.name!r}: {len(p.states)} states, {len(p.transitions)} transitions, "
                               f"{len(p.ops)} ops")
        t.add_row("timing", f"h[t0 + c·n] encodes TMNU step n, c = {m.c}, t0 = {m.t0}")
        for s in p.stacks:
            t.add_row(f"stack {s.name}", f"alphabet {list(s.alphabet)}, base {m.stack_encoding(s.name).base}, "
                                         f"initial length {len(s.initial)}, unit {m.stack_encoding(s.name).unit}")
        for r in p.registers:
            role = "input x" if r.initial is None else f"initial {r.initial}"
            t.add_row(f"register {r.name}", f"[{r.lo}, {r.hi}], {role}, unit {m.register_encoding(r.name).unit}"
                                            + ("  ← output" if r.name == p.output_register else ""))
        roles: dict[str, int] = {}
        for u in m.units:
            roles[u.role] = roles.get(u.role, 0) + 1
        t.add_row("units by role", ", ".join(f"{k} {v}" for k, v in roles.items()))
    if f.claims:
        t.add_row("claims", ", ".join(sorted(f.claims)))
    console.print(t)
    return 0


# --- run ----------------------------------------------------------------------------------------------------
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
    with _progress(steps, "running exactly") as bar:
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


# --- entry point ----------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (bad input → 2 with a one-line message, never a traceback)."""
    try:
        rv = cli.main(args=argv, prog_name="certify", standalone_mode=False)
    except click.exceptions.Exit as e:
        return int(e.exit_code)
    except click.exceptions.Abort:
        err_console.print("aborted")
        return 1
    except click.ClickException as e:
        e.show()
        return 2
    except InputError as e:
        _error_line(e)
        return 2
    except CertifyError as e:
        _error_line(e)
        return 1
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 1
    except Exception as e:  # an internal error: say so plainly, with the traceback for a bug report
        sys.stderr.write(f"internal error: {type(e).__name__}: {e}\n")
        traceback.print_exc(file=sys.stderr)
        return 1
    return int(rv or 0)


def _error_line(e: Exception) -> None:
    """One unwrapped line on stderr, whatever the terminal width."""
    sys.stderr.write(f"error: {' '.join(str(e).split())}\n")
    sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(main())
