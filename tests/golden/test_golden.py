"""Golden files: a proved, a refuted and an unknown example, with their expected verdicts.

Regenerate with ``CERTIFY_UPDATE_GOLDEN=1 pytest tests/golden/test_golden.py`` after an intended change.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from cases import halver, sawtooth
from flint import fmpq

from certify.compiler.tmnu_to_rnn import compile_program, from_compiled
from certify.spec import io

HERE = Path(__file__).parent
UPDATE = os.environ.get("CERTIFY_UPDATE_GOLDEN") == "1"


def _halver_with_bug() -> io.RnnFile:
    f = from_compiled(compile_program(halver()))
    net = f.network
    unit = next(i for i, u in enumerate(f.simulation.map.units) if u.label.startswith("op half: y - lo <-"))
    j, v = net.W_hh.rows[unit][-1]
    return io.RnnFile(network=net.replace(W_hh=net.W_hh.with_entry(unit, j, v - fmpq(1, 8))), name="halver_bug",
                      simulation=f.simulation, claims=f.claims)


CASES = {
    "proved/halver": (lambda: from_compiled(compile_program(halver())), []),
    "refuted/halver_bug": (_halver_with_bug, []),
    "unknown/sawtooth32": (lambda: from_compiled(compile_program(sawtooth(32))), ["--rlimit", "1"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str, run_cli) -> None:
    build, args = CASES[case]
    weights = HERE / f"{case}.rnn.json"
    expected_path = HERE / f"{case}.expected.json"
    if UPDATE:
        weights.parent.mkdir(parents=True, exist_ok=True)
        io.write(build(), weights)
    code, out, err = run_cli("check", str(weights), "--json", *args)
    doc = json.loads(out.split("RESULT:")[0])
    got = {
        "exit_code": code,
        "verdict": doc["verdict"],
        "results": {r["id"]: r["verdict"] for r in doc["results"]},
        # numbers in a witness come from the solver's model, which may differ between solver versions
        "reasons": {r["id"]: re.sub(r"-?\d+(/\d+)?", "N", r.get("reason", ""))
                    for r in doc["results"] if r["verdict"] == "REFUTED"},
    }
    if UPDATE:
        expected_path.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
    expected = json.loads(expected_path.read_text())
    assert got == expected
    assert out.strip().splitlines()[-1].startswith(f"RESULT: {expected['verdict']}")
    assert io.dumps(build()) == weights.read_text(), f"{weights} is stale (CERTIFY_UPDATE_GOLDEN=1 to regenerate)"
