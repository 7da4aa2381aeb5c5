"""A small builder for hand-made one-layer ReLU RNNs: units are named, each defined as relu of a linear form
of the previous step's units, the input x_t and a constant; *virtual* quantities are linear forms of units
(what a readout or another unit may use). Written by hand because a construction is a few dozen units, and
a named form keeps each one readable next to the lemma it implements.

>>> b = UnitBuilder()
>>> b.unit("acc", {"acc": 1}, x=1)                  # acc_t = relu(acc_{t-1} + x_t)
>>> b.unit("half", {"acc": fmpq(1, 2)})
>>> net = b.network(readout={"acc": 1, "half": -1})
>>> [str(y[0]) for _, _, y in net.run([fmpq(1)], 3)]
['1', '3/2', '2']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flint import fmpq

from certify.errors import InputError
from certify.spec.network import Network

#: The constant's key in a linear form.
ONE = "1"

Form = Mapping[str, fmpq | int]


def plus(*forms: Form, scale: fmpq | int = 1) -> dict[str, fmpq]:
    """The sum of linear forms, times ``scale``.

    >>> {k: str(v) for k, v in plus({"a": 1}, {"a": 1, ONE: 2}, scale=fmpq(1, 2)).items()}
    {'a': '1', '1': '1'}
    """
    out: dict[str, fmpq] = {}
    for f in forms:
        for k, v in f.items():
            out[k] = out.get(k, fmpq(0)) + fmpq(v) * scale
    return {k: v for k, v in out.items() if v != 0}


@dataclass
class UnitBuilder:
    """Units in the order they are declared; ``unit`` may name units declared later (the state is one vector)."""

    names: list[str] = field(default_factory=list)
    forms: dict[str, dict[str, fmpq]] = field(default_factory=dict)
    inputs: dict[str, fmpq] = field(default_factory=dict)
    h0: dict[str, fmpq] = field(default_factory=dict)

    def unit(self, name: str, form: Form, x: fmpq | int = 0, h0: fmpq | int = 0) -> None:
        """``name_t = relu(form(h_{t-1}) + x·x_t)`` (a constant under the key ``"1"``), initial value ``h0``."""
        if name in self.forms or name == ONE:
            raise InputError(f"unit {name!r} is declared twice")
        self.names.append(name)
        self.forms[name] = plus(form)
        self.inputs[name] = fmpq(x)
        self.h0[name] = fmpq(h0)

    def network(self, readout: Form) -> Network:
        """The network with the readout ``y = readout(h_t)`` (a constant under ``"1"``)."""
        index = {n: i for i, n in enumerate(self.names)}
        named: list[tuple[str, Form]] = [*self.forms.items(), ("readout", readout)]
        for name, form in named:
            for k in form:
                if k != ONE and k not in index:
                    raise InputError(f"{name} reads {k!r}, which is not a unit")
        n = len(self.names)
        W = [[fmpq(0)] * n for _ in range(n)]
        b = [fmpq(0)] * n
        for name, form in self.forms.items():
            for k, v in form.items():
                if k == ONE:
                    b[index[name]] = v
                else:
                    W[index[name]][index[k]] = v
        out = [fmpq(0)] * n
        for k, v in plus(readout).items():
            if k != ONE:
                out[index[k]] = v
        return Network.from_dense(W_hh=W, W_ih=[[self.inputs[m]] for m in self.names], b=b, W_out=[out],
                                  b_out=[plus(readout).get(ONE, fmpq(0))], h0=[self.h0[m] for m in self.names])
