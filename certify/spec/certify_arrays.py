"""certify's own array layout (``certify.arrays/1``) for ``.npz`` and safetensors, and the flat
``certify.rnn/1`` arrays it replaces.

Tensors: ``layers.{k}.W_hh``, ``layers.{k}.W_ih``, ``layers.{k}.b``, ``layers.{k}.h0`` for every layer,
``P`` and ``Q`` when the network has them, ``W_out`` and ``b_out``: float64 where every value is exactly
a float64, else exact ``NAME.num`` / ``NAME.den`` int64 arrays (:mod:`~certify.spec.exact_arrays`).
Everything else is JSON text under the metadata key ``certify`` (safetensors) or in the uint8 array
``certify.meta`` (``.npz``)::

    {"layout": "certify.arrays/1", "activations": ["tanh", "relu"],
     "file": {"format": ..., "name": ..., "input": {...}, "simulation": {...}, "claims": {...}}}

``file`` is a ``certify.rnn`` document without its ``rnn`` block; reading fills that block from the arrays
and reads the whole through :mod:`~certify.spec.json_format`, so both formats share one set of checks
and a file read back has the content hash it was written with.

>>> from certify.spec.network import Network
>>> f = RnnFile(Network.from_dense(W_hh=[[0]], W_ih=[["1/3"]], b=[0], W_out=[[1]], b_out=[0], h0=[0]))
>>> tensors, meta = to_arrays(f)
>>> sorted(tensors)
['W_out', 'b_out', 'layers.0.W_hh', 'layers.0.W_ih.den', 'layers.0.W_ih.num', 'layers.0.b', 'layers.0.h0']
>>> str(read(tensors, meta, Path("m.npz")).network.W_ih.get(0, 0))
'1/3'
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from flint import fmpq

from certify.errors import InputError
from certify.jsonio import dumps as json_dumps
from certify.jsonio import loads as json_loads
from certify.spec import json_format
from certify.spec.activation import ACTIVATIONS
from certify.spec.exact_arrays import decode, dense, encode, matrix
from certify.spec.file import InputSpec, RnnFile
from certify.spec.hints import NO_HINTS, ReadHints, check_recorded, resolve_input
from certify.spec.network import Layer, Network
from certify.spec.sparse import SparseMatrix
from certify.untrusted import current_limits, quote

LAYOUT = "certify.arrays/1"
#: The safetensors metadata key, and the ``.npz`` array, that hold the JSON text.
META_KEY = "certify"
META_ARRAY = "certify.meta"
#: Layers a file may hold (tensor names are bounded too).
MAX_LAYERS = 16
_LAYER_NAME = re.compile(r"layers\.([0-9]+)\.(W_hh|W_ih|b|h0)(\.num|\.den)?")


# --- writing ---------------------------------------------------------------------------------------------
def _matrix_arrays(name: str, m: SparseMatrix) -> dict[str, np.ndarray]:
    entries, limit = m.shape[0] * m.shape[1], current_limits().max_entries
    if entries > limit:
        raise InputError(f"{name} has {m.shape[0]}x{m.shape[1]} = {entries} entries, more than max_entries={limit} "
                         "that certify would read back from a dense array; write a .rnn.json file (sparse)")
    return encode(name, dense(m), m.shape)


def to_arrays(f: RnnFile) -> tuple[dict[str, np.ndarray], str]:
    """The tensors and the metadata text of ``f`` (an error names a value no array holds exactly)."""
    net = f.network
    net.require_elman("certify's arrays (.safetensors, .npz)")  # the metadata records no cell: write .rnn.json
    if net.depth > MAX_LAYERS:
        raise InputError(f"the network has {net.depth} layers; certify's arrays hold at most {MAX_LAYERS}")
    tensors: dict[str, np.ndarray] = {}
    for k, layer in enumerate(net.layers):
        pre = f"layers.{k}."
        tensors |= _matrix_arrays(pre + "W_hh", layer.W_hh) | _matrix_arrays(pre + "W_ih", layer.W_ih)
        tensors |= encode(pre + "b", list(layer.b)) | encode(pre + "h0", list(layer.h0))
    for name, opt in (("P", net.P), ("Q", net.Q)):
        if opt is not None:
            tensors |= _matrix_arrays(name, opt)
    tensors |= _matrix_arrays("W_out", net.W_out) | encode("b_out", list(net.b_out))
    doc = json_format.to_json_doc(f)
    doc.pop("rnn")
    meta = {"layout": LAYOUT, "activations": list(net.activations), "file": doc}
    return tensors, json_dumps(meta)


# --- reading ---------------------------------------------------------------------------------------------
def meta_text(arr: np.ndarray, source: str) -> str:
    """The JSON text of the ``certify.meta`` array of an ``.npz`` file."""
    if arr.dtype != np.uint8 or arr.ndim != 1:
        raise InputError(f"{source}: {META_ARRAY} has dtype {arr.dtype} and shape {list(arr.shape)}; it must be a "
                         "1-d uint8 array of UTF-8 JSON text")
    try:
        return arr.tobytes().decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{source}: {META_ARRAY} is not UTF-8 text") from None


def _meta(text: str, source: str) -> tuple[list[str], dict[str, Any]]:
    doc = json_loads(text, f"{source}: certify metadata")
    if not isinstance(doc, dict) or set(doc) != {"layout", "activations", "file"}:
        raise InputError(f"{source}: the certify metadata must be a JSON object with exactly layout, activations "
                         "and file")
    if doc["layout"] != LAYOUT:
        raise InputError(f"{source}: layout={quote(doc['layout'])} is not supported (expected {LAYOUT})")
    acts = doc["activations"]
    if not isinstance(acts, list) or not 1 <= len(acts) <= MAX_LAYERS:
        raise InputError(f"{source}: activations={quote(acts)} must list 1 to {MAX_LAYERS} activations, one per layer")
    for k, a in enumerate(acts):
        if a not in ACTIVATIONS:
            raise InputError(f"{source}: activations[{k}]={quote(a)} is not supported "
                             f"(known: {', '.join(ACTIVATIONS)})")
    file = doc["file"]
    if not isinstance(file, dict):
        raise InputError(f"{source}: the certify metadata's file must be a JSON object")
    if "rnn" in file:
        raise InputError(f"{source}: the certify metadata's file holds an rnn block; the weights are the arrays")
    return acts, file


def _shape(tensors: dict[str, np.ndarray], name: str) -> tuple[int, ...]:
    arr = tensors.get(name, tensors.get(f"{name}.num"))
    if arr is None:
        raise InputError(f"missing array {name!r} (or {name}.num with {name}.den)")
    return tuple(arr.shape)


def _mat(tensors: dict[str, np.ndarray], name: str) -> SparseMatrix:
    shape = _shape(tensors, name)
    rows = decode(tensors, name, 2)
    return matrix(rows, (shape[0], shape[1]))


def _vec(tensors: dict[str, np.ndarray], name: str) -> tuple[fmpq, ...]:
    return tuple(decode(tensors, name, 1))


def read(tensors: dict[str, np.ndarray], meta: str, path: Path, hints: ReadHints = NO_HINTS) -> RnnFile:
    """A file in certify's own layout: the arrays and the metadata text."""
    source = str(path)
    acts, file = _meta(meta, source)
    expected = {f"layers.{k}.{part}" for k in range(len(acts)) for part in ("W_hh", "W_ih", "b", "h0")}
    expected |= {"P", "Q", "W_out", "b_out"}
    extra = sorted(n for n in tensors if n.removesuffix(".num").removesuffix(".den") not in expected)
    if extra:
        hint = " (the metadata lists fewer layers)" if _LAYER_NAME.fullmatch(extra[0]) else ""
        raise InputError(f"{source}: unexpected array {quote(extra[0])}{hint}")
    try:
        layers = tuple(Layer(W_hh=_mat(tensors, f"layers.{k}.W_hh"), W_ih=_mat(tensors, f"layers.{k}.W_ih"),
                             b=_vec(tensors, f"layers.{k}.b"), h0=_vec(tensors, f"layers.{k}.h0"), activation=a)
                       for k, a in enumerate(acts))
        net = Network(layers=layers, W_out=_mat(tensors, "W_out"), b_out=_vec(tensors, "b_out"),
                      P=_mat(tensors, "P") if _has(tensors, "P") else None,
                      Q=_mat(tensors, "Q") if _has(tensors, "Q") else None)
    except InputError as err:
        raise InputError(f"{source}: {err}") from None
    doc = dict(file) | {"rnn": json_format.to_json_doc(RnnFile(network=net))["rnn"]}
    f = json_format.loads(json_dumps(doc), source)
    where = "recorded in the file's certify metadata"
    return replace(check_recorded(f, hints, where), notes=(f"activation {net.activation}: {where}",
                                                         f"input {f.input.describe()}: {where}"))


