"""Planted attacks on the SMT-LIB text (issue 9, attacks 2 and 3).

Attack 2 (verdict flip): a register or stack name that closes a ``|quoted|`` identifier and adds
``(assert false) (exit)`` made a REFUTED file PROVED. Attack 3 (code execution): z3 executes
``(set-option :regular-output-channel "file")`` and ``(echo "…")`` while it parses, so a name in a
weight file, or a certificate's cited ``.smt2`` file, could write any file.

The hostile objects are built in memory (or written without the reader's name checks), so these
tests exercise the SMT layer itself: a reader that refuses such names (exit 2) is a second line of
defence, not the one tested here.
"""

from __future__ import annotations

import dataclasses
import json
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import z3
from flint import fmpq

from certify import recheck as rc
from certify.compiler.tmnu_to_rnn import compile_program, from_compiled
from certify.constructions.examples import squaring, stack_copy
from certify.prove.checker import Options, check
from certify.recheck import solvers as solvers
from certify.spec import io
from certify.verdict import Verdict

FLIP = "acc| () Real) (assert false) (exit) ;"  # flips REFUTED to PROVED on the old code
BRIEF = "acc|) (assert false) (declare-fun |z"
NEWLINE = "acc|\n(assert false)\n(exit)\n;"

# What may appear in generated SMT-LIB outside comments: the allowlisted vocabulary and index names.
VOCABULARY = {"(", ")", "set-logic", "QF_LRA", "set-option", ":produce-models", "true", "false", "declare-fun",
              "define-fun", "assert", "check-sat", "Real", "and", "or", "not", "=", "<", "<=", ">", ">=", "+",
              "-", "*", "/", "ite"}
_TOKEN = re.compile(r"[()]|[^\s()]+")


def rename(obj: Any, old: str, new: str) -> Any:
    """A copy of a frozen-dataclass tree with every string equal to ``old`` replaced by ``new``."""
    if isinstance(obj, str):
        return new if obj == old else obj
    if isinstance(obj, tuple):
        return tuple(rename(o, old, new) for o in obj)
    if isinstance(obj, list):
        return [rename(o, old, new) for o in obj]
    if isinstance(obj, dict):
        return {rename(k, old, new): rename(v, old, new) for k, v in obj.items()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.replace(obj, **{f.name: rename(getattr(obj, f.name), old, new)
                                           for f in dataclasses.fields(obj) if f.init})
    return obj


def wrong_squaring() -> io.RnnFile:
    """Squaring with one wrong weight (register t's op unit): REFUTED at step[square] by SMT."""
    f = from_compiled(compile_program(squaring()))
    net = f.network
    unit = next(i for i, u in enumerate(f.simulation.map.units) if u.label == "register t" and u.stage == 0)
    j, v = next((j, v) for j, v in net.W_hh.rows[unit] if v == -1)
    return io.RnnFile(network=net.replace(W_hh=net.W_hh.with_entry(unit, j, v - fmpq(1, 64))), name=f.name,
                      simulation=f.simulation, claims={}, source="wrong_squaring")


def with_register_name(f: io.RnnFile, old: str, new: str) -> io.RnnFile:
    return dataclasses.replace(f, simulation=rename(f.simulation, old, new))


def smt_texts(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.glob("*.smt2"))}


def outside_comments(text: str) -> str:
    return "\n".join(line.split(";", 1)[0] for line in text.splitlines())


def assert_no_user_string(text: str, name: str) -> None:
    """Outside comments, only allowlisted tokens and index names; nothing of the hostile name."""
    body = outside_comments(text)
    for tok in _TOKEN.findall(body):
        assert tok in VOCABULARY or re.fullmatch(r"[va][0-9]+|[0-9]+\.[0-9]+", tok), (tok, text[:400])
    for piece in ("|", '"', "acc", "exit", "echo", "regular-output-channel", "pwned", "(assert false)"):
        assert piece not in body, (piece, text[:400])
    for line in text.splitlines():  # comments: one line each, safe characters only
        assert re.fullmatch(r"[ -~]*", line), line
    assert name not in text


