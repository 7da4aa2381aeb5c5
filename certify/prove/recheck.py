"""An independent re-checker for certificates. It shares no code with the prover.

It reads the weight file's JSON itself (``json`` + ``fractions.Fraction``), enumerates the
obligations itself from the program and the simulation map, recomputes every proof with its own
small exact algebra — replaying the activation pattern recorded in the certificate and
*verifying* each recorded sign decision, rebuilding its own SMT-LIB queries and solving them with
z3 — and re-runs every SMT-LIB file the certificate cites through z3 and, when installed, cvc5.
Refutations are replayed with its own exact RNN step and its own TMNU step. Any disagreement is
reported loudly; nothing is taken on trust except the file's bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import re
import sys
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

F = Fraction
ONE = "1"


class RecheckError(Exception):
    """The certificate or its weight file cannot be read."""


# --- numbers and files ---------------------------------------------------------------------------------------
def _num(v: Any) -> Fraction:
    if isinstance(v, bool) or v is None:
        raise RecheckError(f"{v!r} is not a number")
    if isinstance(v, (int, Fraction)):
        return Fraction(v)
    return Fraction(str(v).strip())  # exact for "p/q", integers and decimal strings


def _load_json(path: Path) -> Any:
    def bad(c: str) -> None:
        raise RecheckError(f"{path}: non-finite number {c}")

    try:
        return json.loads(path.read_text(), parse_float=Fraction, parse_constant=bad)
    except (OSError, ValueError) as err:
        raise RecheckError(f"{path}: {err}") from None


def _matrix(v: Any, n: int, m: int) -> list[dict[int, Fraction]]:
    rows: list[dict[int, Fraction]] = [{} for _ in range(n)]
    if isinstance(v, dict):
        for i, j, x in v["entries"]:
            if _num(x):
                rows[i][j] = _num(x)
    else:
        for i, row in enumerate(v):
            for j, x in enumerate(row):
                if _num(x):
                    rows[i][j] = _num(x)
    return rows


def _vector(v: Any, n: int) -> list[Fraction]:
    if isinstance(v, dict):
        out = [F(0)] * n
        for i, x in v["entries"]:
            out[i] = _num(x)
        return out
    return [_num(x) for x in v]


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

    def sha256(self) -> str:
        lines = [f"certify.rnn/1 {self.activation} {self.n} {self.d_in} {self.d_out}"]
        for name, mat in (("W_hh", self.W_hh), ("W_ih", self.W_ih), ("W_out", self.W_out)):
            lines.append(name)
            lines += [f"{i} {j} {mat[i][j]}" for i in range(len(mat)) for j in sorted(mat[i])]
        for name, vec in (("b", self.b), ("b_out", self.b_out), ("h0", self.h0)):
            lines.append(name)
            lines += [f"{i} {x}" for i, x in enumerate(vec) if x]
        return hashlib.sha256(("\n".join(lines) + "\n").encode()).hexdigest()


def _weights(doc: dict) -> Weights:
    r = doc["rnn"]
    n = int(r.get("hidden_dim") or (len(r["W_hh"]) if isinstance(r["W_hh"], list) else r["W_hh"]["shape"][0]))
    d_in = int(r.get("input_dim", 1))
    d_out = int(r.get("output_dim", 1))
    return Weights(n, d_in, d_out, _matrix(r["W_hh"], n, n), _matrix(r["W_ih"], n, d_in), _vector(r["b"], n),
                   _matrix(r["W_out"], d_out, n), _vector(r.get("b_out", [0] * d_out), d_out),
                   _vector(r.get("h0", [0] * n), n), r.get("activation", "relu"))


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


# --- the model: program, map, obligations --------------------------------------------------------------------
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
    def load(doc: dict) -> Model:
        sim = doc["simulation"]
        dom = doc.get("input", {}).get("domain", ["-1", "1"])
        m = Model(_weights(doc), sim["program"], int(sim["c"]), int(sim["t0"]),
                  {q: int(u) for q, u in sim["control"].items()},
                  {s: {"unit": int(v["unit"]), "base": int(v["base"]),
                       "digits": {k: int(d) for k, d in v["digits"].items()}} for s, v in sim["stacks"].items()},
                  {r: {"unit": int(v["unit"]), "offset": _num(v["offset"])} for r, v in sim["registers"].items()},
                  (_num(dom[0]), _num(dom[1])))
        m.reg_box = {f"r:{r['name']}": (_num(r["bounds"][0]), _num(r["bounds"][1])) for r in m.prog["registers"]}
        for r in m.prog["registers"]:
            lo, hi = m.reg_box[f"r:{r['name']}"]
            if r.get("input") and not (lo <= m.domain[0] and m.domain[1] <= hi):
                raise RecheckError(f"the input domain {m.domain} leaves the bounds of input register {r['name']}")
        return m

    def stack_names(self) -> list[str]:
        return [s["name"] for s in self.prog.get("stacks", [])]

    def alphabet(self, s: str) -> list[str]:
        return next(st["alphabet"] for st in self.prog["stacks"] if st["name"] == s)

    def used_ops(self) -> list[dict]:
        names = {t.get("op") for t in self.prog["transitions"]} - {None}
        return sorted((o for o in self.prog.get("ops", []) if o["name"] in names), key=lambda o: o["name"])

    def required(self) -> dict[str, dict]:
        """Every obligation the theorem needs, computed from the program (not from the certificate)."""
        out: dict[str, dict] = {}
        for op in self.used_ops():
            for reg in sorted(u["register"] for u in op["updates"]):
                for side in ("hi", "lo"):
                    out[f"invariant[{op['name']}.{reg}.{side}]"] = {"kind": "invariant", "op": op, "reg": reg,
                                                                    "side": side}
        out["prologue"] = {"kind": "prologue"}
        names = self.stack_names()
        for q in self.prog["states"]:
            for combo in itertools.product(*[[None, *self.alphabet(s)] for s in names]):
                tops = dict(zip(names, combo, strict=True))
                inner = ",".join(f"{k}={'empty' if v is None else v}" for k, v in tops.items())
                out[f"step[{q}" + (f"|{inner}" if inner else "") + "]"] = {"kind": "step", "state": q, "tops": tops}
        return out

    # --- TMNU side ---------------------------------------------------------------------------------------
    def op_exprs(self, op: dict, box: dict) -> dict[str, dict]:
        hidden = []
        for h in op.get("hidden", []):
            arg = const(_num(h.get("const", 0)))
            for k, v in h["coeffs"].items():
                arg = plus(arg, {f"r:{k}": _num(v)})
            hidden.append(relu_of(arg, box))
        out = {}
        for u in op["updates"]:
            e = const(_num(u.get("const", 0)))
            for k, v in u["coeffs"].items():
                e = plus(e, {f"r:{k}": _num(v)})
            for j, v in u.get("relu", []):
                e = plus(e, hidden[j], _num(v))
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
                and all(tops.get(k, "\0") == v for k, v in t.get("reads", {}).items())]
        if len(hits) != 1:
            raise RecheckError(f"{len(hits)} transitions match state {state!r} with tops {tops}")
        return hits[0]

    def case(self, state: str, tops: dict, box: dict) -> tuple[list[dict], list[dict], dict, dict]:
        """(start encoding, successor encoding, old output, new output) as expressions."""
        stacks = {s: ({} if tops[s] is None else {f"v:{s}": F(1)}) for s in self.stack_names()}
        regs = {r["name"]: {f"r:{r['name']}": F(1)} for r in self.prog["registers"]}
        t = self.transition(state, tops)
        new_stacks = {}
        for s in self.stack_names():
            info, act, v = self.stacks[s], t.get("actions", {}).get(s), stacks[s]
            if act is None:
                new_stacks[s] = v
            elif act == "pop":
                new_stacks[s] = plus({k: x * info["base"] for k, x in v.items()}, const(F(-info["digits"][tops[s]])))
            else:
                new_stacks[s] = plus({k: x / info["base"] for k, x in v.items()},
                                     const(F(info["digits"][act["push"]], info["base"])))
        new_regs = dict(regs)
        if t.get("op") is not None:
            op = next(o for o in self.prog["ops"] if o["name"] == t["op"])
            new_regs.update(self.op_exprs(op, box))
        out = self.prog["output"]
        return (self.encode(state, stacks, regs), self.encode(t["goto"], new_stacks, new_regs), regs[out],
                new_regs[out])


# --- replaying a recorded activation pattern -------------------------------------------------------------------
def replay(m: Model, h: list[dict], box: dict, pattern: list[str], lemmas: dict[tuple, str]) -> tuple[list, list, list]:
    """Propagate with the recorded pattern, verifying each recorded decision. Returns (h, outputs, problems)."""
    w = m.w
    problems, outputs = [], []
    x = {"x": F(1)}
    if len(pattern) < 1 or any(len(p) != w.n for p in pattern):
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
        outputs.append([plus(const(w.b_out[k]), {}) if not w.W_out[k] else
                        _dot(w.W_out[k], h, w.b_out[k]) for k in range(w.d_out)])
    return h, outputs, problems


def _dot(row: dict[int, Fraction], h: list[dict], b: Fraction) -> dict:
    e = const(b)
    for j, c in row.items():
        if h[j]:
            e = plus(e, h[j], c)
    return e


# --- exact replays of witnesses (own RNN step, own TMNU step) ------------------------------------------------
def _rnn_step(w: Weights, h: list[Fraction], x: Fraction) -> list[Fraction]:
    out = []
    for i in range(w.n):
        z = w.b[i] + sum((c * h[j] for j, c in w.W_hh[i].items()), F(0)) + sum((c * x for c in w.W_ih[i].values()),
                                                                                  F(0))
        out.append(z if z > 0 else F(0))
    return out


def _encode_config(m: Model, state: str, stacks: dict[str, list[str]], regs: dict[str, Fraction]) -> list[Fraction]:
    h = [F(0)] * m.w.n
    h[m.control[state]] = F(1)
    for s, info in m.stacks.items():
        v = F(0)
        for sym in reversed(stacks[s]):
            v = (v + info["digits"][sym]) / info["base"]
        h[info["unit"]] = v
    for r, info in m.regs.items():
        h[info["unit"]] = regs[r] + info["offset"]
    return h


def _op_apply(op: dict, regs: dict[str, Fraction]) -> dict[str, Fraction]:
    acts = []
    for hdn in op.get("hidden", []):
        z = _num(hdn.get("const", 0)) + sum((_num(v) * regs[k] for k, v in hdn["coeffs"].items()), F(0))
        acts.append(max(z, F(0)))
    new = dict(regs)
    for u in op["updates"]:
        new[u["register"]] = (_num(u.get("const", 0)) + sum((_num(v) * regs[k] for k, v in u["coeffs"].items()), F(0))
                              + sum((_num(v) * acts[j] for j, v in u.get("relu", [])), F(0)))
    return new


def replay_witness(m: Model, rid: str, wit: dict) -> str | None:
    """None if the witness reproduces a difference exactly; else why it does not."""
    x = _num(wit.get("x", 0))
    if rid.startswith("invariant["):
        regs = {k: _num(v) for k, v in wit["registers"].items()}
        op_name, reg, side = rid[len("invariant["):-1].rsplit(".", 2)
        op = next(o for o in m.prog["ops"] if o["name"] == op_name)
        val = _op_apply(op, regs)[reg]
        lo, hi = m.reg_box[f"r:{reg}"]
        return None if not lo <= val <= hi else f"op {op_name} keeps {reg}={val} within [{lo}, {hi}]"
    cfg = wit["config"]
    regs = {k: _num(v) for k, v in cfg["registers"].items()}
    start = _encode_config(m, cfg["state"], cfg["stacks"], regs)
    if rid == "prologue":
        h = list(m.w.h0)
        for _ in range(m.t0):
            h = _rnn_step(m.w, h, x)
        return None if h != start else "the prologue reproduces the start configuration"
    tops = {s: (cfg["stacks"][s][0] if cfg["stacks"][s] else None) for s in m.stack_names()}
    t = m.transition(cfg["state"], tops)
    stacks = {s: list(v) for s, v in cfg["stacks"].items()}
    for s, act in t.get("actions", {}).items():
        stacks[s] = stacks[s][1:] if act == "pop" else [act["push"], *stacks[s]]
    new_regs = _op_apply(next(o for o in m.prog["ops"] if o["name"] == t["op"]), regs) if t.get("op") else regs
    want = _encode_config(m, t["goto"], stacks, new_regs)
    out_name = m.prog["output"]
    h = start
    for j in range(1, m.c + 1):
        h = _rnn_step(m.w, h, x)
        y = m.w.b_out[0] + sum((c * h[i] for i, c in m.w.W_out[0].items()), F(0))
        expect = regs[out_name] if j < m.c else new_regs[out_name]
        if y != expect:
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


def _key(e: dict) -> tuple:
    return tuple(sorted(e.items(), key=lambda kv: _rank(kv[0])))


def _static(w: Weights, claims: dict, r: dict) -> str | None:
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
    if key not in measured or key not in claims:
        return f"{r['id']}: no such static claim in the file"
    holds = measured[key] <= _num(claims[key])
    if holds != (r["verdict"] == "PROVED"):
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
    would refuse them. Lift it while re-checking only (file sizes are bounded by the JSON reader)."""
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(old)


