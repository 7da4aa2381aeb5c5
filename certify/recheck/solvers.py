"""Solver calls: z3 and, when installed, cvc5, only ever on a text the guard allows.

A query the re-checker relies on must be unsat for z3 and for cvc5 (when installed); a query that a
certificate cites must besides declare exactly its box's variables and must not be vacuous.
"""

from __future__ import annotations

from certify.recheck.report import Report
from certify.recheck.smt import _smt_names
from certify.recheck.smt_guard import SmtRefused, _smt_guard, _smt_unparse


def z3_status(text: str, timeout: float) -> str:
    """z3's answer on an allowed text (:class:`SmtRefused` otherwise; z3 is not called then)."""
    _smt_guard(text)
    import z3

    s = z3.Solver(ctx=z3.Context())
    s.set("timeout", max(1, int(timeout * 1000)))
    try:
        s.from_string(text)
        return str(s.check())
    except z3.Z3Exception as err:
        return f"an error ({ascii(str(err)[:120])})"


def cvc5_status(text: str, timeout: float) -> str | None:
    """cvc5's answer on an allowed text, or None when cvc5 is not installed."""
    _smt_guard(text)
    try:
        import cvc5
    except ImportError:
        return None
    tm = cvc5.TermManager()
    s = cvc5.Solver(tm)
    s.setOption("tlimit-per", str(max(1, int(timeout * 1000))))
    sm = cvc5.SymbolManager(tm)
    p = cvc5.InputParser(s, sm)
    p.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, text, "query")
    answer = "unknown"
    try:
        while True:
            cmd = p.nextCommand()
            if cmd.isNull():
                break
            out = cmd.invoke(s, sm).strip()
            if out.startswith("(error"):
                return f"an error ({ascii(out[:120])})"
            if out in ("sat", "unsat", "unknown"):
                answer = out
    except RuntimeError as err:  # cvc5's API errors derive from RuntimeError
        return f"an error ({ascii(str(err)[:120])})"
    return answer


def _smt_checks(text: str, timeout: float, rep: Report) -> str | None:
    """Run a query through z3 and cvc5 (if installed); both must answer unsat. A text outside the
    allowed SMT-LIB subset is a disagreement and goes to no solver."""
    try:
        _smt_guard(text)
    except SmtRefused as err:
        return f"refused by the SMT-LIB guard, not run: {err}"
    z = z3_status(text, timeout)
    if "z3" not in rep.solvers:
        rep.solvers.append("z3")
    if z != "unsat":
        return f"z3 answers {z}"
    c = cvc5_status(text, timeout)
    if c is not None:
        if "cvc5" not in rep.solvers:
            rep.solvers.append("cvc5")
        if c != "unsat":
            return f"cvc5 answers {c}"
    return None


def _not_vacuous(text: str, box: dict, timeout: float) -> str | None:
    """A cited query must declare exactly the index names of the box's variables (v0 … v<n-1>), and be
    satisfiable without its last assertion (the goal): otherwise its unsat answer says nothing about
    the obligation."""
    try:
        cmds, declared = _smt_guard(text)
    except SmtRefused as err:
        return f"refused by the SMT-LIB guard, not run: {err}"
    want = list(_smt_names(box).values())
    if sorted(declared) != sorted(want):
        return f"the query declares {declared[:8]}, not the {len(want)} variables {want[:8]} of its box"
    goal = max((i for i, c in enumerate(cmds) if c[0] == "assert"), default=None)
    if goal is None:
        return "the query asserts nothing"
    hypotheses = "\n".join(_smt_unparse(c) for i, c in enumerate(cmds) if i != goal) + "\n"
    status = z3_status(hypotheses, timeout)
    return None if status == "sat" else f"the query is vacuous: without its goal z3 answers {status}"