# --- attack 2: a name that closes the quoted identifier -------------------------------------------------------
@pytest.mark.parametrize("name", [FLIP, BRIEF, NEWLINE], ids=["exit", "brief", "newline"])
def test_hostile_register_name_keeps_the_verdict_refuted(name: str, tmp_path: Path) -> None:
    bad = wrong_squaring()
    assert check(bad).verdict is Verdict.REFUTED
    hostile = with_register_name(bad, "acc", name)
    cert = check(hostile, Options(smt_dir=tmp_path / "smt"))
    assert cert.verdict is Verdict.REFUTED, [(r.id, r.verdict, r.reason) for r in cert.results]
    step = next(r for r in cert.results if r.id == "step[square]")
    assert step.verdict is Verdict.REFUTED and step.method == "smt"
    texts = smt_texts(tmp_path / "smt")
    assert texts
    for text in texts.values():
        assert_no_user_string(text, name)


def test_hostile_stack_name_reaches_no_solver_text(tmp_path: Path) -> None:
    f = from_compiled(compile_program(stack_copy()))
    stack = f.simulation.program.stacks[0].name
    name = f"{stack}| () Real) (assert false) (exit) ;"
    cert = check(with_register_name(f, stack, name), Options(smt_dir=tmp_path / "smt"))
    assert cert.verdict is Verdict.PROVED  # a correct file stays proved
    box_texts = [rc.smt_query({f"v:{name}": (Fraction(1, 2), Fraction(1)), "x": (Fraction(-1), Fraction(1))},
                              [{f"v:{name}": Fraction(1), "1": Fraction(-3, 4)}], "negative")]
    for text in [*smt_texts(tmp_path / "smt").values(), *box_texts]:
        assert_no_user_string(text, name)
    assert rc.z3_status(box_texts[0], 10) == "sat"  # v:S in [1/2, 1] can be below 3/4


def test_recheck_own_query_ignores_names(tmp_path: Path) -> None:
    """The re-checker's own query writer: a hostile name cannot make a satisfiable query unsat."""
    key = f"r:{FLIP}"
    text = rc.smt_query({key: (Fraction(0), Fraction(1))}, [{key: Fraction(1), "1": Fraction(-1, 2)}], "negative")
    assert_no_user_string(text, FLIP)
    assert rc.z3_status(text, 10) == "sat"


def _forged_proved_certificate(tmp_path: Path, name: str) -> Path:
    """The hostile wrong file, and a certificate that claims step[square] PROVED by SMT without citing a file."""
    hostile = with_register_name(wrong_squaring(), "acc", name)
    io.write(hostile, tmp_path / "bad.rnn.json")
    cert = check(hostile, Options(weights_name="bad.rnn.json"))
    doc = cert.to_json()
    for r in doc["results"]:
        if r["id"] == "step[square]":
            r.update(verdict="PROVED", method="smt", reason="")
            r["evidence"].pop("witness", None)
            r["evidence"].pop("command", None)
            r["evidence"].pop("smt", None)
    doc["verdict"] = "PROVED"
    path = tmp_path / "certificate.json"
    path.write_text(json.dumps(doc))
    return path


def test_recheck_does_not_confirm_a_forged_proof_of_the_hostile_file(tmp_path: Path) -> None:
    path = _forged_proved_certificate(tmp_path, FLIP)
    try:
        rep = rc.recheck(path)
    except rc.RecheckError:
        return  # a reader that refuses the name is fine too
    assert not rep.ok
    assert any(p.startswith("step[square]") and "sat" in p for p in rep.problems), rep.problems


