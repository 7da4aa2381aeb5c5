"""Fuzz campaign: malformed weight files (JSON, .npz, safetensors) end in an InputError or a clean read.

Every case starts from a real file (committed proofs, golden files, a compiled network saved in the
binary formats) and mutates it (see test_fuzz_mutations.py). Any other exception — IndexError,
OverflowError, UnicodeError, MemoryError, RecursionError — fails the campaign.
"""

from __future__ import annotations

import contextlib
import io as pyio
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from test_fuzz_mutations import ROOT, fuzz, mutated_bytes, one_of_files

from certify.errors import InputError
from certify.spec import binary_format as binary
from certify.spec import io

WEIGHT_FILES = {p.name: p.read_text() for p in [
    ROOT / "proofs/counter/counter.rnn.json", ROOT / "proofs/squaring/squaring.rnn.json",
    ROOT / "proofs/stack_copy/stack_copy.rnn.json", ROOT / "proofs/universal/universal.rnn.json",
    ROOT / "tests/golden/proved/halver.rnn.json", ROOT / "tests/golden/unknown/sawtooth32.rnn.json"]}


def _read(data: bytes, name: str) -> None:
    with contextlib.suppress(InputError):
        io.loads(data, name)


@fuzz(3000)
@given(one_of_files(WEIGHT_FILES)())
def test_json_weight_files(case: tuple[str, str]) -> None:
    name, text = case
    _read(text.encode("utf-8", "surrogateescape"), name)


def _arrays() -> dict[str, np.ndarray]:
    net = io.loads(WEIGHT_FILES["halver.rnn.json"], "halver").network
    dense = lambda m: np.array([[float(v) for v in row] for row in m.to_dense()])  # noqa: E731
    return {"W_hh": dense(net.W_hh), "W_ih": dense(net.W_ih), "b": np.array([float(v) for v in net.b]),
            "W_out": dense(net.W_out), "b_out": np.array([float(v) for v in net.b_out]),
            "h0": np.array([float(v) for v in net.h0])}


def _npz(compressed: bool) -> bytes:
    buf = pyio.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **_arrays())
    return buf.getvalue()


def _torch_safetensors() -> bytes:
    from safetensors.numpy import save

    a = _arrays()
    return save({"rnn.weight_hh_l0": a["W_hh"], "rnn.weight_ih_l0": a["W_ih"], "rnn.bias_hh_l0": a["b"],
                 "rnn.bias_ih_l0": a["b"].astype(np.float32), "fc.weight": a["W_out"], "fc.bias": a["b_out"]},
                metadata={"nonlinearity": "relu", "input_kind": "constant"})


BINARY = {"plain.npz": _npz(False), "packed.npz": _npz(True), "torch.safetensors": _torch_safetensors()}


def test_the_unmutated_binary_files_read() -> None:
    for name, data in BINARY.items():
        assert binary.read(Path(name), data).network.hidden_dim == _arrays()["W_hh"].shape[0]


@fuzz(2000)
@given(st.sampled_from(sorted(BINARY)).flatmap(lambda n: st.tuples(st.just(n), mutated_bytes(BINARY[n]))))
def test_binary_weight_files(case: tuple[str, bytes]) -> None:
    name, data = case
    with contextlib.suppress(InputError):
        binary.read(Path(name), data)
