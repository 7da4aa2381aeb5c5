"""The re-checker's own SMT-LIB allowlist guard (the prover's is ``certify/prove/smt_guard.py``).

Nothing reaches z3 or cvc5 unless it is a plain QF_LRA query: (set-logic QF_LRA), optionally
(set-option :produce-models true), nullary Real declare-fun / declare-const / define-fun with index names
(a letter and a number), assert, and one final (check-sat); terms use numerals, decimals, true, false,
declared names and and or not => = distinct < <= > >= + - * / ite, well sorted and linear. No string
literals, no |quoted| symbols, comments of safe characters only; size, tokens and depth are bounded.

>>> _smt_guard("(set-logic QF_LRA) (declare-fun v0 () Real) (assert (< v0 0.0)) (check-sat)")[1]
['v0']
>>> _smt_guard('(set-logic QF_LRA) (echo "x") (check-sat)')
Traceback (most recent call last):
...
certify.recheck.smt_guard.SmtRefused: character '"' at offset 25 is not allowed (string literals are refused)
"""

from __future__ import annotations

import re
from typing import Any

SMT_MAX_CHARS = 16 * 2**20
SMT_MAX_TOKENS = 2_000_000
SMT_MAX_DEPTH = 64


class SmtRefused(Exception):
    """An SMT-LIB text outside the allowed subset (never given to a solver)."""


_SMT_LEX = re.compile(r"(?P<ws>[ \t\n]+)|(?P<comment>;[^\n]*)|(?P<paren>[()])"
                      r"|(?P<word>:?[-A-Za-z0-9~!@$%^&*_+=<>.?/]+)")
_SMT_COMMENT_OK = re.compile(r";[-A-Za-z0-9 _.,:;=+*/<>()\[\]?]*")
_SMT_NUMBER = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]+)?")
_SMT_INDEX_NAME = re.compile(r"[a-z](0|[1-9][0-9]{0,8})")
# function: (argument sort or None for "any, all alike", result sort or None for "the argument sort",
#            fewest arguments, most arguments or None)
_SMT_FUNCS = {"not": ("Bool", "Bool", 1, 1), "and": ("Bool", "Bool", 1, None), "or": ("Bool", "Bool", 1, None),
              "=>": ("Bool", "Bool", 2, None), "=": (None, "Bool", 2, None), "distinct": (None, "Bool", 2, None),
              "<": ("Real", "Bool", 2, None), "<=": ("Real", "Bool", 2, None), ">": ("Real", "Bool", 2, None),
              ">=": ("Real", "Bool", 2, None), "+": ("Real", "Real", 2, None), "-": ("Real", "Real", 1, None),
              "*": ("Real", "Real", 2, None), "/": ("Real", "Real", 2, None), "ite": (None, None, 3, 3)}


def _smt_unparse(e: Any) -> str:
    parts: list[str] = []
    todo = [e]
    while todo:
        x = todo.pop()
        if isinstance(x, tuple):
            todo.append(")")
            todo.extend(reversed([y for a in x for y in (" ", a)][1:]))
            todo.append("(")
        else:
            parts.append(x)
    return "".join(parts)


def _smt_short(e: Any) -> str:
    t = _smt_unparse(e)
    return ascii(t if len(t) <= 60 else t[:60] + "...")


def _smt_parse(text: str) -> list[tuple]:
    """Lex and parse with explicit stacks; refuses any character or token outside the subset."""
    if not isinstance(text, str) or len(text) > SMT_MAX_CHARS:
        raise SmtRefused(f"the text is larger than {SMT_MAX_CHARS} characters")
    top: list[Any] = []
    open_: list[list[Any]] = []
    pos = count = 0
    for m in _SMT_LEX.finditer(text):
        if m.start() != pos:
            break
        pos = m.end()
        kind, tok = m.lastgroup, m.group()
        if kind == "ws":
            continue
        if kind == "comment":
            if not _SMT_COMMENT_OK.fullmatch(tok):
                raise SmtRefused(f"a comment holds a character outside the safe set: {ascii(tok[:60])}")
            continue
        count += 1
        if count > SMT_MAX_TOKENS:
            raise SmtRefused(f"more than {SMT_MAX_TOKENS} tokens")
        if tok == "(":
            if len(open_) >= SMT_MAX_DEPTH:
                raise SmtRefused(f"nesting deeper than {SMT_MAX_DEPTH}")
            open_.append([])
        elif tok == ")":
            if not open_:
                raise SmtRefused("an unmatched ')'")
            done = tuple(open_.pop())
            (open_[-1] if open_ else top).append(done)
        else:
            if tok[0] == ":" and m.start() > 0 and text[m.start() - 1] not in " \t\n":
                raise SmtRefused(f"the keyword {ascii(tok[:60])} does not follow white space")
            if not open_:
                raise SmtRefused(f"the token {ascii(tok[:60])} is outside any command")
            open_[-1].append(tok)
    if pos != len(text):
        c = text[pos]
        what = {'"': " (string literals are refused)", "|": " (quoted symbols are refused)"}.get(c, "")
        raise SmtRefused(f"character {c!a} at offset {pos} is not allowed{what}")
    if open_:
        raise SmtRefused("the text ends inside an open '('")
    return top


