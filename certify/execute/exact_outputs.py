"""Exact outputs y_1 … y_T of any piecewise-linear network under its input convention, and the
``certify.run/1`` document that records them.

Every y_t is an exact rational; the run follows :meth:`certify.spec.network.Network.run_sequence`
(stacked layers, P, Q, every piecewise-linear activation) and stops, like every exact rollout, when the
state grows beyond ``max_state_bits``. tanh and sigmoid have no exact values: :func:`require_exact` refuses
them up front with :class:`~certify.spec.activation.NotExact`.

>>> from certify.spec.network import Layer, Network
>>> from certify.spec.sparse import SparseMatrix
>>> net = Network(layers=(Layer.from_dense(W_hh=[["1/2"]], W_ih=[[1]], b=[0], activation="hardtanh"),),
...               W_out=SparseMatrix.from_dense([[1]]), b_out=(fmpq(0),))
>>> rows = exact_outputs(net, inputs("impulse", (fmpq(1),), 3))
>>> [(t, [str(v) for v in y]) for t, y in rows]
[(1, ['1']), (2, ['1/2']), (3, ['1/4'])]
>>> run_document("demo", "impulse", (fmpq(1),), None, rows)["y"]
[['1'], ['1/2'], ['1/4']]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from flint import fmpq

from certify.errors import InputError
from certify.rational import to_string
from certify.spec import activation as act
from certify.spec.network import Network, input_at
from certify.untrusted import current_limits

FORMAT = "certify.run/1"


def require_exact(net: Network) -> None:
    """Nothing when every layer's activation has exact values; else the NotExact error of the first that has not."""
    for k, name in enumerate(net.activations):
        if not act.is_piecewise_linear(name):
            try:
                act.exact(name, fmpq(0))
            except act.NotExact as err:
                raise act.NotExact(f"layers[{k}]: {err}") from None


def inputs(kind: str, x: Sequence[fmpq], steps: int) -> Iterator[Sequence[fmpq]]:
    """x_1 … x_steps of input convention ``kind`` (constant or impulse) driven by x."""
    return (input_at(kind, x, t) for t in range(1, steps + 1))


def exact_outputs(net: Network, xs: Iterable[Sequence[fmpq]], keep: Callable[[int], bool] | None = None,
                  progress: Callable[[int], None] | None = None) -> list[tuple[int, list[fmpq]]]:
    """``(t, y_t)`` for the inputs x_1, x_2, … (every t, or those ``keep`` accepts), exactly."""
    require_exact(net)
    allowed = current_limits().max_state_bits
    start = sum(v.height_bits() for v in net.h0)
    out = []
    for t, h, y in net.run_sequence(xs):
        size = sum(v.height_bits() for v in h)
        if size - start > allowed:
            raise InputError(f"exact run stopped at step {t}: the state needs {size} bits, {size - start} more than "
                             f"at the start, beyond max_state_bits={allowed} (raise it with --limit max_state_bits=N)")
        if keep is None or keep(t):
            out.append((t, y))
        if progress is not None:
            progress(t)
    return out


def run_document(name: str, kind: str, x: Sequence[fmpq] | None, xs: Sequence[Sequence[fmpq]] | None,
                 rows: Sequence[tuple[int, Sequence[fmpq]]], sha256: str = "") -> dict[str, Any]:
    """The ``certify.run/1`` record of a run: ``y[t-1]`` is y_t exactly (``"p/q"`` strings), for t = 1 … T.

    ``x`` is the input of a constant or impulse run, ``xs`` the inputs x_1 … x_T of a sequence run.
    """
    ts = [t for t, _ in rows]
    if ts != list(range(1, len(rows) + 1)):
        raise ValueError("a run document needs y_t for every t = 1 … T")
    doc: dict[str, Any] = {"format": FORMAT, "name": name}
    if sha256:
        doc["weights_sha256"] = sha256
    doc["input"] = {"kind": kind}
    if x is not None:
        doc["x"] = [to_string(v) for v in x]
    if xs is not None:
        doc["x_seq"] = [[to_string(v) for v in vec] for vec in xs]
    doc["steps"] = len(rows)
    doc["y"] = [[to_string(v) for v in y] for _, y in rows]
    return doc
