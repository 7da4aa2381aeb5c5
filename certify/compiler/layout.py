"""The simulation map: how a TMNU configuration is encoded in the hidden state h, and back.

Encoding at RNN steps t = t0 + c·n (DESIGN §4; ``docs/tmnu.md`` has the full picture):

* control state q: one-hot units, ``h[control[q]] = 1``;
* stack S with alphabet a_0..a_{k-1}: one unit holding the Cantor-like base-2k fraction
  ``sum_i d(s_i) / (2k)^i`` of its content s_1 s_2 ... (top first), digit d(a_j) = 2j + 1;
* register r with bounds [lo, hi]: one unit holding ``r + offset`` with offset = -lo (so it is >= 0);
* every other unit is 0.

>>> enc = StackEncoding("A", unit=0, base=4, digits=(("0", 1), ("1", 3)))
>>> enc.encode(("1", "0", "1", "1"))
223/256
>>> enc.decode(enc.encode(("1", "0", "1", "1")))
('1', '0', '1', '1')
>>> enc.top_interval("1")
(3/4, 1)
>>> enc.top_interval(None)
(0, 0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flint import fmpq, fmpz

from certify.errors import InputError
from certify.jsonio import array, field, integer, number, string
from certify.rational import ONE, ZERO, to_json
from certify.tmnu.program import Config, Program, Stack

#: Longest stack content ``decode`` will unpack before it gives up.
MAX_DECODE_SYMBOLS = 10_000_000

ROLES = ("prologue", "control", "stack", "register", "threshold", "case", "gate", "op", "copy")


@dataclass(frozen=True)
class StackEncoding:
    stack: str
    unit: int
    base: int
    digits: tuple[tuple[str, int], ...]  # symbol -> odd digit

    @staticmethod
    def for_stack(stack: Stack, unit: int) -> StackEncoding:
        return StackEncoding(stack.name, unit, 2 * len(stack.alphabet),
                             tuple((s, 2 * i + 1) for i, s in enumerate(stack.alphabet)))

    def digit(self, symbol: str) -> int:
        return dict(self.digits)[symbol]

    def encode(self, content: Sequence[str]) -> fmpq:
        """``sum_i d(s_i) / base^i`` with s_1 the top (Horner from the bottom, exact)."""
        d = dict(self.digits)
        v = ZERO
        base = fmpq(self.base)
        for s in reversed(content):
            v = (v + d[s]) / base
        return v

    def decode(self, value: fmpq) -> tuple[str, ...]:
        """The content whose encoding is exactly ``value``; raises if there is none."""
        sym = {d: s for s, d in self.digits}
        out: list[str] = []
        v = value
        den, base = v.q, fmpz(self.base)
        while (g := den.gcd(base)) > 1:  # a finite content has a denominator dividing a power of the base
            den //= g
        if den != 1:
            raise InputError(f"unit {self.unit} holds {value}, not an encoding of stack {self.stack!r}")
        while v != 0:
            if len(out) >= MAX_DECODE_SYMBOLS or not ZERO < v < ONE:
                raise InputError(f"unit {self.unit} holds {value}, not an encoding of stack {self.stack!r}")
            v = v * self.base
            d = int(v.floor())
            if d not in sym:
                raise InputError(f"unit {self.unit} holds {value}, not an encoding of stack {self.stack!r}")
            out.append(sym[d])
            v -= d
        return tuple(out)

    def top_interval(self, symbol: str | None) -> tuple[fmpq, fmpq]:
        """The closed interval holding the encodings of every content with this top (None: empty)."""
        if symbol is None:
            return ZERO, ZERO
        d = self.digit(symbol)
        return fmpq(d, self.base), fmpq(d + 1, self.base)


@dataclass(frozen=True)
class RegisterEncoding:
    register: str
    unit: int
    offset: fmpq  # h = r + offset

    def encode(self, r: fmpq) -> fmpq:
        return r + self.offset


@dataclass(frozen=True)
class UnitInfo:
    """What one hidden unit is for: its pipeline stage (-1 for the prologue), role and label."""

    stage: int
    role: str
    label: str


@dataclass(frozen=True)
class SimulationMap:
    """How the RNN's hidden state encodes TMNU configurations, and its timing.

    ``h_{t0 + c·n} = encode(config_n)`` for every n >= 0 and every input x in [-1, 1].
    """

    c: int
    t0: int
    control: tuple[tuple[str, int], ...]
    stacks: tuple[StackEncoding, ...]
    registers: tuple[RegisterEncoding, ...]
    units: tuple[UnitInfo, ...]

    @property
    def hidden_dim(self) -> int:
        return len(self.units)

    def control_unit(self, state: str) -> int:
        return dict(self.control)[state]

    def register_encoding(self, name: str) -> RegisterEncoding:
        return next(r for r in self.registers if r.register == name)

    def stack_encoding(self, name: str) -> StackEncoding:
        return next(s for s in self.stacks if s.stack == name)

    def encoded_units(self) -> set[int]:
        """Units that are nonzero in some encoding; all others are 0 at step boundaries."""
        return {u for _, u in self.control} | {s.unit for s in self.stacks} | {r.unit for r in self.registers}

    def encode(self, program: Program, config: Config) -> list[fmpq]:
        """The hidden state that encodes ``config`` (exact)."""
        h = [ZERO] * self.hidden_dim
        h[self.control_unit(config.state)] = ONE
        for enc, content in zip(self.stacks, config.stacks, strict=True):
            h[enc.unit] = enc.encode(content)
        for enc, value in zip(self.registers, config.registers, strict=True):
            h[enc.unit] = enc.encode(value)
        return h

    def decode(self, program: Program, h: Sequence[fmpq]) -> Config:
        """The configuration ``h`` encodes; raises :class:`InputError` if ``h`` is not an encoding."""
        on = [q for q, u in self.control if h[u] == ONE]
        if len(on) != 1 or any(h[u] not in (ZERO, ONE) for _, u in self.control):
            raise InputError("hidden state does not encode one control state: "
                             + ", ".join(f"{q}={h[u]}" for q, u in self.control))
        stray = [i for i in range(self.hidden_dim) if h[i] != 0 and i not in self.encoded_units()]
        if stray:
            i = stray[0]
            raise InputError(f"unit {i} ({self.units[i].label}) = {h[i]} should be 0 at a step boundary")
        stacks = tuple(enc.decode(h[enc.unit]) for enc in self.stacks)
        regs = tuple(h[enc.unit] - enc.offset for enc in self.registers)
        return Config(on[0], stacks, regs)

    # --- JSON ------------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "c": self.c,
            "t0": self.t0,
            "control": dict(self.control),
            "stacks": {s.stack: {"unit": s.unit, "base": s.base, "digits": dict(s.digits)} for s in self.stacks},
            "registers": {r.register: {"unit": r.unit, "offset": to_json(r.offset)} for r in self.registers},
            "units": [[u.stage, u.role, u.label] for u in self.units],
        }

    @staticmethod
    def from_json(doc: Any, hidden_dim: int, path: str = "simulation") -> SimulationMap:
        def unit(v: Any, p: str) -> int:
            return integer(v, p, 0, hidden_dim - 1)

        control = field(doc, "control", path)
        stacks = field(doc, "stacks", path)
        regs = field(doc, "registers", path)
        for name, v in (("control", control), ("stacks", stacks), ("registers", regs)):
            if not isinstance(v, dict):
                raise InputError(f"{path}.{name}: expected an object keyed by name")
        units = []
        for i, u in enumerate(array(field(doc, "units", path), f"{path}.units")):
            u = array(u, f"{path}.units[{i}]")
            if len(u) != 3:
                raise InputError(f"{path}.units[{i}] must be [stage, role, label]")
            role = string(u[1], f"{path}.units[{i}][1]")
            if role not in ROLES:
                raise InputError(f"{path}.units[{i}] has unknown role {role!r}")
            units.append(UnitInfo(integer(u[0], f"{path}.units[{i}][0]", -1, 64), role,
                                  string(u[2], f"{path}.units[{i}][2]")))
        if len(units) != hidden_dim:
            raise InputError(f"{path}.units lists {len(units)} units, but the network has hidden_dim={hidden_dim}")
        stack_encs = []
        for name, s in stacks.items():
            sp = f"{path}.stacks.{name}"
            digits = field(s, "digits", sp)
            if not isinstance(digits, dict):
                raise InputError(f"{sp}.digits: expected an object mapping symbols to digits")
            base = integer(field(s, "base", sp), f"{sp}.base", 2, 1 << 20)
            stack_encs.append(StackEncoding(
                name, unit(field(s, "unit", sp), f"{sp}.unit"), base,
                tuple((k, integer(d, f"{sp}.digits.{k}", 1, base - 1)) for k, d in digits.items()),
            ))
        return SimulationMap(
            c=integer(field(doc, "c", path), f"{path}.c", 1, 64),
            t0=integer(field(doc, "t0", path), f"{path}.t0", 0, 64),
            control=tuple((str(q), unit(u, f"{path}.control.{q}")) for q, u in control.items()),
            stacks=tuple(stack_encs),
            registers=tuple(
                (RegisterEncoding(name, unit(field(r, "unit", f"{path}.registers.{name}"),
                                             f"{path}.registers.{name}.unit"),
                                  number(field(r, "offset", f"{path}.registers.{name}"),
                                         f"{path}.registers.{name}.offset")))
                for name, r in regs.items()
            ),
            units=tuple(units),
        )

    def check_against(self, program: Program) -> list[str]:
        """Problems that make this map unusable for ``program`` (names and units must line up)."""
        out = []
        if [q for q, _ in self.control] != list(program.states):
            out.append("simulation.control does not list the program's states in order")
        if [s.stack for s in self.stacks] != [s.name for s in program.stacks]:
            out.append("simulation.stacks does not list the program's stacks in order")
        if [r.register for r in self.registers] != [r.name for r in program.registers]:
            out.append("simulation.registers does not list the program's registers in order")
        for enc, st in zip(self.stacks, program.stacks, strict=False):
            if [s for s, _ in enc.digits] != list(st.alphabet):
                out.append(f"simulation.stacks.{enc.stack}.digits does not list the alphabet of the stack")
            digits = [d for _, d in enc.digits]
            if len(set(digits)) != len(digits):
                out.append(f"simulation.stacks.{enc.stack}.digits repeats a digit")
        used = [u for _, u in self.control] + [s.unit for s in self.stacks] + [r.unit for r in self.registers]
        if len(set(used)) != len(used):
            out.append("simulation map assigns one unit to two things")
        return out
