"""The two SMT-LIB allowlist guards (prover: certify.prove.smt_guard; re-checker: its own, certify.recheck.smt_guard).

Both accept every query the prover and the re-checker write, and refuse — without recursion, in
bounded time — every command, option and construct outside plain QF_LRA.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest
import z3
from cases import CASES, compiled

from certify import recheck as rc
from certify.compiler.tmnu_to_rnn import compile_program, from_compiled
from certify.prove import smt, smt_guard
from certify.prove.checker import Options, check
from certify.rational import parse_number as q
from certify.recheck.smt import _smt_names
from certify.recheck.smt_guard import _smt_guard
from certify.recheck.solvers import _not_vacuous
from certify.spec import io
from certify.universal.interpreter import universal_interpreter

PROOFS = Path(__file__).resolve().parents[2] / "proofs"


def prover_guard(text: str) -> None:
    smt_guard.check(text)


def recheck_guard(text: str) -> None:
    _smt_guard(text)


GUARDS = {"prover": (prover_guard, smt_guard.SmtGuardError), "recheck": (recheck_guard, rc.SmtRefused)}

HEAD = "(set-logic QF_LRA)\n(set-option :produce-models true)\n(declare-fun v0 () Real)\n"
TAIL = "(assert (< v0 0.0))\n(check-sat)\n"
OK = HEAD + TAIL


def body(*commands: str) -> str:
    return HEAD + "".join(c + "\n" for c in commands) + TAIL


REFUSED = {
    "echo": body('(echo "x")'),
    "echo without a string": body("(echo x)"),
    "regular-output-channel": body('(set-option :regular-output-channel "/tmp/pwned")'),
    "diagnostic-output-channel": body('(set-option :diagnostic-output-channel "/tmp/pwned")'),
    "output channel as a symbol": body("(set-option :regular-output-channel pwned)"),
    "produce-models false": body("(set-option :produce-models false)"),
    "other option": "(set-logic QF_LRA)\n(set-option :produce-proofs true)\n(declare-fun v0 () Real)\n" + TAIL,
    "option late": body("(set-option :produce-models true)"),
    "exit": body("(exit)"),
    "exit before check-sat": HEAD + "(assert false)\n(exit)\n" + TAIL,
    "eval": body("(eval v0)"),
    "push": body("(push 1)"),
    "pop": body("(pop 1)"),
    "reset": body("(reset)"),
    "reset-assertions": body("(reset-assertions)"),
    "get-model": HEAD + TAIL + "(get-model)\n",
    "get-value": HEAD + TAIL + "(get-value (v0))\n",
    "get-info": body("(get-info :version)"),
    "get-option": body("(get-option :produce-models)"),
    "set-info": body("(set-info :status unsat)"),
    "include": body('(include "other.smt2")'),
    "declare-sort": body("(declare-sort U 0)"),
    "define-sort": body("(define-sort R () Real)"),
    "declare-datatypes": body("(declare-datatypes ((D 0)) (((c))))"),
    "define-fun-rec": body("(define-fun-rec f () Real 0.0)"),
    "check-sat-assuming": body("(check-sat-assuming (true))"),
    "two check-sats": OK + "(check-sat)\n",
    "command after check-sat": OK + "(assert true)\n",
    "no check-sat": HEAD + "(assert (< v0 0.0))\n",
    "no set-logic": "(declare-fun v0 () Real)\n" + TAIL,
    "other logic": "(set-logic ALL)\n(declare-fun v0 () Real)\n" + TAIL,
    "two set-logics": "(set-logic QF_LRA)\n" + OK,
    "string literal in a term": body('(assert (= v0 "x"))'),
    "quoted symbol": "(set-logic QF_LRA)\n(declare-fun |v0| () Real)\n" + TAIL,
    "quoted injection": "(set-logic QF_LRA)\n(declare-fun |r:acc| () Real) (assert false) (exit) ;| () Real)\n" + TAIL,
    "non-index name": "(set-logic QF_LRA)\n(declare-fun acc () Real)\n(assert (< acc 0.0))\n(check-sat)\n",
    "name shaped like a command": "(set-logic QF_LRA)\n(declare-fun exit () Real)\n(assert (< exit 0.0))\n"
                                  "(check-sat)\n",
    "declared twice": body("(declare-fun v0 () Real)"),
    "undeclared name": HEAD + "(assert (< v1 0.0))\n(check-sat)\n",
    "use before definition": HEAD + "(assert (< a0 0.0))\n(define-fun a0 () Real 1.0)\n(check-sat)\n",
    "function with arguments": body("(declare-fun v1 (Real) Real)"),
    "Int sort": body("(declare-fun v1 () Int)"),
    "Bool sort": body("(declare-const v1 Bool)"),
    "applied variable": body("(assert (< (v0 1.0) 0.0))"),
    "let": body("(assert (let ((y v0)) (< y 0.0)))"),
    "forall": body("(assert (forall ((y Real)) (< y v0)))"),
    "annotation": body("(assert (! (< v0 1.0) :named g))"),
    "indexed identifier": body("(assert (< ((_ to_fp 8 24) v0) 0.0))"),
    "as": body("(assert (< (as v0 Real) 0.0))"),
    "unknown function": body("(assert (< (abs v0) 0.0))"),
    "nonlinear": body("(assert (< (* v0 v0) 0.0))"),
    "division by a variable": body("(assert (< (/ 1.0 v0) 0.0))"),
    "division by zero": body("(assert (< (/ v0 0.0) 0.0))"),
    "ill sorted": body("(assert (+ v0 1.0))"),
    "bool in arithmetic": body("(assert (< (+ true 1.0) 0.0))"),
    "hex literal": body("(assert (< v0 #x10))"),
    "scientific number": body("(assert (< v0 1e5))"),
    "leading zero": body("(assert (< v0 007))"),
    "negative number token": body("(assert (< v0 -1))"),
    "keyword glued to a symbol": "(set-logic QF_LRA)\n(set-option:produce-models true)\n(declare-fun v0 () Real)\n"
                                 + TAIL,
    "stray atom": OK + "v0\n",
    "unbalanced close": OK + ")\n",
    "unclosed": OK + "(assert true\n",
    "empty command": body("()"),
    "carriage return": OK.replace("\n", "\r\n"),
    "form feed": body("\f"),
    "NUL": body("\0"),
    "non-ASCII": body("(assert (< v0 \u0661.0))"),
    "unicode line separator in a comment": "; a\u2028(echo \"x\")\n" + OK,
    "vertical tab in a comment": "; a\x0b(exit)\n" + OK,
    "NEL in a comment": "; a\x85(exit)\n" + OK,
    "quote in a comment": '; a "b"\n' + OK,
    "bar in a comment": "; a|b\n" + OK,
    "empty text": "",
}


@pytest.mark.parametrize("guard", sorted(GUARDS))
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_every_forbidden_construct_is_refused(guard: str, case: str) -> None:
    fn, err = GUARDS[guard]
    with pytest.raises(err):
        fn(REFUSED[case])


@pytest.mark.parametrize("guard", sorted(GUARDS))
def test_small_accepted_texts(guard: str) -> None:
    fn, _ = GUARDS[guard]
    fn(OK)
    fn("(set-logic QF_LRA)\n(check-sat)\n")
    fn("; step[q?S=a]: a comment (with) [safe] chars: 1/2*x + y <= 3, z = 0-1; ok?\n" + OK)
    fn("(set-logic QF_LRA)(declare-const v0 Real)(define-fun a0 () Real (ite (> v0 0.0) v0 0.0))"
       "(assert (or false (not (= (+ (* (- (/ 1.0 3.0)) a0) v0 2.5) 0.0)) (distinct v0 a0) (=> true (>= a0 v0))))"
       "(check-sat)")


@pytest.mark.parametrize("guard", sorted(GUARDS))
def test_deep_nesting_is_refused_without_recursion_error(guard: str) -> None:
    fn, err = GUARDS[guard]
    for depth in (65, 10_000, 200_000):
        text = HEAD + "(assert " + "(not " * depth + "true" + ")" * depth + ")\n(check-sat)\n"
        with pytest.raises(err, match="deeper|nesting"):
            fn(text)
    with pytest.raises(err):  # too deep, and too many tokens
        fn(HEAD + "(assert " + "(" * 3_000_000 + ")" * 3_000_000 + ")\n(check-sat)\n")
    fn(HEAD + "(assert " + "(not " * 60 + "true" + ")" * 60 + ")\n(check-sat)\n")  # within the limit


@pytest.mark.parametrize("guard", sorted(GUARDS))
def test_oversize_and_too_many_tokens_are_refused(guard: str) -> None:
    """Refused by the size and token limits (how fast is measured by benchmarks/security_limits.py, not here)."""
    fn, err = GUARDS[guard]
    with pytest.raises(err):
        fn(HEAD + "; " + "x" * (17 * 2**20) + "\n" + TAIL)
    with pytest.raises(err):
        fn(HEAD + "(assert (< (+ " + " ".join(["v0"] * 2_100_000) + ") 0.0))\n(check-sat)\n")


def test_limits_can_be_raised_and_lowered() -> None:
    with pytest.raises(smt_guard.SmtGuardError, match="more than the limit 10"):
        smt_guard.check(OK, smt_guard.Limits(max_chars=10))
    deep = HEAD + "(assert " + "(not " * 100 + "true" + ")" * 100 + ")\n(check-sat)\n"
    smt_guard.check(deep, smt_guard.Limits(max_depth=200))
    with pytest.raises(ValueError):
        smt_guard.Limits(max_depth=10_000)


def test_errors_name_the_offending_token() -> None:
    with pytest.raises(smt_guard.SmtGuardError, match="'echo' is not an allowed command"):
        smt_guard.check(body("(echo x)"))
    with pytest.raises(smt_guard.SmtGuardError, match="quoted symbols are refused"):
        smt_guard.check(REFUSED["quoted injection"])
    with pytest.raises(smt_guard.SmtGuardError, match="'abs' is not an allowed function symbol"):
        smt_guard.check(REFUSED["unknown function"])
    with pytest.raises(rc.SmtRefused, match="string literals are refused"):
        _smt_guard(REFUSED["echo"])


# --- everything we generate is accepted by both guards ---------------------------------------------------------
@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every .smt2 file the prover writes for the bundled constructions, the universal interpreter,
    the test cases, and a wrong-weight mutant (whose equality query is sat)."""
    files = {name: from_compiled(compiled(name)) for name in sorted(CASES)}
    files["universal"] = from_compiled(compile_program(universal_interpreter()))
    f = files["squaring"]
    i, j, v = f.network.W_hh.entries()[-1]
    files["squaring_mutant"] = io.RnnFile(network=f.network.replace(W_hh=f.network.W_hh.with_entry(i, j, v * 2)),
                                          name="mutant", simulation=f.simulation)
    texts: dict[str, str] = {}
    for name, rnn in files.items():
        folder = tmp_path_factory.mktemp(name)
        check(rnn, Options(smt_dir=folder))
        texts.update({f"{name}/{p.name}": p.read_text() for p in sorted(folder.glob("*.smt2"))})
    return texts


