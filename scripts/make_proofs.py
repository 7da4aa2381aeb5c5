"""Regenerate proofs/<name>/ for every bundled construction: weight file, certificate, SMT-LIB files,
and its proof report reports/<name>.{html,md,json} (with the Markdown's SVG plots beside it); then the
reports of the other constructions committed in proofs/ (e.g. the universal approximator's, which
``python -m scripts.make_universal_proofs`` regenerates), from their committed files.

    python scripts/make_proofs.py [--out proofs] [--reports reports | --no-reports] [NAME ...]

Deterministic: running it twice gives byte-identical files (timings go to *.timings.json, which
are not committed, and reports leave them out). CI regenerates into a temporary folder and fails
if anything differs (tests/golden/test_proofs_fresh.py).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from certify.constructions.bundled import BUNDLED
from certify.prove.checker import Options, check
from certify.spec import io


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


def make_report(name: str, proofs: Path, reports: Path, label: str = "proofs") -> list[Path]:
    """Write reports/<name>.{html,md,json} from proofs/<name>/ (as committed: no timings). ``label`` is how the
    report names the proofs folder, so that a report regenerated elsewhere is byte-identical."""
    from certify.prove.certificate import read as read_certificate
    from certify.report import files
    from certify.report.assemble import ReportOptions, build_report

    folder = proofs / name
    f = io.read(folder / f"{name}.rnn.json")
    report = build_report(f, read_certificate(folder / "certificate.json"),
                          weights_ref=f"{label}/{name}/{name}.rnn.json",
                          certificate_ref=f"{label}/{name}/certificate.json", timings=None, name=name,
                          options=ReportOptions(witness_prefix=f"reports/{name}.witness"))
    for old in [*reports.glob(f"{name}-*.svg"), *reports.glob(f"{name}.witness*.json")]:
        old.unlink()  # plots and witnesses of an earlier version
    written = []
    for suffix in files.SUFFIXES:
        written += files.write(report, reports / f"{name}{suffix}")
    return written


def committed(proofs: Path) -> list[str]:
    """Every construction committed in ``proofs``: a folder <name>/ with <name>.rnn.json and certificate.json."""
    return sorted(d.name for d in proofs.iterdir() if (d / f"{d.name}.rnn.json").is_file()
                  and (d / "certificate.json").is_file()) if proofs.is_dir() else []


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", default=None, help="bundled constructions (default: all, and the reports "
                                                            "of every other construction in proofs/)")
    ap.add_argument("--out", type=Path, default=Path("proofs"))
    ap.add_argument("--reports", type=Path, default=Path("reports"), help="where the reports go")
    ap.add_argument("--no-reports", action="store_true", help="regenerate proofs/ only")
    args = ap.parse_args(argv)
    worst = 0
    for name in args.names or sorted(BUNDLED):
        verdict, seconds = make(name, args.out)
        print(f"{name}: {verdict} in {seconds:.1f} s -> {args.out / name}")
        worst = max(worst, 0 if verdict == "PROVED" else 1)
        if not args.no_reports:
            t = time.perf_counter()
            written = make_report(name, args.out, args.reports)
            print(f"{name}: report in {time.perf_counter() - t:.1f} s -> {', '.join(str(p) for p in written)}")
    if not args.names and not args.no_reports:
        for name in sorted(set(committed(args.out)) - set(BUNDLED)):
            t = time.perf_counter()
            written = make_report(name, args.out, args.reports)
            print(f"{name}: report (from the committed proofs) in {time.perf_counter() - t:.1f} s -> "
                  f"{', '.join(str(p) for p in written)}")
    return worst


if __name__ == "__main__":
    sys.exit(main())
