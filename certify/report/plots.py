"""The report's plots as deterministic SVG text (matplotlib, Agg backend, no dates, fixed hash salt).

Each function takes the report and returns SVG markup ready to inline in HTML (no XML prolog, and
every ``id`` prefixed so that several plots can share one page), or None when the report has no
data for that plot. The same report gives byte-identical SVG with the same matplotlib version.

>>> from certify.report.model import Report, Sparsity
>>> from certify.verdict import Verdict
>>> r = Report(name="d", weights_file="d.rnn.json", weights_sha256="0" * 64, certificate_file=None,
...            verdict=Verdict.PROVED, simulation_checked=False, headline="",
...            sparsity=Sparsity(2, 4, (("W_hh", 0), ("W_ih", 2), ("b", 3)), ((0, 1),), ((1, 0),)))
>>> svg = sparsity(r)
>>> svg.startswith("<svg") and svg == sparsity(r) and 'id="sparsity-' in svg
True
>>> rate(r) is None and trajectory(r) is None
True
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from flint import fmpq

from certify.bounds.rates import RatesReport
from certify.rational import parse_number
from certify.report.model import Report

#: Plot names, in page order, with the caption each figure gets.
CAPTIONS = {
    "rate": "Error against runtime T (log-log): the claimed bound E(T), the certified bound where computed, and the "
            "largest exact error at the sample inputs (a lower bound on the sup-norm error).",
    "sparsity": "Nonzero weights of [W_hh | W_ih | b]: one row per hidden unit; blue positive, red negative.",
    "trajectory": "Exact rollout y_t at the sample inputs (constant input x), with the target f(x) dashed.",
}

@contextmanager
def _figure(width: float, height: float) -> Iterator:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    # the style stays a literal at the call: matplotlib's stubs type rc_context's keys as a Literal of rc names
    with matplotlib.rc_context({
        "svg.hashsalt": "certify-report",
        "svg.fonttype": "none",
        "font.family": "DejaVu Sans",
        "font.size": 9.0,
        "axes.titlesize": 10.0,
        "figure.dpi": 100.0,
        "path.simplify": True,
    }):
        fig, ax = plt.subplots(figsize=(width, height))
        try:
            yield fig, ax
        finally:
            plt.close(fig)


def _svg(fig, prefix: str) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)  # RDF boilerplate, no information
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", text)
    text = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', text)
    return text.strip() + "\n"


def _float(text: str) -> float:
    """An exact number as a float for plotting only (Python's int division rounds correctly at any size)."""
    q = parse_number(text)
    return int(q.p) / int(q.q)


def rate(r: Report) -> str | None:
    """Log-log error against runtime; None when the file has no rate data at all."""
    rt = r.rates
    series = [(p, "claimed") for p in rt.claimed] + [(p, "certified") for p in rt.certified_points] + \
        [(p, "measured") for p in rt.measured]
    if not series:
        return None
    with _figure(6.4, 3.6) as (fig, ax):
        _rate_axes(ax, [(p.T, _float(p.E)) for p in rt.claimed], [(p.T, _float(p.E)) for p in rt.certified_points],
                   [(p.T, _float(p.E)) for p in rt.measured],
                   f"largest error at {len(rt.sample_inputs)} sample inputs (exact rollout)",
                   f"{r.name}: error against runtime" + (f", f = {rt.target}" if rt.target else ""))
        return _svg(fig, "rate")


def rates_plot(rep: RatesReport, path: str) -> None:
    """``certify rates``' plot in the report's style: the claimed E(T), the certified upper bound of
    sup|y_T - f| per row, the sampled (float64, not a bound) error and, for the universal method, the
    approximation part sup|P_r - f|; written to ``path`` (PNG, SVG or PDF by its extension).

    Values are shown as floats (display only: the exact bounds are in ``certify rates --json``)."""
    rows = [row for row in rep.rows if row.T > 0]
    with _figure(6.4, 3.6) as (fig, ax):
        _rate_axes(ax, [(c.T, _q(c.E)) for c in rep.claims if c.T > 0 and c.E > 0],
                   [(row.T, _q(row.certified)) for row in rows if row.certified is not None],
                   [(row.T, row.sampled) for row in rows if row.sampled is not None],
                   "sampled max |y_T − f| (float64 grid; not a bound)",
                   f"{rep.name}: error against runtime, f = {rep.target[:60]}  [{rep.verdict.value}]",
                   [(row.T, _q(row.approx)) for row in rows if row.approx is not None])
        fig.savefig(path, metadata={"Date": None, "Creator": None} if path.endswith(".svg") else None,
                    bbox_inches="tight")


def _q(q: fmpq) -> float:
    """An exact number as a float, for plotting only."""
    return int(q.p) / int(q.q)


def _rate_axes(ax, claimed: list[tuple[int, float]], certified: list[tuple[int, float]],
               measured: list[tuple[int, float]], measured_label: str, title: str,
               parts: Sequence[tuple[int, float]] = ()) -> None:
    """The one error-against-runtime plot: claimed bound (steps), certified bound (dashed steps), measured
    errors (crosses) and, when given, the approximation part of the bound (small squares)."""
    if claimed:
        ax.step([t for t, _ in claimed], [e for _, e in claimed], where="post", color="#1f4e9c", lw=1.6,
                label="claimed bound E(T)")
        ax.plot([t for t, _ in claimed], [e for _, e in claimed], "o", color="#1f4e9c", ms=3)
    pos = [(t, e) for t, e in certified if e > 0]
    if pos:
        ax.step([t for t, _ in pos], [e for _, e in pos], where="post", color="#2a8f3c", lw=1.2, ls="--",
                label="certified bound (certify rates)")
    pos = [(t, e) for t, e in measured if e > 0]
    if pos:
        ax.plot([t for t, _ in pos], [e for _, e in pos], "x", color="#b5472b", ms=5, label=measured_label)
    pos = [(t, e) for t, e in parts if e > 0]
    if pos:
        ax.plot([t for t, _ in pos], [e for _, e in pos], "s", color="#7a5195", ms=3,
                label="approximation part sup|P_r − f|")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("runtime T (RNN steps)")
    ax.set_ylabel("sup-norm error on the input domain")
    ax.set_title(title)
    ax.grid(True, which="major", lw=0.4, alpha=0.5)
    ax.legend(loc="lower left", fontsize=8, frameon=False)


def sparsity(r: Report) -> str | None:
    """The sparsity pattern of [W_hh | W_ih | b]; None for an empty network."""
    sp = r.sparsity
    if not sp.rows:
        return None
    aspect = sp.rows / max(1, sp.cols)
    width = 6.4
    with _figure(width, max(2.4, min(8.0, width * aspect + 0.8))) as (fig, ax):
        size = max(0.5, min(12.0, 2500.0 / max(1, sp.rows * sp.cols) ** 0.5 / 4))
        for cells, color in ((sp.positive, "#1f4e9c"), (sp.negative, "#c0392b")):
            if cells:
                ax.scatter([j for _, j in cells], [i for i, _ in cells], s=size, marker="s", color=color,
                           linewidths=0)
        for _name, col in sp.blocks[1:]:
            ax.axvline(col - 0.5, color="#888888", lw=0.6)
        ax.set_xlim(-0.5, sp.cols - 0.5)
        ax.set_ylim(sp.rows - 0.5, -0.5)
        ax.set_xticks([col + (nxt - col - 1) / 2 for (_, col), nxt in
                       zip(sp.blocks, [c for _, c in sp.blocks[1:]] + [sp.cols], strict=True)])
        ax.set_xticklabels([name for name, _ in sp.blocks])
        for label in ax.get_xticklabels()[1:]:  # the W_ih and b blocks are narrow
            label.set_rotation(90)
        ax.set_ylabel("hidden unit")
        nnz = len(sp.positive) + len(sp.negative)
        ax.set_title(f"{r.name}: {nnz} nonzeros in W_hh, W_ih, b; {sp.rows} hidden units")
        return _svg(fig, "sparsity")


def trajectory(r: Report) -> str | None:
    """y_t against t for each sample input; None when no rollout was made."""
    tr = r.trajectory
    if not tr.times or not tr.values:
        return None
    import matplotlib

    cmap = matplotlib.colormaps["viridis"]
    with _figure(6.4, 3.4) as (fig, ax):
        k = len(tr.inputs)
        for i, (x, ys) in enumerate(zip(tr.inputs, tr.values, strict=True)):
            color = cmap(i / max(1, k - 1) * 0.9)
            ax.plot(tr.times, [float(y) for y in ys], lw=1.0, color=color, label=f"x = {x}")
            fx = tr.targets[i] if i < len(tr.targets) else None
            if fx is not None:
                ax.axhline(float(fx), color=color, lw=0.8, ls="--")
        ax.set_xlabel("RNN step t")
        ax.set_ylabel("output y_t")
        ax.set_title(f"{r.name}: exact rollout, {tr.times[-1]} steps")
        ax.grid(True, lw=0.4, alpha=0.5)
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7, frameon=False)
        return _svg(fig, "trajectory")


def all_plots(r: Report) -> dict[str, str]:
    """Every plot the report has data for, by name, in page order."""
    out = {}
    for name, make in (("rate", rate), ("sparsity", sparsity), ("trajectory", trajectory)):
        svg = make(r)
        if svg is not None:
            out[name] = svg
    return out
