"""Regenerate the committed universal-approximator artifacts under ``proofs/``:

* ``proofs/universal/``: the stream interpreter with the one-round stream ``br`` (y = 0; any nonempty
  stream gives the same network up to h0) and its certificate;
* ``proofs/universal_<name>/`` for the six functions of issue 5: the weight file (``certify build
  universal``), its certificate (``certify check``), its certified rate table (``rates.json``, the
  ``certify rates`` report) and the log-log plot (``rates.svg``).

    python -m scripts.make_universal_proofs [--out proofs] [NAME ...]

Timings go to ``build.timings.json`` beside each (ignored by git, like every ``*.timings.json``).
The run fails (exit 1) unless every certificate and every claimed rate is PROVED, and every
function meets its required final error within 10^6 RNN steps, decreasing round by round.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

from certify.bounds.rates import rates, report_json
from certify.compiler.tmnu_to_rnn import compile_program, from_compiled
from certify.plugins import load_plugins
from certify.prove.checker import Options, check
from certify.rational import parse_number
from certify.report.plots import rates_plot
from certify.spec import io
from certify.spec.measure import weight_stats
from certify.universal.build import build_universal
from certify.universal.interpreter import universal_interpreter

#: The Weierstrass-type partial sum of issue 5: sum_{k=0}^{5} 2^(-k/2)·cos(3^k·π·x).
WEIERSTRASS = " + ".join(f"2^(-{k}/2)*cos({3**k}*pi*x)" for k in range(6))

#: name -> (f, --target-error, the issue's required final certified error)
FUNCTIONS: dict[str, tuple[str, str, str]] = {
    "universal_exp": ("exp(x)", "1e-3", "1e-3"),
    "universal_sin5x": ("sin(5*x)", "1e-3", "1e-3"),
    "universal_runge": ("1/(1+25*x^2)", "1e-3", "1e-3"),
    "universal_abs": ("abs(x)", "2e-2", "2e-2"),
    "universal_semicircle": ("sqrt(1-x^2)", "2e-2", "2e-2"),
    "universal_weierstrass": (WEIERSTRASS, "2e-2", "2e-2"),
}


def _check(weights: Path, folder: Path) -> tuple[str, float]:
    if (folder / "smt").exists():
        shutil.rmtree(folder / "smt")
    t = time.perf_counter()
    cert = check(io.read(weights), Options(timeout=60, smt_dir=folder / "smt", weights_name=weights.name))
    cert.write(folder / "certificate.json")
    return cert.verdict.value, time.perf_counter() - t


def make_interpreter(out: Path) -> dict:
    """proofs/universal/: the interpreter with the stream "br" (one empty round), compiled and checked.

    An empty stack would compile without the two prologue units that load an initial stack value;
    any nonempty stream gives exactly the network of every universal file, h0 aside."""
    folder = out / "universal"
    folder.mkdir(parents=True, exist_ok=True)
    compiled = compile_program(universal_interpreter("br"))
    weights = folder / "universal.rnn.json"
    io.write(from_compiled(compiled), weights)
    verdict, seconds = _check(weights, folder)
    st = weight_stats(compiled.network)
    return {"name": "universal", "check": verdict, "check_s": seconds, "hidden_dim": compiled.network.hidden_dim,
            "max_abs_weight": str(st.max_abs)}


def make_function(name: str, out: Path) -> dict:
    """proofs/<name>/: build, check, rates; returns the measurements."""
    text, target, required = FUNCTIONS[name]
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    b = build_universal(text, target=parse_number(target))
    compiled = compile_program(b.program)
    weights = folder / f"{name}.rnn.json"
    io.write(from_compiled(compiled, b.claims), weights)
    build_s = time.perf_counter() - t
    verdict, check_s = _check(weights, folder)
    t = time.perf_counter()
    rep = rates(io.read(weights))
    rates_s = time.perf_counter() - t
    doc = report_json(rep)
    doc.pop("seconds", None)  # committed files stay byte-identical between runs
    (folder / "rates.json").write_text(json.dumps(doc, indent=1) + "\n")
    rates_plot(rep, str(folder / "rates.svg"))
    final = rep.rows[-1].certified
    st = weight_stats(compiled.network)
    return {
        "name": name, "f": text, "check": verdict, "rates": rep.verdict.value,
        "rounds": len(rep.rows) - 1, "final_certified": None if final is None else float(final),
        "required": float(parse_number(required)),
        "meets_required": final is not None and final <= parse_number(required),
        "strictly_decreasing": all(r2.certified is not None and r1.certified is not None and r2.certified < r1.certified
                                   for r1, r2 in zip(rep.rows, rep.rows[1:], strict=False)),
        "rnn_steps": rep.rows[-1].T, "stream_symbols": len(b.plan.stream),
        "hidden_dim": compiled.network.hidden_dim, "max_abs_weight": str(st.max_abs),
        "build_s": build_s, "check_s": check_s, "rates_s": rates_s, "total_s": build_s + check_s + rates_s,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", default=["universal", *FUNCTIONS])
    ap.add_argument("--out", type=Path, default=Path("proofs"))
    args = ap.parse_args(argv)
    load_plugins()  # the universal rate method
    ok = True
    for name in args.names:
        m = make_interpreter(args.out) if name == "universal" else make_function(name, args.out)
        (args.out / name / "build.timings.json").write_text(json.dumps(m, indent=1) + "\n")
        print(json.dumps(m))
        ok &= m["check"] == "PROVED" and m.get("rates", "PROVED") == "PROVED"
        ok &= m.get("meets_required", True) and m.get("strictly_decreasing", True)
        ok &= m.get("rnn_steps", 0) <= 10**6
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

