"""ONNX: a compiled construction exported to .onnx runs in onnxruntime within a rigorous float32 error bound of
certify's exact outputs; hand-built graphs in the shapes other exporters write; hostile models refused."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import onnx
import pytest
from flint import fmpq
from formats_cases import round_trip
from onnx import TensorProto, helper, numpy_helper

from certify.compiler.tmnu_to_rnn import compile_program, from_compiled
from certify.constructions.examples import squaring
from certify.errors import InputError
from certify.spec import io
from certify.spec.file import RnnFile
from certify.spec.hints import ReadHints
from certify.spec.network import Layer, Network
from certify.spec.onnx_writer import to_model
from certify.spec.sparse import SparseMatrix

ort = pytest.importorskip("onnxruntime")

U = Fraction(1, 2**24)  # float32 unit roundoff
TINY = Fraction(1, 2**120)  # room for underflow in one float32 dot product (subnormal spacing 2^-149)


def _gamma(k: int) -> Fraction:
    return k * U / (1 - k * U)


def _abs_rows(m: SparseMatrix) -> list[list[Fraction]]:
    return [[abs(Fraction(int(v.p), int(v.q))) for v in row] for row in m.to_dense()]


def _fr(v: fmpq) -> Fraction:
    return Fraction(int(v.p), int(v.q))


def float32_error_bounds(net: Network, x: list[fmpq], steps: int) -> list[list[Fraction]]:
    """|y_t computed in float32 − y_t exact| ≤ bound, for one ReLU layer without P/Q, whatever the summation order.

    Each pre-activation is a float32 sum of n + d + 2 terms (products and the two biases), so its rounding error
    is at most γ_{n+d+2} · Σ|terms| (Higham, Lemma 3.5, any order, with or without FMA); relu is 1-Lipschitz
    and exact; the error of h_{t−1} propagates through |W_hh|. The readout adds γ_{n+1} in the same way.
    """
    layer = net.require_single_relu("this bound")
    n, d = layer.hidden_dim, layer.input_dim
    w_hh, w_ih, w_out = _abs_rows(layer.W_hh), _abs_rows(layer.W_ih), _abs_rows(net.W_out)
    b, b_out, xs = [abs(_fr(v)) for v in layer.b], [abs(_fr(v)) for v in net.b_out], [abs(_fr(v)) for v in x]
    h_prev, e = [abs(_fr(v)) for v in layer.h0], [Fraction(0)] * n
    out = []
    for _, h, _ in net.run(x, steps):
        mag = [sum(w_hh[i][j] * (h_prev[j] + e[j]) for j in range(n)) + sum(w_ih[i][j] * xs[j] for j in range(d))
               + b[i] for i in range(n)]
        e = [sum(w_hh[i][j] * e[j] for j in range(n)) + _gamma(n + d + 2) * mag[i] + TINY for i in range(n)]
        h_prev = [abs(_fr(v)) for v in h]
        out.append([sum(w_out[i][j] * e[j] for j in range(n))
                    + _gamma(n + 1) * (sum(w_out[i][j] * (h_prev[j] + e[j]) for j in range(n)) + b_out[i]) + TINY
                    for i in range(len(w_out))])
    return out


def test_a_compiled_construction_runs_in_onnxruntime_within_the_float32_bound(tmp_path: Path) -> None:
    f = from_compiled(compile_program(squaring()))
    path = tmp_path / "squaring.onnx"
    io.write(f, path)
    session = ort.InferenceSession(path.read_bytes(), providers=["CPUExecutionProvider"])
    steps, worst = 12, Fraction(0)  # three TMNU steps (c = 4); the worst-case bound grows about 2.3x per step
    for x in (fmpq(-1), fmpq(-3, 4), fmpq(0), fmpq(1, 8), fmpq(5, 8), fmpq(1)):
        xs = np.full((steps, 1, 1), float(x), dtype=np.float32)
        (y,) = session.run(None, {"x": xs})
        assert y.shape == (steps, 1, 1)
        exact = [_fr(y_t[0]) for _, _, y_t in f.network.run([x], steps)]
        bounds = float32_error_bounds(f.network, [x], steps)
        for t in range(steps):
            err = abs(Fraction(float(y[t, 0, 0])) - exact[t])
            assert err <= bounds[t][0], (x, t + 1, float(err), float(bounds[t][0]))
            worst = max(worst, bounds[t][0])
    assert worst < Fraction(1, 1000)  # the bound is tight enough to mean something


def test_a_stacked_tanh_network_round_trips_and_runs(tmp_path: Path) -> None:
    layers = (Layer.from_dense(W_hh=[["1/2", "-1/4"], [0, "3/8"]], W_ih=[[1], ["-1/2"]], b=["1/8", 0],
                               h0=["1/4", 0], activation="tanh"),
              Layer.from_dense(W_hh=[["-1/2"]], W_ih=[[1, 1]], b=[0], activation="tanh"))
    f = RnnFile(Network(layers=layers, W_out=SparseMatrix.from_dense([[2]]), b_out=(fmpq(1, 2),)), name="tanh2")
    back = round_trip(f, tmp_path / "t.onnx")
    assert back.network.describe() == "2 layers (tanh 2, tanh 1)"
    session = ort.InferenceSession((tmp_path / "t.onnx").read_bytes(), providers=["CPUExecutionProvider"])
    (y,) = session.run(None, {"x": np.full((3, 1, 1), 0.5, dtype=np.float32)})
    h1, h2, ys = np.array([0.25, 0.0]), np.array([0.0]), []  # the definition, in float64
    for _ in range(3):
        h1 = np.tanh(np.array([[0.5, -0.25], [0, 0.375]]) @ h1 + np.array([1, -0.5]) * 0.5 + [0.125, 0])
        h2 = np.tanh(np.array([[-0.5]]) @ h2 + np.array([[1, 1]]) @ h1)
        ys.append(2 * h2[0] + 0.5)
    assert np.allclose(y[:, 0, 0], ys, atol=1e-5)  # float32 tanh: an illustration, not a proof


# --- graphs as other exporters write them ----------------------------------------------------------------
def _rnn_model(nodes, inits, out="y", out_shape=(None, 1, 1), opset=17, **kw) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 1, 1])],
                              [helper.make_tensor_value_info(out, TensorProto.FLOAT, list(out_shape))],
                              initializer=[numpy_helper.from_array(np.asarray(v, dtype=np.float32), k)
                                           if not isinstance(v, TensorProto) else v for k, v in inits.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8, **kw)


BASE = {"W": [[[1.0], [0.5]]], "R": [[[0.5, 0.0], [0.25, 0.5]]], "B": [[0.125, 0, 0, 0.25]]}


def _rnn(**attrs) -> onnx.NodeProto:
    return helper.make_node("RNN", ["X", "W", "R", "B"], ["Y", "Y_h"], hidden_size=2, **attrs)


def _write(tmp_path: Path, model: onnx.ModelProto, name: str = "m.onnx") -> Path:
    path = tmp_path / name
    path.write_bytes(model.SerializeToString())
    return path


def test_a_gemm_readout_of_the_last_state_with_the_default_tanh(tmp_path: Path) -> None:
    axes0 = numpy_helper.from_array(np.array([0], dtype=np.int64), "axes0")
    nodes = [_rnn(), helper.make_node("Squeeze", ["Y_h", "axes0"], ["h"]),
             helper.make_node("Gemm", ["h", "Wo", "bo"], ["y"], transB=1, alpha=2.0)]
    model = _rnn_model(nodes, BASE | {"axes0": axes0, "Wo": [[1.0, -1.0]], "bo": [0.5]}, out_shape=(1, 1))
    f = io.read(_write(tmp_path, model), ReadHints(input_kind="sequence"))
    net = f.network
    assert net.activation == "tanh" and any("ONNX RNN default" in n for n in f.notes)
    assert f.input.kind == "sequence" and any("from --input-kind" in n for n in f.notes)
    assert [str(v) for v in net.layers[0].b] == ["1/8", "1/4"]  # B = [Wb, Rb], added
    assert [[str(v) for v in r] for r in net.W_out.to_dense()] == [["2", "-2"]]
    assert [str(v) for v in net.b_out] == ["1/2"]
    assert io.read(_write(tmp_path, model), ReadHints(activation="tanh", input_kind="constant")).network == net
    with pytest.raises(InputError, match="--activation relu disagrees with the activation tanh the file records"):
        io.read(_write(tmp_path, model), ReadHints(activation="relu", input_kind="constant"))


@pytest.mark.parametrize(("attrs", "activation"), [
    ({"activations": ["Relu"]}, "relu"),
    ({"activations": ["Sigmoid"]}, "sigmoid"),
    ({"activations": ["Affine"], "activation_alpha": [1.0], "activation_beta": [0.0]}, "identity"),
    ({"activations": ["HardSigmoid"], "activation_alpha": [1.0], "activation_beta": [0.0]}, "satlin"),
])
def test_activations_read(tmp_path: Path, attrs: dict, activation: str) -> None:
    model = _rnn_model([_rnn(**attrs)], BASE, out="Y_h", out_shape=(1, 1, 2))
    assert io.read(_write(tmp_path, model), ReadHints(input_kind="constant")).network.activation == activation


# --- hostile models ----------------------------------------------------------------------------------------
def _refused(run_cli, path: Path, expected: str) -> None:
    code, out, err = run_cli("info", str(path))
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1, (code, err)
    assert expected in err, err


def _lstm(tmp_path: Path) -> onnx.ModelProto:
    node = helper.make_node("LSTM", ["X", "W", "R"], ["Y"], hidden_size=2)
    return _rnn_model([node], {"W": np.ones((1, 8, 1)), "R": np.ones((1, 8, 2))}, out="Y", out_shape=(None, 1, 1, 2))


HOSTILE = {
    "an LSTM node": (lambda tmp: _lstm(tmp), "node 0 (LSTM) is not supported"),
    "a bidirectional RNN": (lambda tmp: _rnn_model([_rnn(direction="bidirectional")],
                                                   {"W": np.ones((2, 2, 1)), "R": np.ones((2, 2, 2)),
                                                    "B": np.zeros((2, 4))}, out="Y_h", out_shape=(2, 1, 2)),
                            'direction="bidirectional" is not supported'),
    "a clipped cell": (lambda tmp: _rnn_model([_rnn(clip=3.0)], BASE, out="Y_h", out_shape=(1, 1, 2)), "clip=3.0"),
    "HardSigmoid with its defaults": (lambda tmp: _rnn_model([_rnn(activations=["HardSigmoid"])], BASE, out="Y_h",
                                                             out_shape=(1, 1, 2)), "HardSigmoid(alpha=0.2"),
    "a NaN weight": (lambda tmp: _rnn_model([_rnn()], BASE | {"R": [[[np.nan, 0], [0, 0]]]}, out="Y_h",
                                            out_shape=(1, 1, 2)), "R[0][0]=nan is not a finite number"),
    "a huge declared shape": (lambda tmp: _rnn_model([_rnn()], BASE | {"R": _huge()}, out="Y_h", out_shape=(1, 1, 2)),
                              "beyond the limit max_dimension=100000"),
    "external data": (lambda tmp: _rnn_model([_rnn()], BASE | {"R": _external()}, out="Y_h", out_shape=(1, 1, 2)),
                      "keeps its data in an external file"),
    "layout 1": (lambda tmp: _rnn_model([_rnn(layout=1)], BASE, out="Y_h", out_shape=(1, 1, 2)), "layout=1"),
}


def _huge() -> TensorProto:
    t = TensorProto(name="R", data_type=TensorProto.FLOAT, dims=[1, 10**6, 10**6])
    t.float_data.append(0.0)
    return t


def _external() -> TensorProto:
    t = helper.make_tensor("R", TensorProto.FLOAT, [1, 2, 2], [0.0] * 4)
    t.ClearField("float_data")
    t.data_location = TensorProto.EXTERNAL
    t.external_data.add(key="location", value="/etc/passwd")
    return t


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_models_are_refused_by_name(tmp_path: Path, run_cli, case: str) -> None:
    build, expected = HOSTILE[case]
    _refused(run_cli, _write(tmp_path, build(tmp_path)), expected)


def test_truncated_and_garbage_files(tmp_path: Path, run_cli) -> None:
    data = to_model(from_compiled(compile_program(squaring()))).SerializeToString()
    for cut in (7, len(data) // 2, len(data) - 3):
        (tmp_path / "cut.onnx").write_bytes(data[:cut])
        code, _, err = run_cli("info", str(tmp_path / "cut.onnx"))
        assert code == 2 and err.count("\n") == 1 and "ONNX model" in err, (cut, err)
    (tmp_path / "junk.onnx").write_bytes(b"\xff" * 100)
    _refused(run_cli, tmp_path / "junk.onnx", "not a readable ONNX model")
