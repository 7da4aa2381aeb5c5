"""Write a network as an ONNX model that :mod:`~certify.spec.onnx_format` reads back to an equal file.

One RNN node per layer with Squeeze plumbing, MatMul nodes for P, Q and W_out and an Add for b_out; X has
shape [T, 1, input] and y [T, 1, output] (y_t for every t); each layer's h0 is its ``initial_h``. Tensors
are FLOAT when every weight and h0 is exactly a float32 (onnxruntime runs RNN in float32 only), else DOUBLE,
else the file is refused naming the value: nothing is rounded. hardtanh has no ONNX RNN activation and is
refused (identity is written Affine(1, 0), satlin HardSigmoid(1, 0)). What ONNX cannot say (input
convention, name, claims, simulation) is JSON text in ``metadata_props["certify"]``.

>>> import tempfile, os
>>> from certify.spec.network import Layer, Network
>>> from certify.spec.onnx_format import read
>>> net = Network(layers=(Layer.from_dense(W_hh=[["1/2"]], W_ih=[[1]], b=[0], activation="tanh"),),
...               W_out=SparseMatrix.from_dense([[2]]), b_out=(fmpq(1, 4),))
>>> path = Path(tempfile.mkdtemp()) / "m.onnx"
>>> write(RnnFile(network=net, name="m"), path)
>>> g = read(path, path.read_bytes())
>>> g.network.describe(), [str(v) for v in g.network.b_out]
('1 layer (tanh 1)', ['1/4'])
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from flint import fmpq

from certify.errors import InputError
from certify.jsonio import dumps as json_dumps
from certify.rational import ZERO
from certify.spec import json_format
from certify.spec.exact_arrays import dense, is_float32, is_float64
from certify.spec.file import RnnFile
from certify.spec.network import Network
from certify.spec.onnx_format import LAYOUT, META_KEY
from certify.spec.sparse import SparseMatrix

if TYPE_CHECKING:  # onnx itself is imported when an ONNX file is written: importing it takes about a second
    import onnx
    from onnx import TensorProto

#: TensorProto element types (onnx.proto numbers them).
FLOAT, DOUBLE = 1, 11

OPSET = 17
IR_VERSION = 8
#: certify activation → (ONNX name, alpha, beta).
ONNX_ACTIVATION = {"relu": ("Relu", None, None), "tanh": ("Tanh", None, None), "sigmoid": ("Sigmoid", None, None),
                   "identity": ("Affine", 1.0, 0.0), "satlin": ("HardSigmoid", 1.0, 0.0)}


def _values(net: Network) -> list[tuple[str, fmpq]]:
    out = list(net.weights())
    for k, layer in enumerate(net.layers):
        out += [(f"layers[{k}].h0[{i}]" if net.depth > 1 else f"h0[{i}]", v) for i, v in enumerate(layer.h0)]
    return out


def _element_type(net: Network) -> tuple[int, type]:
    values = _values(net)
    if all(is_float32(v) for _, v in values):
        return FLOAT, np.float32
    bad = next(((w, v) for w, v in values if not is_float64(v)), None)
    if bad is not None:
        raise InputError(f"{bad[0]}={bad[1]} is not exactly a float64, and ONNX tensors hold floats; write .rnn.json "
                         "(exact rationals) or .safetensors / .npz (exact numerator/denominator arrays)")
    return DOUBLE, np.float64


def _tensor(name: str, rows: list[Any], dtype: type, shape: tuple[int, ...]) -> TensorProto:
    flat = [v for r in rows for v in r] if rows and isinstance(rows[0], list) else list(rows)
    from onnx import numpy_helper  # see to_model

    arr: np.ndarray = np.array([int(v.p) / int(v.q) for v in flat], dtype=dtype).reshape(shape)
    return numpy_helper.from_array(arr, name)


def _transposed(m: SparseMatrix) -> list[list[fmpq]]:
    rows = dense(m)
    return [[rows[i][j] for i in range(m.shape[0])] for j in range(m.shape[1])]


def to_model(f: RnnFile) -> onnx.ModelProto:
    """The ONNX model of ``f`` (an error names an activation or a value ONNX cannot hold exactly)."""
    import onnx  # only when an ONNX file is written (slow to import; every other format goes without it)
    from onnx import helper, numpy_helper

    net = f.network
    net.require_elman("ONNX RNN nodes")
    for k, layer in enumerate(net.layers):
        if layer.activation not in ONNX_ACTIVATION:
            raise InputError(f"layers[{k}].activation={layer.activation}: ONNX RNN nodes have no {layer.activation} "
                             "activation; write .rnn.json, .safetensors or .npz")
    elem, dtype = _element_type(net)
    inits = [numpy_helper.from_array(np.array([1], dtype=np.int64), "axes_1")]
    nodes, current = [], "x"
    if net.P is not None:
        inits.append(_tensor("P_T", _transposed(net.P), dtype, (net.P.shape[1], net.P.shape[0])))
        nodes.append(helper.make_node("MatMul", [current, "P_T"], ["u"]))
        current = "u"
    for k, layer in enumerate(net.layers):
        n, d = layer.hidden_dim, layer.input_dim
        inits += [_tensor(f"W_{k}", dense(layer.W_ih), dtype, (1, n, d)),
                  _tensor(f"R_{k}", dense(layer.W_hh), dtype, (1, n, n)),
                  _tensor(f"B_{k}", list(layer.b) + [ZERO] * n, dtype, (1, 2 * n)),
                  _tensor(f"h0_{k}", list(layer.h0), dtype, (1, 1, n))]
        name, alpha, beta = ONNX_ACTIVATION[layer.activation]
        extra: dict[str, Any] = {}
        if alpha is not None:
            extra = {"activation_alpha": [alpha], "activation_beta": [beta]}
        nodes.append(helper.make_node("RNN", [current, f"W_{k}", f"R_{k}", f"B_{k}", "", f"h0_{k}"], [f"Y_{k}"],
                                      hidden_size=n, activations=[name], **extra))
        nodes.append(helper.make_node("Squeeze", [f"Y_{k}", "axes_1"], [f"h_{k}"]))
        current = f"h_{k}"
    if net.Q is not None:
        inits.append(_tensor("Q_T", _transposed(net.Q), dtype, (net.Q.shape[1], net.Q.shape[0])))
        nodes.append(helper.make_node("MatMul", [current, "Q_T"], ["s"]))
        current = "s"
    inits += [_tensor("W_out_T", _transposed(net.W_out), dtype, (net.W_out.shape[1], net.W_out.shape[0])),
              _tensor("b_out", list(net.b_out), dtype, (net.output_dim,))]
    nodes += [helper.make_node("MatMul", [current, "W_out_T"], ["z"]), helper.make_node("Add", ["z", "b_out"], ["y"])]
    graph = helper.make_graph(nodes, f.name or "certify", [helper.make_tensor_value_info("x", elem,
                                                                                         ["T", 1, net.input_dim])],
                              [helper.make_tensor_value_info("y", elem, ["T", 1, net.output_dim])], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION,
                              producer_name="certify")
    doc = json_format.to_json_doc(f)
    doc.pop("rnn")
    helper.set_model_props(model, {META_KEY: json_dumps({"layout": LAYOUT, "file": doc})})
    onnx.checker.check_model(model)
    return model


def write(f: RnnFile, path: str | Path) -> None:
    """Write ``f`` as an ONNX model (see the module docstring)."""
    Path(path).write_bytes(to_model(f).SerializeToString())