def _smt_sort(term: Any, names: set[str]) -> tuple[str, bool]:
    """(sort, constant?) of a term, computed bottom-up with an explicit stack."""
    work: list[tuple[Any, bool]] = [(term, False)]
    vals: list[tuple[str, bool]] = []
    while work:
        t, ready = work.pop()
        if isinstance(t, str):
            if _SMT_NUMBER.fullmatch(t):
                vals.append(("Real", True))
            elif t in ("true", "false"):
                vals.append(("Bool", True))
            elif t in names:
                vals.append(("Real", False))
            else:
                raise SmtRefused(f"{_smt_short(t)} is not a number, true, false or a declared name")
            continue
        if not t or not isinstance(t[0], str) or t[0] not in _SMT_FUNCS:
            raise SmtRefused(f"{_smt_short(t[0] if t else t)} is not an allowed function (in {_smt_short(t)})")
        if not ready:
            work.append((t, True))
            work.extend((a, False) for a in reversed(t[1:]))
            continue
        f, n = t[0], len(t) - 1
        args = vals[len(vals) - n:]
        del vals[len(vals) - n:]
        arg_sort, result, least, most = _SMT_FUNCS[f]
        sorts = [a for a, _ in args]
        ok = least <= n and (most is None or n <= most)
        if f == "ite":
            ok = ok and sorts[0] == "Bool" and sorts[1] == sorts[2]
            result = sorts[1] if ok else None
        elif arg_sort is None:
            ok = ok and len(set(sorts)) == 1
        else:
            ok = ok and all(a == arg_sort for a in sorts)
        if ok and f == "*":
            ok = sum(not c for _, c in args) <= 1
        if ok and f == "/":
            ok = all(isinstance(d, str) and _SMT_NUMBER.fullmatch(d) and d.strip("0.") for d in t[2:])
        if not ok:
            raise SmtRefused(f"{f!r} is applied wrongly (sorts, arity, or not linear) in {_smt_short(t)}")
        assert result is not None  # only "ite" has no fixed result sort, and it took its branches' sort above
        vals.append((result, all(c for _, c in args)))
    return vals[0]


def _smt_guard(text: str) -> tuple[list[tuple], list[str]]:
    """(commands, declared variable names) of an allowed text; raises :class:`SmtRefused` otherwise."""
    cmds = _smt_parse(text)
    names: set[str] = set()
    declared: list[str] = []
    if not cmds or cmds[0] != ("set-logic", "QF_LRA"):
        raise SmtRefused(f"the first command is {_smt_short(cmds[0]) if cmds else 'missing'}, "
                         "not (set-logic QF_LRA)")
    if not cmds[-1] == ("check-sat",):
        raise SmtRefused(f"the last command is {_smt_short(cmds[-1])}, not (check-sat)")
    for i, c in enumerate(cmds[1:-1], 2):
        head = c[0] if c else None
        if c == ("set-option", ":produce-models", "true") and i == 2:
            continue
        if head == "assert" and len(c) == 2:
            if _smt_sort(c[1], names)[0] != "Bool":
                raise SmtRefused(f"command {i}: the assertion is not a Bool term")
            continue
        if c[:1] == ("declare-const",) and len(c) == 3 and c[2] == "Real":
            name = c[1]
        elif head in ("declare-fun", "define-fun") and len(c) == (4 if head == "declare-fun" else 5) \
                and c[2] == () and c[3] == "Real":
            name = c[1]
            if head == "define-fun" and _smt_sort(c[4], names)[0] != "Real":
                raise SmtRefused(f"command {i}: the definition of {_smt_short(name)} is not a Real term")
        else:
            raise SmtRefused(f"command {i}: {_smt_short(c)} is not allowed")
        if not isinstance(name, str) or not _SMT_INDEX_NAME.fullmatch(name) or name in names:
            raise SmtRefused(f"command {i}: {_smt_short(name)} is not a fresh index name (a letter and a number)")
        names.add(name)
        if head != "define-fun":
            declared.append(name)
    return cmds, declared
