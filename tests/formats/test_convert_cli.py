"""`certify convert` and `certify compile -o` write the format each suffix names, exactly; mutated files of
every format end in one error line (an InputError), never another exception."""

from __future__ import annotations

import contextlib
import itertools
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certify.compiler.tmnu_to_rnn import compile_program, from_compiled
from certify.constructions.examples import squaring
from certify.errors import InputError
from certify.spec import binary_format, io, onnx_format
from certify.spec.digest import content_sha256
from certify.spec.network import Network
from certify.spec.onnx_writer import to_model

SUFFIXES = (".rnn.json", ".safetensors", ".npz", ".onnx")


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> dict[str, Path]:
    """`certify compile example:squaring -o` in every format."""
    from certify.cli import main

    out = tmp_path_factory.mktemp("compiled")
    paths = {s: out / f"squaring{s}" for s in SUFFIXES}
    for path in paths.values():
        assert main(["compile", "example:squaring", "-o", str(path)]) == 0
    return paths


def test_compile_writes_the_format_its_suffix_names(compiled: dict[str, Path]) -> None:
    heads = {s: p.read_bytes()[:16] for s, p in compiled.items()}
    assert heads[".rnn.json"].startswith(b"{")
    assert heads[".safetensors"][8:10] == b'{"'  # an 8-byte header length, then the JSON header
    assert heads[".npz"].startswith(b"PK\x03\x04")
    assert onnx_format.read(compiled[".onnx"], compiled[".onnx"].read_bytes()).network.depth == 1
    files = [io.read(p) for p in compiled.values()]
    assert len({content_sha256(f) for f in files}) == 1 and all(f.simulation is not None for f in files)


def test_convert_between_every_pair_of_formats(compiled: dict[str, Path], run_cli, tmp_path: Path) -> None:
    digest = content_sha256(io.read(compiled[".rnn.json"]))
    for a, b in itertools.permutations(SUFFIXES, 2):
        target = tmp_path / f"{a.strip('.').replace('.', '_')}-to{b}"
        code, out, err = run_cli("convert", str(compiled[a]), str(target))
        assert code == 0, err
        assert digest[:16] in out and content_sha256(io.read(target)) == digest


def test_convert_refuses_what_it_cannot_write_exactly(run_cli, tmp_path: Path) -> None:
    src = tmp_path / "third.rnn.json"
    io.write(io.RnnFile(Network.from_dense(W_hh=[["1/3"]], W_ih=[[1]], b=[0], W_out=[[1]], b_out=[0], h0=[0])), src)
    for target, expected in ((tmp_path / "t.onnx", "W_hh[0][0]=1/3 is not exactly a float64"),
                             (tmp_path / "t.txt", 'the suffix ".txt" names none of them')):
        code, _, err = run_cli("convert", str(src), str(target))
        assert code == 2 and err.count("\n") == 1 and expected in err, err
        assert not target.exists()
    code, _, _ = run_cli("convert", str(src), str(tmp_path / "t.npz"))  # numerator/denominator arrays
    assert code == 0 and io.read(tmp_path / "t.npz").network == io.read(src).network


def test_convert_reads_back_what_it_wrote(compiled: dict[str, Path], run_cli, tmp_path: Path, monkeypatch) -> None:
    """A writer that changes the file is caught by convert itself (exit 1), and the bad file is removed."""
    from certify.spec import certify_arrays

    real = certify_arrays.to_arrays

    def drop_b_out(f):  # noqa: ANN001, ANN202
        tensors, meta = real(f)
        tensors["b_out"] = tensors["b_out"] + 1
        return tensors, meta

    monkeypatch.setattr(certify_arrays, "to_arrays", drop_b_out)
    code, _, err = run_cli("convert", str(compiled[".rnn.json"]), str(tmp_path / "bad.safetensors"))
    assert code == 1 and "read back with content sha256" in err
    assert not (tmp_path / "bad.safetensors").exists()


# --- mutated files -------------------------------------------------------------------------------------------
def _seeds() -> dict[str, bytes]:
    f = from_compiled(compile_program(squaring()), {"hidden_dim_max": 39})
    out = {".onnx": to_model(f).SerializeToString()}
    for suffix, write in ((".safetensors", binary_format.write_safetensors), (".npz", binary_format.write_npz)):
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / f"s{suffix}"
            write(f, path)
            out[suffix] = path.read_bytes()
    return out


SEEDS = _seeds()


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(SEEDS)), st.data())
def test_mutated_files_end_in_an_input_error(suffix: str, data) -> None:
    blob = bytearray(SEEDS[suffix])
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(blob) - 1))
        if data.draw(st.booleans()):
            blob[at] = data.draw(st.integers(0, 255))
        else:
            del blob[at:]
            if not blob:
                break
    reader = onnx_format.read if suffix == ".onnx" else binary_format.read
    with contextlib.suppress(InputError):
        reader(Path(f"m{suffix}"), bytes(blob))
