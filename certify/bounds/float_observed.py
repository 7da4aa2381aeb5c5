"""What a plain float run does (measured, never a bound): the first step where a NumPy run of a network in float32
or float64 (one summation order, the one NumPy's matrix product uses) leaves ε of the exact run at a few
inputs. :mod:`certify.bounds.float_horizon` shows it beside the certified horizon and the predicted one.

>>> from flint import fmpq
>>> from certify.spec.network import Network
>>> net = Network.from_dense(W_hh=[["1/2"]], W_ih=[[0]], b=[1], W_out=[[1]], b_out=[-2], h0=[0])  # y_t = −2^(1−t)
>>> observed_step(net, "constant", [[fmpq(0)]], 80, [fmpq(0)] * 80, np.float64)   # exact until 2 - 2^-t rounds to 2
54
"""

from __future__ import annotations

from typing import Any

import numpy as np
from flint import fmpq

from certify.spec.network import Network, input_at
from certify.spec.sparse import SparseMatrix


def observed_step(net: Network, kind: str, points: list[list[fmpq]], steps: int, eps_t: list[fmpq | None],
              dtype: Any) -> int | None:
    """The first step where a plain NumPy run in ``dtype`` (one summation order) differs from the exact run by
    more than ε_t at one of the points (measured, not a bound); None if it never does."""
    for t_bad in _first_bad(net, kind, points, steps, eps_t, dtype):
        return t_bad
    return None


def _first_bad(net: Network, kind: str, points: list[list[fmpq]], steps: int, eps_t: list[fmpq | None],
               dtype: Any) -> list[int]:
    def dense(m: SparseMatrix) -> np.ndarray:
        out = np.zeros(m.shape, dtype=dtype)
        for i, j, v in m.entries():
            out[i, j] = float(v)  # a plain float run, as an exported network would do: measured, never a bound
        return out

    mats = [(dense(layer.W_hh), dense(layer.W_ih), np.array([float(v) for v in layer.b], dtype=dtype),
             layer.activation) for layer in net.layers]
    P = dense(net.P) if net.P is not None else None
    Q = dense(net.Q) if net.Q is not None else None
    Wo, bo = dense(net.W_out), np.array([float(v) for v in net.b_out], dtype=dtype)
    bad = []
    for x in points:
        hs = [np.array([float(v) for v in hl], dtype=dtype) for hl in net.split(list(net.h0))]
        exact = net.run(x, steps, kind=kind)
        for t in range(1, steps + 1):
            u = np.array([float(v) for v in input_at(kind, x, t)], dtype=dtype)
            if P is not None:
                u = P @ u
            for k, (Whh, Wih, b, name) in enumerate(mats):
                z = Whh @ hs[k] + (Wih @ u if Wih.shape[1] else 0) + b
                hs[k] = _np_act(name, z).astype(dtype)
                u = hs[k]
            s = Q @ hs[-1] if Q is not None else hs[-1]
            y = float((Wo @ s + bo)[0])
            _, _, ye = next(exact)
            e = eps_t[t - 1]
            if e is not None and abs(fmpq(*y.as_integer_ratio()) - ye[0]) > e:
                bad.append(t)
                break
    return [min(bad)] if bad else []


def _np_act(name: str, z: np.ndarray) -> np.ndarray:
    if name == "relu":
        return np.maximum(z, 0)
    if name == "hardtanh":
        return np.clip(z, -1, 1)
    if name == "satlin":
        return np.clip(z, 0, 1)
    return z
