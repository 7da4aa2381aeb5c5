"""The linear experiment of Wang–Li–Li (ICLR 2024, Fig. 1 / App. D), reproduced with certified numbers.

Targets: linear functionals y_t = Σ_s ρ(s) x_{t−s} with exponential memory ρ(t) = 0.9^t and polynomial
memory ρ(t) = (t + 1)^(−1.1). Models: diagonal linear RNNs h_t = A h_{t−1} + u x_t, y_t = c·h_t with
A = diag(a, a², …, a^m), a = 19/20 (exact), m = 2, 4, 6, 8, 14. A model's kernel is ρ̂(t) = Σ_k c_k u_k a^{kt},
so fitting c (u = 1) by least squares on t = 0 … 100 is the polynomial approximation of ρ(−ln s / −ln a)
in s = a^t on (0, 1], as the paper does (its s = e^{−t}; a = 19/20 rescales time so that t ≤ 100 covers
s ∈ [0.006, 1], and keeps every weight rational).

For each model: the certified memory function (exact: the model is linear), its decay constants
(exact Lyapunov certificate), and the perturbation error E_m(β) = max_{t=1..100} |ρ(t) − ρ̂_θ̃(t)| over
β ∈ {0} ∪ {5·10⁻⁴·2^k : k = 0..20}: sampled (10 random perturbations of a, u, c in the max-entry ball, running
max, as the paper's code) and certified for every perturbation in that ball by the product bound
|c̃ũã^t − cua^t| ≤ (|c|+β)(|u|+β)(|a|+β)^t − |c||u||a|^t, with ρ(t) enclosed in arb.

Run: ``python examples/memory_experiment.py [OUTDIR]`` (default ``examples/memory_experiment``): writes
``results.json``, ``perturbation.png``, ``memory.png``, ``summary.md`` and one ``models/*.rnn.json`` per model.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from flint import arb, fmpq

from certify.memory.decay import decay
from certify.memory.linalg import round_up
from certify.memory.row_decay import refine
from certify.memory.search import memory
from certify.rational import from_float, to_json
from certify.spec.file import InputSpec, RnnFile
from certify.spec.json_format import write_json
from certify.spec.network import Network

A = fmpq(19, 20)
SIZES = (2, 4, 6, 8, 14)
T = 100
#: Singular values below RCOND·σ_max are dropped (a float64 fit; without a cut the Vandermonde system of a^{kt}
#: returns huge cancelling coefficients even for the exponential target).
RCOND = 1e-9
#: Rows t ≤ REFINE (exact) sharpen C: C = max(max_t 𝓜(t)e^{βt}, the Lyapunov bound restarted at REFINE).
REFINE = 400
BETAS = [fmpq(0)] + [fmpq(5, 10**4) * 2**k for k in range(21)]
TARGETS = {"exponential": ("0.9^t", lambda t: arb("0.9") ** t),
           "polynomial": ("(t+1)^(-1.1)", lambda t: arb(t + 1) ** arb("-1.1"))}


def fit(rho: list[float], m: int) -> list[fmpq]:
    """Least-squares coefficients c of Σ_k c_k a^{kt} ≈ ρ(t), t = 0 … T (float search, rational result)."""
    a = float(A)
    V = np.array([[a ** (k * t) for k in range(1, m + 1)] for t in range(T + 1)])  # noqa: N806
    c, *_ = np.linalg.lstsq(V, np.array(rho), rcond=RCOND)
    return [from_float(float(v)) for v in c]


def model(c: list[fmpq]) -> Network:
    m = len(c)
    return Network.from_dense(W_hh=[[A ** (k + 1) if i == k else 0 for k in range(m)] for i in range(m)],
                              W_ih=[[1]] * m, b=[0] * m, W_out=[c], b_out=[0], h0=[0] * m, activation="identity")


def kernel_error(c: list[fmpq], target, beta: fmpq) -> fmpq:
    """A rational ≥ max_{t=1..T} |ρ(t) − ρ̂_θ̃(t)| for every |ã_k − a^k|, |ũ_k − 1|, |c̃_k − c_k| ≤ β."""
    worst = arb(0)
    a = [A ** (k + 1) for k in range(len(c))]
    for t in range(1, T + 1):
        model_t = sum((ck * ak**t for ck, ak in zip(c, a, strict=True)), fmpq(0))
        pert = sum(((abs(ck) + beta) * (1 + beta) * (ak + beta) ** t - abs(ck) * ak**t
                    for ck, ak in zip(c, a, strict=True)), fmpq(0))
        worst = worst.max(abs(target(t) - arb(model_t)) + arb(pert))
    m, e = worst.upper().man_exp()
    return round_up(fmpq(int(m)) * fmpq(2) ** int(e) if e >= 0 else fmpq(int(m), 2 ** int(-e)), 6)


def sampled_error(c: list[fmpq], rho: np.ndarray, beta: float, rng: np.random.Generator) -> float:
    m = len(c)
    a = np.array([float(A) ** (k + 1) for k in range(m)])
    cf = np.array([float(v) for v in c])
    u = np.ones(m)
    t = np.arange(1, T + 1)[:, None]
    worst = 0.0
    for _ in range(10 if beta > 0 else 1):
        da, du, dc = (rng.standard_normal(m) for _ in range(3))
        pa, pu, pc = (a + da / np.max(np.abs(da)) * beta, u + du / np.max(np.abs(du)) * beta,
                      cf + dc / np.max(np.abs(dc)) * beta) if beta > 0 else (a, u, cf)
        with np.errstate(over="ignore", invalid="ignore"):
            err = float(np.max(np.abs((pc * pu * np.sign(pa) * np.abs(pa) ** t).sum(axis=1) - rho[1:])))
        worst = max(worst, err if np.isfinite(err) else float("inf"))
    return worst


def run(out: Path, refine_steps: int = REFINE) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    (out / "models").mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    results: dict = {"format": "certify.memory-experiment/1", "a": to_json(A), "T": T, "refine_steps": refine_steps,
                     "betas": [to_json(b) for b in BETAS], "targets": {}}
    for name, (formula, target) in TARGETS.items():
        rho = np.array([float(target(t).mid()) for t in range(T + 1)])
        entry: dict = {"rho": formula, "models": []}
        for m in SIZES:
            c = fit(list(rho), m)
            net = model(c)
            write_json(RnnFile(network=net, name=f"{name}_m{m}", input=InputSpec()), out / "models" /
                       f"{name}_m{m}.rnn.json")
            mem = memory(net, [(fmpq(-1), fmpq(1))], steps=T, norm="abs")
            long = memory(net, [(fmpq(-1), fmpq(1))], steps=refine_steps, norm="abs")   # exact rows for C
            dec = refine(decay(net, "abs", "heaviside"), net, "abs", "heaviside", long)
            running, sampled, certified = 0.0, [], []
            for beta in BETAS:
                running = max(running, sampled_error(c, rho, float(beta), rng))
                sampled.append(running)
                certified.append(kernel_error(c, target, beta))
            entry["models"].append({
                "m": m, "max_abs_c": float(max(abs(float(v)) for v in c)),
                "memory_exact_rows": sum(r.exact for r in mem.rows),
                "memory": [float(r.upper) for r in mem.rows],
                "decay": {"verdict": dec.verdict.value, "C": None if dec.C is None else to_json(dec.C),
                          "beta": None if dec.beta is None else to_json(dec.beta),
                          "C_float": None if dec.C is None else float(dec.C),
                          "beta_float": None if dec.beta is None else float(dec.beta)},
                "E_sampled": sampled, "E_certified": [float(v) for v in certified]})
        entry["target_memory"] = [float(v) for v in rho]
        results["targets"][name] = entry
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    _plots(results, out)
    _summary(results, out)
    return results


def _plots(res: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    betas = [float(fmpq(int(str(b).split("/")[0]), int(str(b).split("/")[1]) if "/" in str(b) else 1))
             for b in res["betas"]]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, (name, entry) in zip(axes, res["targets"].items(), strict=True):
        for k, mod in enumerate(entry["models"]):
            color = plt.cm.viridis(k / (len(entry["models"]) - 1))
            xs = [max(b, 2.5e-4) for b in betas]  # β = 0 drawn at the left edge
            ax.plot(xs, [min(v, 1e30) for v in mod["E_sampled"]], "-o", ms=2.5, color=color,
                    label=f"m = {mod['m']} sampled")
            ax.plot(xs, [min(v, 1e30) for v in mod["E_certified"]], "--", lw=0.9, color=color)
        ax.set_ylim(1e-4, 1e4)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"{name} memory ρ(t) = {entry['rho']}")
        ax.set_xlabel("β (β = 0 at the left edge); dashed: certified bound")
        ax.grid(True, lw=0.4, alpha=0.5)
    axes[0].set_ylabel("E_m(β) = max_t |ρ(t) − ρ̂_θ̃(t)|")
    axes[0].legend(fontsize=7, frameon=False)
    fig.tight_layout()
    fig.savefig(out / "perturbation.png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    for ax, (name, entry) in zip(axes, res["targets"].items(), strict=True):
        ax.plot(range(T + 1), entry["target_memory"], "k-", lw=2, label="target ρ(t)")
        for k, mod in enumerate(entry["models"]):
            color = plt.cm.viridis(k / (len(entry["models"]) - 1))
            ax.plot(range(T + 1), [max(v, 1e-12) for v in mod["memory"]], color=color, lw=1,
                    label=f"m = {mod['m']} (certified, exact)")
            if mod["decay"]["C_float"] is not None:
                c, b = mod["decay"]["C_float"], mod["decay"]["beta_float"]
                ax.plot(range(T + 1), [c * math.exp(-b * t) for t in range(T + 1)], ":", color=color, lw=0.8)
        ax.set_yscale("log")
        ax.set_ylim(1e-8, 10)
        ax.set_title(f"memory 𝓜(t) of the fitted models, {name} target".replace("𝓜", "M"))
        ax.set_xlabel("t (dotted: proved C·e^(−βt))")
        ax.grid(True, lw=0.4, alpha=0.5)
    axes[0].legend(fontsize=7, frameon=False)
    fig.tight_layout()
    fig.savefig(out / "memory.png", dpi=110, metadata={"Software": None})
    plt.close(fig)


def _g(v: float | None) -> str:
    return "—" if v is None else f"{v:.4g}"


def _summary(res: dict, out: Path) -> None:
    lines = ["# Wang–Li–Li linear experiment, certified", "",
             "| target | m | max abs c_k | exact memory rows | decay | C | β | E_m(0) certified | "
             "E_m(5e-4) sampled | E_m(5e-4) certified | E_m(0.016) sampled |", "|" + "---|" * 11]
    for name, entry in res["targets"].items():
        for mod in entry["models"]:
            d = mod["decay"]
            lines.append(f"| {name} | {mod['m']} | {mod['max_abs_c']:.3g} | {mod['memory_exact_rows']}/{T + 1} | "
                         f"{d['verdict']} | {_g(d['C_float'])} | {_g(d['beta_float'])} | {mod['E_certified'][0]:.3g} | "
                         f"{mod['E_sampled'][1]:.3g} | {mod['E_certified'][1]:.3g} | {mod['E_sampled'][6]:.3g} |")
    (out / "summary.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    start = time.monotonic()
    run(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_suffix(""))
    print(f"done in {time.monotonic() - start:.1f} s")
