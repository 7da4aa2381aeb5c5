"""A past-dependent target in a checkable form: at each time t, f[t] is a one-hidden-layer ReLU network of the
flattened past x[1:t] = (x_1[0], …, x_1[d_x−1], x_2[0], …, x_t[d_x−1]):

    f[t](x[1:t]) = W_t · relu(A_t · x[1:t] + c_t) + d_t          A_t: H_t × (t·d_x), W_t: d_y × H_t

over the box K^N, K = domain[0] × … × domain[d_x−1]. A ``seq2vec`` target gives f[N] only. The file format
``certify.deep-target/1`` (JSON; numbers exact as in weight files)::

    {"format": "certify.deep-target/1", "name": "…", "kind": "continuous" | "seq2vec",
     "dx": 2, "dy": 1, "N": 4, "domain": [[0, 1], [-1, 1]],
     "steps": [{"t": 1, "A": [[…t·dx numbers…], …], "c": […], "W": [[…H numbers…]], "d": […]}, …]}

>>> tg = Target.from_lists(dx=1, dy=1, N=2, domain=[[0, 1]], steps=[
...     {"t": 1, "A": [[1]], "c": [0], "W": [[2]], "d": [0]},
...     {"t": 2, "A": [[1, -1]], "c": ["1/2"], "W": [[1]], "d": [-1]}])
>>> [[str(v) for v in y] for y in tg.evaluate([[fmpq(1)], [fmpq(1, 4)]])]
[['2'], ['1/4']]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flint import fmpq

from certify.errors import InputError
from certify.jsonio import array, field, integer, number, read, string
from certify.prove import pwl
from certify.prove.pwl import Lin
from certify.rational import ZERO, relu, to_json
from certify.untrusted import check_name, current_limits, quote

FORMAT = "certify.deep-target/1"
KINDS = ("continuous", "seq2vec")
#: Largest sequence length N and hidden width H_t a target file may give (each costs proof time), and the most
#: numbers all its A matrices may hold together.
MAX_N = 64
MAX_HIDDEN = 256
MAX_A_ENTRIES = 1_000_000


@dataclass(frozen=True)
class StepNet:
    """f[t] = W·relu(A·x[1:t] + c) + d, exactly."""

    t: int
    A: tuple[tuple[fmpq, ...], ...]
    c: tuple[fmpq, ...]
    W: tuple[tuple[fmpq, ...], ...]
    d: tuple[fmpq, ...]

    def hidden(self, past: Sequence[fmpq]) -> list[fmpq]:
        return [relu(sum((a * x for a, x in zip(row, past, strict=True)), ZERO) + ci)
                for row, ci in zip(self.A, self.c, strict=True)]

    def value(self, past: Sequence[fmpq]) -> list[fmpq]:
        h = self.hidden(past)
        return [sum((w * v for w, v in zip(row, h, strict=True)), ZERO) + dm
                for row, dm in zip(self.W, self.d, strict=True)]


@dataclass(frozen=True)
class Target:
    """A past-dependent map on K^N given by one ReLU network per output time (see the module doc)."""

    dx: int
    dy: int
    N: int
    domain: tuple[tuple[fmpq, fmpq], ...]
    steps: tuple[StepNet, ...]
    kind: str = "continuous"
    name: str = "target"

    def __post_init__(self) -> None:
        problems = validate(self)
        if problems:
            raise InputError("; ".join(problems))

    @staticmethod
    def from_lists(*, dx: int, dy: int, N: int, domain: Any, steps: Any, kind: str = "continuous",  # noqa: N803
                   name: str = "target") -> Target:
        """A target from nested lists of numbers (ints, "p/q" strings, fmpq): the Python API."""
        return parse_target({"format": FORMAT, "name": name, "kind": kind, "dx": dx, "dy": dy, "N": N,
                             "domain": domain, "steps": steps}, "target")

    @property
    def times(self) -> tuple[int, ...]:
        """The times t at which the target is given (1 … N, or N alone for seq2vec)."""
        return tuple(s.t for s in self.steps)

    def step(self, t: int) -> StepNet:
        for s in self.steps:
            if s.t == t:
                return s
        raise InputError(f"the target gives no f[{t}] (it gives t = {list(self.times)})")

    def check_sequence(self, xs: Sequence[Sequence[fmpq]]) -> None:
        if len(xs) != self.N:
            raise InputError(f"the sequence has {len(xs)} inputs, the target's N={self.N}")
        for s, x in enumerate(xs, start=1):
            if len(x) != self.dx:
                raise InputError(f"x_{s} has {len(x)} values, the target's dx={self.dx}")
            for k, (v, (lo, hi)) in enumerate(zip(x, self.domain, strict=True)):
                if not lo <= v <= hi:
                    raise InputError(f"x_{s}[{k}]={v} is outside the domain [{lo}, {hi}]")

    def evaluate(self, xs: Sequence[Sequence[fmpq]]) -> list[list[fmpq]]:
        """f[t](x[1:t]) for every given t (in :attr:`times` order), exactly."""
        self.check_sequence(xs)
        flat = [v for x in xs for v in x]
        return [s.value(flat[:s.t * self.dx]) for s in self.steps]

    def box(self) -> dict[str, tuple[fmpq, fmpq]]:
        """K^N with one variable per input value: ``variable(s, k)`` for x_s[k]."""
        return {variable(s, k): self.domain[k] for s in range(1, self.N + 1) for k in range(self.dx)}

    def expressions(self, t: int, box: Mapping[str, tuple[fmpq, fmpq]], memo: dict | None = None) -> list[Lin]:
        """f[t] as exact piecewise-linear expressions of the box's variables (ReLUs decided where the box can)."""
        st = self.step(t)
        past = [variable(s, k) for s in range(1, t + 1) for k in range(self.dx)]
        hidden = []
        for row, ci in zip(st.A, st.c, strict=True):
            arg: Lin = pwl.constant(ci)
            for name, a in zip(past, row, strict=True):
                pwl.add(arg, {name: a})
            hidden.append(pwl.relu(arg, box, memo))
        out = []
        for row, dm in zip(st.W, st.d, strict=True):
            e: Lin = pwl.constant(dm)
            for w, h in zip(row, hidden, strict=True):
                pwl.add(e, h, w)
            out.append(e)
        return out

    def as_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "name": self.name, "kind": self.kind, "dx": self.dx, "dy": self.dy, "N": self.N,
                "domain": [[to_json(lo), to_json(hi)] for lo, hi in self.domain],
                "steps": [{"t": s.t, "A": [[to_json(v) for v in r] for r in s.A], "c": [to_json(v) for v in s.c],
                           "W": [[to_json(v) for v in r] for r in s.W], "d": [to_json(v) for v in s.d]}
                          for s in self.steps]}


