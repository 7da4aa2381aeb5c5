"""The exact RNN of DESIGN §2: stacked Elman layers (PyTorch ``nn.RNN``), an optional token-wise lifting P
and projection Q, a linear readout, exact rational weights.

    u_t = P · x_t                      (u_t = x_t without P)
    h¹_t = σ₁(W¹_hh · h¹_{t−1} + W¹_ih · u_t + b¹)
    hˡ_t = σₗ(Wˡ_hh · hˡ_{t−1} + Wˡ_ih · hˡ⁻¹_t + bˡ)      layer ℓ reads layer ℓ−1 at the same t
    s_t = Q · hᴸ_t                     (s_t = hᴸ_t without Q)
    y_t = W_out · s_t + b_out          h⁰ of each layer given

The state of the network is the concatenation of its layers' states (``state_dim`` values); its
width is the largest layer. Stepping is exact for the piecewise-linear activations
(:mod:`certify.spec.activation`). A one-layer ReLU network without P and Q is the network of
``certify.rnn/1`` files; its fields are reachable as ``net.W_hh`` … as before.

>>> net = Network.from_dense(W_hh=[[0, 1], [0, 0]], W_ih=[[0], [1]], b=[0, 0],
...                          W_out=[[1, 0]], b_out=[0], h0=[0, 0])
>>> [str(y[0]) for _, _, y in net.run([fmpq(1, 2)], steps=3)]
['0', '1/2', '1/2']
>>> net.hidden_dim, net.input_dim, net.output_dim, net.width, net.depth
(2, 1, 1, 2, 1)
>>> deep = Network(layers=(Layer.from_dense(W_hh=[[1]], W_ih=[[1]], b=[0], h0=[0], activation="hardtanh"),
...                        Layer.from_dense(W_hh=[[0]], W_ih=[[2]], b=[0], h0=[0])),
...                W_out=SparseMatrix.from_dense([[1]]), b_out=(fmpq(0),))
>>> [str(y[0]) for _, _, y in deep.run([fmpq(1, 2)], steps=3)]
['1', '2', '2']
>>> [str(y[0]) for _, _, y in deep.run([fmpq(1, 2)], steps=3, kind="impulse")]
['1', '1', '1']
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypedDict, Unpack

from flint import fmpq

from certify.errors import InputError
from certify.rational import ZERO, parse_number, to_string
from certify.spec import activation as act
from certify.spec.activation import ACTIVATIONS
from certify.spec.sparse import SparseMatrix

__all__ = ["ACTIVATIONS", "CELLS", "INPUT_KINDS", "Layer", "Network", "NotSingleLayer", "input_at"]

#: The cells a layer may be: Elman h_t = σ(z_t), or residual h_t = h_{t−1} + dt·σ(z_t) (forward Euler of
#: dh/dt = σ(W h + U x + b), the continuous-time RNN of Wang–Li–Li; ``docs/memory.md``).
CELLS = ("elman", "residual")

#: How the input x drives the network: x_t = x for all t (constant), x_1 = x and 0 after (impulse),
#: or an explicit sequence x_1, x_2, … (sequence).
INPUT_KINDS = ("constant", "impulse", "sequence")


class NotSingleLayer(InputError):
    """An analysis that needs one ReLU layer without P and Q was asked of another network."""


def input_at(kind: str, x: Sequence[fmpq], t: int) -> Sequence[fmpq]:
    """x_t for input convention ``kind`` (t ≥ 1) when the run's input is x (a sequence is given step by step).

    >>> [[str(v) for v in input_at("impulse", [fmpq(3)], t)] for t in (1, 2)]
    [['3'], ['0']]
    """
    if kind == "constant" or (kind == "impulse" and t == 1):
        return x
    if kind == "impulse":
        return [ZERO] * len(x)
    raise InputError(f"input.kind={kind!r}: a sequence input gives x_t for every t (use run_sequence)")


def _vector(v: Iterable[object]) -> tuple[fmpq, ...]:
    return tuple(parse_number(x) for x in v)


@dataclass(frozen=True)
class Layer:
    """One layer with its initial state h0: Elman h_t = σ(z_t), or residual h_t = h_{t−1} + dt·σ(z_t),
    where z_t = W_hh h_{t−1} + W_ih u_t + b.

    >>> res = Layer.from_dense(W_hh=[["-1/2"]], W_ih=[[1]], b=[0], activation="identity", cell="residual", dt="1/10")
    >>> [str(v) for v in res.step([fmpq(1)], [fmpq(1)])], res.kind
    (['21/20'], 'residual identity dt=1/10')
    >>> Layer.from_dense(W_hh=[[0]], W_ih=[[1]], b=[0], dt="1/10")
    Traceback (most recent call last):
    ...
    certify.errors.InputError: dt=1/10 is the step of a residual cell; cell='elman' has none (write "cell": "residual")
    """

    W_hh: SparseMatrix
    W_ih: SparseMatrix
    b: tuple[fmpq, ...]
    h0: tuple[fmpq, ...]
    activation: str = "relu"
    cell: str = "elman"
    dt: fmpq | None = None

    def __post_init__(self) -> None:
        problems = self.problems("")
        if problems:
            raise InputError("; ".join(problems))

    def problems(self, where: str) -> list[str]:
        n, out = self.W_hh.shape[0], []
        if self.W_hh.shape != (n, n):
            out.append(f"{where}W_hh has shape {list(self.W_hh.shape)}, expected a square matrix")
        if self.W_ih.shape[0] != n:
            out.append(f"{where}W_ih has {self.W_ih.shape[0]} rows, expected hidden_dim={n}")
        if len(self.b) != n:
            out.append(f"{where}b has length {len(self.b)}, expected hidden_dim={n}")
        if len(self.h0) != n:
            out.append(f"{where}h0 has length {len(self.h0)}, expected hidden_dim={n}")
        if self.activation not in ACTIVATIONS:
            out.append(f"{where}activation={self.activation!r} is not supported (known: {', '.join(ACTIVATIONS)})")
        if self.cell not in CELLS:
            out.append(f"{where}cell={self.cell!r} is not supported (known: {', '.join(CELLS)})")
        elif self.cell == "residual" and self.dt is None:
            out.append(f'{where}cell=\'residual\' needs its step "dt" (h_t = h_{{t-1}} + dt·σ(z_t)), e.g. "dt": "1/10"')
        elif self.cell == "residual" and self.dt is not None and not self.dt > 0:
            out.append(f"{where}dt={to_string(self.dt)} must be positive")
        elif self.cell != "residual" and self.dt is not None:
            out.append(f"{where}dt={to_string(self.dt)} is the step of a residual cell; cell={self.cell!r} has none "
                       '(write "cell": "residual")')
        return out

    @property
    def residual(self) -> bool:
        return self.cell == "residual"

    @property
    def kind(self) -> str:
        """``relu``, or ``residual tanh dt=1/10``: the cell in words (without its width)."""
        return f"residual {self.activation} dt={to_string(self.dt)}" if self.dt is not None else self.activation

    @property
    def hidden_dim(self) -> int:
        return self.W_hh.shape[0]

    @property
    def input_dim(self) -> int:
        return self.W_ih.shape[1]

    @staticmethod
    def from_dense(*, W_hh, W_ih, b, h0=None, activation: str = "relu", cell: str = "elman",  # noqa: N803
                   dt: object = None) -> Layer:
        """A layer from nested lists of numbers (ints, "p/q" strings, fmpq); h0 defaults to 0."""
        n = len(W_hh)
        return Layer(W_hh=SparseMatrix.from_dense(W_hh),
                     W_ih=SparseMatrix.from_dense(W_ih) if W_ih and W_ih[0] else SparseMatrix.zeros(n, 0),
                     b=_vector(b), h0=_vector(h0) if h0 is not None else (ZERO,) * n, activation=activation,
                     cell=cell, dt=None if dt is None else parse_number(dt, where="dt"))

    def preactivation(self, h: Sequence[fmpq], u: Sequence[fmpq]) -> list[fmpq]:
        """``W_hh · h + W_ih · u + b``, exactly."""
        zh = self.W_hh.matvec(h)
        zu = self.W_ih.matvec(u) if self.input_dim else [ZERO] * self.hidden_dim
        return [a + c + d for a, c, d in zip(zh, zu, self.b, strict=True)]

    def step(self, h: Sequence[fmpq], u: Sequence[fmpq]) -> list[fmpq]:
        """One exact step (:class:`~certify.spec.activation.NotExact` for tanh and sigmoid)."""
        name = self.activation
        if self.dt is not None:
            dt = self.dt
            return [hi + dt * act.exact(name, z) for hi, z in zip(h, self.preactivation(h, u), strict=True)]
        if name == "relu":  # the hot path of every TMNU simulation
            return [z if z > 0 else ZERO for z in self.preactivation(h, u)]
        return [act.exact(name, z) for z in self.preactivation(h, u)]


class _Changes(TypedDict, total=False):
    """Fields of a one-layer :class:`Network` that :meth:`Network.replace` changes."""

    W_hh: SparseMatrix
    W_ih: SparseMatrix
    b: tuple[fmpq, ...]
    W_out: SparseMatrix
    b_out: tuple[fmpq, ...]
    h0: tuple[fmpq, ...]
    activation: str
    cell: str
    dt: fmpq | None


@dataclass(frozen=True)
class Network:
    """Stacked Elman layers with exact rational weights, lifting P, projection Q and a linear readout."""

    layers: tuple[Layer, ...]
    W_out: SparseMatrix
    b_out: tuple[fmpq, ...]
    P: SparseMatrix | None = None
    Q: SparseMatrix | None = None
    _hash: list[str] = field(default_factory=list, compare=False, repr=False)

    def __post_init__(self) -> None:
        problems = []
        if not self.layers:
            problems.append("a network needs at least one layer")
        for k, layer in enumerate(self.layers):
            if k and layer.input_dim != self.layers[k - 1].hidden_dim:
                problems.append(f"layers[{k}].W_ih has {layer.input_dim} columns, expected the hidden_dim "
                                f"{self.layers[k - 1].hidden_dim} of layers[{k - 1}]")
        if self.layers and self.P is not None and self.P.shape[0] != self.layers[0].input_dim:
            problems.append(f"P has {self.P.shape[0]} rows, expected the input_dim {self.layers[0].input_dim} "
                            "of layers[0]")
        last = self.layers[-1].hidden_dim if self.layers else 0
        if self.Q is not None and self.Q.shape[1] != last:
            problems.append(f"Q has {self.Q.shape[1]} columns, expected the hidden_dim {last} of the last layer")
        readin = self.Q.shape[0] if self.Q is not None else last
        if self.W_out.shape[1] != readin:
            problems.append(f"W_out has {self.W_out.shape[1]} columns, expected {readin}"
                            + (" (the rows of Q)" if self.Q is not None else " (hidden_dim)"))
        if len(self.b_out) != self.W_out.shape[0]:
            problems.append(f"b_out has length {len(self.b_out)}, expected output_dim={self.W_out.shape[0]}")
        if problems:
            raise InputError("; ".join(problems))

    # --- shape ------------------------------------------------------------------------------------
    @property
    def depth(self) -> int:
        return len(self.layers)

    @property
    def state_dim(self) -> int:
        """Values in the whole state: the layers' states concatenated."""
        return sum(layer.hidden_dim for layer in self.layers)

    @property
    def hidden_dim(self) -> int:
        """The state's length (one layer: its hidden dimension); :attr:`width` is the largest layer."""
        return self.state_dim

    @property
    def width(self) -> int:
        return max(layer.hidden_dim for layer in self.layers)

    @property
    def input_dim(self) -> int:
        return self.P.shape[1] if self.P is not None else self.layers[0].input_dim

    @property
    def output_dim(self) -> int:
        return self.W_out.shape[0]

    @property
    def activations(self) -> tuple[str, ...]:
        return tuple(layer.activation for layer in self.layers)

    @property
    def is_piecewise_linear(self) -> bool:
        return all(act.is_piecewise_linear(a) for a in self.activations)

    @property
    def is_single_relu(self) -> bool:
        """One ReLU layer without P and Q: the network every TMNU analysis is about."""
        return (self.depth == 1 and self.P is None and self.Q is None and self.layers[0].activation == "relu"
                and self.layers[0].cell == "elman")

    @property
    def has_residual(self) -> bool:
        return any(layer.residual for layer in self.layers)

    def require_elman(self, what: str) -> None:
        """Nothing when every layer is an Elman cell, else an error saying that ``what`` does not run residual cells."""
        for k, layer in enumerate(self.layers):
            if layer.dt is not None:
                raise InputError(f"layers[{k}].cell='residual' (dt={to_string(layer.dt)}): {what}: Elman cells only "
                                 "(certify memory, certify stability, exact runs and certify run --backend arb take "
                                 "residual cells)")

    def require_single_relu(self, what: str) -> Layer:
        """The one layer, or an error saying that ``what`` needs a one-layer ReLU network."""
        if not self.is_single_relu:
            raise NotSingleLayer(f"{what} needs a one-layer ReLU network without P and Q; this one is "
                                 f"{self.describe()}")
        return self.layers[0]

    def describe(self) -> str:
        """``2 layers (tanh 8, relu 4), P 1→3, Q 4→2``: shape in words.

        >>> Network.from_dense(W_hh=[[0]], W_ih=[[1]], b=[0], W_out=[[1]], b_out=[0], h0=[0]).describe()
        '1 layer (relu 1)'
        >>> Network.from_dense(W_hh=[[0]], W_ih=[[1]], b=[0], W_out=[[1]], b_out=[0], h0=[0], activation="tanh",
        ...                    cell="residual", dt="1/10").describe()
        '1 layer (residual tanh dt=1/10 1)'
        """
        parts = [f"{self.depth} layer{'s' if self.depth > 1 else ''} ("
                 + ", ".join(f"{layer.kind} {layer.hidden_dim}" for layer in self.layers) + ")"]
        if self.P is not None:
            parts.append(f"P {self.P.shape[1]}→{self.P.shape[0]}")
        if self.Q is not None:
            parts.append(f"Q {self.Q.shape[1]}→{self.Q.shape[0]}")
        return ", ".join(parts)

    # --- the one-layer view (certify.rnn/1) ----------------------------------------------------------
    def _single(self) -> Layer:
        if self.depth != 1 or self.P is not None or self.Q is not None or self.layers[0].residual:
            raise NotSingleLayer(f"this analysis reads one Elman layer's weights, and the network is {self.describe()}")
        return self.layers[0]

    @property
    def W_hh(self) -> SparseMatrix:  # noqa: N802
        return self._single().W_hh

    @property
    def W_ih(self) -> SparseMatrix:  # noqa: N802
        return self._single().W_ih

    @property
    def b(self) -> tuple[fmpq, ...]:
        return self._single().b

    @property
    def h0(self) -> tuple[fmpq, ...]:
        """The initial state (every layer's h0, concatenated)."""
        return tuple(v for layer in self.layers for v in layer.h0)

    @property
    def activation(self) -> str:
        """The activation when every layer has the same one, else ``"mixed"``."""
        names = set(self.activations)
        return names.pop() if len(names) == 1 else "mixed"

    @staticmethod
    def from_dense(*, W_hh, W_ih, b, W_out, b_out, h0, activation: str = "relu", cell: str = "elman",  # noqa: N803
                   dt: object = None) -> Network:
        """A one-layer network from nested lists of numbers (ints, "p/q" strings, fmpq)."""
        return Network(layers=(Layer.from_dense(W_hh=W_hh, W_ih=W_ih, b=b, h0=h0, activation=activation, cell=cell,
                                                dt=dt),),
                       W_out=SparseMatrix.from_dense(W_out), b_out=_vector(b_out))

    @staticmethod
    def single(*, W_hh: SparseMatrix, W_ih: SparseMatrix, b: tuple[fmpq, ...], W_out: SparseMatrix,  # noqa: N803
               b_out: tuple[fmpq, ...], h0: tuple[fmpq, ...], activation: str = "relu", cell: str = "elman",
               dt: fmpq | None = None) -> Network:
        """The one-layer network of these weights (the fields of a ``certify.rnn/1`` file)."""
        return Network(layers=(Layer(W_hh=W_hh, W_ih=W_ih, b=b, h0=h0, activation=activation, cell=cell, dt=dt),),
                       W_out=W_out, b_out=b_out)

    # --- exact semantics -----------------------------------------------------------------------------
    def lift(self, x: Sequence[fmpq]) -> Sequence[fmpq]:
        """u_t = P x_t (x_t itself without P)."""
        if len(x) != self.input_dim:
            raise InputError(f"the input has {len(x)} values, the network expects input_dim={self.input_dim}")
        return self.P.matvec(x) if self.P is not None else x

    def split(self, h: Sequence[fmpq]) -> list[Sequence[fmpq]]:
        """The whole state cut into the layers' states."""
        out, k = [], 0
        for layer in self.layers:
            out.append(h[k:k + layer.hidden_dim])
            k += layer.hidden_dim
        return out

    def preactivation(self, h: Sequence[fmpq], x: Sequence[fmpq]) -> list[fmpq]:
        """One layer: ``W_hh · h + W_ih · x + b``, exactly."""
        return self._single().preactivation(h, x)

    def step(self, h: Sequence[fmpq], x: Sequence[fmpq]) -> list[fmpq]:
        """One exact step of the whole state on input x_t."""
        u: Sequence[fmpq] = self.lift(x)
        out: list[fmpq] = []
        for layer, hl in zip(self.layers, self.split(h), strict=True):
            u = layer.step(hl, u)
            out.extend(u)
        return out

    def output(self, h: Sequence[fmpq]) -> list[fmpq]:
        """The readout ``W_out · Q · hᴸ + b_out``."""
        last: Sequence[fmpq] = h[len(h) - self.layers[-1].hidden_dim:]
        s = self.Q.matvec(last) if self.Q is not None else last
        return [a + c for a, c in zip(self.W_out.matvec(s), self.b_out, strict=True)]

    def run(self, x: Sequence[fmpq], steps: int, h0: Sequence[fmpq] | None = None,
            kind: str = "constant") -> Iterator[tuple[int, list[fmpq], list[fmpq]]]:
        """Yield ``(t, h_t, y_t)`` for t = 1..steps, driven by x under input convention ``kind``."""
        if len(x) != self.input_dim:
            raise InputError(f"the input has {len(x)} values, the network expects input_dim={self.input_dim}")
        return self.run_sequence((input_at(kind, x, t) for t in range(1, steps + 1)), h0)

    def run_sequence(self, xs: Iterable[Sequence[fmpq]],
                     h0: Sequence[fmpq] | None = None) -> Iterator[tuple[int, list[fmpq], list[fmpq]]]:
        """Yield ``(t, h_t, y_t)`` for the inputs x_1, x_2, … in turn."""
        h = list(self.h0 if h0 is None else h0)
        for t, x in enumerate(xs, start=1):
            h = self.step(h, x)
            yield t, h, self.output(h)

    # --- identity ----------------------------------------------------------------------------------
    def canonical_text(self) -> str:
        """A layout-independent text of the weights; its sha256 identifies the network.

        A one-layer ReLU network without P and Q keeps the ``certify.rnn/1`` text (committed
        certificates stay valid); every other network is written as ``certify.rnn/2`` layers.
        """
        if self.is_single_relu:
            layer = self.layers[0]
            lines = [f"certify.rnn/1 relu {self.hidden_dim} {self.input_dim} {self.output_dim}"]
            _matrices(lines, (("W_hh", layer.W_hh), ("W_ih", layer.W_ih), ("W_out", self.W_out)))
            _vectors(lines, (("b", layer.b), ("b_out", self.b_out), ("h0", layer.h0)))
            return "\n".join(lines) + "\n"
        lines = [f"certify.rnn/2 layers {self.depth} input {self.input_dim} output {self.output_dim}"]
        for k, layer in enumerate(self.layers):
            # an Elman layer keeps the text it had before residual cells (committed certificates stay valid)
            cell = f" residual {to_string(layer.dt)}" if layer.dt is not None else ""
            lines.append(f"layer {k} {layer.activation} {layer.hidden_dim} {layer.input_dim}{cell}")
            _matrices(lines, (("W_hh", layer.W_hh), ("W_ih", layer.W_ih)))
            _vectors(lines, (("b", layer.b), ("h0", layer.h0)))
        for name, mat in (("P", self.P), ("Q", self.Q)):
            if mat is not None:
                lines.append(f"{name} {mat.shape[0]} {mat.shape[1]}")
                _matrices(lines, ((name, mat),))
        _matrices(lines, (("W_out", self.W_out),))
        _vectors(lines, (("b_out", self.b_out),))
        return "\n".join(lines) + "\n"

    def sha256(self) -> str:
        if not self._hash:
            self._hash.append(hashlib.sha256(self.canonical_text().encode()).hexdigest())
        return self._hash[0]

    def weights(self) -> Iterator[tuple[str, fmpq]]:
        """Every nonzero weight with its name (``W_hh[3][7]``, ``layers[1].W_ih[0][2]``); h0 is state."""
        for k, layer in enumerate(self.layers):
            pre = f"layers[{k}]." if self.depth > 1 else ""
            for name, mat in (("W_hh", layer.W_hh), ("W_ih", layer.W_ih)):
                for i, j, v in mat.entries():
                    yield f"{pre}{name}[{i}][{j}]", v
            for i, v in enumerate(layer.b):
                if v != 0:
                    yield f"{pre}b[{i}]", v
        for name, opt in (("P", self.P), ("Q", self.Q), ("W_out", self.W_out)):
            if opt is not None:
                for i, j, v in opt.entries():
                    yield f"{name}[{i}][{j}]", v
        for i, v in enumerate(self.b_out):
            if v != 0:
                yield f"b_out[{i}]", v

    def replace(self, **changes: Unpack[_Changes]) -> Network:
        """A copy of a one-layer network with some fields replaced (the hash is recomputed)."""
        layer = self._single()
        fields = _Changes(W_hh=layer.W_hh, W_ih=layer.W_ih, b=layer.b, W_out=self.W_out, b_out=self.b_out,
                          h0=layer.h0, activation=layer.activation, cell=layer.cell, dt=layer.dt)
        fields.update(changes)
        return Network.single(**fields)


def _matrices(lines: list[str], mats: Iterable[tuple[str, SparseMatrix]]) -> None:
    for name, mat in mats:
        lines.append(name)
        lines.extend(f"{i} {j} {to_string(v)}" for i, j, v in mat.entries())


def _vectors(lines: list[str], vecs: Iterable[tuple[str, tuple[fmpq, ...]]]) -> None:
    for name, vec in vecs:
        lines.append(name)
        lines.extend(f"{i} {to_string(v)}" for i, v in enumerate(vec) if v != 0)
