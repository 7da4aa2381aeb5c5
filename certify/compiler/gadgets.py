"""ReLU gadgets: the exact building blocks the TMNU→RNN compiler wires together.

Every gadget is exact on its stated domain, and maps the all-zero input to 0 (all its biases are
<= 0). The second property is what lets the compiler run a single "wave" around a ring of stages
without a phase clock: stages the wave is not in hold exactly 0.

Threshold step on a stack unit q (base B = 2k, top digit 2j+1, so v = B·q lies in {0} ∪ [2j+1, 2j+2]):

    step_i(q) = relu(B·q - 2i) - relu(B·q - 2i - 1)   = [top index >= i]   (0 for the empty stack)

         1 |            ________
           |           /
         0 |__________/
           0        2i  2i+1          v = B·q      (no stack value falls in the ramp (2i, 2i+1))

AND of binary signals s_1..s_m:  relu(s_1 + ... + s_m - (m - 1)).

Gated affine map (big-M): for a binary gate g and an affine f with 0 <= f <= K on the domain
where the gate may be on, and f <= K everywhere:

    relu(f - K·(1 - g)) = g·f        exactly.

>>> from certify.rational import parse_number as q
>>> big_m(q(-2), q(3))     # f ranges over [-2, 3]: shift by L=2 so it is >= 0, then K = 5
(2, 5)
>>> big_m(q(1), q(3))
(0, 3)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flint import fmpq

from certify.rational import ZERO
from certify.spec.simulation import UnitInfo


def big_m(lo: fmpq, hi: fmpq) -> tuple[fmpq, fmpq]:
    """For an affine f with range [lo, hi]: the shift L >= 0 making f + L >= 0, and K = max(f + L, 0).

    The gated unit is ``relu(f + L - K + K·g)``; it equals ``g·(f + L)`` on the whole range.
    """
    shift = -lo if lo < 0 else ZERO
    return shift, max(hi + shift, ZERO)


@dataclass
class Row:
    """One hidden unit's row: ``relu(sum coeffs[j]·h[j] + input·x + bias)``."""

    coeffs: dict[int, fmpq] = field(default_factory=dict)
    input: fmpq = ZERO
    bias: fmpq = ZERO

    def add(self, j: int, c: fmpq | int) -> None:
        v = self.coeffs.get(j, ZERO) + c
        if v == 0:
            self.coeffs.pop(j, None)
        else:
            self.coeffs[j] = v


@dataclass
class UnitTable:
    """Units allocated so far, with their rows and initial values."""

    infos: list[UnitInfo] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    h0: list[fmpq] = field(default_factory=list)

    def add(self, stage: int, role: str, label: str, h0: fmpq = ZERO) -> int:
        self.infos.append(UnitInfo(stage, role, label))
        self.rows.append(Row())
        self.h0.append(h0)
        return len(self.infos) - 1

    def copy(self, dst: int, src: int) -> None:
        """``h[dst] = relu(h[src])`` — a relay; exact because units are >= 0."""
        self.rows[dst].add(src, 1)

    def step_pair(self, dst_lo: int, dst_hi: int, stack_unit: int, base: int, i: int) -> None:
        """The two threshold units of ``step_i``: relu(B·q - 2i) and relu(B·q - 2i - 1)."""
        self.rows[dst_lo].add(stack_unit, base)
        self.rows[dst_lo].bias = fmpq(-2 * i)
        self.rows[dst_hi].add(stack_unit, base)
        self.rows[dst_hi].bias = fmpq(-2 * i - 1)

    def gated(self, dst: int, gate_terms: dict[int, fmpq], k: fmpq) -> None:
        """Add the gate part ``- K + K·g`` to a row whose affine part is already in place (g = sum of
        ``gate_terms``, a binary signal)."""
        row = self.rows[dst]
        row.bias -= k
        for j, c in gate_terms.items():
            row.add(j, k * c)
