from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cases import CASES, compiled
from flint import fmpq

from certify.compiler.tmnu_to_rnn import from_compiled
from certify.spec import io
from certify.spec.network import Network


@pytest.mark.parametrize("name", sorted(CASES))
def test_json_round_trip_is_byte_identical(name: str, tmp_path: Path) -> None:
    f = from_compiled(compiled(name))
    text = io.dumps(f)
    path = tmp_path / "f.rnn.json"
    path.write_text(text)
    back = io.read(path)
    assert io.dumps(back) == text
    assert back.network == f.network
    assert back.network.sha256() == f.network.sha256()
    assert back.simulation is not None and back.simulation.program == f.simulation.program
    assert back.simulation.map == f.simulation.map


def test_dense_sparse_and_json_numbers_are_exact() -> None:
    doc = {
        "rnn": {
            "W_hh": [[0.1, "1/3"], [0, "-2"]],
            "W_ih": {"shape": [2, 1], "entries": [[1, 0, "1e-3"]]},
            "b": {"shape": [2], "entries": [[0, -1]]},
            "W_out": [[1, 1]],
            "b_out": [0],
            "h0": [0, 1],
        }
    }
    f = io.loads(json.dumps(doc), "t.json")
    net = f.network
    assert net.W_hh.get(0, 0) == fmpq(1, 10)  # the decimal text, not the float 0.1
    assert net.W_ih.get(1, 0) == fmpq(1, 1000)
    assert net.b == (fmpq(-1), fmpq(0))
    assert f.simulation is None


def test_hash_ignores_layout() -> None:
    a = io.loads('{"rnn": {"W_hh": [[1, 0], [0, 0]], "W_ih": [[0], [0]], "b": [0, 0], "W_out": [[1, 0]]}}')
    b = io.loads('{"rnn": {"W_hh": {"shape": [2, 2], "entries": [[0, 0, "1"]]}, "W_ih": [[0], [0]],'
                 ' "b": [0, 0], "W_out": [[1, 0]], "h0": [0, 0]}}')
    assert a.network.sha256() == b.network.sha256()


def _torchlike() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    return {
        "rnn.weight_hh_l0": rng.standard_normal((3, 3)).astype(np.float32),
        "rnn.weight_ih_l0": rng.standard_normal((3, 2)).astype(np.float32),
        "rnn.bias_ih_l0": rng.standard_normal(3).astype(np.float32),
        "rnn.bias_hh_l0": rng.standard_normal(3).astype(np.float32),
        "fc.weight": rng.standard_normal((1, 3)),
        "fc.bias": np.array([0.5]),
    }


def test_safetensors_torch_names_read_exactly(tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    t = _torchlike()
    save_file(t, str(tmp_path / "m.safetensors"))
    # a state dict records neither its nonlinearity nor its input convention: both are told
    net = io.read(tmp_path / "m.safetensors", io.ReadHints(activation="relu", input_kind="constant")).network
    assert (net.hidden_dim, net.input_dim, net.output_dim) == (3, 2, 1)
    w = t["rnn.weight_hh_l0"]
    assert net.W_hh.get(1, 2) == fmpq(*float(w[1, 2]).as_integer_ratio())
    b = float(t["rnn.bias_ih_l0"][0]), float(t["rnn.bias_hh_l0"][0])
    assert net.b[0] == fmpq(*b[0].as_integer_ratio()) + fmpq(*b[1].as_integer_ratio())
    assert net.b_out == (fmpq(1, 2),)


def test_npz_certify_names(tmp_path: Path) -> None:
    np.savez(tmp_path / "m.npz", W_hh=np.eye(2) * 0.5, W_ih=np.ones((2, 1)), b=np.zeros(2),
             W_out=np.ones((1, 2)), b_out=np.zeros(1), h0=np.array([1.0, 0.0]))
    f = io.read(tmp_path / "m.npz")
    assert f.network.W_hh.get(0, 0) == fmpq(1, 2)
    assert [str(y[0]) for _, _, y in f.network.run([fmpq(1)], 2)] == ["5/2", "13/4"]


def test_network_exact_semantics_match_numpy_on_small_dyadics() -> None:
    rng = np.random.default_rng(0)
    w = rng.integers(-4, 5, (4, 4)) / 4
    net = Network.from_dense(W_hh=[[str(fmpq(*v.as_integer_ratio())) for v in r] for r in w.tolist()],
                             W_ih=[[1]] * 4, b=[0] * 4, W_out=[[1, 0, 0, 0]], b_out=[0], h0=[0] * 4)
    h = np.zeros(4)
    for _, hq, _ in net.run([fmpq(1, 8)], 6):
        h = np.maximum(w @ h + 0.125, 0)
        assert [float(v) for v in hq] == h.tolist()  # dyadics this small are exact in float64