def recheck(cert_path: str | Path, timeout: float = 60.0) -> Report:
    """Re-check a certificate against its weight file. Never raises on a wrong certificate: it reports."""
    with _long_integers():
        return _recheck(cert_path, timeout)


def _recheck(cert_path: str | Path, timeout: float) -> Report:
    cp = Path(cert_path)
    cert = _load_json(cp)
    if not isinstance(cert, dict) or cert.get("format") != "certify.certificate/1":
        raise RecheckError(f"{cp}: not a certify.certificate/1 file")
    rep = Report(str(cp), cert.get("verdict", "?"))
    wpath = cp.parent / cert["weights"]["file"]
    doc = _load_json(wpath)
    w = _weights(doc)
    if w.sha256() != cert["weights"]["sha256"]:
        rep.problems.append(f"stale: {wpath} has sha256 {w.sha256()[:16]}…, the certificate is for "
                            f"{cert['weights']['sha256'][:16]}…")
        return rep
    results = {r["id"]: r for r in cert["results"]}
    worst = "PROVED"
    for r in cert["results"]:
        worst = r["verdict"] if (r["verdict"], worst) in {("REFUTED", "PROVED"), ("REFUTED", "UNKNOWN"),
                                                            ("UNKNOWN", "PROVED")} else worst
    if worst != rep.verdict:
        rep.problems.append(f"the certificate's verdict {rep.verdict} is not the worst of its results ({worst})")
    for r in cert["results"]:
        if r["kind"] == "static":
            p = _static(w, doc.get("claims", {}), r)
            rep.problems.append(p) if p else setattr(rep, "confirmed", rep.confirmed + 1)
    if not cert.get("simulation_checked"):
        if "simulation" in doc:
            rep.problems.append("the file has a simulation block but the certificate did not check it")
        return rep
    m = Model.load(doc)
    required = m.required()
    got = {k for k, r in results.items() if r["kind"] != "static"}
    if rep.verdict == "PROVED" and set(required) - got:
        rep.problems.append(f"missing obligations: {sorted(set(required) - got)[:5]}")
    if got - set(required):
        rep.problems.append(f"obligations that the theorem does not have: {sorted(got - set(required))[:5]}")
    lemmas: dict[tuple, str] = {}
    order = sorted(got & set(required), key=lambda i: (0 if i.startswith("invariant") else 1, i))
    for rid in order:
        r, need = results[rid], required[rid]
        problem = _recheck_one(m, rid, r, need, lemmas, cp.parent, timeout, rep)
        if problem:
            rep.problems.append(f"{rid}: {problem}")
        else:
            rep.confirmed += 1
            if need["kind"] == "invariant" and need["side"] == "lo" and r["verdict"] == "PROVED":
                lemmas[_key(_invariant_expr(m, need))] = rid
    return rep


