"""An allowlist guard for SMT-LIB text: nothing reaches z3 unless it is a plain QF_LRA query.

z3 *executes* what it parses — ``(echo …)``, ``(set-option :regular-output-channel "file")``,
``(exit)`` — before it reports an error, so a text that is not exactly what we mean to ask can
write files or end the query early. :func:`check` tokenizes and parses the text (bounded: size,
token count, nesting depth; no recursion on untrusted depth) and accepts only this language:

* characters: printable ASCII, tab and newline; string literals ``"…"``, quoted symbols ``|…|``,
  ``#`` literals and any other character outside comments are refused;
* comments ``; …`` to the end of the line, holding only ``[A-Za-z0-9 _.,:;=+*/<>()[]?-]``;
* commands, in this order: ``(set-logic QF_LRA)``, optionally ``(set-option :produce-models
  true)``, then any ``(declare-fun N () Real)``, ``(declare-const N Real)``,
  ``(define-fun N () Real t)`` and ``(assert t)``, and last exactly one ``(check-sat)``;
* names ``N``: index names, one lowercase letter and a decimal index (``v0``, ``a12``), each
  declared or defined once, before its first use;
* terms: numerals, decimals, ``true``, ``false``, declared names, and applications of ``and or
  not => = distinct < <= > >= + - * / ite`` that are well sorted and linear (at most one
  non-constant factor in ``*``; a divisor is a nonzero numeral or decimal).

The re-checker (:mod:`certify.recheck`) has its own, independent guard for the same language.

>>> script = check("(set-logic QF_LRA)\\n(declare-fun v0 () Real)\\n(assert (< v0 (/ 1.0 2.0)))\\n(check-sat)\\n")
>>> script.declared
('v0',)
>>> check('(set-logic QF_LRA)(echo "pwned")(check-sat)')
Traceback (most recent call last):
    ...
certify.prove.smt_guard.SmtGuardError: line 1: '"' is not allowed in SMT-LIB text (string literals are refused)
>>> check("(set-logic QF_LRA)(exit)(check-sat)")
Traceback (most recent call last):
    ...
certify.prove.smt_guard.SmtGuardError: command 2: 'exit' is not an allowed command
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: An S-expression: an atom (a token string) or a tuple of S-expressions.
Sexp = str | tuple


class SmtGuardError(ValueError):
    """The text is not in the allowed SMT-LIB subset; the message names the offending token."""


@dataclass(frozen=True)
class Limits:
    """Bounds on what :func:`check` reads; raise them by passing your own ``Limits``."""

    max_chars: int = 16 * 2**20
    max_tokens: int = 2_000_000
    max_depth: int = 64

    def __post_init__(self) -> None:
        if not 1 <= self.max_depth <= 500:  # terms are checked recursively: stay far below Python's limit
            raise ValueError(f"max_depth={self.max_depth} is outside 1..500")


LIMITS = Limits()

COMMANDS = ("set-logic", "set-option", "declare-fun", "declare-const", "define-fun", "assert", "check-sat")
FUNCTIONS = ("and", "or", "not", "=>", "=", "distinct", "<", "<=", ">", ">=", "+", "-", "*", "/", "ite")

_SYMBOL_CHARS = r"A-Za-z0-9~!@$%^&*_+=<>.?/\-"
_TOKEN = re.compile(rf"[ \t\n]+|;[^\n]*|\(|\)|:?[{_SYMBOL_CHARS}]+")
_COMMENT = re.compile(r";[A-Za-z0-9 _.,:;=+*/<>()\[\]?\-]*")
_NUMERAL = re.compile(r"(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
_NAME = re.compile(r"[a-z](?:0|[1-9][0-9]{0,8})")
_WHY = {'"': "string literals are refused", "|": "quoted symbols are refused", "#": "# literals are refused"}


def _show(s: Sexp) -> str:
    """A short, printable rendering of an offending value for error messages."""
    text = s if isinstance(s, str) else unparse(s)
    return ascii(text[:60] + ("..." if len(text) > 60 else ""))


def tokenize(text: str, limits: Limits = LIMITS) -> list[str]:
    """The tokens of ``text`` (comments and white space dropped), or :class:`SmtGuardError`.

    >>> tokenize("(assert (<= 0.0 v0)) ; a comment\\n")
    ['(', 'assert', '(', '<=', '0.0', 'v0', ')', ')']
    """
    if len(text) > limits.max_chars:
        raise SmtGuardError(f"the SMT-LIB text has {len(text)} characters, more than the limit {limits.max_chars}")
    tokens: list[str] = []
    pos, line, n = 0, 1, len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        if m is None:
            c = text[pos]
            raise SmtGuardError(f"line {line}: {c!a} is not allowed in SMT-LIB text" +
                                (f" ({_WHY[c]})" if c in _WHY else ""))
        tok = m.group()
        first = tok[0]
        if first in " \t\n":
            line += tok.count("\n")
        elif first == ";":
            if _COMMENT.fullmatch(tok) is None:
                c = next(ch for ch in tok if _COMMENT.fullmatch(";" + ch) is None)
                raise SmtGuardError(f"line {line}: the comment holds {c!a}, which comments may not contain")
        else:
            if first == ":" and (pos == 0 or text[pos - 1] not in " \t\n"):
                raise SmtGuardError(f"line {line}: the keyword {_show(tok)} must follow white space")
            tokens.append(tok)
            if len(tokens) > limits.max_tokens:
                raise SmtGuardError(f"the SMT-LIB text has more than {limits.max_tokens} tokens")
        pos = m.end()
    return tokens


def parse(tokens: list[str], limits: Limits = LIMITS) -> list[tuple]:
    """The top-level S-expressions of a token list (iterative; nesting bounded by ``max_depth``).

    >>> parse(["(", "check-sat", ")"])
    [('check-sat',)]
    """
    stack: list[list[Sexp]] = [[]]  # stack[0] stands for the top level (in the depth count); its commands go to top
    top: list[tuple] = []
    for tok in tokens:
        if tok == "(":
            if len(stack) > limits.max_depth:
                raise SmtGuardError(f"the SMT-LIB text nests deeper than {limits.max_depth} parentheses")
            stack.append([])
        elif tok == ")":
            if len(stack) == 1:
                raise SmtGuardError("unbalanced ')'")
            done = tuple(stack.pop())
            if len(stack) == 1:
                top.append(done)
            else:
                stack[-1].append(done)
        elif len(stack) == 1:
            raise SmtGuardError(f"{_show(tok)} stands outside a command")
        else:
            stack[-1].append(tok)
    if len(stack) != 1:
        raise SmtGuardError("the SMT-LIB text ends inside an unclosed '('")
    return top


def unparse(e: Sexp) -> str:
    """S-expression back to text (used for error messages and rebuilt queries)."""
    if isinstance(e, str):
        return e
    out: list[str] = []
    todo: list[object] = [e]
    while todo:  # iterative: no recursion on nesting
        x = todo.pop()
        if isinstance(x, tuple):
            out.append("(")
            todo.append(")")
            for i, y in enumerate(reversed(x)):
                todo.append(y)
                if i < len(x) - 1:
                    todo.append(" ")
        else:
            out.append(str(x))
    return "".join(out)


@dataclass(frozen=True)
class Script:
    """An accepted query: its commands, the declared names (variables) and the defined names."""

    commands: tuple[tuple, ...]
    declared: tuple[str, ...]
    defined: tuple[str, ...]


def _is_number(tok: str) -> bool:
    return _NUMERAL.fullmatch(tok) is not None


def _nonzero(tok: str) -> bool:
    return any(c not in "0." for c in tok)


class _Terms:
    """Sort and linearity checking of terms over the names declared so far."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def check(self, e: Sexp) -> tuple[str, bool]:
        """(sort, is_constant) of a term; refuses anything outside the allowed language."""
        if isinstance(e, str):
            if _is_number(e):
                return "Real", True
            if e in ("true", "false"):
                return "Bool", True
            if e in self.names:
                return "Real", False
            raise SmtGuardError(f"{_show(e)} is neither a number nor a declared name")
        if not e or not isinstance(e[0], str) or e[0] not in FUNCTIONS:
            raise SmtGuardError(f"{_show(e[0] if e else e)} is not an allowed function symbol (in {_show(e)})")
        f, args = e[0], e[1:]
        kinds = [self.check(a) for a in args]
        sorts = [s for s, _ in kinds]
        const = all(c for _, c in kinds)

        def need(ok: bool, what: str) -> None:
            if not ok:
                raise SmtGuardError(f"{f!r} {what} (in {_show(e)})")

        if f == "not":
            need(sorts == ["Bool"], "takes one Bool")
            return "Bool", const
        if f in ("and", "or"):
            need(len(args) >= 1 and all(s == "Bool" for s in sorts), "takes Bool arguments")
            return "Bool", const
        if f == "=>":
            need(len(args) >= 2 and all(s == "Bool" for s in sorts), "takes two or more Bool arguments")
            return "Bool", const
        if f in ("=", "distinct"):
            need(len(args) >= 2 and len(set(sorts)) == 1, "takes two or more arguments of one sort")
            return "Bool", const
        if f == "ite":
            need(len(args) == 3 and sorts[0] == "Bool" and sorts[1] == sorts[2],
                 "takes a Bool and two terms of one sort")
            return sorts[1], const
        need(all(s == "Real" for s in sorts), "takes Real arguments")
        if f in ("<", "<=", ">", ">="):
            need(len(args) >= 2, "takes two or more arguments")
            return "Bool", const
        if f == "-":
            need(len(args) >= 1, "takes one or more arguments")
            return "Real", const
        need(len(args) >= 2, "takes two or more arguments")
        if f == "*":
            need(sum(1 for _, c in kinds if not c) <= 1, "has more than one non-constant factor (not linear)")
        if f == "/":
            need(all(isinstance(a, str) and _is_number(a) and _nonzero(a) for a in args[1:]),
                 "divides by something other than a nonzero number")
        return "Real", const


