"""An independent re-checker for certificates. It shares no code with the prover.

It reads the weight file's JSON itself (``json`` + its own exact number handling on top of the
number parser ``certify.rational``, the only certify module it imports), validates the TMNU program
and the simulation map with its own rules, computes the file's content hash itself, enumerates the
obligations and the static claims itself from the program, the map and the claims, and requires the
certificate to list exactly those. It recomputes every proof with its own small exact algebra —
replaying the activation pattern recorded in the certificate and *verifying* each recorded sign
decision, rebuilding its own SMT-LIB queries and solving them with z3 — and re-runs every SMT-LIB
file the certificate cites through z3 and, when installed, cvc5. Refutations are checked where they
live (x in the input domain, a valid configuration of the obligation's case, registers in their
bounds) and replayed with its own exact RNN step and its own TMNU step. Any disagreement is reported
loudly; nothing is taken on trust except the file's bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path, PurePosixPath
from typing import Any

from certify import rational

F = Fraction
ONE = "1"
CERT_FORMAT = "certify.certificate/2"
CONTENT_FORMAT = "certify.content/1"
STATIC_KEYS = ("distinct_weights_max", "hidden_dim_max", "nonzeros_max", "weight_abs_max", "weight_bits_max")
#: Largest certificate or weight file read (bytes), largest dimension, counts of program items, t0 and c.
MAX_DIM = 1_000_000
MAX_ITEMS = 100_000
MAX_CASES = 200_000
MAX_TIMING = 64


class RecheckError(Exception):
    """The certificate or its weight file cannot be read (malformed: exit 2)."""


# --- numbers and files ---------------------------------------------------------------------------------------
class _Num(str):
    """The exact text of a JSON number (kept as text: never a float, never a huge int built from it)."""


def _num(v: Any, where: str = "a number") -> Fraction:
    """An exact rational from a JSON number or a number string, through the bounded number parser."""
    if isinstance(v, bool) or v is None or isinstance(v, (dict, list)):
        raise RecheckError(f"{where}={json.dumps(v)[:40]} is not a number")
    try:
        q = rational.parse_number(str(v) if isinstance(v, (_Num, str)) else v, where=where)
    except ValueError as err:
        raise RecheckError(str(err)) from None
    return Fraction(int(q.p), int(q.q))


def _read_bytes(path: Path, what: str) -> bytes:
    """A regular file's bytes within the file-size limit (no devices, FIFOs, folders): the number parser's reader."""
    try:
        return rational.read_untrusted(path, what)
    except ValueError as err:
        raise RecheckError(str(err)) from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise RecheckError(f"key {k!r} appears twice in one JSON object")
        out[k] = v
    return out


def _load_json(path: Path, what: str = "file") -> Any:
    data = _read_bytes(path, what)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise RecheckError(f"{what} {path}: not UTF-8 text (byte {err.start})") from None

    def bad(c: str) -> None:
        raise RecheckError(f"{what} {path}: non-finite number {c}")

    try:
        return json.loads(text, parse_float=_Num, parse_int=_Num, parse_constant=bad, object_pairs_hook=_no_duplicates)
    except ValueError as err:
        raise RecheckError(f"{what} {path}: {err}") from None
    except RecursionError:
        raise RecheckError(f"{what} {path}: JSON nested too deeply") from None


def _obj(v: Any, where: str) -> dict:
    if not isinstance(v, dict):
        raise RecheckError(f"{where}: expected a JSON object")
    return v


def _list(v: Any, where: str, limit: int = MAX_ITEMS) -> list:
    if not isinstance(v, list):
        raise RecheckError(f"{where}: expected a list")
    if len(v) > limit:
        raise RecheckError(f"{where}: {len(v)} items, more than the limit {limit}")
    return v


def _str(v: Any, where: str) -> str:
    if not isinstance(v, str) or isinstance(v, _Num):
        raise RecheckError(f"{where}: expected a string")
    return v


def _name(v: Any, where: str, grammar: re.Pattern[str] = rational.NAME) -> str:
    """A name of the identifier grammar (the number parser's, which every reader of certify applies)."""
    try:
        return rational.check_name(_str(v, where), where, grammar)
    except ValueError as err:
        raise RecheckError(str(err)) from None


def _int(v: Any, where: str, lo: int, hi: int) -> int:
    if isinstance(v, int) and not isinstance(v, bool):
        v = _Num(str(v))
    if not isinstance(v, _Num) or not re.fullmatch(r"-?[0-9]{1,12}", v):
        raise RecheckError(f"{where}={json.dumps(v)[:40]} is not an integer")
    n = int(v)
    if not lo <= n <= hi:
        raise RecheckError(f"{where}={n} is outside [{lo}, {hi}]")
    return n


def _key(d: dict, k: str, where: str, default: Any = ...) -> Any:
    if k not in d:
        if default is ...:
            raise RecheckError(f'{where}: missing key "{k}"')
        return default
    return d[k]


def _relative(root: Path, ref: Any, what: str, parent_ok: bool = False) -> Path:
    """A path a certificate cites: relative to the certificate's folder, never absolute; inside that folder
    (no "..") unless ``parent_ok`` (the weight file may sit above its certificate)."""
    text = _str(ref, what)
    p = PurePosixPath(text)
    if not text or p.is_absolute() or (".." in p.parts and not parent_ok) or "\\" in text or ":" in text:
        inside = "inside the certificate's folder" if not parent_ok else "from the certificate's folder"
        raise RecheckError(f"{what}={text[:60]!r} must be a relative path {inside}")
    return root / Path(*p.parts)


# --- canonical text (the content hash; the prover's certify/rnn/digest.py computes the same independently) -----
def canonical(v: Any) -> str:
    if v is None or isinstance(v, bool):
        return json.dumps(v)
    if isinstance(v, (_Num, int, Fraction)):
        return str(_num(v))
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=True)
    if isinstance(v, dict):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=True)}:{canonical(v[k])}"
                              for k in sorted(v, key=str)) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(canonical(x) for x in v) + "]"
    raise RecheckError(f"cannot canonicalise a {type(v).__name__}")


