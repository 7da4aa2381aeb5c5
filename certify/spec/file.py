"""What a weight file holds: the network, how it is driven, the simulation it claims, and its claims.

Every layer reads these; the readers and writers of each file format (:mod:`certify.spec.io`) make them.

>>> InputSpec().kind, [str(v) for v in InputSpec().domain]
('constant', ['-1', '1'])
>>> spec = InputSpec("impulse", ((fmpq(-2), fmpq(2)), (fmpq(0), fmpq(1))))
>>> spec.dim, spec.describe()
(2, 'impulse: x_1 = x, x_t = 0 for t >= 2; x in [-2, 2] x [0, 1]')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flint import fmpq

from certify.errors import InputError
from certify.rational import ONE, to_string
from certify.spec.network import INPUT_KINDS, Network
from certify.spec.simulation import SimulationMap
from certify.tmnu.program import Program

#: What each input convention means, in words.
MEANING = {
    "constant": "x_t = x for every t >= 1",
    "impulse": "x_1 = x, x_t = 0 for t >= 2",
    "sequence": "x_1, x_2, ... given step by step",
}


@dataclass(frozen=True)
class InputSpec:
    """How the network is driven (``kind``, one of :data:`~certify.spec.network.INPUT_KINDS`) and where x lies.

    ``domains`` holds one interval per input dimension; a single interval is shared by every dimension
    (the ``certify.rnn/1`` form). ``length`` is N of a sequence domain K^N (None: any length).
    """

    kind: str = "constant"
    domains: tuple[tuple[fmpq, fmpq], ...] = ((-ONE, ONE),)
    length: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in INPUT_KINDS:
            raise InputError(f"input.kind={self.kind!r} is not supported (known: {', '.join(INPUT_KINDS)})")
        for k, (lo, hi) in enumerate(self.domains):
            if not lo <= hi:
                raise InputError(f"input.domain[{k}]=[{lo}, {hi}] is empty")

    @property
    def dim(self) -> int:
        return len(self.domains)

    @property
    def domain(self) -> tuple[fmpq, fmpq]:
        """The one interval every input dimension shares (the one-dimensional analyses read this)."""
        if len(set(self.domains)) != 1:
            raise InputError("this analysis needs one input interval, and input.domain gives one per dimension: "
                             + self.describe_domain())
        return self.domains[0]

    def domain_of(self, k: int) -> tuple[fmpq, fmpq]:
        """The interval of input dimension ``k`` (a shared interval serves every dimension)."""
        return self.domains[0] if len(self.domains) == 1 else self.domains[k]

    def fits(self, input_dim: int) -> list[str]:
        """What is wrong with this spec for a network of ``input_dim`` inputs (nothing: [])."""
        if len(self.domains) not in (1, input_dim):
            return [f"input.domain lists {len(self.domains)} intervals, and the network has input_dim={input_dim}"]
        return []

    def describe_domain(self) -> str:
        return " x ".join(f"[{to_string(lo)}, {to_string(hi)}]" for lo, hi in self.domains)

    def describe(self) -> str:
        return f"{self.kind}: {MEANING[self.kind]}; x in {self.describe_domain()}" + (
            f", N = {self.length}" if self.length is not None else "")

    @property
    def is_v1(self) -> bool:
        """Expressible in a ``certify.rnn/1`` file (constant input, one shared interval)."""
        return self.kind == "constant" and len(self.domains) == 1 and self.length is None


@dataclass(frozen=True)
class Simulation:
    """The TMNU program a network claims to simulate, and the map that says how."""

    program: Program
    map: SimulationMap


@dataclass(frozen=True)
class RnnFile:
    """Everything in a weight file. ``claims`` stays JSON-shaped; the bounds modules read it.

    ``notes`` say where a reader took what the file does not record (the activation of a state dict, an
    input convention, an identity readout); ``certify info`` shows them. They are not content.
    """

    network: Network
    name: str = ""
    input: InputSpec = InputSpec()
    simulation: Simulation | None = None
    claims: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    notes: tuple[str, ...] = field(default=(), compare=False)
