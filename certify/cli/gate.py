"""`certify gate`: check every construction in [tool.certify]; fail CI when one is not proved."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import JustifyMethod
from rich.table import Table

from certify.cli.app import cli, console, err_console
from certify.cli.options import jobs_option, json_option, resolve_jobs
from certify.errors import InputError

if TYPE_CHECKING:
    from certify.gate import GateResult


@cli.command("gate")
@click.argument("names", nargs=-1)
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="pyproject.toml (its [tool.certify] table) or certify.toml. Default: the nearest certify.toml, "
                   "or pyproject.toml with [tool.certify], from the current folder up.")
@jobs_option
@click.option("--junit", "junit_path", type=click.Path(dir_okay=False),
              help="Also write JUnit XML here: one test suite per construction, one test case per check group, "
                   "failures naming the failing obligation or bound.")
@json_option
def gate_cmd(names: tuple[str, ...], config_path: str | None, jobs: int | None, junit_path: str | None,
             as_json: bool) -> int:
    """Check every configured construction (or only NAMES): a fresh certify check of its weights, its
    baseline certificate (present, PROVED, not stale), its thresholds, and no regression against the
    baseline.

    \b
    Configuration (pyproject.toml; docs/ci.md has the full reference):
      [tool.certify]
      weights = ["proofs/*/*.rnn.json"]        weight files or globs
      baseline = "{dir}/certificate.json"      each file's baseline certificate
      [tool.certify.construction.squaring]
      hidden_dim_max = 45                      thresholds: hidden_dim_max, weight_abs_max,
      error = [{T = 126, E = "1/2^60"}]        weight_bits_max, nonzeros_max, error ...

    --jobs: constructions checked in parallel; --json prints certify.gate/1. Exit code: 0 everything
    PROVED, 10 something REFUTED (a failed obligation, a stale or missing certificate, a threshold or
    regression failure), 20 something UNKNOWN (nothing refuted), 2 bad configuration or input. The last
    line is RESULT: ...
    """
    from certify import config as cfgmod  # when it runs: --help stays fast
    from certify.gate import run_gate, summary_json
    from certify.report.junit import to_junit

    path = Path(config_path) if config_path else cfgmod.find(Path.cwd())
    cfg = cfgmod.load(path)
    if names:
        unknown = sorted(set(names) - {t.name for t in cfg.targets})
        if unknown:
            raise InputError(f"no construction named {unknown[0]!r} in {path} (configured: "
                             f"{', '.join(t.name for t in cfg.targets)})")
        cfg = replace(cfg, targets=tuple(t for t in cfg.targets if t.name in names))
    with err_console.status(f"gate: checking {len(cfg.targets)} constructions", spinner="line"):
        result = run_gate(cfg, resolve_jobs(jobs, cfg.jobs))
    if junit_path:
        Path(junit_path).parent.mkdir(parents=True, exist_ok=True)
        Path(junit_path).write_text(to_junit(result))
    if as_json:
        console.print_json(json.dumps(summary_json(result)))
    else:
        _summary(result)
        if junit_path:
            console.print(f"junit: {junit_path}")
    console.print(result.result_line())
    return result.exit_code


def _summary(result: GateResult) -> None:
    from certify.gate import shown

    t = Table(title=f"certify gate ({shown(Path(result.config))}): {len(result.outcomes)} constructions in "
                    f"{result.seconds:.1f} s", title_justify="left")
    columns: tuple[tuple[str, JustifyMethod], ...] = (("construction", "left"), ("verdict", "left"),
                                                       ("checks passed", "right"), ("failing", "left"),
                                                       ("time", "right"))
    for col, justify in columns:
        t.add_column(col, justify=justify)
    for o in result.outcomes:
        bad = [c for c in o.checks if c.failed]
        t.add_row(o.name, o.verdict.value, f"{len(o.checks) - len(bad)} of {len(o.checks)}",
                  ", ".join(f"{c.group} ({c.verdict.value})" for c in bad) or "—", f"{o.seconds:.1f} s")
    console.print(t)
    for o in result.outcomes:
        for c in o.checks:
            if c.failed:
                console.print(f"{o.name} / {c.group}: {c.verdict.value}: {c.message}")