# --- the weights --------------------------------------------------------------------------------------------
def _matrix(v: Any, n: int, m: int, where: str) -> list[dict[int, Fraction]]:
    rows: list[dict[int, Fraction]] = [{} for _ in range(n)]
    if isinstance(v, dict):
        shape = _list(_key(v, "shape", where), f"{where}.shape")
        if [_int(s, f"{where}.shape", 0, MAX_DIM) for s in shape] != [n, m]:
            raise RecheckError(f"{where}.shape does not match [{n}, {m}]")
        for k, e in enumerate(_list(_key(v, "entries", where), f"{where}.entries", 50_000_000)):
            e = _list(e, f"{where}.entries[{k}]")
            if len(e) != 3:
                raise RecheckError(f"{where}.entries[{k}] must be [i, j, value]")
            i, j = _int(e[0], f"{where}.entries[{k}][0]", 0, n - 1), _int(e[1], f"{where}.entries[{k}][1]", 0, m - 1)
            if j in rows[i]:
                raise RecheckError(f"{where}: entry [{i}, {j}] is listed twice")
            rows[i][j] = _num(e[2], f"{where}[{i}][{j}]")
    else:
        if len(_list(v, where, MAX_DIM)) != n:
            raise RecheckError(f"{where} has {len(v)} rows, expected {n}")
        for i, row in enumerate(v):
            if len(_list(row, f"{where}[{i}]", MAX_DIM)) != m:
                raise RecheckError(f"{where}[{i}] has {len(row)} entries, expected {m}")
            for j, x in enumerate(row):
                rows[i][j] = _num(x, f"{where}[{i}][{j}]")
    return [{j: x for j, x in sorted(r.items()) if x} for r in rows]


def _vector(v: Any, n: int, where: str) -> list[Fraction]:
    if isinstance(v, dict):
        shape = _list(_key(v, "shape", where), f"{where}.shape")
        if [_int(s, f"{where}.shape", 0, MAX_DIM) for s in shape] != [n]:
            raise RecheckError(f"{where}.shape does not match [{n}]")
        out: list[Fraction | None] = [None] * n
        for k, e in enumerate(_list(_key(v, "entries", where), f"{where}.entries", MAX_DIM)):
            e = _list(e, f"{where}.entries[{k}]")
            if len(e) != 2:
                raise RecheckError(f"{where}.entries[{k}] must be [i, value]")
            i = _int(e[0], f"{where}.entries[{k}][0]", 0, n - 1)
            if out[i] is not None:
                raise RecheckError(f"{where}: entry [{i}] is listed twice")
            out[i] = _num(e[1], f"{where}[{i}]")
        return [F(0) if x is None else x for x in out]
    if len(_list(v, where, MAX_DIM)) != n:
        raise RecheckError(f"{where} has length {len(v)}, expected {n}")
    return [_num(x, f"{where}[{i}]") for i, x in enumerate(v)]


def _dim(r: dict, key: str, matrix: str, axis: int) -> int:
    if key in r:
        return _int(r[key], f"rnn.{key}", 1 if key == "hidden_dim" else 0, MAX_DIM)
    m = _key(r, matrix, "rnn")
    if isinstance(m, dict):
        shape = _list(_key(m, "shape", f"rnn.{matrix}"), f"rnn.{matrix}.shape")
        if len(shape) == 2:
            return _int(shape[axis], f"rnn.{matrix}.shape[{axis}]", 0, MAX_DIM)
    elif isinstance(m, list):
        if axis == 0:
            return len(m)
        if m and isinstance(m[0], list):
            return len(m[0])
    raise RecheckError(f'rnn: missing key "{key}" (and it cannot be read off "{matrix}")')


@dataclass
class Weights:
    n: int
    d_in: int
    d_out: int
    W_hh: list[dict[int, Fraction]]  # noqa: N815
    W_ih: list[dict[int, Fraction]]  # noqa: N815
    b: list[Fraction]
    W_out: list[dict[int, Fraction]]  # noqa: N815
    b_out: list[Fraction]
    h0: list[Fraction]
    activation: str

    def canonical_lines(self) -> list[str]:
        lines = [f"certify.rnn/1 {self.activation} {self.n} {self.d_in} {self.d_out}"]
        for name, mat in (("W_hh", self.W_hh), ("W_ih", self.W_ih), ("W_out", self.W_out)):
            lines.append(name)
            lines += [f"{i} {j} {mat[i][j]}" for i in range(len(mat)) for j in sorted(mat[i])]
        for name, vec in (("b", self.b), ("b_out", self.b_out), ("h0", self.h0)):
            lines.append(name)
            lines += [f"{i} {x}" for i, x in enumerate(vec) if x]
        return lines


def _weights(doc: dict) -> Weights:
    r = _obj(_key(doc, "rnn", "weight file"), "rnn")
    activation = _str(r.get("activation", "relu"), "rnn.activation")
    if activation != "relu":
        raise RecheckError(f'rnn.activation="{activation[:20]}": the re-checker knows relu only')
    n, d_in = _dim(r, "hidden_dim", "W_hh", 0), _dim(r, "input_dim", "W_ih", 1)
    d_out = _dim(r, "output_dim", "W_out", 0)
    h0 = r.get("h0")
    return Weights(n, d_in, d_out, _matrix(_key(r, "W_hh", "rnn"), n, n, "W_hh"),
                   _matrix(_key(r, "W_ih", "rnn"), n, d_in, "W_ih"), _vector(_key(r, "b", "rnn"), n, "b"),
                   _matrix(_key(r, "W_out", "rnn"), d_out, n, "W_out"),
                   _vector(r.get("b_out", [_Num("0")] * d_out), d_out, "b_out"),
                   [F(0)] * n if h0 is None else _vector(h0, n, "h0"), activation)


# --- a small exact algebra of ReLU expressions ----------------------------------------------------------------
class Atom(tuple):
    """relu(arg) with arg a sorted tuple of (key, Fraction), leading non-constant coefficient ±1."""

    def lin(self) -> dict:
        return dict(self)


def _rank(k: Any) -> tuple:
    if k == ONE:
        return (2, "")
    if isinstance(k, str):
        return (0, k)
    return (1, repr(k))


def plus(a: dict, b: dict, c: Fraction | int = 1) -> dict:
    out = dict(a)
    for k, v in b.items():
        w = out.get(k, F(0)) + c * v
        if w:
            out[k] = w
        else:
            out.pop(k, None)
    return out


def const(c: Fraction) -> dict:
    return {ONE: F(c)} if c else {}


def bounds(e: dict, box: dict[str, tuple[Fraction, Fraction]]) -> tuple[Fraction, Fraction]:
    lo = hi = F(0)
    for k, v in e.items():
        if k == ONE:
            a = b = F(1)
        elif isinstance(k, str):
            a, b = box[k]
        else:
            a, b = F(0), max(F(0), bounds(k.lin(), box)[1])
        lo += v * (a if v > 0 else b)
        hi += v * (b if v > 0 else a)
    return lo, hi


def make_atom(e: dict) -> dict:
    items = sorted(((k, v) for k, v in e.items() if v), key=lambda kv: _rank(kv[0]))
    if not items:
        return {}
    if items[0][0] == ONE:
        return const(items[0][1]) if items[0][1] > 0 else {}
    lead = abs(items[0][1])
    return {Atom(tuple((k, v / lead) for k, v in items)): lead}


