"""What a weight file holds: the network, how it is driven, the simulation it claims, and its claims.

Every layer reads these; the readers and writers of each file format (:mod:`certify.spec.io`) make them.

>>> InputSpec().kind, [str(v) for v in InputSpec().domain]
('constant', ['-1', '1'])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flint import fmpq

from certify.rational import ONE
from certify.spec.network import Network
from certify.spec.simulation import SimulationMap
from certify.tmnu.program import Program


@dataclass(frozen=True)
class InputSpec:
    """How the network is driven: ``constant`` means x_t = x for every t >= 1, x in ``domain``."""

    kind: str = "constant"
    domain: tuple[fmpq, fmpq] = (-ONE, ONE)


@dataclass(frozen=True)
class Simulation:
    """The TMNU program a network claims to simulate, and the map that says how."""

    program: Program
    map: SimulationMap


@dataclass(frozen=True)
class RnnFile:
    """Everything in a weight file. ``claims`` stays JSON-shaped; the bounds modules read it."""

    network: Network
    name: str = ""
    input: InputSpec = InputSpec()
    simulation: Simulation | None = None
    claims: dict[str, Any] = field(default_factory=dict)
    source: str = ""