def test_check_cli_on_the_hostile_file_is_never_proved(run_cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.rnn.json"
    io.write(with_register_name(wrong_squaring(), "acc", FLIP), path)
    code, out, err = run_cli("check", str(path))
    assert code in (2, 10), (code, out[-500:], err[-500:])  # 2: refused at read time; 10: REFUTED


# --- attack 3: z3 executes output-channel options and echo while parsing ----------------------------------------
def _channel_name(target: Path) -> str:
    return f'acc| () Real) (set-option :regular-output-channel "{target}") (echo "import os") (exit) ;'


def test_hostile_name_writes_no_file_during_check(tmp_path: Path) -> None:
    target = tmp_path / "pwned.pth"
    cert = check(with_register_name(wrong_squaring(), "acc", _channel_name(target)))
    assert not target.exists()
    assert cert.verdict is Verdict.REFUTED


def test_hostile_name_writes_no_file_through_the_cli(run_cli, tmp_path: Path) -> None:
    target = tmp_path / "pwned.pth"
    path = tmp_path / "bad.rnn.json"
    io.write(with_register_name(wrong_squaring(), "acc", _channel_name(target)), path)
    code, _, _ = run_cli("check", str(path), "--certificate", str(tmp_path / "out" / "certificate.json"))
    assert not target.exists()
    assert code in (2, 10)


@pytest.fixture(scope="module")
def honest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PROVED squaring certificate that cites SMT-LIB files (confirmed by the re-checker)."""
    folder = tmp_path_factory.mktemp("honest")
    f = from_compiled(compile_program(squaring()))
    io.write(f, folder / "squaring.rnn.json")
    options = Options(smt_dir=folder / "smt", weights_name="squaring.rnn.json")
    cert = check(io.read(folder / "squaring.rnn.json"), options)
    cert.write(folder / "certificate.json")
    assert cert.verdict is Verdict.PROVED and smt_texts(folder / "smt")
    rep = rc.recheck(folder / "certificate.json")
    assert rep.ok, rep.problems
    return folder


INJECTIONS = {
    "regular-output-channel": '(set-option :regular-output-channel "{target}")\n(echo "import os")\n',
    "diagnostic-output-channel": '(set-option :diagnostic-output-channel "{target}")\n(echo "x")\n',
    "echo": '(echo "x")\n',
    "get-info": "(get-info :version)\n",
    "set-info": "(set-info :status unsat)\n",
    "push": "(push 1)\n",
}


def _copy(src: Path, dst: Path) -> Path:
    for p in src.rglob("*"):
        if p.is_file():
            out = dst / p.relative_to(src)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(p.read_bytes())
    return dst / "certificate.json"


@pytest.mark.parametrize("kind", sorted(INJECTIONS))
def test_cited_file_with_a_forbidden_command_is_a_disagreement(kind: str, honest: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch, run_cli) -> None:
    cert_path = _copy(honest, tmp_path / "c")
    target = tmp_path / "pwned.pth"
    cited = sorted((tmp_path / "c" / "smt").glob("*.smt2"))[0]
    lines = cited.read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("(declare-fun"))
    injected = INJECTIONS[kind].format(target=target)
    cited.write_text("".join(lines[:at]) + injected + "".join(lines[at:]))

    seen: list[str] = []
    real_from_string = z3.Solver.from_string

    def spy(self: z3.Solver, text: str) -> None:
        seen.append(text)
        assert injected.strip() not in text
        return real_from_string(self, text)

    monkeypatch.setattr(z3.Solver, "from_string", spy)
    real_cvc5 = rc.cvc5_status
    cvc5_seen: list[str] = []
    monkeypatch.setattr(solvers, "cvc5_status",  # where the re-checker calls it
                        lambda text, timeout: cvc5_seen.append(text) or real_cvc5(text, timeout))

    rep = rc.recheck(cert_path)
    assert not rep.ok
    assert any(cited.name in p and "refused" in p for p in rep.problems), rep.problems
    assert not target.exists()
    assert injected not in "".join(seen + cvc5_seen)
    assert seen  # the other obligations' own queries still ran

    code, out, _ = run_cli("recheck", str(cert_path))
    assert code == 1 and "DISAGREEMENT" in out
    assert not target.exists()


def test_gate_with_a_hostile_cited_file_fails_and_writes_nothing(honest: Path, tmp_path: Path) -> None:
    from certify import config
    from certify.gate import run_gate

    _copy(honest, tmp_path / "proofs" / "squaring")
    target = tmp_path / "pwned.pth"
    cited = sorted((tmp_path / "proofs" / "squaring" / "smt").glob("*.smt2"))[0]
    text = cited.read_text()
    cited.write_text(text.replace("(declare-fun", f'(set-option :regular-output-channel "{target}")\n'
                                                  '(echo "import os")\n(declare-fun', 1))
    (tmp_path / "certify.toml").write_text('weights = ["proofs/*/*.rnn.json"]\nfresh_check = false\n')
    r = run_gate(config.load(tmp_path / "certify.toml"), jobs=1)
    assert not target.exists()
    assert r.exit_code != 0
    (o,) = r.outcomes
    (c,) = [c for c in o.checks if c.group == "certificate"]
    assert c.failed and "re-check disagrees" in c.message and "refused" in c.message, c.message
