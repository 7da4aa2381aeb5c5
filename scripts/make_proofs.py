"""Regenerate proofs/<name>/ for every bundled construction: weight file, certificate, SMT-LIB files.

    python scripts/make_proofs.py [--out proofs] [NAME ...]

Deterministic: running it twice gives byte-identical files (timings go to *.timings.json, which
are not committed). CI regenerates into a temporary folder and fails if anything differs.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from certify.constructions.bundled import BUNDLED
from certify.prove.checker import Options, check
from certify.rnn import io


def make(name: str, out: Path) -> tuple[str, float]:
    folder = out / name
    if (folder / "smt").exists():
        shutil.rmtree(folder / "smt")
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / f"{name}.rnn.json"
    io.write(BUNDLED[name](), weights)
    t = time.perf_counter()
    cert = check(io.read(weights), Options(timeout=60, smt_dir=folder / "smt", weights_name=weights.name))
    cert.write(folder / "certificate.json")
    return cert.verdict.value, time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", default=sorted(BUNDLED))
    ap.add_argument("--out", type=Path, default=Path("proofs"))
    args = ap.parse_args(argv)
    worst = 0
    for name in args.names:
        verdict, seconds = make(name, args.out)
        print(f"{name}: {verdict} in {seconds:.1f} s -> {args.out / name}")
        worst = max(worst, 0 if verdict == "PROVED" else 1)
    return worst


if __name__ == "__main__":
    sys.exit(main())
