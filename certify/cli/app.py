"""The ``certify`` command group and what every command shares: consoles, number display, progress.

Commands live one per module in this package and register themselves on :data:`cli`.
"""

from __future__ import annotations

import click
from flint import fmpq
from rich.console import Console

from certify import __version__
from certify.rational import decimal

console = Console(highlight=False, markup=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, markup=False)


def show(q: fmpq, digits: int = 12) -> str:
    """An exact rational for people: the fraction when short, else its decimal expansion (truncated).

    >>> from certify.rational import parse_number
    >>> show(parse_number("1/3")), show(parse_number("123456789/1000000000000000000000000"))
    ('1/3', '≈ 1.234567e-16')
    """
    text = str(q)
    if len(text) <= 22:
        return text
    return f"≈ {decimal(q, digits)}"


def sci(q: fmpq) -> str:
    """Decimal text of a small nonnegative rational, for error columns."""
    text = str(q)
    return text if len(text) <= 14 else f"≈ {decimal(q, 8)}"


def progress(total: int, label: str):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=err_console, transient=True, disable=total < 2000)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="certify")
def cli() -> None:
    """certify: exact verification and certified bounds for ReLU RNN constructions.

    \b
    Start with a bundled construction:
      certify compile example:squaring -o squaring.rnn.json
      certify info squaring.rnn.json
      certify run squaring.rnn.json --x 1/3 --steps 100 --exact --tmnu
    """