@pytest.mark.parametrize("guard", sorted(GUARDS))
def test_generated_queries_are_accepted(guard: str, generated: dict[str, str]) -> None:
    fn, _ = GUARDS[guard]
    assert len(generated) >= 25
    assert any("(assert (or " in t or "(not (= " in t for t in generated.values())  # equality queries too
    for name, text in generated.items():
        try:
            fn(text)
        except Exception as err:  # pragma: no cover - a failure names the file
            raise AssertionError(f"{name}: {err}") from err


def test_generated_queries_use_index_names_only(generated: dict[str, str]) -> None:
    for name, text in generated.items():
        script = smt_guard.check(text)
        n = len(script.declared)
        assert list(script.declared) == [f"v{i}" for i in range(n)], name
        assert list(script.defined) == [f"a{i}" for i in range(len(script.defined))], name
        assert "|" not in text and '"' not in text, name


def test_recheck_own_queries_are_accepted_by_both_guards() -> None:
    box = {"x": (Fraction(-1), Fraction(1)), "r:acc": (Fraction(0), Fraction(1)), "v:A": (Fraction(1, 3), Fraction(1))}
    inner = rc.make_atom({"x": Fraction(1), "r:acc": Fraction(-2)})
    exprs = [rc.plus({"x": Fraction(1), "1": Fraction(1, 2)}, inner), {"v:A": Fraction(3), **inner}]
    for goal in ("nonzero", "negative"):
        text = rc.smt_query(box, exprs, goal)
        smt_guard.check(text)
        _smt_guard(text)
        assert "(declare-fun v0 () Real)" in text and "(define-fun a0 () Real" in text


