"""The ``claims`` block of a weight file, parsed once into :class:`Claims`: the static bounds
(:data:`certify.spec.measure.STATIC_CLAIMS`), the target function, the rate table and where it ends.
``certify rates``, the report and the gate read claims through this module only.

Parsing never raises: each malformed claim is kept as a problem naming the bad value, and a caller
asks for the parts it needs with :meth:`Claims.require` (``certify rates`` needs ``rate`` and
``rate_until``, ``certify check`` the static keys). Keys that no part of certify (nor a loaded
plug-in, :func:`declare_key`) reads are collected in :attr:`Claims.unknown`, so a caller can warn.

>>> c = parse_claims({"target": "x**2", "rate": [{"T": 9, "E": "1/4"}, {"T": 2, "E": 1}], "rate_until": 20,
...                   "hidden_dim_max": 8, "colour": "blue"})
>>> c.target, [(r.T, str(r.E)) for r in c.rate], c.rate_until, c.unknown
('x**2', [(2, '1'), (9, '1/4')], 20, ('colour',))
>>> [(s.T, s.T_end, str(s.E)) for s in c.spans()]
[(2, 9, '1'), (9, 20, '1/4')]
>>> parse_claims({"rate": [{"T": 1, "E": "1"}], "rate_until": 1}).require("rate", "rate_until")
Traceback (most recent call last):
...
certify.errors.InputError: claims.rate_until=1 must be after the last claimed row (T=1)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flint import arb, fmpq

from certify.errors import InputError
from certify.expr import ArbFunction, arb_to_fmpq, parse_function, value_at
from certify.rational import parse_number
from certify.spec.measure import STATIC_CLAIMS, parse_static

#: Claim keys certify reads, with what each says (the static ones come from the measurement table).
KEYS: dict[str, str] = {
    **STATIC_CLAIMS,
    "target": "the function f(x) the output approximates (certify rates)",
    "rate": "the error table [{T, E}]: sup_x |y_T(x) - f(x)| <= E from each T to the next row's",
    "rate_until": "the first RNN step the rate table no longer covers (absent: the last row holds for every later T)",
    "rate_formula": 'a claimed error law {"E": "expression in T", "T_min": t, "T_max": t}: '
                    "sup_x |y_T(x) - f(x)| <= E(T) for every T in [T_min, T_max]",
    "width_target": "the target class a deep narrow network's width is measured against (certify width FILE): "
                    "continuous, seq2vec, lp-compact or lp-rdx",
}
#: Most steps a rate formula may cover (each T is certified on its own).
MAX_FORMULA_STEPS = 100_000
_DECLARED: dict[str, str] = {}


def declare_key(key: str, meaning: str) -> None:
    """A plug-in reads (or writes, for information) claim ``key``: it is not unknown."""
    _DECLARED.setdefault(key, meaning)


def known_keys() -> dict[str, str]:
    """Every claim key certify and its loaded plug-ins read, with its meaning."""
    return {**KEYS, **_DECLARED}


@dataclass(frozen=True)
class RateClaim:
    """A row of ``claims.rate``: sup_x |y_T(x) - f(x)| <= E from RNN step T on (to the next row)."""

    T: int
    E: fmpq


@dataclass(frozen=True)
class ClaimSpan:
    """A claim to decide: sup_x |y_T(x) - f(x)| <= E for every RNN step T in [T, T_end) (None: every later T).

    >>> ClaimSpan(10, 12, fmpq(1, 4)).meets(11, None), ClaimSpan(10, 12, fmpq(1, 4)).meets(12, 20)
    (True, False)
    """

    T: int
    T_end: int | None
    E: fmpq
    E_up: fmpq | None = None  # when E is a rational lower bound of an irrational claimed value: an upper bound

    def meets(self, lo: int, hi: int | None) -> bool:
        """Does [T, T_end) meet [lo, hi)?"""
        return (hi is None or hi > self.T) and (self.T_end is None or self.T_end > lo)

    @property
    def refutes_above(self) -> fmpq:
        """A certified error above this refutes the claim (E itself unless E is a rounded-down value)."""
        return self.E if self.E_up is None else self.E_up


@dataclass(frozen=True)
class RateFormula:
    """``claims.rate_formula``: E(T) (text, in the variable T) for every T in [T_min, T_max]."""

    E: str
    T_min: int
    T_max: int

    def spans(self) -> tuple[ClaimSpan, ...]:
        """One span per T: E(T) exactly when rational, else rational bounds around it (arb, 128 bits).

        >>> [(s.T, str(s.E)) for s in RateFormula("4**(-T)", 1, 2).spans()]
        [(1, '1/4'), (2, '1/16')]
        >>> s = RateFormula("exp(-T)", 1, 1).spans()[0]; s.E < s.E_up
        True
        """
        fn = parse_function(_as_x(self.E))
        arb_fn = ArbFunction(fn)
        out = []
        for t in range(self.T_min, self.T_max + 1):
            v = value_at(fn, fmpq(t))
            if v is not None:
                out.append(ClaimSpan(t, t + 1, v))
                continue
            ball = arb_fn(arb(t))
            if not ball.is_finite():
                raise InputError(f"claims.rate_formula.E={self.E!r} has no finite value at T={t}")
            lo, hi = arb_to_fmpq(ball.lower()), arb_to_fmpq(ball.upper())
            out.append(ClaimSpan(t, t + 1, lo, hi))
        return tuple(out)


def _as_x(text: str) -> str:
    """The formula with T renamed x (the expression parser's variable); a formula naming x is refused."""
    if re.search(r"\bx\b", text):
        raise InputError(f"claims.rate_formula.E={text!r}: the variable is T (x is the network's input)")
    return re.sub(r"\bT\b", "x", text)


@dataclass(frozen=True)
class Claims:
    """A file's claims, parsed; ``problems`` are (key, message) for each malformed one."""

    static: tuple[tuple[str, fmpq], ...] = ()
    target: str | None = None
    rate: tuple[RateClaim, ...] = ()
    rate_until: int | None = None
    unknown: tuple[str, ...] = ()
    problems: tuple[tuple[str, str], ...] = ()
    rate_formula: RateFormula | None = None

    def require(self, *keys: str) -> Claims:
        """These claims, or an InputError listing every problem of ``keys`` (of every key when none is named)."""
        bad = [msg for key, msg in self.problems if not keys or key in keys]
        if bad:
            raise InputError("; ".join(bad))
        return self

    def spans(self) -> tuple[ClaimSpan, ...]:
        """The rate table as spans: each row up to the next row's T, the last up to ``rate_until``."""
        ends = [r.T for r in self.rate[1:]] + [self.rate_until]
        table = tuple(ClaimSpan(r.T, end, r.E) for r, end in zip(self.rate, ends, strict=True))
        return table + (self.rate_formula.spans() if self.rate_formula is not None else ())


def parse_claims(raw: Mapping[str, Any]) -> Claims:
    """Parse and validate a claims block (see the module docstring); never raises."""
    static, static_problems = parse_static(raw)
    problems = list(static_problems.items())
    rate, rate_problems = _rate(raw.get("rate") or [])
    problems += [("rate", msg) for msg in rate_problems]
    until = None
    if "rate_until" in raw:
        until, msg = _until(raw["rate_until"], rate if not rate_problems else None)
        if msg:
            problems.append(("rate_until", msg))
    target = str(raw["target"]) if "target" in raw else None
    formula = None
    if "rate_formula" in raw:
        formula, msg = _formula(raw["rate_formula"])
        if msg:
            problems.append(("rate_formula", msg))
    known = known_keys()
    unknown = tuple(sorted(k for k in raw if k not in known))
    return Claims(tuple(static.items()), target, rate, until, unknown, tuple(problems), formula)


def _formula(raw: Any) -> tuple[RateFormula | None, str]:
    """``claims.rate_formula`` and the problem with it ('' when none); the expression is parsed here."""
    if not isinstance(raw, dict) or set(raw) != {"E", "T_min", "T_max"}:
        return None, 'claims.rate_formula must be {"E": "expression in T", "T_min": step, "T_max": step}'
    lo, hi, text = raw["T_min"], raw["T_max"], raw["E"]
    for name, v in (("T_min", lo), ("T_max", hi)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            return None, f"claims.rate_formula.{name}={v!r} is not a nonnegative integer step"
    if hi < lo or hi - lo >= MAX_FORMULA_STEPS:
        return None, (f"claims.rate_formula covers T={lo}..{hi}: T_max must be at least T_min and the range "
                      f"under {MAX_FORMULA_STEPS} steps")
    if not isinstance(text, str):
        return None, f"claims.rate_formula.E={text!r} is not an expression (a string)"
    try:
        parse_function(_as_x(text))
    except InputError as err:
        return None, f"claims.rate_formula.E={text!r}: {err}"
    return RateFormula(text, lo, hi), ""


def _rate(raw: Any) -> tuple[tuple[RateClaim, ...], list[str]]:
    if not isinstance(raw, list):
        return (), ["claims.rate must be a list of {\"T\": step, \"E\": bound}"]
    out: list[RateClaim] = []
    for i, row in enumerate(raw):
        if not isinstance(row, dict) or "T" not in row or "E" not in row:
            return (), [f"claims.rate[{i}] must be an object {{\"T\": step, \"E\": bound}}"]
        t = row["T"]
        if not isinstance(t, int) or isinstance(t, bool) or t < 0:
            return (), [f"claims.rate[{i}].T={t!r} is not a nonnegative integer step"]
        try:
            e = parse_number(row["E"], where=f"claims.rate[{i}].E")
        except InputError as err:
            return (), [str(err)]
        if e < 0:
            return (), [f"claims.rate[{i}].E={row['E']!r} is negative"]
        out.append(RateClaim(t, e))
    out.sort(key=lambda r: r.T)
    for a, b in zip(out, out[1:], strict=False):
        if a.T == b.T:
            return (), [f"claims.rate lists T={a.T} twice"]
    return tuple(out), []


def _until(until: Any, rate: tuple[RateClaim, ...] | None) -> tuple[int | None, str]:
    """``claims.rate_until`` and the problem with it ('' when none; the order check needs a valid ``rate``)."""
    if not isinstance(until, int) or isinstance(until, bool):
        return None, f"claims.rate_until={until!r} is not an integer step"
    last = max((r.T for r in rate or ()), default=-1)
    if rate is not None and until <= last:
        return None, f"claims.rate_until={until} must be after the last claimed row (T={last})"
    return until, ""


def claimed_rate(raw: Mapping[str, Any]) -> list[tuple[int, fmpq]]:
    """``claims.rate`` as sorted (T, E) pairs; a malformed table is an InputError naming the bad row.

    >>> claimed_rate({"rate": [{"T": 10, "E": "1/4"}, {"T": 3, "E": "1/2"}]})
    [(3, 1/2), (10, 1/4)]
    """
    return [(r.T, r.E) for r in parse_claims(raw).require("rate").rate]


def claimed_until(raw: Mapping[str, Any]) -> int | None:
    """``claims.rate_until``: the first RNN step the rate table no longer covers (DESIGN §5's T_max).
    Absent, the last row covers every later step.

    >>> claimed_until({"rate": [{"T": 10, "E": "1/4"}], "rate_until": 58}), claimed_until({})
    (58, None)
    """
    return parse_claims(raw).require("rate", "rate_until").rate_until
