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
from certify.untrusted import check_label, check_name, check_symbol, current_limits, quote

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
        """``sum_i d(s_i) / base^i`` with s_1 the top: the integer of the digits over ``base^len``, built by
        divide and conquer (quasi-linear: a stack of 10^6 symbols takes about a second, not hours)."""
        if not content:
            return ZERO
        d = dict(self.digits)
        try:
            digits = [d[s] for s in content]
        except (KeyError, TypeError):
            bad = next(s for s in content if not isinstance(s, str) or s not in d)
            raise InputError(f"symbol {quote(bad)} is not in the alphabet of stack {self.stack!r}") from None
        return fmpq(_digits_to_int(digits, self.base, {}), fmpz(self.base) ** len(digits))

    def decode(self, value: fmpq) -> tuple[str, ...]:
        """The content whose encoding is exactly ``value``; raises if there is none.

        The length L is the least L with ``den | base^L`` (the last digit is nonzero); the digits come
        from one divide-and-conquer radix conversion.
        """
        if value == 0:
            return ()
        sym = {d: s for s, d in self.digits}
        if not ZERO < value < ONE:
            raise self._not_encoding(value)
        limit = current_limits().max_stack_symbols
        length = _least_power(value.q, self.base, limit)
        if length is None:
            raise self._not_encoding(value)
        if length > limit:
            raise InputError(f"unit {self.unit} holds a content of stack {self.stack!r} longer than "
                             f"max_stack_symbols={limit} (raise it with --limit max_stack_symbols=N)")
        scale, rem = divmod(fmpz(self.base) ** length, value.q)
        if rem != 0:
            raise self._not_encoding(value)
        digits = _int_to_digits(value.p * scale, self.base, length, {})
        out = [s for s in (sym.get(x) for x in digits) if s is not None]
        if len(out) != len(digits):  # a digit that is no symbol's
            raise self._not_encoding(value)
        return tuple(out)

    def _not_encoding(self, value: fmpq) -> InputError:
        shown = str(value) if value.height_bits() <= 200 else f"a value of {value.height_bits()} bits"
        return InputError(f"unit {self.unit} holds {shown}, not an encoding of stack {self.stack!r}")

    def top_interval(self, symbol: str | None) -> tuple[fmpq, fmpq]:
        """The closed interval holding the encodings of every content with this top (None: empty)."""
        if symbol is None:
            return ZERO, ZERO
        d = self.digit(symbol)
        return fmpq(d, self.base), fmpq(d + 1, self.base)


