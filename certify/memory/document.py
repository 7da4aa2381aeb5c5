"""The ``certify.memory/1`` JSON document and the paper code's sampled estimate beside it.

Rows hold rationals rounded outward to 12 significant digits (upper rounded up, lower down), so a
row stays a certified bound; ``"exact": true`` when upper = lower before rounding.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from flint import fmpq

from certify.memory.decay import Decay
from certify.memory.forms import Compiled, propagate
from certify.memory.linalg import round_down, round_up
from certify.memory.search import MemoryResult, schedule
from certify.rational import from_float, to_json
from certify.spec.network import Network

FORMAT = "certify.memory/1"

DEFINITIONS = {
    "heaviside": "x_t = x for t >= 1; Delta_t(x) = y_{t+1}(x) - y_t(x), y_0 = W_out h_0 + b_out",
    "impulse": "x_1 = x, x_t = 0 for t >= 2; Delta_t(x) = y_{t+1}(x) - y_{t+1}(0)",
    "reversed": "x_t = x for t <= N (the warm-up), 0 after; Delta_t(x) = y_{N+t+1}(x) - y_{N+t}(x)",
}
NORM_TEXT = {"abs": "M(t) = sup_{x != 0 in box} |Delta_t(x)|_inf / |x|_inf (Def. 3.1)",
             "abs+1": "M(t) = sup_{x != 0 in box} |Delta_t(x)|_inf / (|x|_inf + 1) (the paper's proofs, eqs. 43, 67)"}


def sampled(net: Network, box: Sequence[tuple[fmpq, fmpq]], steps: int, kind: str, warmup: int, norm: str,
            seed: int = 233) -> tuple[list[fmpq], list[float]]:
    """The paper code's estimate: one random x ~ N(0, I) (seed 233, as memoryfunction.py), clipped to the box,
    and |Δ_t(x)|_∞ / (|x|_∞ + s) at that x (lower bounds of 𝓜(t), not upper ones)."""
    rng = random.Random(seed)
    x = [min(max(from_float(rng.gauss(0.0, 1.0)), lo), hi) for lo, hi in box]
    comp = Compiled.of(net)
    sched, a = schedule(kind, steps, warmup)
    forms = propagate(comp, [(v, v) for v in x], sched)
    zero = propagate(comp, [(fmpq(0), fmpq(0))] * len(x), sched) if kind == "impulse" else None
    den = float(max((abs(v) for v in x), default=fmpq(0))) + (1 if norm == "abs+1" else 0)
    out = []
    for t in range(steps + 1):
        if zero is not None:
            vals = [forms[t].y_mid[i, 0] - zero[t].y_mid[i, 0] for i in range(net.output_dim)]
        else:
            vals = [forms[a + t].inc_mid[i, 0] for i in range(net.output_dim)]
        out.append(max(abs(float(v.mid())) for v in vals) / den if den else float("nan"))
    return x, out


def _q(v: fmpq | None) -> Any:
    return None if v is None else to_json(v)


def memory_json(name: str, sha256: str, net: Network, res: MemoryResult, decay: Decay | None,
                sample: tuple[list[fmpq], list[float]] | None) -> dict[str, Any]:
    rows = []
    for r in res.rows:
        row: dict[str, Any] = {"t": r.t, "upper": None if r.upper is None else to_json(round_up(r.upper)),
                               "lower": to_json(round_down(r.lower)),
                               "witness": None if r.witness is None else [to_json(v) for v in r.witness],
                               "exact": r.exact}
        if r.infinite:
            row["infinite"] = True
        rows.append(row)
    doc: dict[str, Any] = {
        "format": FORMAT, "name": name, "weights_sha256": sha256, "network": net.describe(),
        "conventions": {"input": res.input, "definition": DEFINITIONS[res.input], "norm": res.norm,
                        "memory": NORM_TEXT[res.norm], "outputs": "max norm over the outputs",
                        "h0": "as in the file" + ("" if all(v == 0 for v in net.h0) else " (nonzero)"),
                        "warmup": res.warmup if res.input == "reversed" else None,
                        "box": [[to_json(lo), to_json(hi)] for lo, hi in res.box]},
        "rows": rows,
        "search": {"rollouts": res.boxes, "seconds": round(res.seconds, 3), "complete": res.complete,
                   "notes": list(res.notes)},
    }
    if sample is not None:
        doc["sampled"] = {"protocol": "one x ~ N(0, I), seed 233, clipped to the box; |Delta_t(x)|_inf normalised "
                                      "as the rows (float64; a lower estimate, not a bound)",
                          "x": [to_json(v) for v in sample[0]], "values": [float(f"{v:.6g}") for v in sample[1]]}
    if decay is not None:
        doc["decay"] = decay_json(decay)
    return doc


def decay_json(d: Decay) -> dict[str, Any]:
    out: dict[str, Any] = {"C": _q(d.C), "beta": _q(d.beta), "verdict": d.verdict.value, "reason": d.reason}
    if d.method:
        out["method"] = d.method
    if d.lam is not None:
        out["lambda"] = to_json(d.lam)
    if d.certificate:
        out["certificate"] = {k: _nested(v) for k, v in d.certificate.items()}
    if d.witness is not None:
        out["witness"] = {"t": d.witness[0], "x": [to_json(v) for v in d.witness[1]]}
    if d.candidates:
        out["candidates"] = [{"C": to_json(c), "beta": to_json(b)} for c, b in d.candidates]
    return out


def _nested(v: Any) -> Any:
    if isinstance(v, fmpq):
        return to_json(v)
    if isinstance(v, list | tuple):
        return [_nested(x) for x in v]
    return v
