"""`certify equiv`: prove a piecewise-linear network equal to a deep-narrow target on K^N (or refute it)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table

from certify.cli.app import cli, console
from certify.cli.options import rlimit_option, timeout_option
from certify.verdict import exit_code, result_line


@cli.command("equiv")
@click.argument("weights", type=click.Path(dir_okay=False))
@click.argument("target", type=click.Path(dir_okay=False))
@timeout_option
@rlimit_option
@click.option("--json-out", "json_out", type=click.Path(dir_okay=False), default=None,
              help="Also write the result (certify.deep-equivalence/1, witnesses exact) to this file.")
def equiv_cmd(weights: str, target: str, timeout: float, rlimit: int | None, json_out: str | None) -> int:
    """Prove that the network in WEIGHTS outputs exactly the TARGET's f[t] (a certify.deep-target/1 file) at every
    t it gives, for every input sequence in K^N: exact composition, else z3; a difference is REFUTED with an
    input sequence replayed exactly. Exit 0 PROVED, 10 REFUTED, 20 UNKNOWN."""
    from certify.deep.equivalence import prove_equal
    from certify.deep.target import read_target
    from certify.spec import io

    f = io.read(weights)
    tg = read_target(target)
    if f.input.kind != "sequence":
        console.print(f"note: {weights} declares input.kind={f.input.kind}; certify equiv drives it with the sequence "
                      f"x_1 … x_{tg.N} over the target's K^{tg.N}")
    elif f.input.domains != tg.domain and f.input.dim == tg.dx:
        console.print(f"note: {weights} declares the domain {f.input.describe_domain()}; the proof is over the "
                      f"target's K = {' x '.join(f'[{lo}, {hi}]' for lo, hi in tg.domain)}")
    eq = prove_equal(f.network, tg, timeout=timeout, rlimit=rlimit)
    t = Table(title=f"{f.name or weights} = {tg.name} on K^{tg.N}", title_justify="left")
    for col in ("t", "verdict", "method", "seconds", "evidence"):
        t.add_column(col)
    for r in eq.results:
        evidence = r.reason
        if r.witness:
            evidence += "; witness x = " + json.dumps([[str(v) for v in x] for x in r.witness])
        t.add_row(str(r.t), r.verdict.value, r.method, f"{r.seconds:.3f}", evidence)
    console.print(t)
    if json_out:
        Path(json_out).write_text(json.dumps(eq.as_json(), indent=1) + "\n")
        console.print(f"wrote {json_out}")
    n = {v: sum(1 for r in eq.results if r.verdict.value == v) for v in ("PROVED", "REFUTED", "UNKNOWN")}
    console.print(result_line(eq.verdict, f.name or weights,
                              f"y_t = f[t] on K^{tg.N} for t in {list(tg.times)}: {n['PROVED']} proved, "
                              f"{n['REFUTED']} refuted, {n['UNKNOWN']} unknown (depth {f.network.depth}, width "
                              f"{f.network.width}, {eq.seconds:.2f} s)"))
    return exit_code(eq.verdict)
