"""Three-valued verdicts. Never a bare boolean: UNKNOWN always carries a reason.

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
        """Exit codes of DESIGN §8: 0 all PROVED, 10 something REFUTED, 20 something UNKNOWN."""
        return _EXIT[self]


_RANK = {Verdict.PROVED: 0, Verdict.UNKNOWN: 1, Verdict.REFUTED: 2}
_EXIT = {Verdict.PROVED: 0, Verdict.UNKNOWN: 20, Verdict.REFUTED: 10}


def combine(verdicts: Iterable[Verdict]) -> Verdict:
    """The verdict of a conjunction: the worst of its parts (PROVED if there are none)."""
    return max(verdicts, key=lambda v: v.rank, default=Verdict.PROVED)
