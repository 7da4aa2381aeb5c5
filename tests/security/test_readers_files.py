"""Planted cases: what a file *is* and how big it is — devices, FIFOs, folders, oversized files,
duplicate JSON keys, deep nesting, hostile configurations. Each exits 2 with one line naming it."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from certify.errors import InputError
from certify.jsonio import loads
from certify.untrusted import Limits, limits_scope, read_untrusted

ROOT = Path(__file__).resolve().parents[2]
SQUARING = ROOT / "proofs/squaring/squaring.rnn.json"


def _one_error_line(run_cli, *args: str) -> str:
    code, out, err = run_cli(*args)
    assert code == 2, (code, out, err)
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
@pytest.mark.parametrize("args", [("info", "/dev/zero"), ("run", "/dev/zero", "--x", "0"),
                                  ("compile", "/dev/zero.json", "-o", "x.rnn.json"),
                                  ("gate", "--config", "/dev/zero")])
def test_dev_zero_is_not_a_regular_file(args: tuple[str, ...], run_cli, tmp_path: Path) -> None:
    if args[0] == "compile":
        (tmp_path / "zero.json").symlink_to("/dev/zero")
        args = ("compile", str(tmp_path / "zero.json"), "-o", str(tmp_path / "x.rnn.json"))
    err = _one_error_line(run_cli, *args)
    assert "is a character device, not a regular file" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_blocking(run_cli, tmp_path: Path) -> None:
    fifo = tmp_path / "w.rnn.json"
    os.mkfifo(fifo)
    done: list[str] = []
    worker = threading.Thread(target=lambda: done.append(_one_error_line(run_cli, "info", str(fifo))), daemon=True)
    worker.start()
    worker.join(60)
    if not done:  # unblock the reader so that the test process can end, then fail
        with open(fifo, "wb"):
            pass
        worker.join(5)
    assert done and "is a FIFO (named pipe), not a regular file" in done[0]


def test_a_directory_is_refused(run_cli, tmp_path: Path) -> None:
    (tmp_path / "d.rnn.json").mkdir()
    assert "is a directory" in _one_error_line(run_cli, "info", str(tmp_path / "d.rnn.json"))
    (tmp_path / "p.json").mkdir()
    assert "is a directory, not a regular file" in _one_error_line(run_cli, "compile", str(tmp_path / "p.json"),
                                                                    "-o", str(tmp_path / "o.rnn.json"))


def test_a_file_beyond_max_file_bytes(run_cli, tmp_path: Path) -> None:
    size = SQUARING.stat().st_size
    err = _one_error_line(run_cli, "--limit", f"max_file_bytes={size - 1}", "info", str(SQUARING))
    assert f"has {size} bytes, more than max_file_bytes={size - 1}" in err and "--limit max_file_bytes=N" in err
    code, _, _ = run_cli("--limit", f"max_file_bytes={size}", "info", str(SQUARING))
    assert code == 0


def test_read_untrusted_never_reads_past_the_limit(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"x" * 100)
    with limits_scope(Limits(max_file_bytes=100)):
        assert read_untrusted(tmp_path / "f", "file") == b"x" * 100
    with limits_scope(Limits(max_file_bytes=99)), pytest.raises(InputError, match="max_file_bytes=99"):
        read_untrusted(tmp_path / "f", "file")
    with pytest.raises(InputError, match="no such file"):
        read_untrusted(tmp_path / "missing", "file")


def test_a_duplicate_key_is_refused(run_cli, tmp_path: Path) -> None:
    text = SQUARING.read_text().replace('"format": "certify.rnn/1",', '"format": "certify.rnn/1", "name": "a",', 1)
    (tmp_path / "d.rnn.json").write_text(text)
    err = _one_error_line(run_cli, "info", str(tmp_path / "d.rnn.json"))
    assert 'key "name" appears twice in one object' in err


def test_deep_nesting_is_refused() -> None:
    for depth in (65, 100_000):
        with pytest.raises(InputError, match="nested deeper than max_json_depth=64"):
            loads("[" * depth + "]" * depth, "f.json")
    assert loads("[" * 64 + "]" * 64, "f.json") is not None


def test_names_that_would_reach_solver_text_are_refused(run_cli, tmp_path: Path) -> None:
    doc = json.loads(SQUARING.read_text())
    reg = doc["simulation"]["program"]["registers"][0]["name"]
    bad = 'x|) (assert false) (echo "pwned") (|'
    text = json.dumps(doc).replace(json.dumps(reg), json.dumps(bad))
    (tmp_path / "n.rnn.json").write_text(text)
    err = _one_error_line(run_cli, "info", str(tmp_path / "n.rnn.json"))
    assert "is not a valid name" in err and "registers[0].name=" in err


@pytest.mark.parametrize(("toml", "expected"), [
    ("tool = 3\n", "has no [tool.certify] table"),
    ("[tool]\ncertify = 3\n", "tool.certify must be a table"),
    ('[tool.certify]\nweights = ["a.rnn.json"]\ntimeout = inf\n', "timeout=inf must be a positive number"),
    ('[tool.certify]\nweights = ["a.rnn.json"]\ntimeout = nan\n', "timeout=nan must be a positive number"),
    ('[tool.certify]\nweights = ["a.rnn.json"]\nbaseline = "{dir.__class__.__init__.__globals__}"\n',
     "may only use the placeholders {dir} and {name}"),
    ('[tool.certify.construction."a;(echo)"]\nweights = "a.rnn.json"\n', "is not a valid name"),
    ("[tool.certify]\nweights = " + "[" * 5000 + "]" * 5000 + "\n", "pyproject.toml"),
])
def test_hostile_configurations(toml: str, expected: str, run_cli, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(toml)
    assert expected in _one_error_line(run_cli, "gate", "--config", str(tmp_path / "pyproject.toml"))


def test_limits_are_never_read_from_the_configuration(run_cli, tmp_path: Path) -> None:
    (tmp_path / "certify.toml").write_text('weights = ["a.rnn.json"]\nlimits = {max_file_bytes = 1}\n')
    assert "unknown key limits" in _one_error_line(run_cli, "gate", "--config", str(tmp_path / "certify.toml"))
