"""The re-checker's own SMT-LIB writer (QF_LRA): box bounds, ReLU atoms as ``ite``, one goal.

Names: the box's keys in Python string order are v0, v1, …; ReLU atoms, in depth-first order of first
appearance (nested atoms first), are a0, a1, …. No name from the weight file is ever written.

>>> print(smt_query({"r:a": (F(0), F(1))}, [{"r:a": F(1), "1": F(-1, 2)}], "negative"), end="")
(set-logic QF_LRA)
(declare-fun v0 () Real)
(assert (<= 0.0 v0))
(assert (<= v0 1.0))
(assert (< (+ v0 (- (/ 1.0 2.0))) 0.0))
(check-sat)
"""

from __future__ import annotations

from fractions import Fraction

from certify.recheck.algebra import ONE, _rank, atoms
from certify.recheck.read import RecheckError

F = Fraction


def _smt_num(v: Fraction) -> str:
    m = abs(v)
    t = f"{m.numerator}.0" if m.denominator == 1 else f"(/ {m.numerator}.0 {m.denominator}.0)"
    return f"(- {t})" if v < 0 else t


def _smt_names(box: dict) -> dict:
    """{box key: "v<i>"}, the keys in Python string order."""
    return {k: f"v{i}" for i, k in enumerate(sorted(box))}


def _smt_term(e: dict, names: dict) -> str:
    parts = []
    for k in sorted(e, key=_rank):
        v = e[k]
        if k == ONE:
            parts.append(_smt_num(v))
            continue
        if k not in names:
            raise RecheckError(f"the expression uses {k!r}, which is not a variable of its box")
        t = names[k]
        parts.append(t if v == 1 else f"(* {_smt_num(v)} {t})")
    if not parts:
        return "0.0"
    return parts[0] if len(parts) == 1 else "(+ " + " ".join(parts) + ")"


def smt_query(box: dict, exprs: list[dict], goal: str) -> str:
    """``goal``: "nonzero" (some expression != 0) or "negative" (the single expression < 0)."""
    out = ["(set-logic QF_LRA)"]
    names = _smt_names(box)
    for k, n in names.items():
        out.append(f"(declare-fun {n} () Real)")
        lo, hi = box[k]
        out.append(f"(assert (<= {_smt_num(lo)} {n}))")
        out.append(f"(assert (<= {n} {_smt_num(hi)}))")
    for i, a in enumerate(atoms(exprs)):
        arg = _smt_term(a.lin(), names)
        names[a] = f"a{i}"
        out.append(f"(define-fun a{i} () Real (ite (> {arg} 0.0) {arg} 0.0))")
    if goal == "negative":
        out.append(f"(assert (< {_smt_term(exprs[0], names)} 0.0))")
    else:
        out.append("(assert (or false " + " ".join(f"(not (= {_smt_term(e, names)} 0.0))" for e in exprs) + "))")
    out.append("(check-sat)")
    return "\n".join(out) + "\n"
