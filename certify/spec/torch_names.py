"""PyTorch ``nn.RNN`` state dicts (saved as safetensors or ``.npz``): any ``num_layers``, an optional
``nn.Linear`` readout, read exactly.

=================================  ===========================================================
tensor                             meaning
=================================  ===========================================================
``[p.]weight_ih_l{k}``             W_ih of layer k: [hidden, input_size] (k = 0), [hidden, hidden]
``[p.]weight_hh_l{k}``             W_hh of layer k: [hidden, hidden]
``[p.]bias_ih_l{k}``               added to ``bias_hh_l{k}``: b = b_ih + b_hh, exactly (both optional)
``<r>.weight``, ``<r>.bias``       the readout y = W_out h + b_out (optional; without it y = h of
                                   the last layer, W_out = identity)
``h0``                             the initial state, every layer's concatenated (optional: 0)
=================================  ===========================================================

A state dict does not record the nonlinearity (nn.RNN's default is tanh): it comes from ``--activation``
or from the safetensors metadata key ``nonlinearity`` (or ``activation``), and a file with neither is
refused (:data:`~certify.spec.hints.NO_NONLINEARITY`). The metadata may also name the input convention:
``input_kind`` (constant, impulse, sequence) and ``input_domain`` (JSON ``[lo, hi]`` or one per input).
Bidirectional RNNs (``_reverse`` tensors), LSTM and GRU weights, and any tensor not listed are refused by
name.

>>> import numpy as np
>>> sd = {"rnn.weight_ih_l0": np.ones((2, 1)), "rnn.weight_hh_l0": np.eye(2) / 2,
...       "rnn.bias_ih_l0": np.ones(2), "rnn.bias_hh_l0": np.ones(2) / 4}
>>> f = read(sd, {"nonlinearity": "tanh", "input_kind": "constant"}, Path("m.safetensors"))
>>> f.network.describe(), [str(v) for v in f.network.layers[0].b]
('1 layer (tanh 2)', ['5/4', '5/4'])
>>> f.notes[0]
'activation tanh: recorded in the metadata (nonlinearity)'
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from flint import fmpq

from certify.errors import InputError
from certify.jsonio import loads as json_loads
from certify.rational import ZERO, parse_number
from certify.spec.activation import ACTIVATIONS
from certify.spec.exact_arrays import matrix, rationals
from certify.spec.file import InputSpec, RnnFile
from certify.spec.hints import NO_HINTS, ReadHints, resolve_activation, resolve_input
from certify.spec.network import INPUT_KINDS, Layer, Network
from certify.spec.sparse import SparseMatrix
from certify.untrusted import quote

#: Metadata keys a state dict may carry (anything else in the metadata is ignored: it is not weights).
NONLINEARITY_KEYS = ("nonlinearity", "activation")
_RNN = re.compile(r"(.*?)(weight_ih|weight_hh|bias_ih|bias_hh)_l([0-9]+)(_reverse)?")


def _metadata_activation(metadata: dict[str, str], source: str) -> tuple[str | None, str]:
    given = {k: metadata[k] for k in NONLINEARITY_KEYS if k in metadata}
    if len(set(given.values())) > 1:
        raise InputError(f"{source}: the metadata names two nonlinearities: "
                         + ", ".join(f"{k}={quote(v)}" for k, v in given.items()))
    if not given:
        return None, ""
    key, value = next(iter(given.items()))
    if value not in ACTIVATIONS:
        raise InputError(f"{source}: metadata {key}={quote(value)} is not supported (known: {', '.join(ACTIVATIONS)})")
    return value, f"recorded in the metadata ({key})"


def _metadata_input(metadata: dict[str, str], source: str) -> InputSpec | None:
    if "input_kind" not in metadata:
        if "input_domain" in metadata:
            raise InputError(f"{source}: the metadata gives input_domain without input_kind")
        return None
    kind = metadata["input_kind"]
    if kind not in INPUT_KINDS:
        raise InputError(f"{source}: metadata input_kind={quote(kind)} is not supported "
                         f"(known: {', '.join(INPUT_KINDS)})")
    if "input_domain" not in metadata:
        return InputSpec(kind)
    raw = json_loads(metadata["input_domain"], f"{source}: metadata input_domain")
    items = raw if isinstance(raw, list) and raw and all(isinstance(d, list) for d in raw) else [raw]
    domains = []
    for k, d in enumerate(items):
        if not isinstance(d, list) or len(d) != 2:
            raise InputError(f"{source}: metadata input_domain={quote(metadata['input_domain'])} must be [lo, hi] "
                             "or [[lo, hi], ...]")
        lo, hi = (parse_number(v, f"input_domain[{k}][{i}]") for i, v in enumerate(d))
        domains.append((lo, hi))
    return InputSpec(kind, tuple(domains))


def _prefix(tensors: dict[str, np.ndarray], source: str) -> str:
    for name in tensors:
        m = _RNN.fullmatch(name)
        if m and m.group(4):
            raise InputError(f"{source}: tensor {quote(name)} belongs to a bidirectional RNN; certify reads forward "
                             "RNNs only")
    hh = [n for n in tensors if n.endswith("weight_hh_l0")]
    if len(hh) != 1:
        found = "several" if hh else "neither 'W_hh' nor"
        raise InputError(f"{source}: found {found} a PyTorch 'weight_hh_l0' tensor (arrays: {_listed(set(tensors))})")
    return hh[0][: -len("weight_hh_l0")]


def _listed(names: set[str]) -> str:
    shown = sorted(names)[:10]
    return str(shown) + (f" and {len(names) - 10} more" if len(names) > 10 else "")


def _layer(tensors: dict[str, np.ndarray], pre: str, k: int, d_in: int | None, activation: str) -> Layer:
    w_hh_arr = tensors[f"{pre}weight_hh_l{k}"]
    w_hh = rationals(w_hh_arr, f"weight_hh_l{k}", 2)
    n = len(w_hh)
    if n == 0 or any(len(r) != n for r in w_hh):
        gates = {4 * w_hh_arr.shape[1]: " (4 gates: an nn.LSTM)", 3 * w_hh_arr.shape[1]: " (3 gates: an nn.GRU)"}
        extra = gates.get(n, "") if w_hh_arr.shape[1] else ""
        raise InputError(f"weight_hh_l{k} has shape {list(w_hh_arr.shape)}, expected a nonempty square matrix"
                         f"{extra}; certify reads nn.RNN")
    name = f"{pre}weight_ih_l{k}"
    if name not in tensors:
        raise InputError(f"missing tensor {quote(name)} (W_ih of layer {k})")
    w_ih = rationals(tensors[name], f"weight_ih_l{k}", 2)
    cols = tensors[name].shape[1]
    if len(w_ih) != n:
        raise InputError(f"weight_ih_l{k} has {len(w_ih)} rows, expected hidden_dim={n}")
    if d_in is not None and cols != d_in:
        raise InputError(f"weight_ih_l{k} has {cols} columns, expected {d_in} (the hidden size of layer {k - 1})")
    parts = []
    for kind in ("ih", "hh"):
        arr = tensors.get(f"{pre}bias_{kind}_l{k}")
        if arr is not None:
            p = rationals(arr, f"bias_{kind}_l{k}", 1)
            if len(p) != n:
                raise InputError(f"bias_{kind}_l{k} has length {len(p)}, expected hidden_dim={n}")
            parts.append(p)
    b = tuple(sum((p[i] for p in parts), ZERO) for i in range(n))
    return Layer(W_hh=matrix(w_hh, (n, n)), W_ih=matrix(w_ih, (n, cols)), b=b, h0=(ZERO,) * n,
                 activation=activation)


def read(tensors: dict[str, np.ndarray], metadata: dict[str, str], path: Path,
         hints: ReadHints = NO_HINTS) -> RnnFile:
    """An ``nn.RNN`` state dict (with its safetensors metadata, ``{}`` for ``.npz``)."""
    source = str(path)
    pre = _prefix(tensors, source)
    recorded, where = _metadata_activation(metadata, source)
    activation, act_note = resolve_activation(recorded, where, hints, source)
    depth = 0
    while f"{pre}weight_hh_l{depth}" in tensors:
        depth += 1
    used = {f"{pre}{w}_l{k}" for k in range(depth) for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    stray = sorted(n for n in tensors if _RNN.fullmatch(n) and n not in used)
    if stray:
        raise InputError(f"{source}: tensor {quote(stray[0])} does not fit layers 0..{depth - 1} of prefix {pre!r}")
    rest = set(tensors) - used - {"h0"}
    readout = sorted(n for n in rest if n.endswith(".weight") or n == "weight")
    if len(readout) > 1:
        raise InputError(f"{source}: several candidate readout weights {_listed(set(readout))}; keep one")
    out_b = readout[0][: -len("weight")] + "bias" if readout else None
    unknown = sorted(rest - set(readout) - {out_b})
    if unknown:
        raise InputError(f"{source}: tensor {quote(unknown[0])} is not part of an nn.RNN with a linear readout")
    notes = [act_note]
    try:
        layers: list[Layer] = []
        for k in range(depth):
            layers.append(_layer(tensors, pre, k, layers[-1].hidden_dim if layers else None, activation))
        n_last = layers[-1].hidden_dim
        if readout:
            rows = rationals(tensors[readout[0]], readout[0], 2)
            w_out = matrix(rows, (len(rows), tensors[readout[0]].shape[1]))
        else:
            w_out = SparseMatrix.from_entries((n_last, n_last), [(i, i, fmpq(1)) for i in range(n_last)])
            notes.append("readout: none in the file; y_t = h_t of the last layer (W_out = identity)")
        b_out = (tuple(rationals(tensors[out_b], out_b, 1)) if out_b is not None and out_b in tensors
                 else (ZERO,) * w_out.shape[0])
        if "h0" in tensors:
            h0 = rationals(tensors["h0"], "h0", 1)
            total = sum(layer.hidden_dim for layer in layers)
            if len(h0) != total:
                raise InputError(f"h0 has length {len(h0)}, expected {total} (every layer's state, concatenated)")
            at = 0
            for k, layer in enumerate(layers):
                layers[k] = Layer(W_hh=layer.W_hh, W_ih=layer.W_ih, b=layer.b,
                                  h0=tuple(h0[at:at + layer.hidden_dim]), activation=activation)
                at += layer.hidden_dim
        net = Network(layers=tuple(layers), W_out=w_out, b_out=b_out)
    except InputError as err:
        raise InputError(f"{source}: {err}") from None
    # asked last: a file that is not a valid nn.RNN is refused for that first
    spec, input_note = resolve_input(_metadata_input(metadata, source), "recorded in the metadata (input_kind)",
                                     hints, source)
    return RnnFile(network=net, name=path.stem, input=spec, source=source, notes=(act_note, input_note, *notes[1:]))
