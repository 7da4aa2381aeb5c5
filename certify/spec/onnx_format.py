"""ONNX models of stacked ``RNN`` nodes, read and written exactly.

A model certify reads is one chain from its one graph input X ([seq, batch, input]) to its one output:

    [MatMul P]  RNN  (Squeeze Y  RNN)*  [Squeeze Y or Y_h]  [MatMul Q]  [MatMul W_out] [Add b_out] | [Gemm]

with every weight an initializer. An ``RNN`` node (ONNX spec: W [1, hidden, input], R [1, hidden, hidden],
B [1, 2·hidden] = [Wb, Rb], added; ``initial_h`` [1, 1, hidden], else 0) is one Elman layer; its
``activations`` attribute names the nonlinearity (absent: the spec's default, Tanh): Relu, Tanh, Sigmoid,
Affine(1, 0) = identity, HardSigmoid(1, 0) = satlin. ``clip``, ``direction`` other than forward,
``layout`` 1, ``sequence_lens`` and any other operator are refused by name. Tensors are read through
``numpy_helper.to_array`` and converted exactly (:mod:`~certify.spec.exact_arrays`); external data is
never opened.

certify writes ONNX models of this shape (:mod:`~certify.spec.onnx_writer`); what ONNX cannot say (input
convention, name, claims, simulation) is JSON text in ``metadata_props["certify"]``, read back here.

>>> read(Path("m.onnx"), b"not protobuf")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
certify.errors.InputError: m.onnx: not a readable ONNX model (...)
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from flint import fmpq

from certify.errors import InputError
from certify.jsonio import dumps as json_dumps
from certify.jsonio import loads as json_loads
from certify.rational import ZERO
from certify.spec import json_format
from certify.spec.exact_arrays import matrix, rationals
from certify.spec.file import RnnFile
from certify.spec.hints import NO_HINTS, ReadHints, check_recorded, resolve_activation, resolve_input
from certify.spec.network import Layer, Network
from certify.spec.sparse import SparseMatrix
from certify.untrusted import current_limits, quote

if TYPE_CHECKING:  # onnx itself is imported when an ONNX file is read: importing it takes about a second
    import onnx
    from onnx import TensorProto

LAYOUT = "certify.onnx/1"
META_KEY = "certify"
#: Nodes and initializers a model may hold (a 16-layer network needs about 40 and 70).
MAX_NODES = 128
MAX_INITIALIZERS = 128
SUPPORTED = ("RNN", "Squeeze", "MatMul", "Add", "Gemm")
#: TensorProto element types read (onnx.proto numbers them: FLOAT 1, INT64 7, FLOAT16 10, DOUBLE 11).
_DTYPES = {1: "FLOAT", 7: "INT64", 10: "FLOAT16", 11: "DOUBLE"}
#: TensorProto.DataLocation.EXTERNAL
_EXTERNAL = 1
#: ONNX RNN activation → certify activation, for the ones that take no (alpha, beta).
_PLAIN = {"Relu": "relu", "Tanh": "tanh", "Sigmoid": "sigmoid"}
#: The ONNX operators' defaults of (alpha, beta).
_DEFAULT_AB = {"Affine": (1.0, 0.0), "HardSigmoid": (0.2, 0.5)}


# --- reading: the container -----------------------------------------------------------------------------------
def _load(data: bytes, source: str) -> onnx.ModelProto:
    import onnx  # only when an ONNX file is read (slow to import; every other format goes without it)

    try:
        model = onnx.load_model_from_string(data)
    except Exception as err:  # protobuf raises several kinds; every one means: not an ONNX model
        raise InputError(f"{source}: not a readable ONNX model ({_first_line(err)})") from None
    g = model.graph
    if len(g.node) > MAX_NODES or len(g.initializer) > MAX_INITIALIZERS:
        raise InputError(f"{source}: the graph has {len(g.node)} nodes and {len(g.initializer)} initializers; certify "
                         f"reads at most {MAX_NODES} and {MAX_INITIALIZERS}")
    if len(model.functions) or len(g.sparse_initializer):
        raise InputError(f"{source}: model-local functions and sparse initializers are not supported")
    for t in g.initializer:
        if t.data_location == _EXTERNAL or len(t.external_data):
            raise InputError(f"{source}: initializer {quote(t.name)} keeps its data in an external file; certify "
                             "reads self-contained models only (it never opens other files)")
        _check_shape(t, source)
    try:
        onnx.checker.check_model(model)
    except Exception as err:  # ValidationError, or the checker's own errors on malformed protobuf
        raise InputError(f"{source}: not a valid ONNX model ({_first_line(err)})") from None
    return model


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text[:200]


def _check_shape(t: TensorProto, source: str) -> list[int]:
    """An initializer's declared element type and shape, checked against the limits before anything is read."""
    limits = current_limits()
    dims = list(t.dims)
    if t.data_type not in _DTYPES:
        raise InputError(f"{source}: initializer {quote(t.name)} has element type {t.data_type} (onnx.proto "
                         "numbering); weights are FLOAT (1), DOUBLE (11) or FLOAT16 (10)")
    if len(dims) > 4 or any(d < 0 or d > limits.max_dimension for d in dims):
        raise InputError(f"{source}: initializer {quote(t.name)} declares shape {dims}, beyond the limit "
                         f"max_dimension={limits.max_dimension} (raise it with --limit max_dimension=N)")
    if math.prod(dims) > limits.max_entries:
        raise InputError(f"{source}: initializer {quote(t.name)} declares shape {dims}, more than the limit "
                         f"max_entries={limits.max_entries} (raise it with --limit max_entries=N)")
    return dims