@pytest.mark.skipif(not list(PROOFS.glob("*/smt/*.smt2")), reason="no committed SMT-LIB files")
@pytest.mark.parametrize("guard", sorted(GUARDS))
def test_committed_queries_are_accepted(guard: str) -> None:
    fn, _ = GUARDS[guard]
    files = sorted(PROOFS.glob("*/smt/*.smt2"))
    bad = []
    for p in files:
        try:
            fn(p.read_text())
        except Exception as err:
            bad.append(f"{p.relative_to(PROOFS)}: {err}")
    assert not bad, f"{len(bad)} of {len(files)} committed files refused (regenerate proofs/): {bad[:3]}"


# --- the naming convention: both sides compute it independently -----------------------------------------------
def test_both_sides_name_variables_alike() -> None:
    keys = ["x", "v:B", "r:acc", "r:Z", "v:A", "r:x1"]
    box = {k: (Fraction(0), Fraction(1)) for k in keys}
    assert smt.variable_names(keys) == _smt_names(box)
    assert smt.variable_names(keys)["r:Z"] == "v0"  # Python string order: "r:Z" < "r:acc"
    with pytest.raises(ValueError):
        smt.variable_names(["x", "x"])


def test_solve_maps_the_model_back_to_box_keys() -> None:
    box = {"r:b": (q(2), q(3)), "r:a": (q(-1), q(1)), "x": (q(5), q(5))}
    e = {"r:a": q(1), "r:b": q(1), "1": q(-2)}  # a + b - 2 < 0 somewhere: a = -1, b in [2, 3)
    r = smt.solve(smt.negativity_query(box, e), timeout=5.0, variables=list(box))
    assert r.status == "sat"
    assert set(r.model) == set(box) and r.model["x"] == 5
    assert r.model["r:a"] + r.model["r:b"] - 2 < 0


