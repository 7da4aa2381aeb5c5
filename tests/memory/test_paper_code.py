"""State dicts of the paper's code (diagonal, Pᵀ·diag·P, softplus residual RNNs) read through safetensors."""

from __future__ import annotations

import numpy as np
import pytest
from flint import fmpq
from safetensors.numpy import save_file

from certify.cli import main
from certify.errors import InputError
from certify.spec import io

META = {"dt": "0.5", "recurrent_weight": "relu", "activation": "tanh", "encoder_activation": "linear",
        "decoder_activation": "linear", "input_kind": "constant"}


def _state(rng: np.random.Generator, m: int = 3, with_p: bool = True) -> dict[str, np.ndarray]:
    sd = {"encoder.U.weight": rng.standard_normal((m, 1)), "encoder.U.bias": rng.standard_normal(m) / 4,
          "net.W.weight": rng.standard_normal(m), "decoder.U.weight": rng.standard_normal((1, m)),
          "decoder.U.bias": rng.standard_normal(1)}
    if with_p:
        sd["net.P.weight"] = np.linalg.qr(rng.standard_normal((m, m)))[0]
    return sd


def _forward(sd: dict[str, np.ndarray], g: str, act: str, dt: float, x: float, steps: int) -> list[float]:
    """The code's forward pass (LFLitModule: encoder, residual net, decoder), float64."""
    sigma = {"tanh": np.tanh, "linear": lambda z: z}[act]
    w = sd["net.W.weight"]
    diag = {"relu": np.maximum(w, 0), "identity": w, "softplus": np.log1p(np.exp(w)), "exp": np.exp(w),
            "inverse": 1 / (w * w + 0.125)}[g]
    P = sd.get("net.P.weight", np.eye(len(w)))  # noqa: N806
    u = sd["encoder.U.weight"][:, 0] * x + sd["encoder.U.bias"]
    h, ys = np.zeros(len(w)), []
    for _ in range(steps):
        h = h + dt * sigma(u - P.T @ (diag * (P @ h)))
        ys.append(float(sd["decoder.U.weight"][0] @ h + sd["decoder.U.bias"][0]))
    return ys


@pytest.mark.parametrize(("g", "with_p", "act"), [("relu", False, "tanh"), ("identity", True, "linear"),
                                                  ("relu", True, "linear"), ("softplus", True, "linear"),
                                                  ("exp", False, "linear"), ("inverse", True, "tanh")])
def test_the_read_network_runs_as_the_code(tmp_path, g: str, with_p: bool, act: str) -> None:
    sd = _state(np.random.default_rng(7), with_p=with_p)
    path = tmp_path / "model.safetensors"
    save_file(sd, str(path), metadata=META | {"recurrent_weight": g, "activation": act, "softplus_bits": "60",
                                                     "inverse_b": "1/8"})
    f = io.read(str(path))
    assert f.network.layers[0].residual and f.network.layers[0].dt == fmpq(1, 2)
    want = _forward(sd, g, act, 0.5, 0.75, 8)
    if act == "linear":
        got = [float(y[0]) for _, _, y in f.network.run([fmpq(3, 4)], 8)]
    else:
        from certify.memory.forms import Compiled, propagate
        forms = propagate(Compiled.of(f.network), [(fmpq(3, 4), fmpq(3, 4))], [1] * 8)
        got = [float(s.y_mid[0, 0].mid()) for s in forms]
    assert np.allclose(got, want, rtol=1e-9, atol=1e-12)
    assert any("W_hh = −W" in n for n in f.notes)


@pytest.mark.parametrize(("drop", "fragment"), [("dt", "'dt'"), ("recurrent_weight", "'recurrent_weight'"),
                                                ("encoder_activation", "'encoder_activation'")])
def test_what_the_state_dict_does_not_record_is_required(tmp_path, drop: str, fragment: str) -> None:
    path = tmp_path / "model.safetensors"
    save_file(_state(np.random.default_rng(1)), str(path), metadata={k: v for k, v in META.items() if k != drop})
    with pytest.raises(InputError, match=fragment):
        io.read(str(path))


def test_softplus_needs_its_rounding_and_bad_values_are_named(tmp_path) -> None:
    path = tmp_path / "model.safetensors"
    save_file(_state(np.random.default_rng(1)), str(path), metadata=META | {"recurrent_weight": "softplus"})
    with pytest.raises(InputError, match="softplus_bits"):
        io.read(str(path))
    save_file(_state(np.random.default_rng(1)), str(path), metadata=META | {"recurrent_weight": "sqrt"})
    with pytest.raises(InputError, match="recurrent_weight='sqrt'|recurrent_weight=\"sqrt\""):
        io.read(str(path))
    assert main(["memory", str(path), "--steps", "2"]) == 2


def test_memory_and_stability_run_on_a_paper_model(tmp_path) -> None:
    path = tmp_path / "model.safetensors"
    save_file(_state(np.random.default_rng(3), with_p=True), str(path),
              metadata=META | {"activation": "linear", "recurrent_weight": "relu"})
    assert main(["memory", str(path), "--steps", "10", "--norm", "abs+1", "--decay"]) in (0, 20)
    assert main(["stability", str(path), "--beta", "0", "--samples", "1", "--steps", "5"]) in (0, 10, 20)
