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

from certify.prove import pwl
from certify.prove.pwl import ONE, Lin
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


__all__ = ["ONE", "Propagation", "constant_map", "differences", "preactivation", "propagate", "readout"]
