"""Witnesses: concrete configurations on which the RNN and the TMNU differ, replayed exactly.

A solver model is a point of an obligation's box; it becomes a witness only after it is turned
into a genuine configuration (stack values snapped to real encodings with the same top) and the
difference is *replayed* with the reference implementations: ``Network.step`` and the TMNU
interpreter, in exact rational arithmetic. No replay, no REFUTED.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from flint import fmpq

from certify.errors import InputError
from certify.prove.obligations import Obligation, register_var, stack_var
from certify.prove.replay import short, side_by_side, step_difference
from certify.rational import ONE, ZERO, parse_number, to_string
from certify.spec.network import Network
from certify.spec.simulation import SimulationMap, StackEncoding
from certify.tmnu.interpret import initial_config
from certify.tmnu.program import EMPTY, Config, Program

#: Longest snapped stack tail tried when turning a stack value into a content.
MAX_SNAP = 24


@dataclass(frozen=True)
class Witness:
    """A replayed counterexample: what was run, and where the two sides differ."""

    kind: str
    x: fmpq
    config: Config | None
    detail: str
    registers: dict[str, fmpq] | None = None

    def to_json(self, program: Program) -> dict[str, Any]:
        out: dict[str, Any] = {"x": to_string(self.x), "detail": self.detail}
        if self.config is not None:
            out["config"] = config_json(program, self.config)
        if self.registers is not None:
            out["registers"] = {k: to_string(v) for k, v in self.registers.items()}
        return out


def config_json(program: Program, c: Config) -> dict[str, Any]:
    return {
        "state": c.state,
        "stacks": {s.name: list(content) for s, content in zip(program.stacks, c.stacks, strict=True)},
        "registers": {r.name: to_string(v) for r, v in zip(program.registers, c.registers, strict=True)},
    }


def read_config(program: Program, doc: Any, source: str) -> Config:
    """A configuration from JSON ``{"state", "stacks": {S: [symbols, top first]}, "registers": {r: value}}``.

    >>> from certify.constructions.examples import squaring
    >>> read_config(squaring(), {"state": "square", "registers": {"x": "1/2", "acc": 0, "t": 0, "d": 0, "s": 1}},
    ...             "w.json").state
    'square'
    """
    if not isinstance(doc, dict):
        raise InputError(f"{source}: a configuration is a JSON object with state, stacks and registers")
    state = doc.get("state")
    if state not in program.states:
        raise InputError(f"{source}: state={state!r} is not a state of program {program.name!r}")
    stacks_in = doc.get("stacks", {}) or {}
    stacks = []
    for s in program.stacks:
        content = stacks_in.get(s.name, [])
        if isinstance(content, str):
            content = list(content)
        bad = [c for c in content if c not in s.alphabet]
        if not isinstance(content, list) or bad:
            raise InputError(f"{source}: stacks.{s.name} has symbols {bad} outside its alphabet {list(s.alphabet)}")
        stacks.append(tuple(content))
    regs_in = doc.get("registers", {}) or {}
    missing = [r.name for r in program.registers if r.name not in regs_in]
    if missing:
        raise InputError(f"{source}: registers {missing} are missing")
    regs = tuple(parse_number(regs_in[r.name], where=f"registers.{r.name}") for r in program.registers)
    return Config(state, tuple(stacks), regs)


def _snaps(enc: StackEncoding, top: str, value: fmpq) -> Iterator[tuple[str, ...]]:
    """Contents with this top whose encodings approach ``value`` (greedy base-B digits of the tail)."""
    digits = sorted(enc.digits, key=lambda sd: sd[1])
    rest = value * enc.base - enc.digit(top)
    tail: list[str] = []
    yield (top,)
    w = min(max(rest, ZERO), ONE)
    for _ in range(MAX_SNAP):
        v = w * enc.base
        best = min(digits, key=lambda sd: abs(v - sd[1]) if not sd[1] <= v <= sd[1] + 1 else fmpq(-1))
        tail.append(best[0])
        yield (top, *tail)
        w = min(max(v - best[1], ZERO), ONE)


def outside(program: Program, ob: Obligation, x: fmpq, config: Config | None,
            domain: tuple[fmpq, fmpq]) -> str | None:
    """Why ``(x, config)`` is not a point of the obligation's domain, or None when it is: x in the input
    domain; for a step, a valid configuration of the obligation's case (its state, its tops, every stack
    symbol in its alphabet, every register within its declared bounds).

    >>> from certify.constructions.examples import squaring
    >>> from certify.rational import parse_number as q
    >>> p = squaring()
    >>> ob = Obligation("step[square]", "step", (), state="square")
    >>> c = read_config(p, {"state": "square", "registers": {"x": "1/2", "acc": 0, "t": 0, "d": 0, "s": 1}}, "w")
    >>> outside(p, ob, q(0), c, (q(-1), q(1))) is None, outside(p, ob, q(2), c, (q(-1), q(1)))
    (True, 'x=2 is outside the input domain [-1, 1]')
    """
    if not domain[0] <= x <= domain[1]:
        return f"x={x} is outside the input domain [{domain[0]}, {domain[1]}]"
    if config is None:
        return None
    if ob.kind == "step" and config.state != ob.state:
        return f"the configuration is in state {config.state!r}, not the obligation's {ob.state!r}"
    tops = dict(ob.tops)
    for s, content in zip(program.stacks, config.stacks, strict=True):
        bad = [c for c in content if c not in s.alphabet]
        if bad:
            return f"stack {s.name!r} holds {bad[0]!r}, not in its alphabet"
        if ob.kind == "step" and (content[0] if content else EMPTY) != tops.get(s.name, EMPTY):
            return f"stack {s.name!r} does not have the obligation's top"
    for r, v in zip(program.registers, config.registers, strict=True):
        if not r.lo <= v <= r.hi:
            return f"register {r.name}={v} is outside its bounds [{r.lo}, {r.hi}]"
    return None


def step_witness(net: Network, smap: SimulationMap, program: Program, ob: Obligation,
                 model: Mapping[str, fmpq], domain: tuple[fmpq, fmpq]) -> Witness | None:
    """Turn a model of a failed step obligation into a replayed witness, or None if none replays (or the
    model lies outside the obligation's case)."""
    x = model.get("x", ZERO)
    regs = tuple(model[register_var(r.name)] for r in program.registers)
    tops = dict(ob.tops)
    choices: list[list[tuple[str, ...]]] = []
    for s in program.stacks:
        top = tops[s.name]
        if top is EMPTY:
            choices.append([()])
        else:
            choices.append(list(_snaps(smap.stack_encoding(s.name), top, model[stack_var(s.name)])))
    for depth in range(MAX_SNAP + 1):
        stacks = tuple(c[min(depth, len(c) - 1)] for c in choices)
        config = Config(ob.state, stacks, regs)
        if outside(program, ob, x, config, domain) is not None:
            return None
        why = step_difference(net, smap, program, config, x)
        if why is not None:
            return Witness("step", x, config, why)
    return None


def prologue_witness(net: Network, smap: SimulationMap, program: Program, ob: Obligation, x: fmpq,
                     domain: tuple[fmpq, fmpq]) -> Witness | None:
    """A witness for the prologue (h[t0] is not enc(config_0(x))) or for ``readout[t=k]`` (y_k is not what
    the theorem says), replayed exactly from h0; None unless x lies in the input domain and it replays."""
    if outside(program, ob, x, None, domain) is not None:
        return None
    rows = list(side_by_side(net, smap, program, x, smap.t0))
    why = rows[ob.time].readout if ob.kind == "readout" else rows[smap.t0].encoding
    return None if why is None else Witness(ob.kind, x, initial_config(program, x), why)


def invariant_witness(program: Program, ob: Obligation, model: Mapping[str, fmpq]) -> Witness | None:
    """Replay the op on the model's registers; a witness if the result leaves the declared bounds."""
    regs = {r.name: model[register_var(r.name)] for r in program.registers}
    if any(not r.lo <= regs[r.name] <= r.hi for r in program.registers):
        return None  # not a point of the declared register box
    new = program.op(ob.op).apply(regs)[ob.register]
    reg = program.register(ob.register)
    if reg.lo <= new <= reg.hi:
        return None
    # a configuration that applies the op: the first transition using it, with the tops it reads
    t = next(t for t in program.transitions if t.op == ob.op)
    reads = dict(t.reads)
    stacks = tuple(() if (top := reads.get(s.name)) is None else (top,) for s in program.stacks)
    config = Config(t.state, stacks, tuple(regs[r.name] for r in program.registers))
    return Witness("invariant", ZERO, config,
                   f"op {ob.op!r} maps these registers to {ob.register}={short(new)}, outside its declared "
                   f"bounds [{reg.lo}, {reg.hi}]", registers=regs)