def relu_of(e: dict, box: dict) -> dict:
    lo, hi = bounds(e, box)
    if lo >= 0:
        return dict(e)
    if hi <= 0:
        return {}
    return make_atom(e)


def atoms(exprs: list[dict]) -> list[Atom]:
    seen: dict[Atom, None] = {}

    def visit(e: dict) -> None:
        for k in e:
            if isinstance(k, Atom) and k not in seen:
                visit(k.lin())
                seen[k] = None

    for e in exprs:
        visit(e)
    return list(seen)


# --- SMT-LIB (own writer) ---------------------------------------------------------------------------------------
# Names: the box's keys in Python string order are v0, v1, …; ReLU atoms, in depth-first order of first
# appearance (nested atoms first), are a0, a1, …. No name from the weight file is ever written.
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


# --- SMT-LIB guard (own; the prover's is certify/prove/smt_guard.py) ----------------------------------------
# Nothing reaches z3 or cvc5 unless it is a plain QF_LRA query: (set-logic QF_LRA), optionally
# (set-option :produce-models true), nullary Real declare-fun / declare-const / define-fun with index names
# (a letter and a number), assert, and one final (check-sat); terms use numerals, decimals, true, false,
# declared names and and or not => = distinct < <= > >= + - * / ite, well sorted and linear. No string
# literals, no |quoted| symbols, comments of safe characters only; size, tokens and depth are bounded.
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


# --- the model: program, map, obligations (validated with the re-checker's own rules) --------------------------
def _coeffs(v: Any, where: str, regs: set[str]) -> dict[str, Fraction]:
    out = {}
    for k, c in _obj(v, where).items():
        if k not in regs:
            raise RecheckError(f"{where} names undeclared register {k[:40]!r}")
        x = _num(c, f"{where}.{k}")
        if x:
            out[k] = x
    return out


def _program(doc: Any, domain: tuple[Fraction, Fraction]) -> dict:
    """The program, validated and normalised: numbers exact, defaults filled in, every reference checked."""
    p = _obj(doc, "simulation.program")
    states = [_name(s, f"program.states[{i}]") for i, s in enumerate(_list(_key(p, "states", "program"),
                                                                             "program.states"))]
    if not states or len(set(states)) != len(states):
        raise RecheckError("program.states: empty, or a state is declared twice")
    start = _name(p.get("start", states[0]), "program.start")
    if start not in states:
        raise RecheckError(f"program.start={start[:40]!r} is not a declared state")
    stacks = []
    for i, s in enumerate(_list(p.get("stacks", []), "program.stacks")):
        s = _obj(s, f"program.stacks[{i}]")
        alphabet = [_name(a, f"program.stacks[{i}].alphabet", rational.SYMBOL)
                    for a in _list(_key(s, "alphabet", "stack"), "alphabet")]
        init = s.get("initial", [])
        content = list(init) if isinstance(init, str) and not isinstance(init, _Num) else \
            [_str(c, f"program.stacks[{i}].initial") for c in _list(init, f"program.stacks[{i}].initial", 10**8)]
        if not alphabet or len(set(alphabet)) != len(alphabet) or not set(content) <= set(alphabet):
            raise RecheckError(f"program.stacks[{i}]: an empty or repeating alphabet, or an initial symbol outside it")
        stacks.append({"name": _name(_key(s, "name", "stack"), f"program.stacks[{i}].name"), "alphabet": alphabet,
                       "initial": content})
    inp = p.get("input")
    inp = None if inp is None else _name(inp, "program.input")
    registers: list[dict[str, Any]] = []
    for i, r in enumerate(_list(_key(p, "registers", "program"), "program.registers")):
        r = _obj(r, f"program.registers[{i}]")
        name = _name(_key(r, "name", "register"), f"program.registers[{i}].name")
        flag = r.get("input", False)
        if not isinstance(flag, bool):
            raise RecheckError(f"program.registers[{i}].input={json.dumps(flag)[:20]} must be true or false")
        bounds = _list(_key(r, "bounds", name), f"register {name}.bounds")
        if len(bounds) != 2:
            raise RecheckError(f"register {name}: bounds must be [lo, hi]")
        lo, hi = _num(bounds[0], f"register {name}.bounds[0]"), _num(bounds[1], f"register {name}.bounds[1]")
        initial = None if flag else _num(r.get("initial", _Num("0")), f"register {name}.initial")
        if not lo < hi or (initial is not None and not lo <= initial <= hi):
            raise RecheckError(f"register {name}: bounds [{lo}, {hi}] are empty or do not hold its initial value")
        if flag != (name == inp):
            raise RecheckError(f"register {name}: its input flag disagrees with program.input")
        if flag and not (lo <= domain[0] and domain[1] <= hi and lo <= -1 and hi >= 1):
            raise RecheckError(f"the input domain leaves the bounds of input register {name}")
        registers.append({"name": name, "lo": lo, "hi": hi, "initial": initial})
    names = [r["name"] for r in registers]
    regs = set(names)
    stack_names = [s["name"] for s in stacks]
    if len(regs) != len(names) or len(set(stack_names)) != len(stack_names) or regs & set(stack_names):
        raise RecheckError("program: a register or stack is declared twice, or a name is both")
    if inp is not None and inp not in regs:
        raise RecheckError("program.input is not a declared register")
    output = _name(_key(p, "output", "program"), "program.output")
    if output not in regs:
        raise RecheckError(f"program.output={output[:40]!r} is not a declared register")
    ops = []
    for i, o in enumerate(_list(p.get("ops", []), "program.ops")):
        o = _obj(o, f"program.ops[{i}]")
        where = f"program.ops[{i}]"
        hidden = [{"coeffs": _coeffs(_key(_obj(h, where), "coeffs", where), f"{where}.hidden[{j}].coeffs", regs),
                   "const": _num(h.get("const", _Num("0")), f"{where}.hidden[{j}].const")}
                  for j, h in enumerate(_list(o.get("hidden", []), f"{where}.hidden"))]
        updates, written = [], set()
        for j, u in enumerate(_list(_key(o, "updates", where), f"{where}.updates")):
            u = _obj(u, f"{where}.updates[{j}]")
            reg = _name(_key(u, "register", where), f"{where}.updates[{j}].register")
            if reg not in regs or reg == inp or reg in written:
                raise RecheckError(f"{where} writes {reg[:40]!r}: undeclared, the input register, or twice")
            written.add(reg)
            relu = []
            for k, pair in enumerate(_list(u.get("relu", []), f"{where}.updates[{j}].relu")):
                pair = _list(pair, f"{where}.updates[{j}].relu[{k}]")
                if len(pair) != 2:
                    raise RecheckError(f"{where}.updates[{j}].relu[{k}] must be [hidden_index, coefficient]")
                relu.append([_int(pair[0], f"{where}.relu index", 0, len(hidden) - 1), _num(pair[1], f"{where}.relu")])
            updates.append({"register": reg, "relu": relu,
                            "coeffs": _coeffs(_key(u, "coeffs", where), f"{where}.updates[{j}].coeffs", regs),
                            "const": _num(u.get("const", _Num("0")), f"{where}.updates[{j}].const")})
        ops.append({"name": _name(_key(o, "name", where), f"{where}.name"), "hidden": hidden, "updates": updates})
    if len({o["name"] for o in ops}) != len(ops):
        raise RecheckError("program.ops: an op is declared twice")
    alphabets = {s["name"]: s["alphabet"] for s in stacks}
    transitions = []
    for i, t in enumerate(_list(_key(p, "transitions", "program"), "program.transitions")):
        t = _obj(t, f"program.transitions[{i}]")
        where = f"program.transitions[{i}]"
        state, goto = _name(_key(t, "state", where), f"{where}.state"), _name(_key(t, "goto", where), f"{where}.goto")
        reads = {k: (None if v is None else _str(v, f"{where}.reads.{k}")) for k, v in
                 _obj(t.get("reads", {}), f"{where}.reads").items()}
        actions: dict[str, Any] = {}
        for k, a in _obj(t.get("actions", {}), f"{where}.actions").items():
            if a == "pop" and not isinstance(a, _Num):
                if reads.get(k) is None:
                    raise RecheckError(f"{where} pops stack {k[:40]!r} without reading a nonempty top")
                actions[k] = "pop"
            elif isinstance(a, dict) and set(a) == {"push"}:
                actions[k] = {"push": _str(a["push"], f"{where}.actions.{k}.push")}
                if k in alphabets and actions[k]["push"] not in alphabets[k]:
                    raise RecheckError(f"{where} pushes a symbol outside the alphabet of {k[:40]!r}")
            else:
                raise RecheckError(f"{where}.actions.{k[:40]}: not a stack action")
        op = t.get("op")
        op = None if op is None else _name(op, f"{where}.op")
        if (state not in states or goto not in states or not set(reads) <= set(alphabets)
                or not set(actions) <= set(alphabets) or (op is not None and op not in {o["name"] for o in ops})
                or any(v is not None and v not in alphabets[k] for k, v in reads.items())):
            raise RecheckError(f"{where} names an undeclared state, stack, symbol or op")
        transitions.append({"state": state, "reads": reads, "goto": goto, "actions": actions, "op": op})
    cases = len(states)
    for s in stacks:
        cases *= len(s["alphabet"]) + 1
    if cases > MAX_CASES:
        raise RecheckError(f"the program has {cases} (state, tops) cases, more than the limit {MAX_CASES}")
    _deterministic_and_total(states, stacks, transitions)
    return {"name": _str(p.get("name", "unnamed"), "program.name"), "states": states, "start": start,
            "stacks": stacks, "registers": registers, "input": inp, "output": output, "ops": ops,
            "transitions": transitions}


