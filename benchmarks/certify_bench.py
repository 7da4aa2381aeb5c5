"""How long `certify check` takes per bundled construction, and which method decides what.

    python benchmarks/certify_bench.py [--jobs N] [--repeat R]

Target (issue 3): all bundled constructions certified in under 60 s total on a 2-core machine.
Prints, per construction: obligations, seconds (best of R runs), and the share decided by each
method (affine = one exact affine map; symbolic = exact composition with ReLU atoms and lemmas;
interval = exact interval bound; smt = z3; measure = static claims).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from certify.constructions.bundled import BUNDLED
from certify.prove.checker import Options, check


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    total = 0.0
    print(f"{'construction':<16}{'hidden':>7}{'obligations':>12}{'seconds':>9}   share by method")
    for name in sorted(BUNDLED):
        f = BUNDLED[name]()
        best, cert = float("inf"), None
        for _ in range(args.repeat):
            t = time.perf_counter()
            cert = check(f, Options(jobs=args.jobs))
            best = min(best, time.perf_counter() - t)
        assert cert is not None
        methods = Counter(r.method for r in cert.results)
        n = len(cert.results)
        share = ", ".join(f"{m} {100 * k / n:.0f}%" for m, k in methods.most_common())
        print(f"{name:<16}{f.network.hidden_dim:>7}{n:>12}{best:>9.2f}   {share}   [{cert.verdict.value}]")
        total += best
    print(f"total: {total:.2f} s (target: < 60 s on a 2-core machine) -> {'met' if total < 60 else 'NOT met'}")


if __name__ == "__main__":
    main()