def _invariant_expr(m: Model, need: dict) -> dict:
    e = m.op_exprs(need["op"], m.reg_box)[need["reg"]]
    lo, hi = m.reg_box[f"r:{need['reg']}"]
    return plus(e, const(-lo)) if need["side"] == "lo" else plus({k: -v for k, v in e.items()}, const(hi))


def _box(m: Model, need: dict) -> dict:
    box = {"x": m.domain} if need["kind"] != "invariant" else {}
    if need["kind"] == "invariant":
        return dict(m.reg_box)
    if need["kind"] == "step":
        box.update(m.reg_box)
        for s, sym in need["tops"].items():
            if sym is not None:
                d, base = m.stacks[s]["digits"][sym], m.stacks[s]["base"]
                box[f"v:{s}"] = (F(d, base), F(d + 1, base))
    return box


def _recheck_one(m: Model, rid: str, r: dict, need: dict, lemmas: dict, folder: Path, timeout: float,
                 rep: Report) -> str | None:
    verdict, method, ev = r["verdict"], r.get("method"), r.get("evidence", {})
    box = _box(m, need)
    if "domain" in r and {k: [str(a), str(b)] for k, (a, b) in box.items()} != r["domain"].get("variables"):
        return "the certificate states a different domain than the theorem needs"
    if verdict == "UNKNOWN":
        return None
    if verdict == "REFUTED":
        if "witness" not in ev:
            return "REFUTED without a witness"
        why = replay_witness(m, rid, ev["witness"])
        return None if why is None else f"the witness does not replay: {why}"
    if "smt" in ev:  # the cited file must itself be unsat for z3 (and cvc5)
        path = folder / ev["smt"]
        if not path.exists():
            return f"cited SMT file {ev['smt']} is missing"
        rep.smt_files += 1
        text = path.read_text()
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
        return f"unknown method {method!r}"
    if need["kind"] == "prologue":
        start = [const(v) for v in m.w.h0]
        init = {s["name"]: s.get("initial", []) for s in m.prog.get("stacks", [])}
        stacks = {}
        for s, info in m.stacks.items():
            v = F(0)
            for sym in reversed(list(init[s])):
                v = (v + info["digits"][sym]) / info["base"]
            stacks[s] = const(v)
        regs = {r2["name"]: ({"x": F(1)} if r2.get("input") else const(_num(r2.get("initial", 0))))
                for r2 in m.prog["registers"]}
        expected = m.encode(m.prog.get("start", m.prog["states"][0]), stacks, regs)
        h, _, problems = replay(m, start, box, ev.get("pattern", []), lemmas)
        pairs = list(zip(h, expected, strict=True))
        steps = m.t0
    else:
        start, expected, old_out, new_out = m.case(need["state"], need["tops"], box)
        h, outs, problems = replay(m, start, box, ev.get("pattern", []), lemmas)
        pairs = list(zip(h, expected, strict=True))
        if len(outs) == m.c:
            pairs += [(outs[j][0], old_out) for j in range(m.c - 1)] + [(outs[-1][0], new_out)]
        steps = m.c
    if len(ev.get("pattern", [])) != steps:
        return f"the activation pattern covers {len(ev.get('pattern', []))} steps, not {steps}"
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
    return f"unknown method {method!r}"
