"""Rate methods, registered rather than imported by name: each says whether it applies to a weight file and
certifies that file's rows. ``certify rates`` tries the methods that apply in order of ``priority`` (most
specific first); a method that applies but then finds it cannot analyse the file raises :class:`Declined`,
and the next one runs. The generic enclosure method (:mod:`certify.bounds.rates.enclosure`) applies to
every file with a simulation block and is registered by ``bounds`` itself; plug-ins (the universal
approximator, :mod:`certify.universal`) register theirs when they are imported (:mod:`certify.plugins`).

>>> from certify.bounds.rates import methods
>>> methods()[-1].name
'enclosure'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import sympy

from certify.bounds.claims import ClaimSpan, declare_key
from certify.bounds.rates.model import RateOptions, RateRow
from certify.spec.file import RnnFile


class Declined(Exception):
    """A method that applies to a file cannot analyse it after all; the message says why (it becomes a note)."""


@dataclass(frozen=True)
class RateQuery:
    """What a method certifies: the file, its target f (a sympy expression), the claims to decide (a method
    may refine its rows as far as they need), where the file's rate table ends, and how hard to work."""

    file: RnnFile
    fx: sympy.Expr
    claims: tuple[ClaimSpan, ...]
    until: int | None
    options: RateOptions


@dataclass(frozen=True)
class MethodRows:
    """A method's rows, in order of T, and its notes."""

    rows: tuple[RateRow, ...]
    notes: tuple[str, ...] = ()


class RateMethod(Protocol):
    """A way to certify the rows of error against runtime."""

    @property
    def name(self) -> str:
        """Shown as the report's ``method`` (``universal``, ``enclosure``)."""

    @property
    def priority(self) -> int:
        """Lower runs first: specific methods before generic ones."""

    @property
    def described_as(self) -> str:
        """How a note names it when a method before it declined (``falling back to enclosures``)."""

    @property
    def claim_keys(self) -> Mapping[str, str]:
        """Claim keys the method reads or writes besides certify's own, with their meaning."""

    def applies(self, f: RnnFile) -> bool:
        """Whether the method is for this file (cheap; may be wrong only by raising :class:`Declined` later)."""

    def rows(self, query: RateQuery) -> MethodRows:
        """The certified rows, or :class:`Declined`."""


_METHODS: dict[str, RateMethod] = {}


def register(method: RateMethod) -> RateMethod:
    """Add ``method`` (replacing one of the same name) and declare its claim keys; returns it."""
    _METHODS[method.name] = method
    for key, meaning in method.claim_keys.items():
        declare_key(key, meaning)
    return method


def methods() -> tuple[RateMethod, ...]:
    """Every registered method, in the order they are tried."""
    return tuple(sorted(_METHODS.values(), key=lambda m: (m.priority, m.name)))


def certify_rows(query: RateQuery) -> tuple[str, MethodRows, tuple[str, ...]]:
    """Run the first method that applies and does not decline: (its name, its rows, notes of those that declined)."""
    notes: list[str] = []
    candidates = [m for m in methods() if m.applies(query.file)]
    for i, method in enumerate(candidates):
        try:
            return method.name, method.rows(query), tuple(notes)
        except Declined as why:
            after = f"falling back to {candidates[i + 1].described_as}" if i + 1 < len(candidates) else "no method left"
            notes.append(f"{why}; {after}")
    raise Declined("; ".join(notes) or "no rate method applies to this file")