def _deterministic_and_total(states: list[str], stacks: list[dict], transitions: list[dict]) -> None:
    """δ is deterministic and total: exactly one transition per (state, tops) case."""
    by_state: dict[str, list[dict]] = {q: [] for q in states}
    for t in transitions:
        by_state[t["state"]].append(t)
    names = [s["name"] for s in stacks]
    for q in states:
        for combo in itertools.product(*[[None, *s["alphabet"]] for s in stacks]):
            tops = dict(zip(names, combo, strict=True))
            hits = [t for t in by_state[q] if all(tops.get(k, "\0") == v for k, v in t["reads"].items())]
            if len(hits) != 1:
                raise RecheckError(f"{len(hits)} transitions match state {q[:40]!r} with tops {tops}")


def _map(sim: dict, prog: dict, n: int) -> dict:
    """The simulation map, validated against the program: every state, stack and register has its own unit."""
    c = _int(_key(sim, "c", "simulation"), "simulation.c", 1, MAX_TIMING)
    t0 = _int(_key(sim, "t0", "simulation"), "simulation.t0", 0, MAX_TIMING)
    control = {q: _int(u, f"simulation.control.{q[:40]}", 0, n - 1)
               for q, u in _obj(_key(sim, "control", "simulation"), "simulation.control").items()}
    stacks: dict[str, dict[str, Any]] = {}
    for s, v in _obj(_key(sim, "stacks", "simulation"), "simulation.stacks").items():
        v = _obj(v, f"simulation.stacks.{s[:40]}")
        base = _int(_key(v, "base", "stack"), f"simulation.stacks.{s[:40]}.base", 2, 1 << 20)
        digits = {k: _int(d, f"simulation.stacks.{s[:40]}.digits", 1, base - 1)
                  for k, d in _obj(_key(v, "digits", "stack"), "digits").items()}
        stacks[s] = {"unit": _int(_key(v, "unit", "stack"), f"simulation.stacks.{s[:40]}.unit", 0, n - 1),
                     "base": base, "digits": digits}
    regs = {r: {"unit": _int(_key(_obj(v, "register"), "unit", "register"), f"simulation.registers.{r[:40]}.unit",
                             0, n - 1),
                "offset": _num(_key(v, "offset", "register"), f"simulation.registers.{r[:40]}.offset")}
            for r, v in _obj(_key(sim, "registers", "simulation"), "simulation.registers").items()}
    if set(control) != set(prog["states"]) or set(stacks) != {s["name"] for s in prog["stacks"]} \
            or set(regs) != {r["name"] for r in prog["registers"]}:
        raise RecheckError("the simulation map does not name exactly the program's states, stacks and registers")
    for s in prog["stacks"]:
        digits = stacks[s["name"]]["digits"]
        if set(digits) != set(s["alphabet"]) or len(set(digits.values())) != len(digits):
            raise RecheckError(f"simulation.stacks.{s['name'][:40]}: digits must map the alphabet to distinct digits")
    units = list(control.values()) + [v["unit"] for v in stacks.values()] + [v["unit"] for v in regs.values()]
    if len(set(units)) != len(units):
        raise RecheckError("the simulation map assigns one unit to two things")
    return {"c": c, "t0": t0, "control": control, "stacks": stacks, "registers": regs}


