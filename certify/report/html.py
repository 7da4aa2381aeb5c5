"""Render a report as one self-contained HTML page: inline CSS, inline SVG plots, no scripts.

The page loads nothing: a Content-Security-Policy (``default-src 'none'``) forbids every network
request and every script, so a browser shows exactly what is in the file. The verdict comes first,
in plain words; then what failed (with witnesses and replay commands), the construction, the
obligations, the static claims, the precision table, error against runtime, and the plots.

>>> from certify.report.model import Report
>>> from certify.verdict import Verdict
>>> page = render(Report(name="demo", weights_file="demo.rnn.json", weights_sha256="ab" * 32,
...                      certificate_file=None, verdict=Verdict.PROVED, simulation_checked=False,
...                      headline="Only the 1 static claim was checked, and it holds."), plots={})
>>> page.startswith("<!DOCTYPE html>") and 'id="verdict"' in page and "<script" not in page
True
"""

from __future__ import annotations

import json
from collections.abc import Collection
from html import escape

from certify import __version__
from certify.report import sentences
from certify.report.model import Report, Section
from certify.report.plots import CAPTIONS
from certify.report.sentences import approx
from certify.verdict import Verdict

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_CSS = """
body{font:15px/1.5 "DejaVu Sans",system-ui,sans-serif;max-width:1040px;margin:24px auto;padding:0 20px;color:#1b1b1b}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:30px 0 8px;border-bottom:1px solid #ddd}
.sub{color:#555;margin:0 0 14px;font-size:13px;word-break:break-all}
.verdict{padding:14px 18px;border-radius:6px;border-left:8px solid;font-size:17px}
.PROVED{background:#e9f6ec;border-color:#2a8f3c}.REFUTED{background:#fbe9e7;border-color:#c0392b}
.UNKNOWN{background:#fff6dd;border-color:#d59a00}
.badge{font-weight:bold;letter-spacing:.04em}
td.v{font-weight:bold}td.v-PROVED{color:#2a8f3c}td.v-REFUTED{color:#c0392b}td.v-UNKNOWN{color:#a87700}
table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}
th,td{border:1px solid #d8d8d8;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font-family:"DejaVu Sans Mono",monospace;font-size:12.5px}
pre{background:#f6f6f6;padding:8px 10px;overflow-x:auto;border-radius:4px}
figure{margin:12px 0 22px}figure svg{max-width:100%;height:auto}figcaption{color:#444;font-size:13px}
.muted{color:#666}details summary{cursor:pointer;margin:6px 0}
"""


def _e(v: object) -> str:
    return escape(str(v), quote=True)


def _num(text: str) -> str:
    """An exact number, with a display decimal beside it when the exact text is not already plain."""
    shown = approx(text)
    code = f"<code>{_e(text)}</code>"
    return code if shown == text else f"{code} <span class=muted>{_e(shown)}</span>"


def _approx(text: str) -> str:
    """A measured value that is itself a decimal approximation (f(x) was not rational): 4 digits, marked ≈."""
    shown = approx(text)
    return _e(shown if shown.startswith("≈") else f"≈ {shown}")


