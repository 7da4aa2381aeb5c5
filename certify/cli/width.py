"""`certify width`: the minimal widths of deep narrow RNNs (Song–Hwang–Lee–Kang), or a file's width against them."""

from __future__ import annotations

import json

import click
from rich.table import Table

from certify.cli.app import IntRange, cli, console
from certify.deep.width import ACTIVATIONS, CELLS, TARGETS, VERSIONS
from certify.errors import InputError
from certify.verdict import Verdict, exit_code, result_line


@cli.command("width")
@click.argument("weights", required=False, type=click.Path(dir_okay=False))
@click.option("--dx", type=IntRange(1, 10**6), default=None, help="Input dimension d_x (not with a FILE).")
@click.option("--dy", type=IntRange(1, 10**6), default=None, help="Output dimension d_y (not with a FILE).")
@click.option("--activation", type=click.Choice(ACTIVATIONS), default="relu", show_default=True,
              help="ReLU; tanh (class 1: sigma(z0) = 0); sigmoid (class 2). A FILE's own activation is used instead.")
@click.option("--target", type=click.Choice(TARGETS), default=None,
              help="Target class (default continuous; with a FILE: its claims.width_target, else continuous).")
@click.option("--cell", type=click.Choice(CELLS), default="rnn", show_default=True, help="Cell type.")
@click.option("--version", "version", type=click.Choice(VERSIONS), default="jmlr", show_default=True,
              help="Which version of the paper: JMLR 2023 (= arXiv v2) or the arXiv v1 abstract.")
@click.option("--table", "whole", is_flag=True, help="Every row (cell x target x activation) for --dx, --dy.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON {width, theorem, version, ...} on stdout.")
def width_cmd(weights: str | None, dx: int | None, dy: int | None, activation: str, target: str | None, cell: str,
              version: str, whole: bool, as_json: bool) -> int:
    """The width a deep narrow RNN needs to be universal (Table 1 of Song, Hwang, Lee, Kang, JMLR 2023), with its
    theorem; or, given a weight FILE, its measured width (largest layer) against the bound for its activation and
    target class. Exit 0 when a bound is stated (and the FILE meets it), 10 when the FILE exceeds it, 20 where
    the transcribed paper states no bound."""
    from certify.deep.width import bound, file_width, table

    if weights is not None:
        if dx is not None or dy is not None or whole:
            raise InputError("with a FILE, d_x and d_y are the network's: drop --dx, --dy and --table")
        return _file(weights, target, version, as_json, file_width)
    if dx is None or dy is None:
        raise InputError("give --dx and --dy (or a weight FILE)")
    if whole:
        rows = table(dx, dy, version)
        if as_json:
            console.print(json.dumps([r.as_json() for r in rows], indent=1))
        else:
            t = Table(title=f"width bounds, d_x = {dx}, d_y = {dy} ({version})", title_justify="left")
            for col in ("cell", "target", "activation", "width", "theorem"):
                t.add_column(col)
            for r in rows:
                t.add_row(r.cell, r.target, r.activation, "—" if r.width is None else str(r.width), r.theorem)
            console.print(t)
            console.print("— : the transcribed paper states no bound for this row (--json gives each row's note)")
        return 0
    row = bound(dx, dy, activation, target or "continuous", cell, version)
    if as_json:
        console.print(json.dumps(row.as_json()))
    elif row.width is None:
        console.print(f"no bound: {row.note}")
    else:
        console.print(f"width <= {row.width}  ({row.formula}; {row.theorem}, {version})"
                      + (f"\n  note: {row.note}" if row.note else ""))
    return 0 if row.width is not None else exit_code(Verdict.UNKNOWN)


def _file(weights: str, target: str | None, version: str, as_json: bool, file_width) -> int:  # noqa: ANN001
    from certify.spec import io

    f = io.read(weights)
    claimed = f.claims.get("width_target")
    if target is None and claimed is not None:
        if claimed not in TARGETS:
            raise InputError(f"claims.width_target={claimed!r} is not one of {', '.join(TARGETS)}")
        target = str(claimed)
    fw = file_width(f.network, target or "continuous", version)
    b = fw.bound
    verdict = Verdict.UNKNOWN if fw.meets is None else Verdict.PROVED if fw.meets else Verdict.REFUTED
    name = f.name or weights
    if as_json:
        console.print(json.dumps({"measured": fw.measured, "meets": fw.meets, **b.as_json()}))
    else:
        console.print(f"{name}: width {fw.measured} (depth {f.network.depth}, d_x = {b.dx}, d_y = {b.dy}, "
                      f"{b.activation}, target {b.target})")
        console.print(f"  bound: {'none stated' if b.width is None else b.width}"
                      + (f" ({b.formula}; {b.theorem}, {version})" if b.width is not None else f": {b.note}"))
    if fw.meets is None:
        detail = f"no {version} bound for {b.activation} / {b.target}"
    else:
        detail = f"width {fw.measured} {'<=' if fw.meets else '>'} {b.width} ({b.theorem}, {version})"
    console.print(result_line(verdict, name, detail))
    return exit_code(verdict)