def _input(doc: dict) -> tuple[str, Fraction, Fraction]:
    v = doc.get("input")
    if v is None:
        return "constant", F(-1), F(1)
    v = _obj(v, "input")
    kind = _str(v.get("kind", "constant"), "input.kind")
    if kind != "constant":
        raise RecheckError(f'input.kind="{kind[:20]}": the re-checker knows "constant" only')
    dom = _list(v.get("domain", ["-1", "1"]), "input.domain")
    if len(dom) != 2:
        raise RecheckError("input.domain must be [lo, hi]")
    lo, hi = _num(dom[0], "input.domain[0]"), _num(dom[1], "input.domain[1]")
    if not lo <= hi:
        raise RecheckError(f"input.domain=[{lo}, {hi}] is empty")
    return kind, lo, hi


@dataclass
class File:
    """A weight file as the re-checker reads it: weights, input, claims, and (when present) program and map."""

    w: Weights
    kind: str
    domain: tuple[Fraction, Fraction]
    claims: dict
    prog: dict | None
    smap: dict | None

    @staticmethod
    def load(doc: Any) -> File:
        doc = _obj(doc, "weight file")
        w = _weights(doc)
        kind, lo, hi = _input(doc)
        claims = doc.get("claims")
        claims = {} if claims is None else _obj(claims, "claims")
        sim = doc.get("simulation")
        if sim is None:
            return File(w, kind, (lo, hi), claims, None, None)
        if w.d_in != 1 or w.d_out != 1:
            raise RecheckError("a simulation needs input_dim = output_dim = 1")
        sim = _obj(sim, "simulation")
        prog = _program(_key(sim, "program", "simulation"), (lo, hi))
        return File(w, kind, (lo, hi), claims, prog, _map(sim, prog, w.n))

    def content_sha256(self) -> str:
        lines = [CONTENT_FORMAT, *self.w.canonical_lines(), f"input {self.kind} {self.domain[0]} {self.domain[1]}"]
        sim = None if self.prog is None else {"program": self.prog, **(self.smap or {})}
        lines += ["simulation " + canonical(sim), "claims " + canonical(self.claims)]
        return hashlib.sha256(("\n".join(lines) + "\n").encode()).hexdigest()


@dataclass
class Model:
    w: Weights
    prog: dict
    c: int
    t0: int
    control: dict[str, int]
    stacks: dict[str, dict]
    regs: dict[str, dict]
    domain: tuple[Fraction, Fraction]
    reg_box: dict[str, tuple[Fraction, Fraction]] = field(default_factory=dict)

    @staticmethod
    def of(f: File) -> Model:
        assert f.prog is not None and f.smap is not None
        m = f.smap
        model = Model(f.w, f.prog, m["c"], m["t0"], m["control"], m["stacks"], m["registers"], f.domain)
        model.reg_box = {f"r:{r['name']}": (r["lo"], r["hi"]) for r in f.prog["registers"]}
        return model

    def stack_names(self) -> list[str]:
        return [s["name"] for s in self.prog["stacks"]]

    def alphabet(self, s: str) -> list[str]:
        return next(st["alphabet"] for st in self.prog["stacks"] if st["name"] == s)

    def op(self, name: str) -> dict:
        return next(o for o in self.prog["ops"] if o["name"] == name)

    def used_ops(self) -> list[dict]:
        names = {t["op"] for t in self.prog["transitions"]} - {None}
        return sorted((o for o in self.prog["ops"] if o["name"] in names), key=lambda o: o["name"])

    def cases(self) -> Iterator[tuple[str, dict]]:
        names = self.stack_names()
        for q in self.prog["states"]:
            for combo in itertools.product(*[[None, *self.alphabet(s)] for s in names]):
                yield q, dict(zip(names, combo, strict=True))

    def required(self) -> dict[str, dict]:
        """Every obligation the theorem needs, computed from the program (not from the certificate)."""
        out: dict[str, dict] = {}
        for op in self.used_ops():
            for reg in sorted(u["register"] for u in op["updates"]):
                for side in ("hi", "lo"):
                    out[f"invariant[{op['name']}.{reg}.{side}]"] = {"kind": "invariant", "op": op, "reg": reg,
                                                                    "side": side}
        out["prologue"] = {"kind": "prologue"}
        for t in range(self.t0 + 1):
            out[f"readout[t={t}]"] = {"kind": "readout", "t": t}
        for q, tops in self.cases():
            inner = ",".join(f"{k}={'empty' if v is None else v}" for k, v in tops.items())
            out[f"step[{q}" + (f"|{inner}" if inner else "") + "]"] = {"kind": "step", "state": q, "tops": tops}
        return out

    # --- TMNU side ---------------------------------------------------------------------------------------
    def op_exprs(self, op: dict, box: dict) -> dict[str, dict]:
        hidden = []
        for h in op["hidden"]:
            arg = const(h["const"])
            for k, v in h["coeffs"].items():
                arg = plus(arg, {f"r:{k}": v})
            hidden.append(relu_of(arg, box))
        out = {}
        for u in op["updates"]:
            e = const(u["const"])
            for k, v in u["coeffs"].items():
                e = plus(e, {f"r:{k}": v})
            for j, v in u["relu"]:
                e = plus(e, hidden[j], v)
            out[u["register"]] = e
        return out

    def encode(self, state: str, stacks: dict[str, dict], regs: dict[str, dict]) -> list[dict]:
        h: list[dict] = [{} for _ in range(self.w.n)]
        h[self.control[state]] = const(F(1))
        for s, info in self.stacks.items():
            h[info["unit"]] = stacks[s]
        for r, info in self.regs.items():
            h[info["unit"]] = plus(regs[r], const(info["offset"]))
        return h

    def transition(self, state: str, tops: dict) -> dict:
        hits = [t for t in self.prog["transitions"] if t["state"] == state
                and all(tops.get(k, "\0") == v for k, v in t["reads"].items())]
        if len(hits) != 1:
            raise RecheckError(f"{len(hits)} transitions match state {state[:40]!r} with tops {tops}")
        return hits[0]

    def initial(self) -> tuple[dict[str, dict], dict[str, dict]]:
        """config_0(x) as expressions: (stack values, register values)."""
        stacks = {}
        for s in self.prog["stacks"]:
            stacks[s["name"]] = const(_encode_stack(self.stacks[s["name"]], s["initial"]))
        regs = {r["name"]: ({"x": F(1)} if r["initial"] is None else const(r["initial"]))
                for r in self.prog["registers"]}
        return stacks, regs

    def expected_readout(self, t: int) -> dict:
        out = next(r for r in self.prog["registers"] if r["name"] == self.prog["output"])
        if t < self.t0:
            return const(out["lo"])
        return self.initial()[1][self.prog["output"]]

    def case(self, state: str, tops: dict, box: dict) -> tuple[list[dict], list[dict], dict, dict]:
        """(start encoding, successor encoding, old output, new output) as expressions."""
        stacks = {s: ({} if tops[s] is None else {f"v:{s}": F(1)}) for s in self.stack_names()}
        regs = {r["name"]: {f"r:{r['name']}": F(1)} for r in self.prog["registers"]}
        t = self.transition(state, tops)
        new_stacks = {}
        for s in self.stack_names():
            info, act, v = self.stacks[s], t["actions"].get(s), stacks[s]
            if act is None:
                new_stacks[s] = v
            elif act == "pop":
                new_stacks[s] = plus({k: x * info["base"] for k, x in v.items()}, const(F(-info["digits"][tops[s]])))
            else:
                new_stacks[s] = plus({k: x / info["base"] for k, x in v.items()},
                                     const(F(info["digits"][act["push"]], info["base"])))
        new_regs = dict(regs)
        if t["op"] is not None:
            new_regs.update(self.op_exprs(self.op(t["op"]), box))
        out = self.prog["output"]
        return (self.encode(state, stacks, regs), self.encode(t["goto"], new_stacks, new_regs), regs[out],
                new_regs[out])


