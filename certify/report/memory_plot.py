"""``certify memory``'s plot in the report's style: the certified band [lower, upper] of 𝓜(t) on a log-y
axis, the decay bound C·e^(−βt) when proved, and the paper code's one-sample estimate beside it.

Values are drawn as floats (display only: the exact bounds are in the ``certify.memory/1`` JSON).
"""

from __future__ import annotations

import math
from typing import Any

from certify.report.plots import _figure


def _f(v: Any) -> float | None:
    if v is None:
        return None
    if isinstance(v, int):
        return float(v)
    num, _, den = str(v).partition("/")
    return int(num) / int(den or 1)


def memory_plot(doc: dict[str, Any], path: str) -> None:
    """Write the plot of a ``certify.memory/1`` document to ``path`` (PNG, SVG or PDF by its extension)."""
    rows = doc["rows"]
    ts = [r["t"] for r in rows]
    up = [_f(r["upper"]) for r in rows]
    lo = [_f(r["lower"]) for r in rows]
    with _figure(6.4, 3.6) as (fig, ax):
        band = [(t, low, u) for t, low, u in zip(ts, lo, up, strict=True) if u is not None and u > 0]
        if band:
            floor = min(u for _, _, u in band) * 1e-3
            ax.fill_between([t for t, _, _ in band], [max(low or 0.0, floor) for _, low, _ in band],
                            [u for _, _, u in band], step="mid", color="#2a8f3c", alpha=0.25, lw=0,
                            label="certified band [lower, upper]")
            ax.step([t for t, _, _ in band], [u for _, _, u in band], where="mid", color="#2a8f3c", lw=1.2,
                    label="certified upper bound")
        pos = [(t, low) for t, low in zip(ts, lo, strict=True) if low is not None and low > 0]
        if pos:
            ax.plot([t for t, _ in pos], [v for _, v in pos], ".", color="#1f4e9c", ms=3,
                    label="certified lower bound (witness x)")
        sample = doc.get("sampled")
        if sample:
            pts = [(t, v) for t, v in zip(ts, sample["values"], strict=True) if v > 0]
            ax.plot([t for t, _ in pts], [v for _, v in pts], "x", color="#b5472b", ms=4,
                    label="paper code's estimate (one random x)")
        dec = doc.get("decay")
        if dec and dec.get("verdict") == "PROVED" and dec.get("C") is not None:
            c, b = _f(dec["C"]), _f(dec["beta"])
            assert c is not None and b is not None
            ax.plot(ts, [c * math.exp(-b * t) for t in ts], color="#7a5195", lw=1.0, ls="--",
                    label=f"proved C·e^(−βt), C = {c:.4g}, β = {b:.4g}")
        ax.set_yscale("log")
        ax.set_xlabel("t")
        conv = doc["conventions"]
        ax.set_ylabel(f"memory M(t), norm {conv['norm']}")
        ax.set_title(f"{doc['name']}: memory function, {conv['input']} input")
        ax.grid(True, which="major", lw=0.4, alpha=0.5)
        ax.legend(loc="lower left", fontsize=7, frameon=False)
        fig.savefig(path, metadata={"Date": None, "Creator": None} if path.endswith(".svg") else None,
                    bbox_inches="tight")