def _has(tensors: dict[str, np.ndarray], name: str) -> bool:
    return name in tensors or f"{name}.num" in tensors or f"{name}.den" in tensors


#: The flat certify.rnn/1 arrays.
FLAT = ("W_hh", "W_ih", "b", "W_out", "b_out", "h0")


def read_flat(tensors: dict[str, np.ndarray], path: Path, hints: ReadHints = NO_HINTS) -> RnnFile:
    """The flat ``certify.rnn/1`` arrays: one ReLU layer (the layout defines it); W_ih, b, W_out, b_out and
    h0 may be left out (no input, 0, the identity readout, 0, 0)."""
    source = str(path)
    extra = set(tensors) - set(FLAT)
    if extra:
        raise InputError(f"{source}: unexpected arrays {sorted(extra)[:10]} (known: {sorted(FLAT)})")
    notes = []
    try:
        w_hh = _mat(tensors, "W_hh")
        n = w_hh.shape[0]
        if n == 0 or w_hh.shape != (n, n):
            raise InputError(f"W_hh has shape {list(w_hh.shape)}, expected a nonempty square matrix")
        w_ih = _mat(tensors, "W_ih") if "W_ih" in tensors else SparseMatrix.zeros(n, 0)
        if "W_out" in tensors:
            w_out = _mat(tensors, "W_out")
        else:
            w_out = SparseMatrix.from_entries((n, n), [(i, i, fmpq(1)) for i in range(n)])
            notes.append("readout: none in the file; y_t = h_t (W_out = identity)")
        zeros = lambda k: (fmpq(0),) * k  # noqa: E731
        net = Network.single(W_hh=w_hh, W_ih=w_ih, b=_vec(tensors, "b") if "b" in tensors else zeros(n),
                             W_out=w_out, b_out=_vec(tensors, "b_out") if "b_out" in tensors else zeros(w_out.shape[0]),
                             h0=_vec(tensors, "h0") if "h0" in tensors else zeros(n))
    except InputError as err:
        raise InputError(f"{source}: {err}") from None
    where = "certify's flat arrays (W_hh, W_ih, b, ...) are the certify.rnn/1 layout: one ReLU layer"
    if hints.activation not in (None, "relu"):
        raise InputError(f"{source}: --activation {hints.activation} disagrees with the activation relu the file "
                         f"records ({where}); drop --activation or fix the file")
    spec, input_note = resolve_input(InputSpec(), "the certify.rnn/1 layout: constant input, x in [-1, 1]", hints,
                                     source)
    return RnnFile(network=net, name=path.stem, input=spec, source=source,
                   notes=(f"activation relu: {where}", input_note, *notes))
