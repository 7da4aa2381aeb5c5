"""Exact symbolic propagation of an RNN over a box: the "exact affine" certifier's engine.

Each hidden unit is carried as a piecewise-linear expression (:mod:`certify.prove.pwl`) of the
obligation's variables. At every step the pre-activation is composed exactly; its ReLU is

* ``+``  the identity, when exact interval arithmetic over the box shows it is >= 0;
* ``0``  zero, when it shows it is <= 0;
* ``L``  the identity, when the pre-activation is literally a proven lemma (an expression shown
  >= 0 on the box by another obligation, e.g. an op's invariant);
* ``a``  a ReLU atom, kept symbolic (decided later by comparison or SMT).

When every unit is ``+``/``0``/``L`` the c steps compose to one exact affine map on the box.
The activation pattern is the certificate's evidence: the re-checker replays it independently.

>>> from certify.spec.network import Network
>>> from certify.rational import parse_number as q
>>> net = Network.from_dense(W_hh=[[0, 0], [1, -1]], W_ih=[[1], [1]], b=[0, 0], W_out=[[0, 1]],
...                          b_out=[0], h0=[0, 0])
>>> run = propagate(net, [{}, {}], {"x": (q(0), q(1))}, steps=2)
>>> [pwl.show(e) for e in run.h], run.pattern
(['x', 'x'], ['++', '++'])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flint import fmpq

from certify.errors import InputError
from certify.execute.layers import check_kind, fold
from certify.prove import pwl
from certify.prove.pwl import ONE, Lin
from certify.spec.activation import PIECEWISE_LINEAR, RELU_FORM
from certify.spec.network import Network


@dataclass(frozen=True)
class Propagation:
    h: list[Lin]                 # hidden state after the last step
    outputs: list[list[Lin]]     # readout after each step
    pattern: list[str]           # per step, one character per unit: + 0 L a
    lemmas_used: tuple[str, ...]


def preactivation(net: Network, h: Sequence[Lin], inputs: Sequence[Lin]) -> list[Lin]:
    """``W_hh·h + W_ih·x + b`` as exact expressions."""
    out = []
    w_ih = net.W_ih.rows
    for i, row in enumerate(net.W_hh.rows):
        e: Lin = pwl.constant(net.b[i])
        for j, w in row:
            if h[j]:
                pwl.add(e, h[j], w)
        for j, w in w_ih[i]:
            pwl.add(e, inputs[j], w)
        out.append(e)
    return out


def readout(net: Network, h: Sequence[Lin]) -> list[Lin]:
    out = []
    for i, row in enumerate(net.W_out.rows):
        e: Lin = pwl.constant(net.b_out[i])
        for j, w in row:
            if h[j]:
                pwl.add(e, h[j], w)
        out.append(e)
    return out


def propagate(
    net: Network,
    h: Sequence[Lin],
    box: Mapping[str, tuple[fmpq, fmpq]],
    steps: int,
    lemmas: Mapping[tuple, str] | None = None,
    inputs: Sequence[Lin] | None = None,
    memo: dict | None = None,
) -> Propagation:
    """Run ``steps`` steps symbolically from expressions ``h`` with input ``x`` (variable "x")."""
    lemmas = lemmas or {}
    memo = {} if memo is None else memo
    inputs = inputs if inputs is not None else [{"x": fmpq(1)}] * net.input_dim
    state = list(h)
    outputs, pattern, used = [], [], []
    for _ in range(steps):
        pre = preactivation(net, state, inputs)
        chars = []
        new: list[Lin] = []
        for e in pre:
            if not e:
                new.append({})
                chars.append("0")
                continue
            lo, hi = pwl.value_range(e, box, memo)
            if lo >= 0:
                new.append(e)
                chars.append("+")
            elif hi <= 0:
                new.append({})
                chars.append("0")
            else:
                lemma = lemmas.get(pwl.freeze(e))
                if lemma is not None:
                    new.append(e)
                    chars.append("L")
                    used.append(lemma)
                else:
                    new.append(pwl.atom(e))
                    chars.append("a")
        state = new
        pattern.append("".join(chars))
        outputs.append(readout(net, state))
    return Propagation(state, outputs, pattern, tuple(dict.fromkeys(used)))


def differences(computed: Sequence[Lin], expected: Sequence[Lin]) -> list[tuple[int, Lin]]:
    """``(index, computed - expected)`` for every position where the expressions differ."""
    out = []
    for i, (a, b) in enumerate(zip(computed, expected, strict=True)):
        if a != b:
            d = pwl.add(dict(a), b, -1)
            if d:
                out.append((i, d))
    return out


def constant_map(exprs: Sequence[Lin]) -> bool:
    """True when no expression contains a ReLU atom (the composition is one affine map)."""
    return not pwl.atoms_in(exprs)


def activate(name: str, e: Lin, box: Mapping[str, tuple[fmpq, fmpq]], memo: dict | None = None) -> Lin:
    """σ(e) for a piecewise-linear σ, through its ReLU form (:data:`~certify.spec.activation.RELU_FORM`):
    ``Σ c·relu(e − k) + a·e + d``, each ReLU decided on the box where it can be.

    >>> from certify.rational import parse_number as q
    >>> pwl.show(activate("hardtanh", {"x": q(1)}, {"x": (q(-3), q(3))}))
    'relu(x + 1) - relu(x - 1) - 1'
    >>> pwl.show(activate("satlin", {"x": q(1)}, {"x": (q(0), q("1/2"))}))
    'x'
    """
    if name not in PIECEWISE_LINEAR:
        raise InputError(f"activation {name} is not piecewise linear: the symbolic composition and the SMT "
                         "encodings need relu, hardtanh, satlin or identity")
    terms, a, d = RELU_FORM[name]
    out: Lin = pwl.add(pwl.scale(e, a), pwl.constant(fmpq(d)))
    for c, k in terms:
        arg = pwl.add(dict(e), pwl.constant(fmpq(-k)))
        pwl.add(out, pwl.relu(arg, box, memo), c)
    return out


@dataclass(frozen=True)
class NetworkRun:
    """Exact expressions of every layer's state and of y_t after each step, in the box's variables."""

    h: list[list[Lin]]
    outputs: list[list[Lin]]


def _affine(rows: Sequence[Sequence[tuple[int, fmpq]]], bias: Sequence[fmpq], v: Sequence[Lin]) -> list[Lin]:
    out = []
    for i, row in enumerate(rows):
        e: Lin = pwl.constant(bias[i])
        for j, w in row:
            if v[j]:
                pwl.add(e, v[j], w)
        out.append(e)
    return out


def propagate_network(net: Network, box: Mapping[str, tuple[fmpq, fmpq]], steps: int, kind: str = "constant",
                      inputs: Sequence[Lin] | None = None, memo: dict | None = None) -> NetworkRun:
    """Compose any piecewise-linear network (stacked layers, P, Q) exactly for ``steps`` steps over the box.

    ``inputs`` are the expressions of x (default: variables ``x0, x1, …``, which the box must range);
    ``kind`` constant (x_t = x) or impulse (x_1 = x, then 0). Every activation goes through
    :func:`activate`, so the result holds ReLU atoms only and :mod:`certify.prove.smt` encodes it.

    >>> from certify.rational import parse_number as q
    >>> from certify.spec.network import Layer
    >>> from certify.spec.sparse import SparseMatrix
    >>> net = Network(layers=(Layer.from_dense(W_hh=[[0]], W_ih=[[2]], b=[0], activation="hardtanh"),
    ...                       Layer.from_dense(W_hh=[[1]], W_ih=[[1]], b=[0], activation="identity")),
    ...               W_out=SparseMatrix.from_dense([[1]]), b_out=(q(0),))
    >>> run = propagate_network(net, {"x0": (q(0), q("1/4"))}, steps=2, kind="impulse")
    >>> [pwl.show(y[0]) for y in run.outputs]
    ['2*x0', '2*x0']
    """
    check_kind(kind, "symbolic")
    n_in = net.input_dim
    xs = list(inputs) if inputs is not None else [{f"x{k}": fmpq(1)} for k in range(n_in)]
    if len(xs) != n_in:
        raise InputError(f"{len(xs)} input expressions for input_dim={n_in}")
    zeros: list[Lin] = [{} for _ in xs]
    return propagate_sequence(net, box, [xs if kind == "constant" or t == 1 else zeros for t in range(1, steps + 1)],
                              memo)


def propagate_sequence(net: Network, box: Mapping[str, tuple[fmpq, fmpq]], inputs: Sequence[Sequence[Lin]],
                       memo: dict | None = None) -> NetworkRun:
    """Compose any piecewise-linear network exactly over a sequence input: ``inputs[t-1]`` are the expressions
    of x_t (t = 1 … len(inputs)), in variables the box ranges (a sequence over K^N: one variable per x_t[k]).

    >>> from certify.rational import parse_number as q
    >>> net = Network.from_dense(W_hh=[[1]], W_ih=[[1]], b=[0], W_out=[[1]], b_out=[0], h0=[0])
    >>> box = {"a": (q(0), q(1)), "b": (q(-1), q(1))}
    >>> [pwl.show(y[0]) for y in propagate_sequence(net, box, [[{"a": q(1)}], [{"b": q(1)}]]).outputs]
    ['a', 'relu(a + b)']
    """
    f = fold(net)
    memo = {} if memo is None else memo
    hs = [[pwl.constant(v) for v in s.h0] for s in f.stages]
    outputs = []
    for t, xs in enumerate(inputs, start=1):
        if len(xs) != f.input_dim:
            raise InputError(f"{len(xs)} input expressions at t={t} for input_dim={f.input_dim}")
        u: Sequence[Lin] = xs
        for k, s in enumerate(f.stages):
            z = _affine(s.W_hh.rows, s.b, hs[k])
            for i, row in enumerate(s.W_in.rows):
                for j, w in row:
                    if u[j]:
                        pwl.add(z[i], u[j], w)
            hs[k] = [activate(s.activation, e, box, memo) for e in z]
            u = hs[k]
        outputs.append(_affine(f.W_out.rows, f.b_out, hs[-1]))
    return NetworkRun(hs, outputs)


__all__ = ["ONE", "NetworkRun", "Propagation", "activate", "constant_map", "differences", "preactivation",
           "propagate", "propagate_network", "propagate_sequence", "readout"]