def _array(t: TensorProto, source: str) -> np.ndarray:
    """An initializer as a NumPy array (its shape checked first); a size that does not match its data is refused."""
    from onnx import numpy_helper  # see _load

    dims = _check_shape(t, source)
    try:
        arr = numpy_helper.to_array(t)
    except Exception as err:  # a size that does not match the data, a bad encoding
        raise InputError(f"{source}: initializer {quote(t.name)} cannot be read ({_first_line(err)})") from None
    if list(arr.shape) != dims:
        raise InputError(f"{source}: initializer {quote(t.name)} declares shape {dims} but holds {list(arr.shape)}")
    return arr


def _attrs(node: onnx.NodeProto) -> dict[str, Any]:
    from onnx import helper  # see _load

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _text(v: Any) -> str:
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


# --- reading: the chain -------------------------------------------------------------------------------------
class _Chain:
    """Walks the graph's nodes in order, keeping the value that flows from X to the output."""

    def __init__(self, model: onnx.ModelProto, source: str) -> None:
        g, self.source = model.graph, source
        self.inits = {t.name: t for t in g.initializer}
        inputs = [i.name for i in g.input if i.name not in self.inits]
        if len(inputs) != 1 or len(g.output) != 1:
            raise InputError(f"{source}: the graph has {len(inputs)} inputs and {len(g.output)} outputs; certify reads "
                             "one input X [seq, batch, input] and one output y")
        self.output = g.output[0].name
        self.current = {inputs[0]}
        self.P: SparseMatrix | None = None
        self.layers: list[tuple[Layer, str]] = []  # the layer, and where its activation came from
        self.post: list[tuple[int, str, SparseMatrix | None, tuple[fmpq, ...] | None]] = []
        self.stage = "in"  # in → rnn → (seq → rnn)* → (seq | last) → out
        for k, node in enumerate(g.node):
            self.node(k, node)
        if self.output not in self.current:
            raise InputError(f"{source}: the graph output {quote(self.output)} is not the end of the chain of nodes")
        if not self.layers:
            raise InputError(f"{source}: the graph has no RNN node")

    def where(self, k: int, node: onnx.NodeProto) -> str:
        return f"{self.source}: node {k} ({node.op_type})"

    def init(self, k: int, node: onnx.NodeProto, name: str) -> np.ndarray:
        if name not in self.inits:
            raise InputError(f"{self.where(k, node)} reads {quote(name)}, which is neither the value that flows from X "
                             "nor an initializer (certify reads one chain of nodes with constant weights)")
        return _array(self.inits[name], self.source)

    def node(self, k: int, node: onnx.NodeProto) -> None:
        if node.domain not in ("", "ai.onnx") or node.op_type not in SUPPORTED:
            raise InputError(f"{self.where(k, node)} is not supported (certify reads {', '.join(SUPPORTED)})")
        data = [i for i in node.input if i in self.current]
        if len(data) != 1:
            raise InputError(f"{self.where(k, node)} does not read the value that flows from X (certify reads one "
                             "chain of nodes)")
        consts = [i for i in node.input if i and i not in self.current]
        getattr(self, node.op_type.lower())(k, node, data[0], consts)

    def _follow(self, node: onnx.NodeProto, k: int) -> None:
        if len(node.output) != 1:
            raise InputError(f"{self.where(k, node)} has {len(node.output)} outputs, expected 1")
        self.current = {node.output[0]}

    def matmul(self, k: int, node: onnx.NodeProto, data: str, consts: list[str]) -> None:
        if node.input[0] != data or len(consts) != 1:
            raise InputError(f"{self.where(k, node)} must multiply the running value by one initializer (X · B)")
        arr = self.init(k, node, consts[0])
        if arr.ndim != 2:
            raise InputError(f"{self.where(k, node)}: initializer {quote(consts[0])} has shape {list(arr.shape)}, "
                             "expected a matrix")
        m = matrix(rationals(arr.T, consts[0], 2), (arr.shape[1], arr.shape[0]))
        if self.stage == "in":
            if self.P is not None:
                raise InputError(f"{self.where(k, node)}: a second MatMul before the first RNN (one lifting P only)")
            self.P = m
        else:
            self.post.append((k, "matmul", m, None))
            self.stage = "out"
        self._follow(node, k)

    def add(self, k: int, node: onnx.NodeProto, data: str, consts: list[str]) -> None:
        if self.stage == "in" or len(consts) != 1:
            raise InputError(f"{self.where(k, node)}: an Add is read only as the readout's bias b_out")
        arr = self.init(k, node, consts[0])
        if arr.ndim != 1:
            raise InputError(f"{self.where(k, node)}: initializer {quote(consts[0])} has shape {list(arr.shape)}, "
                             "expected a vector (b_out)")
        self.post.append((k, "add", None, tuple(rationals(arr, consts[0], 1))))
        self.stage = "out"
        self._follow(node, k)

    def gemm(self, k: int, node: onnx.NodeProto, data: str, consts: list[str]) -> None:
        a = _attrs(node)
        if self.stage != "last" or node.input[0] != data or a.get("transA", 0) != 0:
            raise InputError(f"{self.where(k, node)}: a Gemm is read only as the readout of the last state "
                             "(Squeeze of Y_h), without transA")
        b = self.init(k, node, node.input[1])
        if b.ndim != 2:
            raise InputError(f"{self.where(k, node)}: B has shape {list(b.shape)}, expected a matrix")
        w = b if a.get("transB", 0) else b.T
        alpha, beta = fmpq(*float(a.get("alpha", 1.0)).as_integer_ratio()), fmpq(*float(a.get("beta", 1.0))
                                                                                  .as_integer_ratio())
        rows = [[alpha * v for v in r] for r in rationals(w, node.input[1], 2)]
        m = matrix(rows, (w.shape[0], w.shape[1]))
        c: tuple[fmpq, ...] | None = None
        if len(node.input) > 2 and node.input[2]:
            arr = self.init(k, node, node.input[2])
            if arr.ndim != 1:
                raise InputError(f"{self.where(k, node)}: C has shape {list(arr.shape)}, expected a vector")
            c = tuple(beta * v for v in rationals(arr, node.input[2], 1))
        self.post.append((k, "gemm", m, c))
        self.stage = "out"
        self._follow(node, k)

    def squeeze(self, k: int, node: onnx.NodeProto, data: str, consts: list[str]) -> None:
        if self.stage != "rnn":
            raise InputError(f"{self.where(k, node)}: a Squeeze is read only right after an RNN node")
        a = _attrs(node)
        axes = [int(v) for v in self.init(k, node, consts[0]).reshape(-1)] if consts else list(a.get("axes", []))
        y, y_h = self._rnn_out
        rank = 4 if data == y else 3
        axes = [v + rank if v < 0 else v for v in axes]
        if (data, axes) not in ((y, [1]), (y_h, [0])):
            raise InputError(f"{self.where(k, node)}: axes {axes} of {quote(data)}; certify reads Squeeze(Y, axes=[1]) "
                             "and Squeeze(Y_h, axes=[0])")
        self.stage = "seq" if data == y else "last"
        self._follow(node, k)

    _rnn_out: tuple[str, str] = ("", "")

    def rnn(self, k: int, node: onnx.NodeProto, data: str, consts: list[str]) -> None:
        if self.stage not in ("in", "seq") or self.post:
            raise InputError(f"{self.where(k, node)}: an RNN node must read X (after P) or the squeezed Y of the RNN "
                             "before it")
        if node.input[0] != data:
            raise InputError(f"{self.where(k, node)}: X must be the value that flows from the graph input")
        self.layers.append(self._layer(k, node))
        out = list(node.output) + ["", ""]
        self._rnn_out = (out[0], out[1])
        self.current = {n for n in out[:2] if n}
        self.stage = "rnn"

    def _layer(self, k: int, node: onnx.NodeProto) -> tuple[Layer, str]:
        where = self.where(k, node)
        a = _attrs(node)
        unknown = sorted(set(a) - {"activations", "activation_alpha", "activation_beta", "clip", "direction",
                                   "hidden_size", "layout"})
        if unknown:
            raise InputError(f"{where}: attribute {quote(unknown[0])} is not supported")
        if "clip" in a:
            raise InputError(f"{where}: clip={a['clip']} is not supported (a clipped cell is not an Elman layer)")
        if _text(a.get("direction", "forward")) != "forward":
            raise InputError(f"{where}: direction={quote(_text(a['direction']))} is not supported (forward only)")
        if a.get("layout", 0) != 0:
            raise InputError(f"{where}: layout={a['layout']} (batch first) is not supported; export with layout 0")
        inputs = list(node.input) + [""] * 6
        if inputs[4]:
            raise InputError(f"{where}: sequence_lens is not supported (every sequence runs all its steps)")
        w, r = self.init(k, node, inputs[1]), self.init(k, node, inputs[2])
        if r.ndim != 3 or r.shape[0] != 1 or r.shape[1] != r.shape[2] or r.shape[1] == 0:
            raise InputError(f"{where}: R has shape {list(r.shape)}, expected [1, hidden, hidden]")
        n = r.shape[1]
        if a.get("hidden_size", n) != n:
            raise InputError(f"{where}: hidden_size={a['hidden_size']} but R has shape {list(r.shape)}")
        if w.ndim != 3 or w.shape[:2] != (1, n):
            raise InputError(f"{where}: W has shape {list(w.shape)}, expected [1, {n}, input]")
        b = [ZERO] * n
        if inputs[3]:
            arr = self.init(k, node, inputs[3])
            if arr.shape != (1, 2 * n):
                raise InputError(f"{where}: B has shape {list(arr.shape)}, expected [1, {2 * n}]")
            wb_rb = rationals(arr[0], inputs[3], 1)
            b = [wb_rb[i] + wb_rb[n + i] for i in range(n)]
        h0 = [ZERO] * n
        if inputs[5]:
            arr = self.init(k, node, inputs[5])
            if arr.shape != (1, 1, n):
                raise InputError(f"{where}: initial_h has shape {list(arr.shape)}, expected [1, 1, {n}] (one state)")
            h0 = rationals(arr[0, 0], inputs[5], 1)
        activation, origin = _activation(a, where)
        try:
            layer = Layer(W_hh=matrix(rationals(r[0], inputs[2], 2), (n, n)),
                          W_ih=matrix(rationals(w[0], inputs[1], 2), (n, w.shape[2])), b=tuple(b), h0=tuple(h0),
                          activation=activation)
        except InputError as err:
            raise InputError(f"{where}: {err}") from None
        return layer, origin


