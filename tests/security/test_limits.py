"""The limits themselves: defaults with headroom over the committed files, the ways to raise them
(``--limit``, ``CERTIFY_LIMITS``, never the configuration), and their documentation."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from pathlib import Path

import pytest

from certify.errors import InputError
from certify.rational import parse_number
from certify.untrusted import ENV, Limits, current_limits, limits_from_env, limits_scope

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_have_headroom_over_every_committed_file() -> None:
    limits = Limits()
    files = [*ROOT.glob("proofs/**/*.json"), *ROOT.glob("tests/golden/**/*.json")]
    assert max(f.stat().st_size for f in files) * 16 < limits.max_file_bytes
    biggest = 0
    for f in ROOT.glob("proofs/*/*.rnn.json"):
        rnn = json.loads(f.read_text())["rnn"]
        values = []
        for h0 in [rnn["h0"]] if "h0" in rnn else [la.get("h0", []) for la in rnn["layers"]]:  # /1 or /2 files
            values += [v for _, v in h0["entries"]] if isinstance(h0, dict) else h0
        biggest = max(biggest, *(parse_number(v).height_bits() for v in values))
    assert biggest > 150_000  # the Weierstrass stream
    assert biggest * 10 < limits.max_number_bits
    assert 2 * (biggest * 30103 // 100000 + 1) + 2 < limits.max_number_chars


def test_overrides_and_their_errors() -> None:
    limits = Limits().with_overrides({"max_file_bytes": "256Mi", "max_dimension": "1_000", "max_entries": "2M"})
    assert (limits.max_file_bytes, limits.max_dimension, limits.max_entries) == (256 << 20, 1000, 2_000_000)
    assert limits.overrides() == {"max_file_bytes": 256 << 20, "max_dimension": 1000, "max_entries": 2_000_000}
    for bad in ({"max_dimension": "0"}, {"max_dimension": "-3"}, {"max_dimension": "1e9"}, {"max_dimension": "١"}):
        with pytest.raises(InputError, match="is not a positive integer"):
            Limits().with_overrides(bad)
    with pytest.raises(InputError, match='unknown limit "max_colour"'):
        Limits().with_overrides({"max_colour": "1"})
    with pytest.raises(InputError, match="must be a positive integer"):
        Limits(max_dimension=0)


def test_scopes_nest_and_end() -> None:
    outer, inner = Limits(max_dimension=10), Limits(max_dimension=5)
    with limits_scope(outer):
        with limits_scope(inner):
            assert current_limits().max_dimension == 5
        assert current_limits().max_dimension == 10
    assert current_limits() == limits_from_env()


def test_environment_variable(monkeypatch) -> None:
    monkeypatch.setenv(ENV, "max_dimension=7, max_name_chars=9")
    assert (current_limits().max_dimension, current_limits().max_name_chars) == (7, 9)
    monkeypatch.setenv(ENV, "max_dimension")
    with pytest.raises(InputError, match="CERTIFY_LIMITS"):
        current_limits()


def test_cli_option_wins_over_the_environment_and_does_not_leak(run_cli, monkeypatch) -> None:
    counter = str(ROOT / "proofs/counter/counter.rnn.json")
    monkeypatch.setenv(ENV, "max_dimension=3")
    code, _, err = run_cli("info", counter)
    assert code == 2 and "max_dimension=3" in err and err.count("\n") == 1
    code, _, err = run_cli("--limit", "max_dimension=100", "info", counter)
    assert code == 0, err
    import os

    assert os.environ[ENV] == "max_dimension=3"
    monkeypatch.delenv(ENV)
    code, _, err = run_cli("--limit", "max_dimension=3", "--limit", "max_name_chars=8", "info", counter)
    assert code == 2 and "max_dimension=3" in err
    assert ENV not in os.environ and current_limits() == Limits()
    code, _, err = run_cli("--limit", "nonsense", "info", counter)
    assert code == 2 and err.startswith("error: --limit")


def test_help_explains_how_to_raise_limits(run_cli) -> None:
    code, out, _ = run_cli("--help")
    assert code == 0 and "--limit NAME=VALUE" in out and "CERTIFY_LIMITS" in out


def test_docs_list_every_limit_with_its_default() -> None:
    text = (ROOT / "docs/security.md").read_text()
    section = text[text.index("## Limits"):]
    rows = dict(re.findall(r"^\| `(max_[a-z_]+)` \| ([^|]+) \|", section, flags=re.M))
    fields = {f.name: f.default for f in dataclasses.fields(Limits)}
    assert set(rows) == set(fields)
    for name, default in fields.items():
        shown = rows[name].strip().replace(",", "").replace("`", "")
        value = int(shown.split()[0]) * (1 << 20 if "MiB" in shown else 1)
        assert value == default, (name, shown, default)
    assert "--limit" in section and "CERTIFY_LIMITS" in section


def test_the_number_parser_imports_nothing_else_from_certify() -> None:
    allowed = {"certify/rational.py": {"certify.errors", "certify.untrusted"},
               "certify/untrusted.py": {"certify.errors"}}
    for path, modules in allowed.items():
        tree = ast.parse((ROOT / path).read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module} | {
            a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert {m for m in imported if m.startswith("certify")} == modules, path
