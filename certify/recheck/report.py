"""What a re-check found."""

from __future__ import annotations

from dataclasses import dataclass, field


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
