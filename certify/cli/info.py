"""`certify info`: summarize a weight file."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from certify.cli.app import cli, console, show
from certify.cli.options import read_hints, weight_hints_options
from certify.spec.digest import content_sha256


def file_format(path: str, f) -> str:
    """The file's format: its format id for JSON files, else what its suffix says."""
    from certify.spec.json_format import format_of

    if path.lower().endswith(".json"):
        return format_of(f)
    return Path(path).suffix.lstrip(".") or "unknown"


@cli.command("info")
@click.argument("weights", type=click.Path(dir_okay=False))
@weight_hints_options
def info_cmd(weights: str) -> int:
    """Summarize a weight file: format, layers (activation and width of each), P and Q, the input convention,
    weights, claims, and its simulation map when it has one."""
    from certify.spec import io
    from certify.spec.measure import weight_stats

    f = io.read(weights, read_hints())
    net = f.network
    st = weight_stats(net)
    t = Table(title=f"{f.name or weights}", show_header=False, title_justify="left")
    t.add_row("file", f"{weights}  (content sha256 {content_sha256(f)[:16]}…)")
    t.add_row("format", file_format(weights, f))
    t.add_row("network", net.describe())
    for k, layer in enumerate(net.layers):
        t.add_row(f"layer {k}", (f"residual cell, dt {layer.dt}, " if layer.residual else "")
                  + f"activation {layer.activation}, width {layer.hidden_dim}, "
                                f"input {layer.input_dim}, {layer.W_hh.nnz} nonzero in W_hh")
    for name, mat in (("P (lifting)", net.P), ("Q (projection)", net.Q)):
        if mat is not None:
            t.add_row(name, f"{mat.shape[0]}×{mat.shape[1]} ({mat.shape[1]} → {mat.shape[0]})")
    t.add_row("dimensions", f"input {net.input_dim}, output {net.output_dim}, state {net.state_dim} "
                            f"(width {net.width}, depth {net.depth})")
    t.add_row("weights", f"{st.nonzeros} nonzero, {st.distinct} distinct values")
    t.add_row("max |weight|", f"{show(st.max_abs)}  (at {st.max_abs_at})" if st.nonzeros else "0")
    t.add_row("max bits", f"{st.max_bits} (numerator/denominator of {st.max_bits_at})" if st.nonzeros else "0")
    h0_nz = [v for v in net.h0 if v != 0]
    t.add_row("h0", f"{len(h0_nz)} nonzero entries, largest {max((len(str(v)) for v in h0_nz), default=0)} chars")
    t.add_row("input", f.input.describe())
    for note in f.notes:  # where a reader took what the file does not record (docs/formats.md)
        t.add_row("read as", note)
    if f.simulation is None:
        t.add_row("simulation", "none (no TMNU program: certify check decides the static claims only"
                                + ("" if f.claims else "; this file claims nothing") + ")")
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
    t.add_row("claims", ", ".join(sorted(f.claims)) if f.claims else "none")
    console.print(t)
    return 0