def _encode_stack(info: dict, content: list[str]) -> Fraction:
    """sum_i d(s_i)/B^i (top first) as one integer division: exact, linear in the length."""
    num = 0
    for sym in content:
        num = num * info["base"] + info["digits"][sym]
    return F(num, info["base"] ** len(content)) if content else F(0)


# --- replaying a recorded activation pattern -------------------------------------------------------------------
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


# --- exact replays of witnesses (own RNN step, own TMNU step), checked where they live ---------------------------
def _rnn_step(w: Weights, h: list[Fraction], x: Fraction) -> list[Fraction]:
    out = []
    for i in range(w.n):
        z = w.b[i] + sum((c * h[j] for j, c in w.W_hh[i].items()), F(0)) + sum((c * x for c in w.W_ih[i].values()),
                                                                                  F(0))
        out.append(z if z > 0 else F(0))
    return out


def _at(e: dict, x: Fraction) -> Fraction:
    """The value at x of an affine expression in x alone."""
    return e.get(ONE, F(0)) + e.get("x", F(0)) * x


def _readout(w: Weights, h: list[Fraction]) -> Fraction:
    return w.b_out[0] + sum((c * h[i] for i, c in w.W_out[0].items()), F(0))


def _encode_config(m: Model, state: str, stacks: dict[str, list[str]], regs: dict[str, Fraction]) -> list[Fraction]:
    h = [F(0)] * m.w.n
    h[m.control[state]] = F(1)
    for s, info in m.stacks.items():
        h[info["unit"]] = _encode_stack(info, stacks[s])
    for r, info in m.regs.items():
        h[info["unit"]] = regs[r] + info["offset"]
    return h


def _op_apply(op: dict, regs: dict[str, Fraction]) -> dict[str, Fraction]:
    acts = []
    for hdn in op["hidden"]:
        z = hdn["const"] + sum((v * regs[k] for k, v in hdn["coeffs"].items()), F(0))
        acts.append(max(z, F(0)))
    new = dict(regs)
    for u in op["updates"]:
        new[u["register"]] = (u["const"] + sum((v * regs[k] for k, v in u["coeffs"].items()), F(0))
                              + sum((v * acts[j] for j, v in u["relu"]), F(0)))
    return new


def _witness_registers(m: Model, v: Any) -> dict[str, Fraction]:
    regs = {k: _num(x, f"witness register {k[:40]}") for k, x in _obj(v, "witness registers").items()}
    if set(regs) != {r["name"] for r in m.prog["registers"]}:
        raise _Forged("the witness does not give exactly the program's registers")
    for r in m.prog["registers"]:
        if not r["lo"] <= regs[r["name"]] <= r["hi"]:
            raise _Forged(f"register {r['name']}={regs[r['name']]} lies outside its bounds [{r['lo']}, {r['hi']}]")
    return regs


class _Forged(Exception):
    """A witness that does not lie in its obligation's domain."""


def replay_witness(m: Model, need: dict, wit: Any) -> str | None:
    """None if the witness lies in the obligation's domain and reproduces a difference there exactly; else why not."""
    try:
        return _replay_witness(m, need, _obj(wit, "witness"))
    except _Forged as err:
        return str(err)


def _replay_witness(m: Model, need: dict, wit: dict) -> str | None:
    x = _num(wit.get("x", _Num("0")), "witness x")
    if not m.domain[0] <= x <= m.domain[1]:
        raise _Forged(f"x={x} lies outside the input domain [{m.domain[0]}, {m.domain[1]}]")
    if need["kind"] == "invariant":
        regs = _witness_registers(m, _key(wit, "registers", "witness"))
        val = _op_apply(need["op"], regs)[need["reg"]]
        lo, hi = m.reg_box[f"r:{need['reg']}"]
        broken = val < lo if need["side"] == "lo" else val > hi
        return None if broken else f"op {need['op']['name']} keeps {need['reg']}={val} on that side of [{lo}, {hi}]"
    if need["kind"] in ("prologue", "readout"):
        h = list(m.w.h0)
        steps = m.t0 if need["kind"] == "prologue" else need["t"]
        for _ in range(steps):
            h = _rnn_step(m.w, h, x)
        if need["kind"] == "readout":
            expected = _at(m.expected_readout(need["t"]), x)
            return None if _readout(m.w, h) != expected else f"y_{need['t']} is what the theorem says"
        start = m.encode(m.prog["start"], *m.initial())
        return None if h != [_at(e, x) for e in start] else "the prologue reproduces the start configuration"
    cfg = _obj(_key(wit, "config", "witness"), "witness config")
    if cfg.get("state") != need["state"]:
        raise _Forged(f"the configuration's state is not the obligation's {need['state'][:40]!r}")
    stacks_in = _obj(cfg.get("stacks", {}), "witness stacks")
    if set(stacks_in) != set(m.stack_names()):
        raise _Forged("the witness does not give exactly the program's stacks")
    stacks = {}
    for s in m.stack_names():
        content = [_str(c, f"witness stack {s[:40]}") for c in _list(stacks_in[s], f"witness stack {s[:40]}", 10**6)]
        if not set(content) <= set(m.alphabet(s)):
            raise _Forged(f"stack {s} holds a symbol outside its alphabet")
        if (content[0] if content else None) != need["tops"][s]:
            raise _Forged(f"stack {s} does not have the obligation's top")
        stacks[s] = content
    regs = _witness_registers(m, _key(cfg, "registers", "witness config"))
    t = m.transition(need["state"], need["tops"])
    new_stacks = {s: list(v) for s, v in stacks.items()}
    for s, act in t["actions"].items():
        new_stacks[s] = new_stacks[s][1:] if act == "pop" else [act["push"], *new_stacks[s]]
    new_regs = _op_apply(m.op(t["op"]), regs) if t["op"] is not None else regs
    want = _encode_config(m, t["goto"], new_stacks, new_regs)
    out = m.prog["output"]
    h = _encode_config(m, need["state"], stacks, regs)
    for j in range(1, m.c + 1):
        h = _rnn_step(m.w, h, x)
        if _readout(m.w, h) != (regs[out] if j < m.c else new_regs[out]):
            return None
    return None if h != want else "the RNN step reproduces the TMNU step on this configuration"


