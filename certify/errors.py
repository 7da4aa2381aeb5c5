"""One exception root for certify, and the leaves the CLI maps to exit codes.

Every error message names the bad value (``W_hh[3][7]="abc" is not a number``), so that the CLI
can print it as one line and exit with code 2 (bad input) without a traceback.

>>> try:
...     raise InputError('W_hh[0][1]="abc" is not a number')
... except CertifyError as err:
...     print(err)
W_hh[0][1]="abc" is not a number
"""

from __future__ import annotations

from collections.abc import Iterable


class CertifyError(Exception):
    """Root of every error certify raises on purpose."""


class InputError(CertifyError, ValueError):
    """A file, number, program or option given by the user is malformed (exit code 2)."""


class ProgramError(InputError):
    """A TMNU program is invalid; ``problems`` lists every problem found, not only the first.

    >>> err = ProgramError("demo", ["state 'a' has no transition", "op 'f' names undeclared register 'z'"])
    >>> print(err)
    program 'demo' is invalid: state 'a' has no transition; op 'f' names undeclared register 'z'
    >>> len(err.problems)
    2
    """

    def __init__(self, program: str, problems: Iterable[str]) -> None:
        self.program = program
        self.problems = tuple(problems)
        super().__init__(f"program {program!r} is invalid: " + "; ".join(self.problems))


class CertificateFormatError(InputError):
    """A certificate file is malformed or of an unsupported version."""


class DidNotRecheck(CertifyError):
    """An independent re-check disagreed with a certificate (a loud failure, never silent)."""
