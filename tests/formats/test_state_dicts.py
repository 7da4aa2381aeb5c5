"""PyTorch nn.RNN state dicts (written with safetensors.numpy; torch is not needed): any depth, exact
values, the nonlinearity from --activation or the metadata and never assumed, refusals by name."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from flint import fmpq
from safetensors.numpy import save_file

from certify.errors import InputError
from certify.spec import io, torch_names
from certify.spec.hints import NO_NONLINEARITY, ReadHints

MESSAGE = "state dicts do not record the nonlinearity; nn.RNN's default is tanh: pass --activation tanh|relu"


def state_dict(sizes=(2, 3, 4), readout: int | None = 1, seed: int = 0, prefix: str = "rnn.") -> dict[str, np.ndarray]:
    """The tensors of nn.RNN(sizes[0], hidden, num_layers) (+ nn.Linear) in float32, as torch names them."""
    rng = np.random.default_rng(seed)
    sd = {}
    for k in range(len(sizes) - 1):
        n, d = sizes[k + 1], sizes[k]
        sd[f"{prefix}weight_ih_l{k}"] = rng.standard_normal((n, d)).astype(np.float32)
        sd[f"{prefix}weight_hh_l{k}"] = (rng.standard_normal((n, n)) / 2).astype(np.float32)
        sd[f"{prefix}bias_ih_l{k}"] = rng.standard_normal(n).astype(np.float32)
        sd[f"{prefix}bias_hh_l{k}"] = rng.standard_normal(n).astype(np.float32)
    if readout is not None:
        sd["fc.weight"] = rng.standard_normal((readout, sizes[-1])).astype(np.float32)
        sd["fc.bias"] = rng.standard_normal(readout).astype(np.float32)
    return sd


def _q(v: float) -> Fraction:
    return Fraction(*float(v).as_integer_ratio())


def torch_relu_reference(sd: dict[str, np.ndarray], x: list[Fraction], steps: int, prefix: str = "rnn.") -> list:
    """nn.RNN(nonlinearity="relu") + Linear as documented, in Fractions: h = relu(W_ih x + b_ih + W_hh h + b_hh)."""
    depth = sum(1 for n in sd if n.startswith(prefix + "weight_hh_l"))
    hs = [[Fraction(0)] * sd[f"{prefix}weight_hh_l{k}"].shape[0] for k in range(depth)]
    ys = []
    for _ in range(steps):
        u = x
        for k in range(depth):
            w_ih, w_hh = sd[f"{prefix}weight_ih_l{k}"], sd[f"{prefix}weight_hh_l{k}"]
            b_ih, b_hh = sd[f"{prefix}bias_ih_l{k}"], sd[f"{prefix}bias_hh_l{k}"]
            hs[k] = [max(Fraction(0), sum(_q(w_ih[i, j]) * u[j] for j in range(len(u))) + _q(b_ih[i])
                         + sum(_q(w_hh[i, j]) * hs[k][j] for j in range(len(hs[k]))) + _q(b_hh[i]))
                     for i in range(len(hs[k]))]
            u = hs[k]
        ys.append([sum(_q(sd["fc.weight"][i, j]) * u[j] for j in range(len(u))) + _q(sd["fc.bias"][i])
                   for i in range(sd["fc.weight"].shape[0])])
    return ys


def _fractions(ys) -> list:
    return [[Fraction(int(v.p), int(v.q)) for v in y] for y in ys]


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_a_stacked_relu_state_dict_runs_as_nn_rnn_defines_it(tmp_path: Path, suffix: str) -> None:
    sd = state_dict((2, 3, 4, 2))
    path = tmp_path / f"m{suffix}"
    save_file(sd, str(path)) if suffix == ".safetensors" else np.savez(path, **sd)
    f = io.read(path, ReadHints(activation="relu", input_kind="constant"))
    assert f.network.describe() == "3 layers (relu 3, relu 4, relu 2)"
    x = [Fraction(1, 2), Fraction(-3, 4)]
    got = [y for _, _, y in f.network.run([fmpq(1, 2), fmpq(-3, 4)], 4)]
    assert _fractions(got) == torch_relu_reference(sd, x, 4)


def test_a_planted_reader_bug_that_drops_bias_hh_is_caught(tmp_path: Path, monkeypatch) -> None:
    """The reference above is independent of the reader: a reader that forgets bias_hh fails the comparison."""
    sd = state_dict((2, 3))
    save_file(sd, str(tmp_path / "m.safetensors"))
    x, want = [fmpq(1), fmpq(1)], torch_relu_reference(sd, [Fraction(1), Fraction(1)], 3)
    f = io.read(tmp_path / "m.safetensors", ReadHints(activation="relu", input_kind="constant"))
    assert _fractions(y for _, _, y in f.network.run(x, 3)) == want
    real = torch_names.rationals
    monkeypatch.setattr(torch_names, "rationals", lambda arr, name, ndim: [fmpq(0)] * len(arr)
                        if name.startswith("bias_hh") else real(arr, name, ndim))
    mutant = io.read(tmp_path / "m.safetensors", ReadHints(activation="relu", input_kind="constant"))
    assert _fractions(y for _, _, y in mutant.network.run(x, 3)) != want


def test_a_tanh_state_dict_needs_its_nonlinearity(tmp_path: Path, run_cli) -> None:
    path = tmp_path / "model.safetensors"
    save_file(state_dict((1, 4)), str(path))
    code, out, err = run_cli("info", str(path))
    assert code == 2 and err.count("\n") == 1 and MESSAGE in err and MESSAGE == NO_NONLINEARITY
    code, out, err = run_cli("info", str(path), "--activation", "tanh", "--input-kind", "constant")
    assert code == 0, err
    assert "activation tanh" in out and "from --activation" in out and "from --input-kind" in out
    assert "1 layer (tanh 4)" in out
    for command in (["run", str(path), "--x", "1/2", "--steps", "2", "--backend", "arb"],
                    ["rates", str(path), "--no-plot"], ["precision", str(path), "--steps", "3"]):
        code, _, err = run_cli(*command)
        assert code == 2 and MESSAGE in err, (command, err)


def test_metadata_names_the_nonlinearity_and_the_input(tmp_path: Path, run_cli) -> None:
    path = tmp_path / "m.safetensors"
    save_file(state_dict((1, 3), readout=None), str(path),
              metadata={"nonlinearity": "tanh", "input_kind": "impulse", "input_domain": "[-2, 2]"})
    f = io.read(path)
    assert f.network.activation == "tanh" and f.input.kind == "impulse"
    assert [str(v) for v in f.input.domain] == ["-2", "2"]
    assert f.network.output_dim == 3 and any("W_out = identity" in n for n in f.notes)
    assert io.read(path, ReadHints(activation="tanh", input_kind="impulse")).network == f.network
    code, _, err = run_cli("info", str(path), "--activation", "relu", "--input-kind", "constant")
    assert code == 2 and "--activation relu disagrees with the activation tanh" in err and "(nonlinearity)" in err
    code, _, err = run_cli("info", str(path), "--input-kind", "constant")
    assert code == 2 and "--input-kind constant disagrees with the input kind impulse" in err


@pytest.mark.parametrize(("change", "expected"), [
    ({"rnn.weight_hh_l0_reverse": np.eye(2, dtype=np.float32)}, "bidirectional RNN"),
    ({"rnn.weight_hh_l0": np.ones((8, 2), dtype=np.float32)}, "(4 gates: an nn.LSTM)"),
    ({"rnn.weight_hh_l0": np.ones((6, 2), dtype=np.float32)}, "(3 gates: an nn.GRU)"),
    ({"rnn.bias_ih_l0": np.ones(5, dtype=np.float32)}, "bias_ih_l0 has length 5, expected hidden_dim=2"),
    ({"rnn.weight_ih_l1": np.ones((2, 2), dtype=np.float32)}, "does not fit layers 0..0"),
    ({"bn.running_mean": np.ones(2, dtype=np.float32)}, "tensor \"bn.running_mean\" is not part of an nn.RNN"),
    ({"fc2.weight": np.ones((1, 1), dtype=np.float32)}, "several candidate readout weights"),
    ({"rnn.weight_hh_l0": np.array([[np.nan, 0], [0, 0]], dtype=np.float32)}, "weight_hh_l0[0][0]=nan is not a finite"),
    ({"h0": np.ones(3)}, "h0 has length 3, expected 2"),
])
def test_state_dicts_refused_by_name(tmp_path: Path, run_cli, change: dict, expected: str) -> None:
    sd = state_dict((1, 2)) | change
    save_file(sd, str(tmp_path / "m.safetensors"))
    code, _, err = run_cli("info", str(tmp_path / "m.safetensors"), "--activation", "relu", "--input-kind", "constant")
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert expected in err, err


def test_metadata_that_contradicts_itself(tmp_path: Path) -> None:
    save_file(state_dict((1, 2)), str(tmp_path / "m.safetensors"), metadata={"nonlinearity": "tanh",
                                                                           "activation": "relu"})
    with pytest.raises(InputError, match="the metadata names two nonlinearities"):
        io.read(tmp_path / "m.safetensors")


def test_convert_a_state_dict_then_info_reads_the_activation_it_was_given(tmp_path: Path, run_cli) -> None:
    src, out = tmp_path / "model.safetensors", tmp_path / "model.rnn.json"
    save_file(state_dict((1, 4, 4)), str(src))
    code, stdout, err = run_cli("convert", str(src), str(out), "--activation", "tanh", "--input-kind", "constant")
    assert code == 0, err
    assert "note: activation tanh: from --activation" in err and "2 layers (tanh 4, tanh 4)" in stdout
    code, stdout, _ = run_cli("info", str(out))
    assert code == 0 and "2 layers (tanh 4, tanh 4)" in stdout
    assert io.read(out).network == io.read(src, ReadHints(activation="tanh", input_kind="constant")).network