def _activation(a: dict[str, Any], where: str) -> tuple[str, str]:
    if "activations" not in a:
        return "tanh", "the ONNX RNN default (Tanh: the node has no activations attribute)"
    names = [_text(v) for v in a["activations"]]
    if len(names) != 1:
        raise InputError(f"{where}: activations={names}; a forward RNN names one")
    name = names[0]
    alphas, betas = list(a.get("activation_alpha", [])), list(a.get("activation_beta", []))
    if name in _PLAIN:
        if alphas or betas:
            raise InputError(f"{where}: activation_alpha/activation_beta given for {name}, which takes none")
        return _PLAIN[name], "recorded in the ONNX RNN node (activations)"
    if name in _DEFAULT_AB:
        da, db = _DEFAULT_AB[name]
        alpha, beta = float(alphas[0]) if alphas else da, float(betas[0]) if betas else db
        if (alpha, beta) == (1.0, 0.0):
            return ("identity" if name == "Affine" else "satlin"), "recorded in the ONNX RNN node (activations)"
        raise InputError(f"{where}: activation {name}(alpha={alpha}, beta={beta}) is not one of certify's (identity is "
                         "Affine(1, 0), satlin is HardSigmoid(1, 0))")
    raise InputError(f"{where}: activation {quote(name)} is not supported (certify reads Relu, Tanh, Sigmoid, "
                     "Affine(1, 0) = identity, HardSigmoid(1, 0) = satlin)")