def _least_power(den: fmpz, base: int, limit: int) -> int | None:
    """The least L with ``den | base^L`` (None if there is none); above ``limit`` it returns limit + 1.

    >>> _least_power(fmpz(8 * 11), 22, 100), _least_power(fmpz(3), 22, 100)
    (3, None)
    """
    divides = lambda k: pow(fmpz(base), k, den) == 0 if den > 1 else True  # noqa: E731
    if base % 2 == 0:  # an even base: the power of 2 in den pins L down to a few candidates
        twos = (int(den) & -int(den)).bit_length() - 1
        per = (base & -base).bit_length() - 1
        lo = -(-twos // per)
    else:
        lo = 0
    hi = max(lo, 1)
    while not divides(hi):
        if hi > limit:
            return None if not divides(den.bit_length()) else limit + 1
        hi *= 2
    while lo < hi:
        mid = (lo + hi) // 2
        if divides(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _power(base: int, k: int, cache: dict[int, fmpz]) -> fmpz:
    if k not in cache:
        cache[k] = fmpz(base) ** k
    return cache[k]


def _digits_to_int(digits: Sequence[int], base: int, cache: dict[int, fmpz]) -> fmpz:
    """The integer whose base-``base`` digits are ``digits`` (most significant first).

    >>> _digits_to_int([1, 0, 3], 4, {})
    19
    """
    if len(digits) <= 64:
        v = 0
        for x in digits:
            v = v * base + x
        return fmpz(v)
    mid = len(digits) // 2
    return (_digits_to_int(digits[:mid], base, cache) * _power(base, len(digits) - mid, cache)
            + _digits_to_int(digits[mid:], base, cache))


def _int_to_digits(n: fmpz, base: int, length: int, cache: dict[int, fmpz]) -> list[int]:
    """The ``length`` base-``base`` digits of ``0 <= n < base^length``, most significant first (-1 if n is
    out of range).

    >>> _int_to_digits(fmpz(19), 4, 3, {})
    [1, 0, 3]
    """
    if length <= 64:
        m, out = int(n), []
        for _ in range(length):
            m, r = divmod(m, base)
            out.append(r)
        return out[::-1] if m == 0 else [-1]
    low = length // 2
    hi, lo = divmod(n, _power(base, low, cache))
    return _int_to_digits(hi, base, length - low, cache) + _int_to_digits(lo, base, low, cache)


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
        for reg_enc, value in zip(self.registers, config.registers, strict=True):
            h[reg_enc.unit] = reg_enc.encode(value)
        return h

    def decode(self, program: Program, h: Sequence[fmpq]) -> Config:
        """The configuration ``h`` encodes; raises :class:`InputError` if ``h`` is not an encoding."""
        on = [q for q, u in self.control if h[u] == ONE]
        if len(on) != 1 or any(h[u] not in (ZERO, ONE) for _, u in self.control):
            raise InputError("hidden state does not encode one control state: "
                             + ", ".join(f"{q}={h[u]}" for q, u in self.control))
        encoded = self.encoded_units()
        stray = [i for i in range(self.hidden_dim) if h[i] != 0 and i not in encoded]
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
        """Read the map from a weight file's ``simulation`` block: every name matches the name grammar,
        every unit lies in ``[0, hidden_dim)``, every count is bounded (:class:`~certify.rational.Limits`).

        >>> SimulationMap.from_json({"c": 1, "t0": 0, "control": {"q;(echo)": 0}, "stacks": {}, "registers": {},
        ...                          "units": [[0, "control", "q"]]}, 1)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        certify.errors.InputError: simulation.control key="q;(echo)" is not a valid name (...)
        """
        def unit(v: Any, p: str) -> int:
            return integer(v, p, 0, hidden_dim - 1)

        if not isinstance(doc, dict):
            raise InputError(f"{path}: expected a JSON object")
        extra = sorted(set(doc) - {"program", "c", "t0", "control", "stacks", "registers", "units"})
        if extra:
            raise InputError(f"{path}: unknown key {quote(extra[0])} (allowed: program, c, t0, control, stacks, "
                             "registers, units)")
        control = _keyed(field(doc, "control", path), f"{path}.control")
        stacks = _keyed(field(doc, "stacks", path), f"{path}.stacks")
        regs = _keyed(field(doc, "registers", path), f"{path}.registers")
        units_in = array(field(doc, "units", path), f"{path}.units")
        if len(units_in) != hidden_dim:
            raise InputError(f"{path}.units lists {len(units_in)} units, but the network has hidden_dim={hidden_dim}")
        units = []
        for i, u in enumerate(units_in):
            u = array(u, f"{path}.units[{i}]")
            if len(u) != 3:
                raise InputError(f"{path}.units[{i}] must be [stage, role, label]")
            role = string(u[1], f"{path}.units[{i}][1]")
            if role not in ROLES:
                raise InputError(f"{path}.units[{i}] has unknown role {quote(role)} (known: {', '.join(ROLES)})")
            units.append(UnitInfo(integer(u[0], f"{path}.units[{i}][0]", -1, 64), role,
                                  check_label(u[2], f"{path}.units[{i}][2]")))
        stack_encs = []
        for name, s in stacks.items():
            sp = f"{path}.stacks.{name}"
            if not isinstance(s, dict) or set(s) != {"unit", "base", "digits"}:
                raise InputError(f"{sp} must be an object with exactly unit, base and digits")
            digits = _keyed(s["digits"], f"{sp}.digits", check_symbol)
            base = integer(s["base"], f"{sp}.base", 2, 1 << 20)
            stack_encs.append(StackEncoding(
                name, unit(s["unit"], f"{sp}.unit"), base,
                tuple((k, integer(d, f"{sp}.digits.{k}", 1, base - 1)) for k, d in digits.items()),
            ))
        reg_encs = []
        for name, r in regs.items():
            rp = f"{path}.registers.{name}"
            if not isinstance(r, dict) or set(r) != {"unit", "offset"}:
                raise InputError(f"{rp} must be an object with exactly unit and offset")
            reg_encs.append(RegisterEncoding(name, unit(r["unit"], f"{rp}.unit"), number(r["offset"], f"{rp}.offset")))
        return SimulationMap(
            c=integer(field(doc, "c", path), f"{path}.c", 1, 64),
            t0=integer(field(doc, "t0", path), f"{path}.t0", 0, 64),
            control=tuple((q, unit(u, f"{path}.control.{q}")) for q, u in control.items()),
            stacks=tuple(stack_encs),
            registers=tuple(reg_encs),
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


def _keyed(v: Any, path: str, check: Any = check_name) -> dict[str, Any]:
    """An object keyed by names (or symbols), with at most ``max_states`` keys."""
    if not isinstance(v, dict):
        raise InputError(f"{path}: expected an object keyed by name")
    limit = current_limits().max_states
    if len(v) > limit:
        raise InputError(f"{path} has {len(v)} entries, more than the limit max_states={limit} "
                         "(raise it with --limit max_states=N)")
    for k in v:
        check(k, f"{path} key")
    return v
