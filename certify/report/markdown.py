"""Render a report as GitHub-flavoured Markdown; plots are SVG files beside it, linked by name.

>>> from certify.report.model import Report
>>> from certify.verdict import Verdict
>>> md = render(Report(name="demo", weights_file="demo.rnn.json", weights_sha256="ab" * 32,
...                    certificate_file=None, verdict=Verdict.PROVED, simulation_checked=False,
...                    headline="Nothing was proved: no simulation block and no static claims."), images={})
>>> md.splitlines()[0], md.splitlines()[2]
('# demo — certify proof report', '**NOTHING CLAIMED.** Nothing was proved: no simulation block and no static claims.')
"""

from __future__ import annotations

import json

from certify import __version__
from certify.report import sentences
from certify.report.model import Report, Section
from certify.report.plots import CAPTIONS
from certify.report.sentences import approx


def _cell(v: object) -> str:
    return str(v).replace("|", "\\|").replace("\n", " ")


def _num(text: str) -> str:
    shown = approx(text)
    return f"`{text}`" if shown == text else f"`{text}` ({shown})"


def _approx(text: str) -> str:
    shown = approx(text)
    return shown if shown.startswith("≈") else f"≈ {shown}"


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(_cell(h) for h in head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return out + [""]


def _analysis(s: Section) -> list[str]:
    if s.status != "computed":
        return [f"**Not computed**: {s.reason}.", ""]
    return ([s.reason, ""] if s.reason else []) + _table(list(s.table.columns), [list(r) for r in s.table.rows])


def _image(name: str, images: dict[str, str]) -> list[str]:
    if name not in images:
        return []
    return [f"![{name}]({images[name]})", "", f"*{CAPTIONS[name]}*", ""]


def render(r: Report, images: dict[str, str]) -> str:
    """The Markdown text; ``images`` maps plot names to the relative file names of their SVGs."""
    badge = sentences.badge(r.verdict, r.simulation_checked, len(r.obligations))
    out = [f"# {r.name} — certify proof report", "", f"**{badge}.** {r.headline}", "",
           f"Weights `{r.weights_file}` (sha256 `{r.weights_sha256[:16]}…`)"
           + (f", certificate `{r.certificate_file}`." if r.certificate_file else "."), ""]
    if r.failures:
        out += ["## What failed", ""]
        for f in r.failures:
            out += [f"### `{f.id}` — {f.verdict.value}", "", f.reason, ""]
            if f.witness:
                out += ["Witness (replayed in exact arithmetic before it was reported):", "", "```json",
                        json.dumps(f.witness, indent=1, ensure_ascii=False), "```", ""]
            if f.replay:
                out += ["Replay it:", "", "```sh", f.replay, "```", ""]
    c = r.construction
    if c is not None:
        rows = [["hidden dimension", str(c.hidden_dim)],
                ["input / output dimension", f"{c.input_dim} / {c.output_dim}"],
                ["largest |weight|", f"{_num(c.weight_abs_max)} at `{c.weight_abs_at}`"],
                ["largest bit size", f"{c.weight_bits_max} bits (`{c.weight_bits_at}`)"],
                ["nonzero weights", f"{c.nonzeros} ({c.nonzeros_hh} in W_hh), {c.distinct_weights} distinct values"],
                ["input", f"{c.input_kind}: x ∈ " + (c.input_box or f"[{c.input_domain[0]}, {c.input_domain[1]}]")]]
        s = c.simulation
        if s is None:
            rows.append(["simulation", "none: only static claims apply"])
        else:
            rows += [["simulates", f"TMNU `{s.program}`: {s.states} states, {s.transitions} transitions, {s.ops} ops"],
                     ["RNN steps per TMNU step", f"c = {s.c}, prologue t0 = {s.t0}"],
                     ["hidden dimension formula", str(s.hidden_dim_formula)],
                     ["stacks", f"{len(s.stacks)}: " + (", ".join(
                         f"`{x.name}` (base {x.base}, initial length {x.initial_length})" for x in s.stacks)
                                                          or "none")],
                     ["registers", f"{len(s.registers)}: " + ", ".join(
                         f"`{x.name}` ∈ [{x.lo}, {x.hi}]" + (" (output)" if x.output else "") for x in s.registers)]]
        out += ["## Construction", "", *_table(["quantity", "value"], rows)]
    out += ["## Obligations", "", *_table(["kind", "PROVED", "REFUTED", "UNKNOWN"],
                                           [[k, str(p), str(f), str(u)] for k, p, f, u in r.counts])]
    if r.note:
        out += [f"Note: {r.note}", ""]
    head = ["obligation", "case", "method", "verdict"] + (["time"] if r.timings else []) + ["reason / SMT-LIB file"]
    rows = []
    for o in r.obligations:
        row = [f"`{o.id}`", o.case, o.method, f"**{o.verdict.value}**"]
        if r.timings:
            row.append("—" if o.seconds is None else f"{o.seconds * 1000:.1f} ms")
        row.append(o.reason or (f"`{o.smt}`" if o.smt else ""))
        rows.append(row)
    if not r.timings:
        out += ["Times are left out so that this report is reproducible byte for byte.", ""]
    out += [f"<details><summary>All {len(r.obligations)} obligations and claims</summary>", "",
            *_table(head, rows), "</details>", ""]
    out += ["## Static claims", ""]
    out += _table(["claim", "what it bounds", "claimed ≤", "measured", "verdict"],
                  [[f"`{x.key}`", x.meaning, _num(x.claimed) if x.claimed else "", x.measured, f"**{x.verdict.value}**"]
                   for x in r.claims]) if r.claims else ["The file makes no static claims.", ""]
    out += ["## Precision", "", *_analysis(r.precision)]
    out += ["## Error against runtime", ""]
    rt = r.rates
    if rt.claimed or rt.measured or rt.certified_points or rt.certified.status == "computed":
        out += [(f"Target f(x) = `{rt.target}`. " if rt.target else "")
                + f"Measured errors are exact errors at {len(rt.sample_inputs)} sample inputs: lower bounds on the "
                  "sup-norm error, not certificates.", ""]
        if rt.note:
            out += [rt.note + ".", ""]
        out += _image("rate", images)
        measured, checks = {p.T: p for p in rt.measured}, {c.T: c for c in rt.checks}
        out += _table(["T", "claimed E(T)", "certify rates", "largest measured error"], [
            [str(p.T), _num(p.E), f"**{checks[p.T].verdict.value}**" if p.T in checks else "not checked",
             ((_num(measured[p.T].E) if measured[p.T].exact else _approx(measured[p.T].E))
              + f" at x = {measured[p.T].at}") if p.T in measured else "not measured"]
            for p in rt.claimed])
        out += [f"- T = {c.T}: **{c.verdict.value}** — {c.reason}" for c in rt.checks
                if c.verdict.value != "PROVED"] + ([""] if any(c.verdict.value != "PROVED" for c in rt.checks) else [])
        out += ["### Certified rates", "", *_analysis(rt.certified)]
    else:
        out += ["The file claims no error rate (no `claims.rate`).", ""]
    pics = _image("sparsity", images) + _image("trajectory", images)
    if pics:
        out += ["## Weights and a sampled trajectory", "", *pics]
    out += ["## Reproduce", "", "```sh", *(cmd for _, cmd in r.commands), "```", "",
            f"*certify {__version__}, report format certify.report/1.*", ""]
    return "\n".join(out)