# --- the re-check ------------------------------------------------------------------------------------------------
@dataclass
class Report:
    """What the re-check found. ``problems`` empty means every verdict in the certificate was confirmed."""

    certificate: str
    verdict: str
    confirmed: int = 0
    problems: list[str] = field(default_factory=list)
    smt_files: int = 0
    solvers: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _key_of(e: dict) -> tuple:
    return tuple(sorted(e.items(), key=lambda kv: _rank(kv[0])))


def _static(f: File, r: dict) -> str | None:
    w = f.w
    vals = [v for row in w.W_hh + w.W_ih + w.W_out for v in row.values()] + [v for v in w.b + w.b_out if v]
    measured = {
        "hidden_dim_max": F(w.n),
        "weight_abs_max": max((abs(v) for v in vals), default=F(0)),
        "weight_bits_max": F(max((max(abs(v.numerator).bit_length(), v.denominator.bit_length()) for v in vals),
                                 default=0)),
        "distinct_weights_max": F(len(set(vals))),
        "nonzeros_max": F(len(vals)),
    }
    key = r["id"][len("static["):-1]
    claimed = _num(f.claims[key], f"claims.{key}")
    holds = measured[key] <= claimed
    ev = r.get("evidence", {})
    if ev.get("claimed") != str(claimed) or str(ev.get("measured", "")).split(" ")[0] != str(measured[key]):
        return f"{r['id']}: the evidence does not show the claimed {claimed} and the measured {measured[key]}"
    if r["verdict"] not in ("PROVED", "REFUTED") or holds != (r["verdict"] == "PROVED"):
        return f"{r['id']}: the claim {'holds' if holds else 'fails'} (measured {measured[key]}), certificate says " \
               f"{r['verdict']}"
    return None


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


@contextlib.contextmanager
def _long_integers():
    """Stack values have tens of thousands of digits; Python's int<->str guard (4300 digits by default)
    would refuse them. Lift it while re-checking only (file sizes are bounded by the reader)."""
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(old)


def recheck(cert_path: str | Path, timeout: float = 60.0, weights: str | Path | None = None) -> Report:
    """Re-check a certificate against its weight file (``weights``, else the file the certificate names, which
    must lie in the certificate's folder). Never raises on a wrong certificate: it reports. A malformed
    certificate or weight file raises :class:`RecheckError`."""
    with _long_integers():
        try:
            return _recheck(Path(cert_path), timeout, None if weights is None else Path(weights))
        except (KeyError, TypeError, IndexError, AttributeError) as err:  # a shape the typed readers missed
            raise RecheckError(f"{cert_path}: malformed certificate ({type(err).__name__}: {str(err)[:80]})") from None


_VERDICTS = ("PROVED", "UNKNOWN", "REFUTED")
_KINDS = ("static", "invariant", "prologue", "readout", "step")
_METHODS = {"static": ("measure",), "invariant": ("interval", "smt"), "prologue": ("affine", "symbolic", "smt"),
            "readout": ("affine", "symbolic", "smt"), "step": ("affine", "symbolic", "smt")}


def _results(cert: dict) -> list[dict]:
    out, seen = [], set()
    for i, r in enumerate(_list(_key(cert, "results", "certificate"), "results", 10**7)):
        r = _obj(r, f"results[{i}]")
        rid, kind, verdict = (_str(_key(r, k, f"results[{i}]"), f"results[{i}].{k}") for k in ("id", "kind", "verdict"))
        method = _str(_key(r, "method", f"results[{i}]"), f"results[{i}].method")
        if kind not in _KINDS or verdict not in _VERDICTS or method not in _METHODS.get(kind, ()):
            raise RecheckError(f"results[{i}]: kind {kind[:20]!r}, verdict {verdict[:20]!r} or method "
                               f"{method[:20]!r} is not known")
        if rid in seen:
            raise RecheckError(f"results: {rid[:60]!r} is listed twice")
        seen.add(rid)
        if not isinstance(r.get("evidence", {}), dict) or not isinstance(r.get("domain", {}), dict):
            raise RecheckError(f"results[{i}]: evidence and domain must be objects")
        out.append(r)
    return out


