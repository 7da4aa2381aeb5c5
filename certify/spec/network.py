"""The exact RNN of DESIGN §2 (PyTorch ``nn.RNN(nonlinearity="relu")`` + linear readout + h0).

    h_t = relu(W_hh · h_{t-1} + W_ih · x_t + b)        h_0 given
    y_t = W_out · h_t + b_out

All weights are exact rationals; stepping is exact. For function approximation the input is
constant, x_t = x for every t >= 1.

>>> net = Network.from_dense(W_hh=[[0, 1], [0, 0]], W_ih=[[0], [1]], b=[0, 0],
...                          W_out=[[1, 0]], b_out=[0], h0=[0, 0])
>>> [str(y[0]) for _, _, y in net.run([fmpq(1, 2)], steps=3)]
['0', '1/2', '1/2']
>>> net.hidden_dim, net.input_dim, net.output_dim
(2, 1, 1)
>>> len(net.sha256())
64
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypedDict, Unpack

from flint import fmpq

from certify.errors import InputError
from certify.rational import ZERO, parse_number, to_string
from certify.spec.sparse import SparseMatrix

#: Activations the exact model knows. Later analyses (tanh, hardtanh) extend this table.
ACTIVATIONS = ("relu",)

#: Dimensions read from files are bounded by ``certify.rational.Limits.max_dimension`` (``certify --limit``).

class _Changes(TypedDict, total=False):
    """Fields of a :class:`Network` (its hash cache aside) that :meth:`Network.replace` changes."""

    W_hh: SparseMatrix
    W_ih: SparseMatrix
    b: tuple[fmpq, ...]
    W_out: SparseMatrix
    b_out: tuple[fmpq, ...]
    h0: tuple[fmpq, ...]
    activation: str


@dataclass(frozen=True)
class Network:
    """A single-layer Elman RNN with exact rational weights.

    A deep (stacked) RNN will be a sequence of these; other activations extend ``ACTIVATIONS``.
    """

    W_hh: SparseMatrix
    W_ih: SparseMatrix
    b: tuple[fmpq, ...]
    W_out: SparseMatrix
    b_out: tuple[fmpq, ...]
    h0: tuple[fmpq, ...]
    activation: str = "relu"
    _hash: list[str] = field(default_factory=list, compare=False, repr=False)

    def __post_init__(self) -> None:
        n = self.W_hh.shape[0]
        problems = []
        if self.W_hh.shape != (n, n):
            problems.append(f"W_hh has shape {list(self.W_hh.shape)}, expected a square matrix")
        if self.W_ih.shape[0] != n:
            problems.append(f"W_ih has {self.W_ih.shape[0]} rows, expected hidden_dim={n}")
        if len(self.b) != n:
            problems.append(f"b has length {len(self.b)}, expected hidden_dim={n}")
        if len(self.h0) != n:
            problems.append(f"h0 has length {len(self.h0)}, expected hidden_dim={n}")
        if self.W_out.shape[1] != n:
            problems.append(f"W_out has {self.W_out.shape[1]} columns, expected hidden_dim={n}")
        if len(self.b_out) != self.W_out.shape[0]:
            problems.append(f"b_out has length {len(self.b_out)}, expected output_dim={self.W_out.shape[0]}")
        if self.activation not in ACTIVATIONS:
            problems.append(f"activation={self.activation!r} is not supported (known: {', '.join(ACTIVATIONS)})")
        if problems:
            raise InputError("; ".join(problems))

    # --- shape ------------------------------------------------------------------------------------
    @property
    def hidden_dim(self) -> int:
        return self.W_hh.shape[0]

    @property
    def input_dim(self) -> int:
        return self.W_ih.shape[1]

    @property
    def output_dim(self) -> int:
        return self.W_out.shape[0]

    @staticmethod
    def from_dense(*, W_hh, W_ih, b, W_out, b_out, h0, activation: str = "relu") -> Network:  # noqa: N803
        """Convenience constructor from nested lists of numbers (ints, "p/q" strings, fmpq)."""
        return Network(
            W_hh=SparseMatrix.from_dense(W_hh),
            W_ih=SparseMatrix.from_dense(W_ih) if W_ih and W_ih[0] else SparseMatrix.zeros(len(W_hh), 0),
            b=tuple(parse_number(v) for v in b),
            W_out=SparseMatrix.from_dense(W_out),
            b_out=tuple(parse_number(v) for v in b_out),
            h0=tuple(parse_number(v) for v in h0),
            activation=activation,
        )

    # --- exact semantics -----------------------------------------------------------------------------
    def preactivation(self, h: Sequence[fmpq], x: Sequence[fmpq]) -> list[fmpq]:
        """``W_hh · h + W_ih · x + b``, exactly."""
        zh = self.W_hh.matvec(h)
        zx = self.W_ih.matvec(x) if self.input_dim else [ZERO] * self.hidden_dim
        return [a + c + d for a, c, d in zip(zh, zx, self.b, strict=True)]

    def step(self, h: Sequence[fmpq], x: Sequence[fmpq]) -> list[fmpq]:
        """One exact RNN step ``relu(W_hh h + W_ih x + b)``."""
        return [z if z > 0 else ZERO for z in self.preactivation(h, x)]

    def output(self, h: Sequence[fmpq]) -> list[fmpq]:
        """The readout ``W_out h + b_out``."""
        return [a + c for a, c in zip(self.W_out.matvec(h), self.b_out, strict=True)]

    def run(
        self, x: Sequence[fmpq], steps: int, h0: Sequence[fmpq] | None = None
    ) -> Iterator[tuple[int, list[fmpq], list[fmpq]]]:
        """Yield ``(t, h_t, y_t)`` for t = 1..steps with constant input ``x_t = x``."""
        if len(x) != self.input_dim:
            raise InputError(f"input has {len(x)} values, the network expects input_dim={self.input_dim}")
        h = list(self.h0 if h0 is None else h0)
        for t in range(1, steps + 1):
            h = self.step(h, x)
            yield t, h, self.output(h)

    # --- identity ----------------------------------------------------------------------------------
    def canonical_text(self) -> str:
        """A layout-independent text of the weights; its sha256 identifies the network."""
        lines = [f"certify.rnn/1 {self.activation} {self.hidden_dim} {self.input_dim} {self.output_dim}"]
        for name, mat in (("W_hh", self.W_hh), ("W_ih", self.W_ih), ("W_out", self.W_out)):
            lines.append(name)
            lines.extend(f"{i} {j} {to_string(v)}" for i, j, v in mat.entries())
        for name, vec in (("b", self.b), ("b_out", self.b_out), ("h0", self.h0)):
            lines.append(name)
            lines.extend(f"{i} {to_string(v)}" for i, v in enumerate(vec) if v != 0)
        return "\n".join(lines) + "\n"

    def sha256(self) -> str:
        if not self._hash:
            self._hash.append(hashlib.sha256(self.canonical_text().encode()).hexdigest())
        return self._hash[0]

    def weights(self) -> Iterator[tuple[str, fmpq]]:
        """Every nonzero weight with its name (``W_hh[3][7]``); h0 is state, not a weight."""
        for name, mat in (("W_hh", self.W_hh), ("W_ih", self.W_ih), ("W_out", self.W_out)):
            for i, j, v in mat.entries():
                yield f"{name}[{i}][{j}]", v
        for name, vec in (("b", self.b), ("b_out", self.b_out)):
            for i, v in enumerate(vec):
                if v != 0:
                    yield f"{name}[{i}]", v

    def replace(self, **changes: Unpack[_Changes]) -> Network:
        """A copy with some fields replaced (the hash is recomputed)."""
        fields = _Changes(
            W_hh=self.W_hh, W_ih=self.W_ih, b=self.b, W_out=self.W_out, b_out=self.b_out,
            h0=self.h0, activation=self.activation,
        )
        fields.update(changes)
        return Network(**fields)