def _table(head: list[str], rows: list[list[str]], numeric: Collection[int] = frozenset()) -> str:
    """``rows`` hold ready HTML cells; a cell starting with ``\\0V`` is a verdict cell."""
    out = ["<table><thead><tr>", *(f"<th>{_e(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for row in rows:
        out.append("<tr>")
        for i, cell in enumerate(row):
            if cell.startswith("\0V"):
                v = cell[2:]
                out.append(f'<td class="v v-{v}">{v}</td>')
            else:
                out.append(f'<td class="n">{cell}</td>' if i in numeric else f"<td>{cell}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _v(v: Verdict) -> str:
    return "\0V" + v.value


def _section(r: Report, title: str, ident: str, body: str) -> str:
    return f'<section id="{ident}"><h2>{_e(title)}</h2>\n{body}</section>\n'


def _failures(r: Report) -> str:
    if not r.failures:
        return ""
    parts = []
    for k, f in enumerate(r.failures, 1):
        parts.append(f'<h3 id="failure-{k}"><code>{_e(f.id)}</code> — {f.verdict.value}</h3><p>{_e(f.reason)}</p>')
        if f.witness:
            parts.append("<p>Witness (replayed in exact arithmetic before it was reported):</p>"
                         f"<pre>{_e(json.dumps(f.witness, indent=1, ensure_ascii=False))}</pre>")
        if f.replay:
            parts.append(f"<p>Replay it:</p><pre>{_e(f.replay)}</pre>")
    return _section(r, "What failed", "failures", "\n".join(parts))


def _construction(r: Report) -> str:
    c = r.construction
    if c is None:
        return ""
    rows = [["hidden dimension", str(c.hidden_dim)],
            ["input / output dimension", f"{c.input_dim} / {c.output_dim}"],
            ["largest |weight|", f"{_num(c.weight_abs_max)} at <code>{_e(c.weight_abs_at)}</code>"],
            ["largest bit size", f"{c.weight_bits_max} bits (numerator or denominator of "
                                 f"<code>{_e(c.weight_bits_at)}</code>)"],
            ["nonzero weights", f"{c.nonzeros} ({c.nonzeros_hh} in W_hh), {c.distinct_weights} distinct values"],
            ["input", f"{_e(c.input_kind)}: {_e(_KIND.get(c.input_kind, ''))}, x ∈ "
                      + (_e(c.input_box) if c.input_box else f"[{_e(c.input_domain[0])}, {_e(c.input_domain[1])}]")]]
    s = c.simulation
    if s is None:
        rows.append(["simulation", "none: this file has no TMNU program, only static claims apply"])
    else:
        rows += [["simulates", f"TMNU <code>{_e(s.program)}</code>: {s.states} states, {s.transitions} transitions, "
                               f"{s.ops} neural ops"],
                 ["RNN steps per TMNU step", f"c = {s.c} (prologue t0 = {s.t0}): h[t0 + c·n] encodes TMNU step n"],
                 ["hidden dimension formula", f"{s.hidden_dim_formula} (from the program's counts)"],
                 ["stacks", f"{len(s.stacks)}: " + (", ".join(
                     f"<code>{_e(x.name)}</code> (alphabet {_e(' '.join(x.alphabet))}, base {x.base}, initial "
                     f"length {x.initial_length})" for x in s.stacks) or "none")],
                 ["registers", f"{len(s.registers)}: " + ", ".join(
                     f"<code>{_e(x.name)}</code> ∈ [{_e(x.lo)}, {_e(x.hi)}] ({_e(x.role)}"
                     + (", output" if x.output else "") + ")" for x in s.registers)]]
    return _section(r, "Construction", "construction",
                    "<table><tbody>" + "".join(f"<tr><th>{_e(a)}</th><td>{b}</td></tr>" for a, b in rows)
                    + "</tbody></table>")


def _obligations(r: Report) -> str:
    counts = _table(["kind", "PROVED", "REFUTED", "UNKNOWN"],
                    [[_e(k), str(p), str(f), str(u)] for k, p, f, u in r.counts], numeric={1, 2, 3})
    head = ["obligation", "case", "method", "verdict"] + (["time"] if r.timings else []) + ["reason / SMT-LIB file"]
    rows = []
    for o in r.obligations:
        row = [f"<code>{_e(o.id)}</code>", _e(o.case), _e(o.method), _v(o.verdict)]
        if r.timings:
            row.append("—" if o.seconds is None else f"{o.seconds * 1000:.1f} ms")
        row.append(_e(o.reason) if o.reason else (f"<code>{_e(o.smt)}</code>" if o.smt else ""))
        rows.append(row)
    table = _table(head, rows, numeric={4} if r.timings else set())
    when = "" if r.timings else ("<p class=muted>Times are left out of this report so that it is reproducible byte "
                                 "for byte; <code>certify report</code> shows them when the certificate's "
                                 "<code>*.timings.json</code> is present.</p>")
    note = f"<p>Note: {_e(r.note)}</p>" if r.note else ""
    body = (f"{counts}{note}{when}<details{' open' if len(r.obligations) <= 40 else ''}><summary>All "
            f"{len(r.obligations)} obligations and claims</summary>{table}</details>")
    return _section(r, "Obligations", "obligations", body)


def _claims(r: Report) -> str:
    if not r.claims:
        return _section(r, "Static claims", "claims", "<p>The file makes no static claims.</p>")
    rows = [[f"<code>{_e(c.key)}</code>", _e(c.meaning), _num(c.claimed) if c.claimed else "", _e(c.measured),
             _v(c.verdict)] for c in r.claims]
    return _section(r, "Static claims against measured values", "claims",
                    _table(["claim", "what it bounds", "claimed ≤", "measured", "verdict"], rows))


def _analysis(s: Section) -> str:
    """The body of an optional analysis: its table, or "Not computed" with the reason."""
    if s.status != "computed":
        return f"<p><strong>Not computed</strong>: {_e(s.reason)}.</p>"
    return (f"<p>{_e(s.reason)}</p>" if s.reason else "") + _table(
        list(s.table.columns), [[_e(c) for c in row] for row in s.table.rows])


def _rates(r: Report, plots: dict[str, str]) -> str:
    rt = r.rates
    if not (rt.claimed or rt.measured or rt.certified_points or rt.certified.status == "computed"):
        return _section(r, "Error against runtime", "rate",
                        "<p>The file claims no error rate (no <code>claims.rate</code>), so there is nothing to "
                        "plot.</p>")
    measured = {p.T: p for p in rt.measured}
    checks = {c.T: c for c in rt.checks}
    rows = []
    for p in rt.claimed:
        m, c = measured.get(p.T), checks.get(p.T)
        rows.append([str(p.T), _num(p.E), _v(c.verdict) if c else "<span class=muted>not checked</span>",
                     (_num(m.E) if m.exact else _approx(m.E)) + f" at x = {_e(m.at)}"
                     if m else "<span class=muted>not measured</span>"])
    body = (f"<p>Target f(x) = <code>{_e(rt.target)}</code>. " if rt.target else "<p>") + (
        f"Measured errors are exact errors |y_T(x) − f(x)| at {len(rt.sample_inputs)} sample inputs "
        f"({_e(', '.join(rt.sample_inputs))}): lower bounds on the sup-norm error, not certificates.</p>")
    if rt.note:
        body += f"<p class=muted>{_e(rt.note)}.</p>"
    body += _figure("rate", plots)
    body += _table(["T", "claimed E(T)", "certify rates", "largest measured error"], rows, numeric={0})
    bad = [c for c in rt.checks if c.verdict is not Verdict.PROVED]
    if bad:
        body += "<ul>" + "".join(f"<li>T = {c.T}: <strong>{c.verdict.value}</strong> — {_e(c.reason)}</li>"
                                 for c in bad) + "</ul>"
    body += f'<h3 id="certified-rates">Certified rates</h3>{_analysis(rt.certified)}'
    return _section(r, "Error against runtime", "rate", body)


def _figure(name: str, plots: dict[str, str]) -> str:
    if name not in plots:
        return ""
    return f'<figure id="plot-{name}">{plots[name]}<figcaption>{_e(CAPTIONS[name])}</figcaption></figure>\n'


def _provenance(r: Report) -> str:
    rows = [["weights", f"<code>{_e(r.weights_file)}</code>"], ["sha256", f"<code>{_e(r.weights_sha256)}</code>"],
            ["certificate", f"<code>{_e(r.certificate_file)}</code>" if r.certificate_file else
             "computed for this report (not saved)"],
            ["report", f"certify {__version__}, format certify.report/1"]]
    cmds = "".join(f"<tr><th>{_e(k)}</th><td><code>{_e(c)}</code></td></tr>" for k, c in r.commands)
    return _section(r, "Reproduce", "provenance",
                    "<table><tbody>" + "".join(f"<tr><th>{a}</th><td>{b}</td></tr>" for a, b in rows) + cmds
                    + "</tbody></table>")


#: The neutral box of a file that claims nothing (added to the style only on such a page).
_NOTHING_CSS = ".NOTHING{background:#edf1f6;border-color:#5d7595}\n"
#: Each input convention in words.
_KIND = {"constant": "x_t = x for every t ≥ 1", "impulse": "x_1 = x, x_t = 0 for t ≥ 2",
         "sequence": "x_1, x_2, … given step by step"}


def render(r: Report, plots: dict[str, str], generator: str = "") -> str:
    """The whole page. ``plots`` maps plot names to inline SVG (see :func:`certify.report.plots.all_plots`)."""
    badge = sentences.badge(r.verdict, r.simulation_checked, len(r.obligations))
    box = sentences.box_class(r.verdict, r.simulation_checked, len(r.obligations))
    style = _CSS + (_NOTHING_CSS if box == "NOTHING" else "")
    gen = generator or f"certify {__version__}"
    head = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="generator" content="{_e(gen)}">\n'
            f"<title>{_e(r.name)}: {_e(badge)} — certify proof report</title>\n<style>{style}</style></head>\n<body>\n")
    top = (f"<header><h1>{_e(r.name)}</h1><p class=sub>certify proof report · <code>{_e(r.weights_file)}</code> · "
           f"sha256 <code>{_e(r.weights_sha256[:16])}…</code></p>\n"
           f'<p id="verdict" class="verdict {box}"><span class="badge">{_e(badge)}.</span> '
           f"{_e(r.headline)}</p></header>\n")
    plots_html = "".join(_figure(n, plots) for n in ("sparsity", "trajectory"))
    body = [top, _failures(r), _construction(r), _obligations(r), _claims(r),
            _section(r, "Precision", "precision", _analysis(r.precision)), _rates(r, plots),
            _section(r, "Weights and a sampled trajectory", "plots", plots_html) if plots_html else "",
            _provenance(r)]
    return head + "".join(body) + "</body></html>\n"