def _recheck(cp: Path, timeout: float, wpath: Path | None) -> Report:
    cert = _obj(_load_json(cp, "certificate"), "certificate")
    if cert.get("format") != CERT_FORMAT:
        raise RecheckError(f'{cp}: not a {CERT_FORMAT} file (format {str(cert.get("format"))[:40]!r}); '
                           "regenerate it with certify check --certificate")
    rep = Report(str(cp), _str(_key(cert, "verdict", "certificate"), "verdict"))
    wref = _obj(_key(cert, "weights", "certificate"), "weights")
    wpath = wpath or _relative(cp.parent, _key(wref, "file", "weights"), "weights.file", parent_ok=True)
    with rational.number_budget(str(wpath)):  # the per-file bound on the bits of all numbers together
        f = File.load(_load_json(wpath, "weight file"))
    sha = f.content_sha256()
    if sha != wref.get("sha256"):
        rep.problems.append(f"stale: {wpath} has content sha256 {sha[:16]}…, the certificate is for "
                            f"{str(wref.get('sha256'))[:16]}… (weights, h0, input, simulation or claims differ)")
        return rep
    results = _results(cert)
    by_id = {r["id"]: r for r in results}
    worst = max((r["verdict"] for r in results), key=_VERDICTS.index, default="PROVED")
    if worst != rep.verdict:
        rep.problems.append(f"the certificate's verdict {rep.verdict} is not the worst of its results ({worst})")
    counts = {v: sum(r["verdict"] == v for r in results) for v in _VERDICTS}
    if "counts" in cert and cert["counts"] != {k: _Num(str(v)) for k, v in counts.items()}:
        rep.problems.append(f"the certificate's counts are not those of its results ({counts})")
    # static claims: exactly one result per static claim in the file
    want_static = {f"static[{k}]" for k in f.claims if k in STATIC_KEYS}
    got_static = {r["id"] for r in results if r["kind"] == "static"}
    if want_static - got_static:
        rep.problems.append(f"missing static claims: {sorted(want_static - got_static)[:5]}")
    if got_static - want_static:
        rep.problems.append(f"static results for claims the file does not make: {sorted(got_static - want_static)[:5]}")
    for rid in sorted(want_static & got_static):
        p = _static(f, by_id[rid])
        rep.problems.append(p) if p else setattr(rep, "confirmed", rep.confirmed + 1)
    checked = cert.get("simulation_checked")
    if not isinstance(checked, bool):
        raise RecheckError("simulation_checked must be true or false")
    others = {r["id"] for r in results if r["kind"] != "static"}
    if f.prog is None:
        if checked or others:
            rep.problems.append("the certificate claims simulation obligations, but the file has no simulation block")
        return rep
    if not checked:
        rep.problems.append("the file has a simulation block but the certificate did not check it")
        return rep
    m = Model.of(f)
    required = m.required()
    if set(required) - others:
        missing = sorted(set(required) - others)
        rep.problems.append(f"missing obligations ({len(missing)}): {missing[:5]}")
    if others - set(required):
        rep.problems.append(f"obligations that the theorem does not have: {sorted(others - set(required))[:5]}")
    lemmas: dict[tuple, str] = {}
    order = sorted(others & set(required), key=lambda i: (0 if i.startswith("invariant") else 1, i))
    for rid in order:
        r, need = by_id[rid], required[rid]
        problem = None if r["kind"] == need["kind"] else f"kind {r['kind']} is not {need['kind']}"
        problem = problem or _recheck_one(m, r, need, lemmas, cp.parent, timeout, rep)
        if problem:
            rep.problems.append(f"{rid}: {problem}")
        else:
            rep.confirmed += 1
            if need["kind"] == "invariant" and need["side"] == "lo" and r["verdict"] == "PROVED":
                lemmas[_key_of(_invariant_expr(m, need))] = rid
    return rep


def _invariant_expr(m: Model, need: dict) -> dict:
    e = m.op_exprs(need["op"], m.reg_box)[need["reg"]]
    lo, hi = m.reg_box[f"r:{need['reg']}"]
    return plus(e, const(-lo)) if need["side"] == "lo" else plus({k: -v for k, v in e.items()}, const(hi))


def _box(m: Model, need: dict) -> dict:
    if need["kind"] == "invariant":
        return dict(m.reg_box)
    box = {"x": m.domain}
    if need["kind"] == "step":
        box.update(m.reg_box)
        for s, sym in need["tops"].items():
            if sym is not None:
                d, base = m.stacks[s]["digits"][sym], m.stacks[s]["base"]
                box[f"v:{s}"] = (F(d, base), F(d + 1, base))
    return box


def _recheck_one(m: Model, r: dict, need: dict, lemmas: dict, folder: Path, timeout: float,
                 rep: Report) -> str | None:
    verdict, method, ev = r["verdict"], r.get("method"), r.get("evidence", {})
    box = _box(m, need)
    want: dict[str, Any] = {"variables": {k: [str(a), str(b)] for k, (a, b) in box.items()}}
    if need["kind"] == "step":
        want["state"], want["tops"] = need["state"], dict(need["tops"])
    elif need["kind"] == "invariant":
        want["op"], want["register"], want["side"] = need["op"]["name"], need["reg"], need["side"]
    elif need["kind"] == "readout":
        want["t"] = _Num(str(need["t"]))
    if r.get("domain") != want:
        return "the certificate states a different domain than the theorem needs"
    if verdict == "UNKNOWN":
        return None
    if verdict == "REFUTED":
        if "witness" not in ev:
            return "REFUTED without a witness"
        why = replay_witness(m, need, ev["witness"])
        return None if why is None else f"the witness does not refute the obligation: {why}"
    if "smt" in ev:  # the cited file must itself be unsat for z3 (and cvc5)
        path = _relative(folder, ev["smt"], "evidence.smt")
        if not path.is_file():
            return f"cited SMT file {str(ev['smt'])[:60]} is missing"
        rep.smt_files += 1
        try:
            text = _read_bytes(path, "cited SMT file").decode("ascii")
        except UnicodeDecodeError:
            return f"{ev['smt']}: not ASCII text"
        bad = _smt_checks(text, timeout, rep) or _not_vacuous(text, box, timeout)
        if bad:
            return f"{ev['smt']}: {bad}"
    if need["kind"] == "invariant":
        e = _invariant_expr(m, need)
        if method == "interval":
            return None if bounds(e, box)[0] >= 0 else "interval lower bound is negative"
        if method == "smt":
            bad = _smt_checks(smt_query(box, [e], "negative"), timeout, rep)
            return None if bad is None else f"own query: {bad}"
        return f"unknown method {str(method)[:20]!r}"
    pattern = _list(ev.get("pattern", []), "evidence.pattern", MAX_TIMING)
    steps = {"prologue": m.t0, "readout": need.get("t", 0), "step": m.c}[need["kind"]]
    if len(pattern) != steps:
        return f"the activation pattern covers {len(pattern)} steps, not {steps}"
    if need["kind"] == "prologue":
        h, _, problems = replay(m, [const(v) for v in m.w.h0], box, pattern, lemmas)
        pairs = list(zip(h, m.encode(m.prog["start"], *m.initial()), strict=True))
    elif need["kind"] == "readout":
        h0 = [const(v) for v in m.w.h0]
        h, outs, problems = replay(m, h0, box, pattern, lemmas)
        y = outs[-1][0] if need["t"] else _dot(m.w.W_out[0], h0, m.w.b_out[0])
        pairs = [(y, m.expected_readout(need["t"]))]
    else:
        start, expected, old_out, new_out = m.case(need["state"], need["tops"], box)
        h, outs, problems = replay(m, start, box, pattern, lemmas)
        pairs = list(zip(h, expected, strict=True))
        pairs += [(outs[j][0], old_out) for j in range(m.c - 1)] + [(outs[-1][0], new_out)]
    if problems:
        return problems[0]
    residuals = [plus(a, b, -1) for a, b in pairs if a != b]
    residuals = [e for e in residuals if e]
    if method in ("affine", "symbolic"):
        return None if not residuals else f"{len(residuals)} positions differ after the composition"
    if method == "smt":
        if not residuals:
            return None
        bad = _smt_checks(smt_query(box, residuals, "nonzero"), timeout, rep)
        return None if bad is None else f"own query: {bad}"
    return f"unknown method {str(method)[:20]!r}"
