"""The ``certify`` command group and what every command shares: consoles, number display, progress.

Commands live one per module in this package and register themselves on :data:`cli`.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from flint import fmpq
from rich.console import Console

from certify import __version__
from certify.errors import InputError
from certify.rational import decimal
from certify.untrusted import ENV, Limits, limits_from_env, limits_scope, parse_limit_assignments

_DECIMAL = re.compile(r"[+-]?[0-9]*\.?[0-9]+([eE][+-]?[0-9]+)?")


class IntRange(click.IntRange):
    """click's IntRange, ASCII digits only (``int()`` would read ``١٠`` as 10)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not (value.isascii() and value.strip().lstrip("+-").isdigit()):
            self.fail(f"{value!r} is not an integer (ASCII digits only)", param, ctx)
        return super().convert(value, param, ctx)


class FloatRange(click.FloatRange):
    """click's FloatRange, ASCII and finite only (``float()`` reads ``١`` and ``nan``)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not (value.isascii() and _DECIMAL.fullmatch(value.strip())):
            self.fail(f"{value!r} is not a finite decimal number", param, ctx)
        out = super().convert(value, param, ctx)
        if not math.isfinite(out):
            self.fail(f"{value!r} is not a finite decimal number", param, ctx)
        return out


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
                    console=err_console, transient=True, disable=total < 2000 or not err_console.is_terminal)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="certify")
@click.option("--limit", "limit_items", multiple=True, metavar="NAME=VALUE",
              help="Raise (or lower) a limit on untrusted input, e.g. --limit max_file_bytes=256Mi or "
                   "--limit max_number_bits=8000000 (repeatable; suffixes K M G Ki Mi Gi). The environment "
                   'variable CERTIFY_LIMITS="name=value,name=value" does the same; --limit wins. Every limit, '
                   "its default and what it protects: docs/security.md, section Limits.")
@click.pass_context
def cli(ctx: click.Context, limit_items: tuple[str, ...]) -> None:
    """certify: exact verification and certified bounds for ReLU RNN constructions.

    \b
    Start with a bundled construction:
      certify compile example:squaring -o squaring.rnn.json
      certify info squaring.rnn.json
      certify run squaring.rnn.json --x 1/3 --steps 100 --exact --tmnu

    \b
    Every file is read as untrusted input: sizes, digits, bits, dimensions, program sizes and
    stack lengths are bounded. A file beyond a limit exits 2 naming the limit; raise it with
      certify --limit max_file_bytes=256Mi check big.rnn.json
    (or CERTIFY_LIMITS="max_file_bytes=256Mi"; never from a configuration file, which a pull request
    could change).
    """
    base = limits_from_env()
    try:
        limits = base.with_overrides(parse_limit_assignments(limit_items))
    except InputError as err:
        raise InputError(f"--limit: {err}") from None
    ctx.with_resource(limits_scope(limits))
    ctx.with_resource(_exported(limits))


@contextmanager
def _exported(limits: Limits) -> Iterator[None]:
    """The limits in ``CERTIFY_LIMITS`` too while a command runs, so that worker processes obey them."""
    old = os.environ.get(ENV)
    text = ",".join(f"{k}={v}" for k, v in limits.overrides().items())
    if text:
        os.environ[ENV] = text
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = old
