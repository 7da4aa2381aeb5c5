"""The README's command table lists every command `certify --help` shows (docs that stand alone)."""

from __future__ import annotations

import re
from pathlib import Path

from certify.cli import cli

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_lists_every_command() -> None:
    text = README.read_text()
    table = [line for line in text.splitlines() if line.startswith("| `certify ")]
    named = {m.group(1) for line in table for m in re.finditer(r"`certify ([a-z-]+)", line)}
    missing = sorted(set(cli.commands) - named)
    assert not missing, f"README's command table misses: {missing}"
