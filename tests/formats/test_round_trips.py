"""Every writer reads back to an equal file (same content sha256), for one layer and stacks, every format;
a planted writer bug is caught by the same check."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import numpy as np
import pytest
from flint import fmpq
from formats_cases import dyadic, rational, rnn_files, round_trip
from hypothesis import given, settings

from certify.compiler.tmnu_to_rnn import compile_program, from_compiled
from certify.constructions.examples import squaring
from certify.errors import InputError
from certify.spec import certify_arrays, io
from certify.spec.file import RnnFile
from certify.spec.network import Network

ONNX_ACTIVATIONS = ("relu", "tanh", "sigmoid", "identity", "satlin")  # hardtanh has no ONNX RNN activation


def _path(tmp_path: Path, suffix: str) -> Path:
    return tmp_path / f"{uuid.uuid4().hex[:8]}{suffix}"


@settings(max_examples=60, deadline=None)
@given(rnn_files(values=rational))
def test_json_safetensors_npz_round_trip_any_rational(tmp_path_factory, f: RnnFile) -> None:
    tmp = tmp_path_factory.mktemp("rt")
    for suffix in (".rnn.json", ".safetensors", ".npz"):
        round_trip(f, _path(tmp, suffix))


@settings(max_examples=40, deadline=None)
@given(rnn_files(values=dyadic, activations=ONNX_ACTIVATIONS))
def test_onnx_round_trip(tmp_path_factory, f: RnnFile) -> None:
    round_trip(f, _path(tmp_path_factory.mktemp("rt"), ".onnx"))


def test_a_compiled_construction_round_trips_with_its_simulation_and_claims(tmp_path: Path) -> None:
    f = from_compiled(compile_program(squaring()), {"hidden_dim_max": 39})
    for suffix in (".rnn.json", ".safetensors", ".npz", ".onnx"):
        back = round_trip(f, tmp_path / f"squaring{suffix}")
        assert back.simulation == f.simulation


def test_weights_that_are_not_float64_go_in_exactly_or_not_at_all(tmp_path: Path) -> None:
    third = Network.from_dense(W_hh=[["1/3"]], W_ih=[[1]], b=[0], W_out=[[1]], b_out=[0], h0=[0])
    back = round_trip(RnnFile(third), tmp_path / "t.safetensors")
    assert back.network.W_hh.get(0, 0) == fmpq(1, 3)
    with pytest.raises(InputError, match=r"W_hh\[0\]\[0\]=1/3 is not exactly a float64"):
        io.write(RnnFile(third), tmp_path / "t.onnx")
    assert not (tmp_path / "t.onnx").exists()
    huge = Network.from_dense(W_hh=[[0]], W_ih=[[1]], b=[0], W_out=[[1]], b_out=[0], h0=[fmpq(1, 3**50)])
    with pytest.raises(InputError, match=r"h0\[0\]=1/717897987691852588770249 is not exactly a float64 and does not "
                                         r"fit int64.*write a \.rnn\.json"):
        io.write(RnnFile(huge), tmp_path / "h.npz")
    assert not (tmp_path / "h.npz").exists()


def test_hardtanh_is_refused_by_the_onnx_writer(tmp_path: Path) -> None:
    net = Network.from_dense(W_hh=[[0]], W_ih=[[1]], b=[0], W_out=[[1]], b_out=[0], h0=[0], activation="hardtanh")
    with pytest.raises(InputError, match="ONNX RNN nodes have no hardtanh activation"):
        io.write(RnnFile(net), tmp_path / "h.onnx")


def test_unknown_output_suffixes_are_refused(tmp_path: Path) -> None:
    f = from_compiled(compile_program(squaring()))
    for name in ("s.txt", "s.rnn", "s.pt", "s"):
        with pytest.raises(InputError, match="certify writes weight files named"):
            io.write(f, tmp_path / name)
        assert not (tmp_path / name).exists()


def test_float_arrays_read_exactly(tmp_path: Path) -> None:
    """float32 0.1 is 13421773/134217728 exactly, not 1/10."""
    f = RnnFile(Network.from_dense(W_hh=[[0]], W_ih=[[1]], b=[0], W_out=[[1]], b_out=[0], h0=[0]))
    tensors, meta = certify_arrays.to_arrays(f)
    tensors["layers.0.W_hh"] = np.array([[0.1]], dtype=np.float32)
    back = certify_arrays.read(tensors, meta, Path("m.npz"))
    assert back.network.W_hh.get(0, 0) == fmpq(13421773, 134217728)


# --- the planted bug -----------------------------------------------------------------------------------------
def _drop_second_layer_bias(f: RnnFile) -> tuple[dict[str, np.ndarray], str]:
    """A mutant writer: it forgets layer 1's bias (writes zeros), the way a writer that drops bias_hh would."""
    tensors, meta = _real_to_arrays(f)
    for name in [n for n in tensors if n.startswith("layers.1.b")]:
        tensors[name] = np.zeros_like(tensors[name])
    return tensors, meta


_real_to_arrays = certify_arrays.to_arrays


def test_the_round_trip_check_catches_a_writer_that_drops_a_bias(tmp_path: Path, monkeypatch) -> None:
    f = from_compiled(compile_program(squaring()))
    layer = f.network.layers[0]
    stacked = dataclasses.replace(f.network, layers=(layer, dataclasses.replace(
        layer, W_ih=layer.W_hh, b=tuple(fmpq(1, 2) for _ in layer.b))), _hash=[])
    g = RnnFile(stacked, name="stack")
    round_trip(g, tmp_path / "ok.safetensors")  # the real writer
    monkeypatch.setattr(certify_arrays, "to_arrays", _drop_second_layer_bias)
    for suffix in (".safetensors", ".npz"):
        with pytest.raises(AssertionError, match="changed the file"):
            round_trip(g, tmp_path / f"mutant{suffix}")
