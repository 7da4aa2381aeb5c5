"""SMT queries (linear real arithmetic, ReLU as if-then-else), as self-contained SMT-LIB2 text.

The text is what gets solved (z3 parses it), so the exported ``.smt2`` file is exactly the query
that was decided, and another solver (cvc5) can re-check it. Constants are exact ``(/ p q)``.

* :func:`equality_query` — is there a point of the box where some residual is nonzero?
  ``unsat`` proves every residual is 0 on the box.
* :func:`negativity_query` — is there a point of the box where ``e < 0``? ``unsat`` proves e >= 0.

Identifiers come from a fixed safe alphabet, never from the weight file: the box's variable keys
(``x``, ``r:<register>``, ``v:<stack>``) sorted in Python string order are ``v0, v1, …``, and
the ReLU atoms, in the order :func:`certify.prove.pwl.atoms_in` lists them, are ``a0, a1, …``
(the re-checker computes the same names independently). Names from the file appear only in
``;`` comments, sanitized by :func:`sanitize`. Before z3 sees a text, :func:`solve` runs the
allowlist guard :func:`certify.prove.smt_guard.check`.

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

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import z3
from flint import fmpq

from certify.prove import pwl, smt_guard
from certify.prove.pwl import ONE, Lin


def num(v: fmpq) -> str:
    """An exact SMT-LIB real constant."""
    mag = abs(v)
    text = f"{mag.p}.0" if mag.q == 1 else f"(/ {mag.p}.0 {mag.q}.0)"
    return f"(- {text})" if v < 0 else text


def variable_names(keys: Iterable[str]) -> dict[str, str]:
    """The SMT-LIB name of each box variable: the keys in Python string order are ``v0, v1, …``.

    Names from the weight file never reach the solver text (they may only appear in comments).

    >>> variable_names(["x", "r:acc", "v:A"])
    {'r:acc': 'v0', 'v:A': 'v1', 'x': 'v2'}
    """
    ordered = sorted(keys)
    if len(set(ordered)) != len(ordered):
        raise ValueError(f"duplicate box variables in {ordered[:10]}")
    return {k: f"v{i}" for i, k in enumerate(ordered)}


_UNSAFE = re.compile(r"[^A-Za-z0-9 _.,:=+*/<>()\[\]-]")
COMMENT_WIDTH = 200


def sanitize(text: str) -> str:
    """One comment line: every character outside a safe printable-ASCII set (line breaks of any
    kind included) becomes ``?``; long lines are cut.

    >>> sanitize("acc|) (assert false)\\r\\u2028;\\xe9")
    'acc?) (assert false)????'
    """
    out = _UNSAFE.sub("?", text)
    return out if len(out) <= COMMENT_WIDTH else out[:COMMENT_WIDTH - 3] + "..."


def _comments(text: str) -> list[str]:
    return [f"; {sanitize(line)}" for line in text.splitlines()]


def _term(e: Mapping, names: Mapping[object, str]) -> str:
    parts = []
    for k in pwl.keys_sorted(e):
        v = e[k]
        if k == ONE:
            parts.append(num(v))
            continue
        atom = names[k]
        parts.append(atom if v == 1 else f"(* {num(v)} {atom})")
    if not parts:
        return "0.0"
    return parts[0] if len(parts) == 1 else f"(+ {' '.join(parts)})"


def _preamble(box: Mapping[str, tuple[fmpq, fmpq]], exprs: Sequence[Mapping], comment: str) -> tuple[list[str], dict]:
    variables = variable_names(box)
    lines = _comments(comment)
    lines += _comments("variables: " + ", ".join(f"{n} = {k}" for k, n in variables.items()))
    lines += ["(set-logic QF_LRA)", "(set-option :produce-models true)"]
    for name in variables.values():
        lines.append(f"(declare-fun {name} () Real)")
    for key, name in variables.items():
        lo, hi = box[key]
        if lo == hi:
            lines.append(f"(assert (= {name} {num(lo)}))")
        else:
            lines.append(f"(assert (and (<= {num(lo)} {name}) (<= {name} {num(hi)})))")
    names: dict[object, str] = dict(variables.items())
    for i, a in enumerate(pwl.atoms_in(exprs)):
        arg = _term(a.as_lin(), names)
        names[a] = f"a{i}"
        lines.append(f"(define-fun a{i} () Real (ite (> {arg} 0.0) {arg} 0.0))")
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


def solve(text: str, timeout: float, variables: Sequence[str] = ("x",), rlimit: int | None = None) -> SmtResult:
    """Decide an SMT-LIB2 query with z3 within ``timeout`` seconds and, when given, z3's deterministic resource
    budget ``rlimit`` (the same answer on every machine; exceeded → unknown). Never guesses; on ``sat`` the
    model gives exact rational values of ``variables`` (the box's keys; the text names them
    ``v0, v1, …`` by :func:`variable_names`).

    The text passes :func:`certify.prove.smt_guard.check` first: z3 never sees anything else. Our
    own queries always pass, so a refusal is a bug and raises :class:`~certify.prove.smt_guard.SmtGuardError`.
    """
    script = smt_guard.check(text)
    names = variable_names(variables)
    if sorted(script.declared) != sorted(names.values()):
        raise smt_guard.SmtGuardError(f"the query declares {list(script.declared)[:10]}, not the variables "
                                      f"{sorted(names.values())[:10]} of {len(names)} box keys")
    ctx = z3.Context()
    s = z3.Solver(ctx=ctx)
    s.set("timeout", max(1, int(timeout * 1000)))
    if rlimit is not None:
        s.set("rlimit", rlimit)
    s.from_string(text)
    r = s.check()
    if r == z3.unsat:
        return SmtResult("unsat")
    if r == z3.sat:
        m = s.model()
        model = {k: _rational(m.eval(z3.Real(n, ctx), model_completion=True)) for k, n in names.items()}
        return SmtResult("sat", model=model)
    return SmtResult("unknown", reason=f"z3: {s.reason_unknown()}")


def z3_version() -> str:
    return z3.get_version_string()