def variable(s: int, k: int) -> str:
    """The box variable of x_s[k] (s = 1 … N).

    >>> variable(3, 0)
    'x3_0'
    """
    return f"x{s}_{k}"


def validate(tg: Target) -> list[str]:
    """Every problem with a target's shapes (nothing: [])."""
    out = []
    if tg.kind not in KINDS:
        out.append(f"kind={tg.kind!r} is not one of {', '.join(KINDS)}")
    if len(tg.domain) != tg.dx:
        out.append(f"domain lists {len(tg.domain)} intervals, expected dx={tg.dx}")
    for k, (lo, hi) in enumerate(tg.domain):
        if not lo < hi:
            out.append(f"domain[{k}]=[{lo}, {hi}] must have lo < hi")
    want = (tg.N,) if tg.kind == "seq2vec" else tuple(range(1, tg.N + 1))
    if tuple(s.t for s in tg.steps) != want:
        out.append(f"steps give t = {[s.t for s in tg.steps]}, expected {list(want)} for a {tg.kind} target")
    for i, s in enumerate(tg.steps):
        h = len(s.A)
        where = f"steps[{i}] (t={s.t})"
        if any(len(r) != s.t * tg.dx for r in s.A):
            out.append(f"{where}.A rows must have t*dx={s.t * tg.dx} entries (the flattened past x[1:t])")
        if len(s.c) != h:
            out.append(f"{where}.c has {len(s.c)} entries, expected one per row of A ({h})")
        if len(s.W) != tg.dy or any(len(r) != h for r in s.W):
            out.append(f"{where}.W must be dy x H = {tg.dy} x {h}")
        if len(s.d) != tg.dy:
            out.append(f"{where}.d has {len(s.d)} entries, expected dy={tg.dy}")
    return out


