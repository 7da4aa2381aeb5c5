"""TMNU evaluators against the reference interpreter, in the same run: control path, exact fast path,
float64 samples and enclosing forms (all on the core's control step and op application).

    python benchmarks/tmnu_bench.py [--weights proofs/universal_abs/universal_abs.rnn.json] [--repeat 3]

Prints seconds (best of R) and the ratio to one interpreter run of the same steps (exact, one x).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from flint import fmpq

from certify.execute.tmnu_forms import Lanes, enclose_outputs
from certify.execute.tmnu_path import control_path
from certify.execute.tmnu_registers import exact_outputs, sample_outputs
from certify.spec import io
from certify.tmnu.interpret import run


def _best(f: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", default="proofs/universal_abs/universal_abs.rnn.json")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    f = io.read(args.weights)
    assert f.simulation is not None, "the weight file has no TMNU program"
    p = f.simulation.program
    path = control_path(p)
    n, x = path.steps, fmpq(1, 3)
    xs, lanes = np.linspace(-1, 1, 401), Lanes.uniform(64)
    base = _best(lambda: list(run(p, x, n)), args.repeat)
    rows = [
        ("interpreter (1 x, exact)", base),
        ("control path", _best(lambda: control_path(p), args.repeat)),
        ("exact fast path (1 x)", _best(lambda: exact_outputs(p, path, x, [n]), args.repeat)),
        (f"float64 samples ({len(xs)} x)", _best(lambda: sample_outputs(p, path, xs, [n]), args.repeat)),
        (f"enclosing forms ({len(lanes)} lanes)", _best(lambda: enclose_outputs(p, path, lanes, [n]), args.repeat)),
    ]
    print(f"{p.name}: {n} TMNU steps")
    for label, s in rows:
        print(f"  {label:<28}{s:>9.4f} s   {s / base:>7.3f} × interpreter")


if __name__ == "__main__":
    main()