def _readout(chain: _Chain, n_last: int) -> tuple[SparseMatrix | None, SparseMatrix, tuple[fmpq, ...] | None]:
    """Q, W_out, b_out from the nodes after the last RNN (b_out None: zero)."""
    kinds = [p[1] for p in chain.post]
    mats = [p[2] for p in chain.post if p[2] is not None]
    bias = next((p[3] for p in chain.post if p[3] is not None), None)
    if kinds == []:
        eye = SparseMatrix.from_entries((n_last, n_last), [(i, i, fmpq(1)) for i in range(n_last)])
        return None, eye, None
    if kinds in (["matmul"], ["matmul", "add"], ["gemm"]):
        assert mats[0] is not None
        return None, mats[0], bias
    if kinds in (["matmul", "matmul"], ["matmul", "matmul", "add"], ["matmul", "gemm"]):
        return mats[0], mats[1], bias
    first = chain.post[0][0]
    raise InputError(f"{chain.source}: the nodes from node {first} on ({', '.join(kinds)}) are not a readout certify "
                     "reads: MatMul [MatMul] [Add], or [MatMul] Gemm")


def read(path: Path, data: bytes, hints: ReadHints = NO_HINTS) -> RnnFile:
    """An ONNX model of stacked RNN nodes (bytes read with ``read_untrusted``)."""
    source = str(path)
    model = _load(data, source)
    chain = _Chain(model, source)
    layers = [layer for layer, _ in chain.layers]
    notes = []
    for layer, origin in chain.layers:
        _, note = resolve_activation(layer.activation, origin, hints, source)
        if note not in notes:
            notes.append(note)
    q, w_out, b_out = _readout(chain, layers[-1].hidden_dim)
    if not chain.post:
        notes.append("readout: none in the graph; y_t = h_t of the last layer (W_out = identity)")
    try:
        net = Network(layers=tuple(layers), W_out=w_out, b_out=b_out if b_out is not None else (ZERO,) * w_out.shape[0],
                      P=chain.P, Q=q)
    except InputError as err:
        raise InputError(f"{source}: {err}") from None
    meta = {p.key: p.value for p in model.metadata_props}
    if META_KEY in meta:
        doc = json_loads(meta[META_KEY], f"{source}: metadata_props[certify]")
        if not isinstance(doc, dict) or set(doc) != {"layout", "file"} or doc["layout"] != LAYOUT \
                or not isinstance(doc["file"], dict) or "rnn" in doc["file"]:
            raise InputError(f'{source}: metadata_props["certify"] must be {{"layout": "{LAYOUT}", "file": {{...}}}} '
                             "without an rnn block")
        full = dict(doc["file"]) | {"rnn": json_format.to_json_doc(RnnFile(network=net))["rnn"]}
        f = check_recorded(json_format.loads(json_dumps(full), source), hints, "recorded in the model's metadata")
        return replace(f, notes=(*notes, f"input {f.input.describe()}: recorded in the model's metadata"))
    spec, input_note = resolve_input(None, "", hints, source)
    return RnnFile(network=net, name=path.stem, input=spec, source=source, notes=(*notes, input_note))