def _vec(v: Any, path: str, n: int | None = None) -> tuple[fmpq, ...]:
    items = array(v, path)
    if n is not None and len(items) != n:
        raise InputError(f"{path} has {len(items)} entries, expected {n}")
    if len(items) > current_limits().max_entries:
        raise InputError(f"{path} has {len(items)} entries, above max_entries={current_limits().max_entries}")
    return tuple(number(x, f"{path}[{i}]", weight=True) for i, x in enumerate(items))


def _mat(v: Any, path: str, rows_max: int) -> tuple[tuple[fmpq, ...], ...]:
    rows = array(v, path)
    if len(rows) > rows_max:
        raise InputError(f"{path} has {len(rows)} rows, above the limit {rows_max}")
    return tuple(_vec(r, f"{path}[{i}]") for i, r in enumerate(rows))


def parse_target(doc: Any, source: str) -> Target:
    """A :class:`Target` from a parsed JSON document; every bad value is named."""
    fmt = field(doc, "format", source)
    if fmt != FORMAT:
        raise InputError(f"{source}: format={quote(fmt)} is not {FORMAT!r}")
    known = {"format", "name", "kind", "dx", "dy", "N", "domain", "steps"}
    extra = sorted(k for k in doc if k not in known)
    if extra:
        raise InputError(f"{source}: unknown key {quote(extra[0])} (known: {', '.join(sorted(known))})")
    name = check_name(field(doc, "name", source, "target"), "name")
    kind = string(field(doc, "kind", source, "continuous"), "kind")
    if kind not in KINDS:
        raise InputError(f"kind={quote(kind)} is not one of {', '.join(KINDS)}")
    dx = integer(field(doc, "dx", source), "dx", 1, 64)
    dy = integer(field(doc, "dy", source), "dy", 1, 64)
    n = integer(field(doc, "N", source), "N", 1, MAX_N)
    dom = array(field(doc, "domain", source), "domain")
    if len(dom) != dx:
        raise InputError(f"domain lists {len(dom)} intervals, expected dx={dx}")
    domain = tuple(_pair(iv, f"domain[{k}]") for k, iv in enumerate(dom))
    raw = array(field(doc, "steps", source), "steps")
    if len(raw) > n:
        raise InputError(f"steps has {len(raw)} entries, more than N={n}")
    steps = []
    entries = 0
    for i, st in enumerate(raw):
        where = f"steps[{i}]"
        t = integer(field(st, "t", where), f"{where}.t", 1, n)
        rows = field(st, "A", where)
        entries += sum(len(r) if isinstance(r, list) else 1 for r in rows) if isinstance(rows, list) else 0
        if entries > MAX_A_ENTRIES:
            raise InputError(f"{where}.A: the A matrices hold more than {MAX_A_ENTRIES} numbers together")
        for key in st:
            if key not in ("t", "A", "c", "W", "d"):
                raise InputError(f"{where}: unknown key {quote(key)} (known: t, A, c, W, d)")
        a = _mat(field(st, "A", where), f"{where}.A", MAX_HIDDEN)
        steps.append(StepNet(t, a, _vec(field(st, "c", where), f"{where}.c"),
                             _mat(field(st, "W", where), f"{where}.W", 64), _vec(field(st, "d", where), f"{where}.d")))
    return Target(dx, dy, n, domain, tuple(steps), kind, name)


def _pair(v: Any, path: str) -> tuple[fmpq, fmpq]:
    items = array(v, path)
    if len(items) != 2:
        raise InputError(f"{path}={quote(v)} must be an interval [lo, hi]")
    return number(items[0], f"{path}[0]"), number(items[1], f"{path}[1]")


def read_target(path: str) -> Target:
    """Read a ``certify.deep-target/1`` file through the bounded reader."""
    return parse_target(read(path, "deep target"), str(path))