def check(text: str, limits: Limits = LIMITS) -> Script:
    """Accept ``text`` if it is in the allowed SMT-LIB subset (see the module doc); else raise
    :class:`SmtGuardError` naming the first offending command or token."""
    commands = parse(tokenize(text, limits), limits)
    terms = _Terms()
    declared: list[str] = []
    defined: list[str] = []
    phase = 0  # 0: expect set-logic; 1: set-option allowed; 2: body; 3: after check-sat
    for i, cmd in enumerate(commands, 1):
        head = cmd[0] if cmd and isinstance(cmd[0], str) else None
        where = f"command {i}"
        if head not in COMMANDS:
            raise SmtGuardError(f"{where}: {_show(head if head is not None else cmd)} is not an allowed command")
        if phase == 3:
            raise SmtGuardError(f"{where}: {head!r} after (check-sat)")
        if head == "set-logic":
            if phase != 0 or cmd != ("set-logic", "QF_LRA"):
                raise SmtGuardError(f"{where}: only a leading (set-logic QF_LRA) is allowed, not {_show(cmd)}")
            phase = 1
            continue
        if phase == 0:
            raise SmtGuardError(f"{where}: the text must start with (set-logic QF_LRA), not {_show(cmd)}")
        if head == "set-option":
            if phase != 1 or cmd != ("set-option", ":produce-models", "true"):
                raise SmtGuardError(f"{where}: only (set-option :produce-models true) right after set-logic "
                                    f"is allowed, not {_show(cmd)}")
            phase = 2
            continue
        phase = 2
        if head in ("declare-fun", "declare-const", "define-fun"):
            shapes = {"declare-fun": 4, "declare-const": 3, "define-fun": 5}
            ok = len(cmd) == shapes[head] and (
                (head == "declare-const" and cmd[2] == "Real")
                or (head != "declare-const" and cmd[2] == () and cmd[3] == "Real"))
            if not ok:
                raise SmtGuardError(f"{where}: only nullary Real declarations are allowed, not {_show(cmd)}")
            name = cmd[1]
            if not isinstance(name, str) or _NAME.fullmatch(name) is None:
                raise SmtGuardError(f"{where}: {_show(name)} is not an index name (a letter and a number, like v0)")
            if name in terms.names:
                raise SmtGuardError(f"{where}: {name!r} is declared twice")
            if head == "define-fun" and terms.check(cmd[4])[0] != "Real":
                raise SmtGuardError(f"{where}: the definition of {name!r} is not a Real term")
            terms.names.add(name)
            (defined if head == "define-fun" else declared).append(name)
        elif head == "assert":
            if len(cmd) != 2 or terms.check(cmd[1])[0] != "Bool":
                raise SmtGuardError(f"{where}: an assertion takes one Bool term, not {_show(cmd)}")
        else:  # check-sat
            if cmd != ("check-sat",):
                raise SmtGuardError(f"{where}: (check-sat) takes no arguments, not {_show(cmd)}")
            phase = 3
    if phase != 3:
        raise SmtGuardError("the text does not end with (check-sat)")
    return Script(tuple(commands), tuple(declared), tuple(defined))
