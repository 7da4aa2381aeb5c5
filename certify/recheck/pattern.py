"""Replaying a recorded activation pattern: the RNN run symbolically over a box, each recorded decision verified.

Each unit's decision is ``+`` (active: the pre-activation is >= 0 on the box), ``0`` (inactive: <= 0),
``L`` (active by a proved invariant lemma) or ``a`` (undecided: kept as a ReLU atom). A decision the box
does not justify is a problem, never an assumption.
"""

from __future__ import annotations

from fractions import Fraction

from certify.recheck.algebra import _rank, bounds, const, make_atom, plus
from certify.recheck.model import Model

F = Fraction


def replay(m: Model, h: list[dict], box: dict, pattern: list[str], lemmas: dict[tuple, str]) -> tuple[list, list, list]:
    """Propagate with the recorded pattern, verifying each recorded decision. Returns (h, outputs, problems)."""
    w = m.w
    problems: list[str] = []
    outputs: list[list[dict]] = []
    x = {"x": F(1)}
    if any(not isinstance(p, str) or len(p) != w.n for p in pattern):
        return h, outputs, ["the recorded activation pattern has the wrong shape"]
    for step, chars in enumerate(pattern):
        new = []
        for i in range(w.n):
            e = const(w.b[i])
            for j, c in w.W_hh[i].items():
                if h[j]:
                    e = plus(e, h[j], c)
            for c in w.W_ih[i].values():  # a simulation has one input, the variable x
                e = plus(e, x, c)
            ch = chars[i]
            lo, hi = bounds(e, box) if e else (F(0), F(0))
            if ch == "+":
                ok = lo >= 0
                new.append(e)
            elif ch == "0":
                ok = hi <= 0
                new.append({})
            elif ch == "L":
                key = tuple(sorted(e.items(), key=lambda kv: _rank(kv[0])))
                ok = key in lemmas
                new.append(e)
            elif ch == "a":
                ok = True
                new.append(make_atom(e))
            else:
                ok = False
                new.append({})
            if not ok:
                problems.append(f"step {step + 1}, unit {i}: recorded decision {ch!r} is not justified "
                                f"(pre-activation range [{lo}, {hi}])")
        h = new
        outputs.append([_dot(w.W_out[k], h, w.b_out[k]) for k in range(w.d_out)])
    return h, outputs, problems


def _dot(row: dict[int, Fraction], h: list[dict], b: Fraction) -> dict:
    e = const(b)
    for j, c in row.items():
        if h[j]:
            e = plus(e, h[j], c)
    return e
