"""SMT queries (linear real arithmetic, ReLU as if-then-else), as self-contained SMT-LIB2 text.

The text is what gets solved (z3 parses it), so the exported ``.smt2`` file is exactly the query
that was decided, and another solver (cvc5) can re-check it. Constants are exact ``(/ p q)``.

* :func:`equality_query` — is there a point of the box where some residual is nonzero?
  ``unsat`` proves every residual is 0 on the box.
* :func:`negativity_query` — is there a point of the box where ``e < 0``? ``unsat`` proves e >= 0.

>>> from certify.rational import parse_number as q
>>> from certify.prove import pwl
>>> box = {"x": (q(-1), q(1))}
>>> e = pwl.add(pwl.atom({"x": q(1)}), pwl.atom({"x": q(-1)}))   # relu(x) + relu(-x) = |x|
>>> r = solve(negativity_query(box, e), timeout=5.0)
>>> r.status
'unsat'
>>> r = solve(equality_query(box, [pwl.add(dict(e), {"x": q(1)}, -1)]), timeout=5.0, variables=["x"])  # |x| = x?
>>> r.status, r.model["x"] < 0
('sat', True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import z3
from flint import fmpq

from certify.prove import pwl
from certify.prove.pwl import ONE, Lin, Relu


def num(v: fmpq) -> str:
    """An exact SMT-LIB real constant."""
    mag = abs(v)
    text = f"{mag.p}.0" if mag.q == 1 else f"(/ {mag.p}.0 {mag.q}.0)"
    return f"(- {text})" if v < 0 else text


def sym(name: str) -> str:
    return f"|{name}|"


def _term(e: Mapping, names: Mapping[Relu, str]) -> str:
    parts = []
    for k in pwl.keys_sorted(e):
        v = e[k]
        if k == ONE:
            parts.append(num(v))
            continue
        atom = sym(k) if isinstance(k, str) else names[k]
        parts.append(atom if v == 1 else f"(* {num(v)} {atom})")
    if not parts:
        return "0.0"
    return parts[0] if len(parts) == 1 else f"(+ {' '.join(parts)})"


def _preamble(box: Mapping[str, tuple[fmpq, fmpq]], exprs: Sequence[Mapping], comment: str) -> tuple[list[str], dict]:
    lines = [f"; {line}" for line in comment.splitlines()] if comment else []
    lines += ["(set-logic QF_LRA)", "(set-option :produce-models true)"]
    for name in sorted(box):
        lines.append(f"(declare-fun {sym(name)} () Real)")
    for name, (lo, hi) in sorted(box.items()):
        if lo == hi:
            lines.append(f"(assert (= {sym(name)} {num(lo)}))")
        else:
            lines.append(f"(assert (and (<= {num(lo)} {sym(name)}) (<= {sym(name)} {num(hi)})))")
    names: dict[Relu, str] = {}
    for i, a in enumerate(pwl.atoms_in(exprs)):
        arg = _term(a.as_lin(), names)
        names[a] = f"relu{i}"
        lines.append(f"(define-fun relu{i} () Real (ite (> {arg} 0.0) {arg} 0.0))")
    return lines, names


def equality_query(box: Mapping[str, tuple[fmpq, fmpq]], residuals: Sequence[Lin], comment: str = "") -> str:
    """SMT-LIB2 text asking for a box point where some residual is nonzero (unsat = all are 0)."""
    lines, names = _preamble(box, residuals, comment)
    diffs = [f"(not (= {_term(r, names)} 0.0))" for r in residuals]
    lines.append(f"(assert (or {' '.join(diffs)}))" if len(diffs) > 1 else f"(assert {diffs[0]})")
    lines.append("(check-sat)")
    return "\n".join(lines) + "\n"


def negativity_query(box: Mapping[str, tuple[fmpq, fmpq]], e: Lin, comment: str = "") -> str:
    """SMT-LIB2 text asking for a box point where ``e < 0`` (unsat = e >= 0 on the box)."""
    lines, names = _preamble(box, [e], comment)
    lines.append(f"(assert (< {_term(e, names)} 0.0))")
    lines.append("(check-sat)")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class SmtResult:
    status: str  # "unsat" | "sat" | "unknown"
    reason: str = ""
    model: dict[str, fmpq] = field(default_factory=dict)


def _rational(v: z3.ExprRef) -> fmpq:
    if z3.is_rational_value(v):
        return fmpq(v.numerator_as_long(), v.denominator_as_long())
    if z3.is_int_value(v):
        return fmpq(v.as_long())
    raise ValueError(f"z3 returned a non-rational model value {v}")


def solve(text: str, timeout: float, variables: Sequence[str] = ("x",)) -> SmtResult:
    """Decide an SMT-LIB2 query with z3 within ``timeout`` seconds (never guesses); on ``sat`` the
    model gives exact rational values of ``variables``."""
    ctx = z3.Context()
    s = z3.Solver(ctx=ctx)
    s.set("timeout", max(1, int(timeout * 1000)))
    s.from_string(text)
    r = s.check()
    if r == z3.unsat:
        return SmtResult("unsat")
    if r == z3.sat:
        m = s.model()
        model = {v: _rational(m.eval(z3.Real(v, ctx), model_completion=True)) for v in variables}
        return SmtResult("sat", model=model)
    return SmtResult("unknown", reason=f"z3: {s.reason_unknown()}")


def z3_version() -> str:
    return z3.get_version_string()
