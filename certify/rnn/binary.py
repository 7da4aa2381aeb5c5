"""Read ``.npz`` and safetensors weight files exactly (never pickle).

Tensor names, either certify's (``W_hh W_ih b W_out b_out h0``) or PyTorch ``nn.RNN`` state-dict
names (``[prefix.]weight_hh_l0 weight_ih_l0 bias_hh_l0 bias_ih_l0``, b = b_ih + b_hh, plus an
optional linear readout ``<name>.weight`` / ``<name>.bias``). Float tensors are read as the exact
dyadic rationals their bits denote. A missing readout is the identity (y = h); a missing h0 is 0.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from flint import fmpq

from certify.errors import InputError
from certify.rational import ZERO, from_float
from certify.rnn.network import MAX_HIDDEN_DIM, Network
from certify.rnn.sparse import SparseMatrix

_EXACT_KINDS = {"f": "float", "i": "int", "u": "unsigned int", "b": "bool"}


def _load_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as data:
            out = {}
            for name in data.files:
                try:
                    out[name] = data[name]
                except ValueError as err:
                    if "pickle" in str(err).lower() or "object" in str(err).lower():
                        raise InputError(f"{path}: array {name!r} is a pickled object array; pickle is never "
                                         "loaded (it can run code)") from None
                    raise InputError(f"{path}: array {name!r} cannot be read: {err}") from None
            return out
    except InputError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as err:
        raise InputError(f"{path}: not a readable .npz file ({str(err).splitlines()[0]})") from None


def _load_safetensors(path: Path) -> dict[str, np.ndarray]:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, TypeError) as err:
        raise InputError(f"{path}: not a readable safetensors file ({str(err).splitlines()[0]})") from None


def _exact(arr: np.ndarray, name: str, ndim: int) -> list[Any]:
    if arr.ndim != ndim:
        raise InputError(f"{name} has shape {list(arr.shape)}; expected a {ndim}-d array")
    if arr.dtype.kind not in _EXACT_KINDS or arr.dtype.kind == "b":
        raise InputError(f"{name} has dtype {arr.dtype}; weights must be float or integer arrays")
    if any(s > MAX_HIDDEN_DIM for s in arr.shape):
        raise InputError(f"{name} has shape {list(arr.shape)}, beyond the limit {MAX_HIDDEN_DIM}")
    if arr.dtype.kind == "f":
        bad = np.argwhere(~np.isfinite(arr))
        if len(bad):
            idx = "".join(f"[{int(k)}]" for k in bad[0])
            raise InputError(f"{name}{idx}={arr[tuple(bad[0])]} is not a finite number")
        conv = lambda v, w: from_float(v, w)  # noqa: E731  (float data: its exact dyadic value)
    else:
        conv = lambda v, w: fmpq(int(v))  # noqa: E731
    if ndim == 1:
        return [conv(v, f"{name}[{i}]") for i, v in enumerate(arr.astype(arr.dtype).tolist())]
    return [[conv(v, f"{name}[{i}][{j}]") for j, v in enumerate(row)] for i, row in enumerate(arr.tolist())]


def _matrix(rows: list[list[fmpq]], shape: tuple[int, int]) -> SparseMatrix:
    return SparseMatrix.from_row_dicts(shape, [{j: v for j, v in enumerate(r) if v != 0} for r in rows])


def _pick(tensors: dict[str, np.ndarray], path: Path) -> dict[str, np.ndarray | None]:
    names = set(tensors)
    if "W_hh" in names:
        known = {"W_hh", "W_ih", "b", "W_out", "b_out", "h0"}
        extra = sorted(names - known)
        if extra:
            raise InputError(f"{path}: unexpected arrays {extra} (known: {sorted(known)})")
        return {k: tensors.get(k) for k in known}
    hh = [n for n in names if n.endswith("weight_hh_l0")]
    if len(hh) != 1:
        raise InputError(f"{path}: found neither 'W_hh' nor a PyTorch 'weight_hh_l0' tensor (arrays: {sorted(names)})")
    prefix = hh[0][: -len("weight_hh_l0")]
    if any(n.startswith(prefix + "weight_hh_l1") for n in names):
        raise InputError(f"{path}: stacked RNNs (weight_hh_l1 ...) are not supported yet; give a 1-layer RNN")
    if any(n.endswith("_reverse") for n in names):
        raise InputError(f"{path}: bidirectional RNNs are not supported")
    b_ih, b_hh = tensors.get(prefix + "bias_ih_l0"), tensors.get(prefix + "bias_hh_l0")
    used = {prefix + s for s in ("weight_hh_l0", "weight_ih_l0", "bias_ih_l0", "bias_hh_l0")} | {"h0"}
    readout = [n for n in names - used if n.endswith(".weight") or n == "weight"]
    if len(readout) > 1:
        raise InputError(f"{path}: several candidate readout weights {sorted(readout)}; keep one")
    w_out = tensors[readout[0]] if readout else None
    b_out = tensors.get(readout[0][: -len("weight")] + "bias") if readout else None
    return {"W_hh": tensors[hh[0]], "W_ih": tensors.get(prefix + "weight_ih_l0"), "b_ih": b_ih, "b_hh": b_hh,
            "W_out": w_out, "b_out": b_out, "h0": tensors.get("h0")}


def read(path: Path):  # -> RnnFile
    from certify.rnn.io import RnnFile

    tensors = _load_npz(path) if path.suffix.lower() == ".npz" else _load_safetensors(path)
    t = _pick(tensors, path)
    try:
        w_hh = _exact(t["W_hh"], "W_hh", 2)  # type: ignore[arg-type]
        n = len(w_hh)
        if n == 0 or any(len(r) != n for r in w_hh):
            raise InputError(f"W_hh has shape {list(t['W_hh'].shape)}, expected a nonempty square matrix")  # type: ignore[union-attr]
        w_ih = _exact(t["W_ih"], "W_ih", 2) if t.get("W_ih") is not None else [[] for _ in range(n)]
        d_in = len(w_ih[0]) if w_ih and w_ih[0] else 0
        if len(w_ih) != n:
            raise InputError(f"W_ih has {len(w_ih)} rows, expected hidden_dim={n}")
        if "b" in t:
            b = _exact(t["b"], "b", 1) if t["b"] is not None else [ZERO] * n
        else:
            parts = [_exact(t[k], k, 1) for k in ("b_ih", "b_hh") if t.get(k) is not None]
            b = [sum((p[i] for p in parts), ZERO) for i in range(n)] if parts else [ZERO] * n
            if any(len(p) != n for p in parts):
                raise InputError(f"bias_ih_l0/bias_hh_l0 must have length hidden_dim={n}")
        if t.get("W_out") is not None:
            w_out = _exact(t["W_out"], "W_out", 2)  # type: ignore[arg-type]
        else:
            w_out = [[fmpq(1) if i == j else ZERO for j in range(n)] for i in range(n)]
        d_out = len(w_out)
        if any(len(r) != n for r in w_out):
            raise InputError(f"W_out has rows of length {len(w_out[0])}, expected hidden_dim={n}")
        b_out = _exact(t["b_out"], "b_out", 1) if t.get("b_out") is not None else [ZERO] * d_out
        h0 = _exact(t["h0"], "h0", 1) if t.get("h0") is not None else [ZERO] * n
        net = Network(
            W_hh=_matrix(w_hh, (n, n)),
            W_ih=_matrix(w_ih, (n, d_in)),
            b=tuple(b),
            W_out=_matrix(w_out, (d_out, n)),
            b_out=tuple(b_out),
            h0=tuple(h0),
        )
    except InputError as err:
        raise InputError(f"{path}: {err}") from None
    return RnnFile(network=net, name=path.stem, source=str(path))
