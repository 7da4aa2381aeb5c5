"""Three-valued verdicts, and the one ``RESULT:`` line and exit code every command ends with.

Verdicts are ordered by badness so that combining obligations is a ``max``:
PROVED < UNKNOWN < REFUTED.

>>> combine([Verdict.PROVED, Verdict.UNKNOWN])
<Verdict.UNKNOWN: 'UNKNOWN'>
>>> combine([Verdict.PROVED, Verdict.REFUTED, Verdict.UNKNOWN])
<Verdict.REFUTED: 'REFUTED'>
>>> combine([])
<Verdict.PROVED: 'PROVED'>
>>> Verdict.REFUTED.exit_code
10

A command's last line says what it decided, and its exit code says the same (DESIGN §8). Besides the
three verdicts a line can say ``NOTHING CLAIMED`` (a file that claims nothing: exit 20) or
``DISAGREE`` (the independent re-checker does not confirm a certificate: exit 1):

>>> result_line(Verdict.PROVED, "squaring", "19 proved, 0 refuted, 0 unknown")
'RESULT: PROVED squaring: 19 proved, 0 refuted, 0 unknown'
>>> result_line(Status.DISAGREE, "(2 certificates re-checked)")
'RESULT: DISAGREE (2 certificates re-checked)'
>>> exit_code(Verdict.UNKNOWN), exit_code(Status.NOTHING_CLAIMED), exit_code(Status.DISAGREE)
(20, 20, 1)
"""

from __future__ import annotations

import enum
from collections.abc import Iterable


class Verdict(enum.Enum):
    PROVED = "PROVED"
    UNKNOWN = "UNKNOWN"
    REFUTED = "REFUTED"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def exit_code(self) -> int:
        """Exit codes of DESIGN §8: 0 all PROVED, 10 something REFUTED, 20 something UNKNOWN (:func:`exit_code`)."""
        return exit_code(self)


_RANK = {Verdict.PROVED: 0, Verdict.UNKNOWN: 1, Verdict.REFUTED: 2}


def combine(verdicts: Iterable[Verdict]) -> Verdict:
    """The verdict of a conjunction: the worst of its parts (PROVED if there are none)."""
    return max(verdicts, key=lambda v: v.rank, default=Verdict.PROVED)


class Status(enum.Enum):
    """What a ``RESULT:`` line can say: a verdict, or one of the two outcomes that are not one."""

    PROVED = "PROVED"
    UNKNOWN = "UNKNOWN"
    REFUTED = "REFUTED"
    NOTHING_CLAIMED = "NOTHING CLAIMED"  # the file claims nothing that could be checked
    DISAGREE = "DISAGREE"                # the independent re-check does not confirm a certificate

    @staticmethod
    def of(v: Verdict | Status) -> Status:
        """The status that says ``v``.

        >>> Status.of(Verdict.REFUTED)
        <Status.REFUTED: 'REFUTED'>
        """
        return v if isinstance(v, Status) else Status(v.value)

    @staticmethod
    def of_exit_code(code: int) -> Status:
        """The status whose exit code is ``code`` (the worst of several runs, e.g. one per certificate).

        >>> Status.of_exit_code(10), Status.of_exit_code(1)
        (<Status.REFUTED: 'REFUTED'>, <Status.DISAGREE: 'DISAGREE'>)
        >>> Status.of_exit_code(3)
        Traceback (most recent call last):
        ...
        ValueError: exit code 3 is none of 0, 10, 20, 1
        """
        by_code = {c: s for s, c in _STATUS_EXIT.items() if s is not Status.NOTHING_CLAIMED}
        if code not in by_code:
            raise ValueError(f"exit code {code} is none of {', '.join(map(str, by_code))}")
        return by_code[code]


_STATUS_EXIT = {Status.PROVED: 0, Status.REFUTED: 10, Status.UNKNOWN: 20, Status.NOTHING_CLAIMED: 20,
                Status.DISAGREE: 1}


def exit_code(v: Verdict | Status) -> int:
    """The exit code of a command that ends with ``v`` (DESIGN §8): 0 PROVED, 10 REFUTED, 20 UNKNOWN or NOTHING
    CLAIMED, 1 DISAGREE (an independent re-check that fails is an error, never a verdict)."""
    return _STATUS_EXIT[Status.of(v)]


def result_line(v: Verdict | Status, subject: str, detail: str = "") -> str:
    """The last line of every command: ``RESULT: <status> <subject>[: <detail>]``.

    >>> result_line(Verdict.REFUTED, "the replay violates the simulation theorem")
    'RESULT: REFUTED the replay violates the simulation theorem'
    """
    return f"RESULT: {Status.of(v).value} {subject}" + (f": {detail}" if detail else "")
