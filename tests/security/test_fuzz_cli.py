"""Fuzz campaign through the real command line (``certify.cli.main`` in-process): a malformed weight
file, program, configuration, certificate, target or number option exits 0 or 2 — and 2 always with
exactly one line ``error: ...`` on stderr, never a traceback."""

from __future__ import annotations

import contextlib
import io as pyio
import json
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from test_fuzz_config import CERTIFY_TOML, mutated_toml
from test_fuzz_mutations import ROOT, fuzz, mutated_bytes, one_of_files
from test_fuzz_numbers import NUMBER_TEXT
from test_fuzz_programs import PROGRAMS
from test_fuzz_targets import TARGETS
from test_fuzz_weights import WEIGHT_FILES

from certify.cli import main
from certify.errors import InputError
from certify.prove import certificate

_DIR = Path(tempfile.mkdtemp(prefix="certify-fuzz-cli-"))
SQUARING = ROOT / "proofs/squaring/squaring.rnn.json"


def cli(*args: str) -> tuple[int, str]:
    """Exit code and stderr of one in-process run; asserts the one-line contract for bad input."""
    out, err = pyio.StringIO(), pyio.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    text = err.getvalue()
    assert code in (0, 2, 10, 20), (args, code, text)
    if code == 2:
        assert text.startswith("error: ") and text.count("\n") == 1, (args, text)
    assert "Traceback" not in text and "internal error" not in text, (args, text)
    return code, text


def _write(name: str, text: str | bytes) -> str:
    path = _DIR / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
    return str(path)


@fuzz(200)
@given(one_of_files(WEIGHT_FILES)())
def test_info_on_malformed_weight_files(case: tuple[str, str]) -> None:
    cli("info", _write("w.rnn.json", case[1]))


@fuzz(200)
@given(one_of_files(PROGRAMS)())
def test_compile_malformed_programs(case: tuple[str, str]) -> None:
    cli("compile", _write("p.json", case[1]), "-o", str(_DIR / "out.rnn.json"))


@fuzz(200)
@given(NUMBER_TEXT, st.sampled_from(["--x", "--eps"]))
def test_number_options(text: str, option: str) -> None:
    if option == "--x":
        cli("run", str(SQUARING), "--x", text, "--steps", "3")
    else:
        cli("precision", str(SQUARING), "--steps", "3", "--x-grid", "2", "--eps", text)


@fuzz(150)
@given(TARGETS)
def test_targets_in_weight_files(target: str) -> None:
    doc = json.loads(SQUARING.read_text())
    doc["claims"]["target"] = target
    cli("run", _write("t.rnn.json", json.dumps(doc)), "--x", "1/3", "--steps", "3")


@fuzz(150)
@given(st.one_of(mutated_toml(CERTIFY_TOML), mutated_bytes(CERTIFY_TOML.encode()).map(lambda b: b.decode("latin-1"))))
def test_gate_configurations(text: str) -> None:
    cli("gate", "--config", _write("certify.toml", text))


CERTIFICATES = {p.parent.name: p.read_text() for p in [ROOT / "proofs/counter/certificate.json",
                                                       ROOT / "proofs/squaring/certificate.json"]}


@fuzz(600)
@given(one_of_files(CERTIFICATES)())
def test_certificate_reader(case: tuple[str, str]) -> None:
    path = _write("certificate.json", case[1])
    with contextlib.suppress(InputError):
        certificate.read(path)
