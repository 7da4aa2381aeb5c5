"""Depth, width and proof time of the deep-narrow constructions (issue 15), and of refuting a planted bug.

    python benchmarks/deep_narrow_bench.py

Targets: the committed example (examples/deep_narrow_target.json, continuous and its last step as seq2vec) and
random targets (seeded) of growing N. Each row compiles the target, proves the network equal to it on K^N
(certify.deep.equivalence), then changes one weight (see `planted`) and times the refutation. Machines
here are noisy (2 shared cores): compare rows of one run, not absolute times. Timings never appear in tests.
"""

from __future__ import annotations

import json
import random
import time
from fractions import Fraction
from pathlib import Path

from flint import fmpq

from certify.deep.equivalence import prove_equal
from certify.deep.lp import build_lp, certify_lp
from certify.deep.narrow import compile_target
from certify.deep.target import parse_target
from certify.spec.network import Layer, Network

ROOT = Path(__file__).resolve().parents[1]


def random_target(rng: random.Random, kind: str, dx: int, dy: int, n: int) -> dict:
    def q() -> str:
        return f"{rng.randint(-6, 6)}/{rng.randint(1, 4)}"

    domain = []
    for _ in range(dx):
        lo = Fraction(rng.randint(-4, 2), rng.randint(1, 3))
        domain.append([str(lo), str(lo + Fraction(rng.randint(1, 6), rng.randint(1, 2)))])
    steps = []
    for t in (range(1, n + 1) if kind == "continuous" else [n]):
        h = rng.randint(1, 3)
        steps.append({"t": t, "A": [[q() for _ in range(t * dx)] for _ in range(h)], "c": [q() for _ in range(h)],
                      "W": [[q() for _ in range(h)] for _ in range(dy)], "d": [q() for _ in range(dy)]})
    return {"format": "certify.deep-target/1", "name": f"random_{kind}", "kind": kind, "dx": dx, "dy": dy, "N": n,
            "domain": domain, "steps": steps}


def planted(net: Network, dx: int) -> Network:
    """One bias moved by 1/1000: unit d_x of the layer after the first recurrent layer past layer 0 (continuous:
    the first node's bias; seq2vec: an accumulator's offset θ_m)."""
    layers = list(net.layers)
    rec = min(k for k, la in enumerate(layers) if k and any(True for _ in la.W_hh.entries()))
    k = rec + 1
    b = list(layers[k].b)
    b[dx] += fmpq(1, 1000)
    la = layers[k]
    layers[k] = Layer(W_hh=la.W_hh, W_ih=la.W_ih, b=tuple(b), h0=la.h0)
    return Network(layers=tuple(layers), W_out=net.W_out, b_out=net.b_out)


def main() -> None:
    doc = json.loads((ROOT / "examples" / "deep_narrow_target.json").read_text())
    cases = [("example, continuous", doc), ("example, seq2vec (t = 4)", dict(doc, kind="seq2vec",
                                                                            steps=[doc["steps"][-1]]))]
    rng = random.Random(5)
    for kind, dx, dy, n in [("continuous", 3, 2, 8), ("seq2vec", 3, 2, 8), ("continuous", 2, 1, 16),
                            ("seq2vec", 2, 1, 16)]:
        cases.append((f"random {kind}, d_x={dx} d_y={dy} N={n}", random_target(rng, kind, dx, dy, n)))
    print("| target | nodes | depth | width | compile s | proof | proof s | planted bug | refute s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, d in cases:
        tg = parse_target(d, "bench")
        t0 = time.perf_counter()
        net = compile_target(tg)
        tc = time.perf_counter() - t0
        eq = prove_equal(net, tg)
        bad = prove_equal(planted(net, tg.dx), tg)
        nodes = sum(len(s.A) for s in tg.steps)
        print(f"| {name} | {nodes} | {net.depth} | {net.width} | {tc:.2f} | {eq.verdict.value} "
              f"({', '.join(sorted({r.method for r in eq.results}))}) | {eq.seconds:.2f} | {bad.verdict.value} | "
              f"{bad.seconds:.2f} |")
    lp_doc = {"format": "certify.deep-target/1", "name": "lp", "kind": "continuous", "dx": 1, "dy": 1, "N": 3,
              "domain": [[0, 1]],
              "steps": [{"t": 1, "A": [[1]], "c": [0], "W": [[1]], "d": [0]},
                        {"t": 2, "A": [[1, -1], [-1, 1]], "c": [0, 0], "W": [[1, 1]], "d": [0]},
                        {"t": 3, "A": [[1, 1, 1]], "c": ["-1"], "W": [[2]], "d": ["1/4"]}]}
    tg = parse_target(lp_doc, "lp")
    print()
    print("| L^p network (d_x=1, d_y=1, N=3) | depth | width | points | L^1 bound t=1, 2, 3 | L^2 bound t=1, 2, 3 "
          "| s |")
    print("|---|---|---|---|---|---|---|")
    for m in (1, 2, 3):
        t0 = time.perf_counter()
        lp = build_lp(tg, m, fmpq(1, 2 ** (m + 12)))
        one, two = certify_lp(tg, lp, 1), certify_lp(tg, lp, 2)
        print(f"| M = {m} | {lp.network.depth} | {lp.network.width} | {len(lp.points)} | "
              f"{', '.join(f'{float(b.upper):.3g}' for b in one)} | "
              f"{', '.join(f'{float(b.upper):.3g}' for b in two)} | {time.perf_counter() - t0:.1f} |")


if __name__ == "__main__":
    main()
