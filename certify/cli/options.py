"""Options that several commands take, each with one meaning and one default everywhere.

* ``--timeout S``: seconds per SMT query, for every solver the command runs (``check``, ``report``
  without ``--certificate``, ``recheck``). Default :data:`TIMEOUT` = 60 s, the timeout the committed
  proofs and ``[tool.certify]`` use, so that ``certify check`` reproduces them and ``certify recheck``
  re-solves what the prover solved. A query that runs out is never PROVED.
* ``--jobs N``: worker processes. Default 1; ``certify gate``: the configuration's ``jobs``.
* ``--json``: print the command's result as JSON on stdout instead of tables (``check``: the
  certificate, ``report``: ``certify.report/1``, ``gate``: ``certify.gate/1``, ``rates``:
  ``certify.rates/1``). The last line is still ``RESULT: ...``.
* ``--json-out PATH``: write that JSON to a file (``rates``; it used to be ``--json PATH``).
* ``--activation A`` / ``--input-kind K``: what a weight file does not record (a PyTorch state dict's
  nonlinearity, a foreign file's input convention), for every command that reads one; a file that
  records either and disagrees is refused (``docs/formats.md``). Read them with :func:`read_hints`.

>>> import click
>>> @click.command()
... @timeout_option
... @jobs_option
... def demo(timeout: float, jobs: int | None) -> None:
...     print(timeout, resolve_jobs(jobs))
>>> demo.main([], standalone_mode=False)
60.0 1
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from certify.cli.app import FloatRange, IntRange
from certify.spec.activation import ACTIVATIONS
from certify.spec.hints import ReadHints
from certify.spec.network import INPUT_KINDS

#: Seconds per SMT query unless --timeout says otherwise (every command).
TIMEOUT = 60.0
#: Worker processes unless --jobs (or, for the gate, the configuration) says otherwise.
JOBS = 1

timeout_option = click.option(
    "--timeout", type=FloatRange(min=0, min_open=True), default=TIMEOUT, show_default=True,
    help="Seconds per SMT query, for every solver the command runs; a query that runs out gives UNKNOWN (never "
         "PROVED).")

jobs_option = click.option(
    "--jobs", type=IntRange(1, 256), default=None,
    help=f"Worker processes. Default: {JOBS} (certify gate: the configuration's jobs).")

json_option = click.option(
    "--json", "as_json", is_flag=True,
    help="Print the result as JSON on stdout instead of tables; the last line is still RESULT: ...")

json_out_option = click.option(
    "--json-out", "json_out", type=click.Path(dir_okay=False), default=None,
    help="Also write the result as JSON to this file.")

#: ``--json`` that also takes the file ``--json PATH`` used to name (rates, before --json-out): deprecated.
json_or_legacy_path_option = click.option(
    "--json", "json_arg", is_flag=False, flag_value="-", default=None, metavar="[PATH]",
    help="Print the result as JSON on stdout instead of tables; the last line is still RESULT: ... "
         "(--json PATH, which wrote the file, is deprecated: use --json-out PATH.)")


def resolve_jobs(jobs: int | None, configured: int = JOBS) -> int:
    """``--jobs`` when given, else the configured number (default :data:`JOBS`).

    >>> resolve_jobs(None), resolve_jobs(None, 2), resolve_jobs(4, 2)
    (1, 2, 4)
    """
    return configured if jobs is None else jobs

rlimit_option = click.option(
    "--rlimit", type=IntRange(1, 10**12), default=None,
    help="z3's resource budget per SMT query: deterministic (the same UNKNOWN on every machine), unlike --timeout. "
         "Exceeding it gives UNKNOWN.")


_F = TypeVar("_F", bound=Callable[..., Any])


def _remember(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    ctx.meta[f"certify.{param.name}"] = value
    return value


#: ``--activation``: the nonlinearity of a weight file that does not record it (a PyTorch state dict).
activation_option = click.option(
    "--activation", type=click.Choice(ACTIVATIONS), default=None, expose_value=False, callback=_remember,
    help="The nonlinearity of a weight file that does not record it (PyTorch nn.RNN state dicts; nn.RNN's default "
         "is tanh). A file that records one and disagrees is refused.")

#: ``--input-kind``: the input convention of a weight file that does not record it.
input_kind_option = click.option(
    "--input-kind", type=click.Choice(INPUT_KINDS), default=None, expose_value=False, callback=_remember,
    help="How the input drives a weight file that records no input convention (state dicts, foreign ONNX): "
         "constant, impulse or sequence. Default there: constant, x in [-1, 1] (certify info says so).")


def weight_hints_options(f: _F) -> _F:
    """``--activation`` and ``--input-kind`` on a command that reads a weight file (see :func:`read_hints`)."""
    return activation_option(input_kind_option(f))


def read_hints() -> ReadHints:
    """The ``--activation`` / ``--input-kind`` of the running command (none given: no hints).

    >>> @click.command()
    ... @weight_hints_options
    ... def demo() -> None:
    ...     print(read_hints())
    >>> demo.main(["--activation", "tanh"], standalone_mode=False)
    ReadHints(activation='tanh', input_kind=None)
    """
    meta = click.get_current_context().meta
    return ReadHints(activation=meta.get("certify.activation"), input_kind=meta.get("certify.input_kind"))