def test_solve_refuses_a_text_that_declares_other_variables() -> None:
    text = smt.negativity_query({"x": (q(0), q(1))}, {"x": q(1)})
    with pytest.raises(smt_guard.SmtGuardError, match="declares"):
        smt.solve(text, timeout=5.0, variables=["x", "y"])


def _never(*_a: object, **_k: object) -> None:
    raise AssertionError("z3 was called")


@pytest.mark.parametrize("case", ["echo", "regular-output-channel", "exit", "quoted injection"])
def test_solve_never_hands_a_refused_text_to_z3(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(z3.Solver, "from_string", _never)
    with pytest.raises(smt_guard.SmtGuardError):
        smt.solve(REFUSED[case], timeout=5.0, variables=["x"])


@pytest.mark.parametrize("status", [rc.z3_status, rc.cvc5_status])
def test_recheck_solvers_refuse_to_run_a_refused_text(status: Callable[[str, float], str | None],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(z3.Solver, "from_string", _never)
    with pytest.raises(rc.SmtRefused):
        status(REFUSED["echo"], 5.0)


def test_recheck_not_vacuous_checks_its_own_index_names() -> None:
    box = {"x": (Fraction(-1), Fraction(1)), "r:a": (Fraction(0), Fraction(1))}
    good = smt.negativity_query({k: (q(str(a)), q(str(b))) for k, (a, b) in box.items()}, {"r:a": q(1)})
    assert _not_vacuous(good, box, 5.0) is None
    assert "declares" in _not_vacuous(good, {"x": box["x"]}, 5.0)
    lines = good.splitlines(keepends=True)
    goal = max(i for i, line in enumerate(lines) if line.startswith("(assert"))
    vacuous = "".join(lines[:goal]) + "(assert (> v0 5.0))\n" + "".join(lines[goal:])  # v0 = r:a is in [0, 1]
    assert "vacuous" in _not_vacuous(vacuous, box, 5.0)
    assert "refused" in _not_vacuous(REFUSED["echo"], box, 5.0)


def test_comments_are_sanitized() -> None:
    hostile = "r:a|b\"c\r(echo x)\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029;é"
    text = smt.negativity_query({f"r:{hostile}": (q(0), q(1))}, {f"r:{hostile}": q(1)}, comment=f"id[{hostile}]")
    smt_guard.check(text)
    _smt_guard(text)
    for line in text.split("\n"):
        assert line == "" or line.startswith("(") or line.startswith("; ")
        assert all(" " <= c <= "~" for c in line)
    assert smt.sanitize("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029") == "?" * 10
    assert len(smt.sanitize("a" * 10_000)) == smt.COMMENT_WIDTH
