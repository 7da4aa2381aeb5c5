"""A network with its lifting P and projection Q folded into the weights, exactly: what the engines step.

``W_ih·(P·x) = (W_ih·P)·x`` and ``W_out·(Q·h) = (W_out·Q)·h`` hold exactly in rational arithmetic, so
every engine sees only stacked layers ``hˡ = σₗ(Wˡ_hh hˡ + Wˡ_in uˡ + bˡ)`` (u¹ = x, uˡ = hˡ⁻¹ of the same
step) and a readout of the last layer. Nothing is rounded here.

>>> from certify.spec.network import Layer, Network
>>> from certify.spec.sparse import SparseMatrix
>>> net = Network(layers=(Layer.from_dense(W_hh=[[0, 0], [0, 0]], W_ih=[[1], [2]], b=[0, 0]),),
...               W_out=SparseMatrix.from_dense([[3]]), b_out=(fmpq(0),),
...               P=SparseMatrix.from_dense([["1/2", 1]]), Q=SparseMatrix.from_dense([[1, 1]]))
>>> f = fold(net)
>>> [[str(v) for v in row] for row in f.stages[0].W_in.to_dense()], f.W_out.to_dense()
([['1/2', '1'], ['1', '2']], [[3, 3]])
>>> f.input_dim, f.output_dim, f.activations
(2, 1, ('relu',))
"""

from __future__ import annotations

from dataclasses import dataclass

from flint import fmpq

from certify.errors import InputError
from certify.rational import ZERO
from certify.spec.network import INPUT_KINDS, Network
from certify.spec.sparse import SparseMatrix

#: Input kinds the enclosure engines run (a sequence is given step by step: exact runs only).
ENGINE_KINDS = ("constant", "impulse")


def product(a: SparseMatrix, b: SparseMatrix) -> SparseMatrix:
    """The exact product ``a·b`` of two sparse matrices.

    >>> product(SparseMatrix.from_dense([[1, 2]]), SparseMatrix.from_dense([[3], [4]])).to_dense()
    [[11]]
    """
    if a.shape[1] != b.shape[0]:
        raise InputError(f"cannot multiply a {a.shape[0]}x{a.shape[1]} matrix by a {b.shape[0]}x{b.shape[1]} one")
    rows = []
    for row in a.rows:
        acc: dict[int, fmpq] = {}
        for k, v in row:
            for j, w in b.rows[k]:
                acc[j] = acc.get(j, ZERO) + v * w
        rows.append({j: v for j, v in acc.items() if v != 0})
    return SparseMatrix.from_row_dicts((a.shape[0], b.shape[1]), rows)


@dataclass(frozen=True)
class Stage:
    """One layer as the engines step it: ``h = σ(W_hh h + W_in u + b)``."""

    W_hh: SparseMatrix
    W_in: SparseMatrix
    b: tuple[fmpq, ...]
    h0: tuple[fmpq, ...]
    activation: str
    dt: fmpq | None = None   # a residual layer h = h + dt·σ(…) (only engines that fold with residual=True)

    @property
    def size(self) -> int:
        return self.W_hh.shape[0]


@dataclass(frozen=True)
class Folded:
    """The stages of a network and its readout ``y = W_out hᴸ + b_out`` (P and Q folded in)."""

    stages: tuple[Stage, ...]
    W_out: SparseMatrix
    b_out: tuple[fmpq, ...]
    input_dim: int

    @property
    def output_dim(self) -> int:
        return self.W_out.shape[0]

    @property
    def activations(self) -> tuple[str, ...]:
        return tuple(s.activation for s in self.stages)


def fold(net: Network, engine: str = "the float interval and symbolic engines", residual: bool = False) -> Folded:
    """The network's stages with ``W¹_in = W¹_ih·P`` and readout ``W_out·Q`` (exact); residual cells are refused
    unless the engine steps them (``residual=True``: the stage carries its dt)."""
    if not residual:
        net.require_elman(engine)
    stages = []
    for k, layer in enumerate(net.layers):
        w_in = product(layer.W_ih, net.P) if k == 0 and net.P is not None else layer.W_ih
        stages.append(Stage(layer.W_hh, w_in, layer.b, layer.h0, layer.activation, layer.dt))
    w_out = product(net.W_out, net.Q) if net.Q is not None else net.W_out
    return Folded(tuple(stages), w_out, net.b_out, net.input_dim)


def check_kind(kind: str, engine: str) -> str:
    """``kind`` when ``engine`` runs it, else an error naming it."""
    if kind not in INPUT_KINDS:
        raise InputError(f"input kind {kind!r} is not one of {', '.join(INPUT_KINDS)}")
    if kind not in ENGINE_KINDS:
        raise InputError(f"input kind {kind!r}: the {engine} engine runs constant and impulse inputs only "
                         "(a sequence runs exactly, one input at a time)")
    return kind
