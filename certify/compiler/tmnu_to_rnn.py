"""Compile a TMNU program into an exact ReLU RNN plus its simulation map.

One TMNU step takes c = 4 RNN steps, as a "wave" travelling around a ring of four stages:

    stage 0  encoded configuration: control one-hot, stack fractions, offset registers
    stage 1  read the tops: threshold units on each stack; relay control, stacks, registers
    stage 2  case units: one AND per transition (control state & the tops it reads); relay
    stage 3  gated actions: next state, stack push/pop/noop, the chosen op's ReLU units (big-M)
    stage 0' sums of stage 3: the next configuration

Every bias is <= 0, so a stage fed all zeros outputs all zeros: only the stage holding the wave is
nonzero, and no phase clock is needed. A prologue of t0 = 2 steps loads the input x (which the RNN
receives at every step, but only the prologue listens to) and the initial configuration:

    h_{t0 + 4n} = encode(config_n)      for every n >= 0 and every x in [-1, 1].

The readout sums the output register's four stage copies (exactly one is nonzero), so y_t is the
output register of config_n for every t in [t0 + 4n, t0 + 4n + 4).

>>> from certify.constructions.examples import squaring
>>> compiled = compile_program(squaring())
>>> compiled.simulation.c, compiled.simulation.t0
(4, 2)
>>> compiled.network.hidden_dim == hidden_dim_formula(squaring())
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flint import fmpq

from certify.compiler.gadgets import UnitTable, big_m
from certify.rational import ONE, ZERO
from certify.spec.file import RnnFile, Simulation
from certify.spec.network import Network
from certify.spec.simulation import RegisterEncoding, SimulationMap, StackEncoding
from certify.spec.sparse import SparseMatrix
from certify.tmnu.program import EMPTY, Affine, NeuralOp, Program, Transition
from certify.tmnu.validate import validate

C = 4  # RNN steps per TMNU step
T0 = 2  # prologue length


@dataclass(frozen=True)
class Compiled:
    """The result of compilation: the program, its network, and the map between them."""

    program: Program
    network: Network
    simulation: SimulationMap


ActionKey = tuple[str, str | None]  # ("noop", None) | ("push", sym) | ("pop", sym)


def _action_on(t: Transition, stack: str) -> ActionKey:
    act = dict(t.actions).get(stack)
    if act is None:
        return ("noop", None)
    if act.kind == "push":
        return ("push", act.symbol)
    return ("pop", dict(t.reads)[stack])


def _affine_part(p: Program, op: NeuralOp, register: str) -> Affine:
    """The affine part of the new *encoded* value of a written register: ``D_i·r + e_i - lo_i``."""
    upd = next(u for u in op.updates if u.register == register)
    return Affine.of(upd.affine.as_dict(), upd.affine.const - p.register(register).lo)


def _carried(p: Program) -> list[str]:
    """Registers some transition's op writes: their old value is carried only when not written."""
    written = {r for t in p.transitions if t.op is not None for r in p.op(t.op).written()}
    return [r.name for r in p.registers if r.name in written]


def _stage3_copy(p: Program) -> list[str]:
    """Registers relayed unchanged through stage 3: the never-written ones, and the output (for the readout)."""
    carried = set(_carried(p))
    return [r.name for r in p.registers if r.name not in carried or r.name == p.output_register]


@dataclass
class _Units:
    """Indices of every allocated unit, by role and stage."""

    start: int = -1
    boot: int = -1
    load: int | None = None
    init: dict[str, tuple[int, int]] = field(default_factory=dict)
    ctrl: list[dict[str, int]] = field(default_factory=lambda: [{}, {}])  # stages 0, 1
    nxt: dict[str, int] = field(default_factory=dict)  # stage 3
    stack: list[dict[str, int]] = field(default_factory=lambda: [{}, {}, {}])  # stages 0, 1, 2
    thresholds: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    reg: list[dict[str, int]] = field(default_factory=lambda: [{}, {}, {}, {}])  # stages 0..3
    carry: dict[str, int] = field(default_factory=dict)  # stage 3: old value unless an op writes it
    case: list[int] = field(default_factory=list)
    stack_gate: dict[str, dict[ActionKey, int]] = field(default_factory=dict)
    op_hidden: dict[str, list[int]] = field(default_factory=dict)
    op_linear: dict[str, dict[str, tuple[int, fmpq]]] = field(default_factory=dict)  # unit, shift L
    op_gate: dict[str, int] = field(default_factory=dict)


def _needs_op_gate(program: Program, op: NeuralOp) -> bool:
    box = program.register_box()
    for reg in op.written():
        a = _affine_part(program, op, reg)
        if not a.coeffs and a.const != 0:
            return True
        if a.coeffs and big_m(*a.range_over(box))[0] != 0:
            return True
    return False


def _allocate(p: Program, t: UnitTable) -> _Units:
    u = _Units()
    u.start = t.add(-1, "prologue", "start (1 at t=0 only)", h0=ONE)
    u.boot = t.add(-1, "prologue", "boot (1 at t=1 only)")
    if p.input_register is not None:
        u.load = t.add(-1, "prologue", "load x (x+1 at t=1 only)")
    for s in p.stacks:
        if s.initial:
            enc = StackEncoding.for_stack(s, -1).encode(s.initial)
            u.init[s.name] = (t.add(-1, "prologue", f"initial content of {s.name}", h0=enc),
                              t.add(-1, "prologue", f"initial content of {s.name}, relayed"))
    for q in p.states:
        u.ctrl[0][q] = t.add(0, "control", f"state {q}")
    for s in p.stacks:
        u.stack[0][s.name] = t.add(0, "stack", f"stack {s.name}")
    for r in p.registers:
        u.reg[0][r.name] = t.add(0, "register", f"register {r.name}")
    # stage 1
    for q in p.states:
        u.ctrl[1][q] = t.add(1, "copy", f"state {q}")
    for s in p.stacks:
        u.stack[1][s.name] = t.add(1, "copy", f"stack {s.name}")
        u.thresholds[s.name] = [
            (t.add(1, "threshold", f"{s.name}: relu({2 * len(s.alphabet)}q-{2 * i})"),
             t.add(1, "threshold", f"{s.name}: relu({2 * len(s.alphabet)}q-{2 * i + 1})"))
            for i in range(len(s.alphabet))
        ]
    for r in p.registers:
        u.reg[1][r.name] = t.add(1, "copy", f"register {r.name}")
    # stage 2
    for i, tr in enumerate(p.transitions):
        u.case.append(t.add(2, "case", f"case {i}: {tr.describe()}"))
    for s in p.stacks:
        u.stack[2][s.name] = t.add(2, "copy", f"stack {s.name}")
    for r in p.registers:
        u.reg[2][r.name] = t.add(2, "copy", f"register {r.name}")
    # stage 3
    for q in p.states:
        u.nxt[q] = t.add(3, "gate", f"next state {q}")
    for s in p.stacks:
        keys = sorted({_action_on(tr, s.name) for tr in p.transitions}, key=lambda k: (k[0], str(k[1])))
        u.stack_gate[s.name] = {k: t.add(3, "gate", f"{s.name}: {k[0]}" + (f" {k[1]}" if k[1] else ""))
                                for k in keys}
    box = p.register_box()
    for op in p.ops:
        u.op_hidden[op.name] = [t.add(3, "op", f"op {op.name}: relu({h})") for h in op.hidden]
        u.op_linear[op.name] = {}
        for reg in op.written():
            a = _affine_part(p, op, reg)
            if a.coeffs:
                shift, _ = big_m(*a.range_over(box))
                u.op_linear[op.name][reg] = (t.add(3, "op", f"op {op.name}: {reg} - lo <- {a}"), shift)
        if _needs_op_gate(p, op):
            u.op_gate[op.name] = t.add(3, "gate", f"op {op.name} selected")
    for name in _stage3_copy(p):
        u.reg[3][name] = t.add(3, "copy", f"register {name}")
    for name in _carried(p):
        u.carry[name] = t.add(3, "gate", f"register {name} unless written")
    return u


def hidden_dim_formula(p: Program) -> int:
    """The hidden dimension of the compiled network, from the program's counts alone:

    N = 2 + [input] + 2·|stacks with initial content| + 3|Q| + |T| + 3|S| + sum_S 2|Σ_S|
        + sum_S |distinct actions on S| + 3|R| + |R written by some op| + |R never written, or output|
        + sum_ops (hidden + non-constant affine parts + [gate])
    """
    n = 2 + (p.input_register is not None) + 2 * sum(1 for s in p.stacks if s.initial)
    n += 3 * len(p.states) + len(p.transitions) + 3 * len(p.stacks) + 3 * len(p.registers)
    n += len(_carried(p)) + len(_stage3_copy(p))
    n += sum(2 * len(s.alphabet) + len({_action_on(t, s.name) for t in p.transitions}) for s in p.stacks)
    for op in p.ops:
        n += len(op.hidden) + sum(1 for r in op.written() if _affine_part(p, op, r).coeffs) + _needs_op_gate(p, op)
    return n


def _wire(p: Program, t: UnitTable, u: _Units, regs: dict[str, RegisterEncoding],
          stacks: dict[str, StackEncoding]) -> None:
    rows = t.rows
    # prologue
    t.copy(u.boot, u.start)
    if u.load is not None:
        rows[u.load].input = ONE
        rows[u.load].add(u.start, 2)
        rows[u.load].bias = fmpq(-1)
    for init, init2 in u.init.values():
        t.copy(init2, init)
    # stage 1: relays and thresholds
    for q in p.states:
        t.copy(u.ctrl[1][q], u.ctrl[0][q])
    for s in p.stacks:
        t.copy(u.stack[1][s.name], u.stack[0][s.name])
        for i, (lo, hi) in enumerate(u.thresholds[s.name]):
            t.step_pair(lo, hi, u.stack[0][s.name], stacks[s.name].base, i)
    for r in p.registers:
        t.copy(u.reg[1][r.name], u.reg[0][r.name])
    # stage 2: case units (AND of control state and the tops read) and relays
    for tr, unit in zip(p.transitions, u.case, strict=True):
        row = rows[unit]
        row.add(u.ctrl[1][tr.state], 1)
        row.bias = fmpq(-len(tr.reads))
        for sname, sym in tr.reads:
            th = u.thresholds[sname]
            if sym is EMPTY:  # 1 - step_0
                row.bias += 1
                row.add(th[0][0], -1)
                row.add(th[0][1], 1)
                continue
            i = stacks[sname].digit(sym) // 2
            row.add(th[i][0], 1)  # + step_i
            row.add(th[i][1], -1)
            if i + 1 < len(th):  # - step_{i+1}
                row.add(th[i + 1][0], -1)
                row.add(th[i + 1][1], 1)
    for s in p.stacks:
        t.copy(u.stack[2][s.name], u.stack[1][s.name])
    for r in p.registers:
        t.copy(u.reg[2][r.name], u.reg[1][r.name])
    # stage 3: next state, gated stack actions, gated ops
    for tr, case in zip(p.transitions, u.case, strict=True):
        rows[u.nxt[tr.goto]].add(case, 1)
    for s in p.stacks:
        base = fmpq(stacks[s.name].base)
        for key, unit in u.stack_gate[s.name].items():
            row = rows[unit]
            kind, sym = key
            if kind == "noop":  # q
                row.add(u.stack[2][s.name], 1)
            elif kind == "push":  # (q + d) / B
                assert sym is not None  # validate: a push names a symbol of the alphabet
                row.add(u.stack[2][s.name], 1 / base)
                row.bias = stacks[s.name].digit(sym) / base
            else:  # B·q - d
                assert sym is not None  # validate: a pop reads a nonempty top
                row.add(u.stack[2][s.name], base)
                row.bias = fmpq(-stacks[s.name].digit(sym))
            gate = {case: ONE for tr, case in zip(p.transitions, u.case, strict=True)
                    if _action_on(tr, s.name) == key}
            t.gated(unit, gate, base)
    box = p.register_box()
    for op in p.ops:
        gate = {case: ONE for tr, case in zip(p.transitions, u.case, strict=True) if tr.op == op.name}
        for h, unit in zip(op.hidden, u.op_hidden[op.name], strict=True):
            _affine_row(t, unit, h, u.reg[2], regs)
            t.gated(unit, gate, max(h.range_over(box)[1], ZERO))
        for reg, (unit, shift) in u.op_linear[op.name].items():
            a = _affine_part(p, op, reg)
            _affine_row(t, unit, a, u.reg[2], regs)
            rows[unit].bias += shift
            t.gated(unit, gate, big_m(*a.range_over(box))[1])
        if op.name in u.op_gate:
            for case in gate:
                rows[u.op_gate[op.name]].add(case, 1)
    for name, unit in u.reg[3].items():
        t.copy(unit, u.reg[2][name])
    for name, unit in u.carry.items():  # relu(h - K·written): h when no op writes it, else 0 (h <= hi - lo = K)
        t.copy(unit, u.reg[2][name])
        r = p.register(name)
        for tr, case in zip(p.transitions, u.case, strict=True):
            if tr.op is not None and name in p.op(tr.op).written():
                rows[unit].add(case, -(r.hi - r.lo))
    # stage 0: the next configuration
    for q in p.states:
        t.copy(u.ctrl[0][q], u.nxt[q])
    rows[u.ctrl[0][p.start]].add(u.boot, 1)
    for s in p.stacks:
        for unit in u.stack_gate[s.name].values():
            t.copy(u.stack[0][s.name], unit)
        if s.name in u.init:
            t.copy(u.stack[0][s.name], u.init[s.name][1])
    for r in p.registers:
        row = rows[u.reg[0][r.name]]
        row.add(u.carry[r.name] if r.name in u.carry else u.reg[3][r.name], 1)
        offset = regs[r.name].offset
        if r.initial is None:  # the input register: (x + 1) + (offset - 1)
            assert u.load is not None
            row.add(u.load, 1)
            row.add(u.boot, offset - 1)
        elif r.initial + offset != 0:
            row.add(u.boot, r.initial + offset)
    for op in p.ops:
        for upd in op.updates:
            row = rows[u.reg[0][upd.register]]
            for j, c in upd.relu:
                row.add(u.op_hidden[op.name][j], c)
            a = _affine_part(p, op, upd.register)
            if upd.register in u.op_linear[op.name]:
                unit, shift = u.op_linear[op.name][upd.register]
                row.add(unit, 1)
                if shift:
                    row.add(u.op_gate[op.name], -shift)
            elif a.const != 0:
                row.add(u.op_gate[op.name], a.const)


def _affine_row(t: UnitTable, unit: int, a: Affine, reg_units: dict[str, int],
                regs: dict[str, RegisterEncoding]) -> None:
    """Put ``a(r)`` into a row reading offset-encoded registers: r_k = h_k - offset_k."""
    row = t.rows[unit]
    row.bias += a.const
    for name, c in a.coeffs:
        row.add(reg_units[name], c)
        row.bias -= c * regs[name].offset


def compile_program(program: Program) -> Compiled:
    """Validate ``program`` and compile it to a network and simulation map."""
    p = validate(program)
    table = UnitTable()
    u = _allocate(p, table)
    regs = {r.name: RegisterEncoding(r.name, u.reg[0][r.name], -r.lo) for r in p.registers}
    stacks = {s.name: StackEncoding.for_stack(s, u.stack[0][s.name]) for s in p.stacks}
    _wire(p, table, u, regs, stacks)
    n = len(table.rows)
    out_reg = p.output_register
    readout = {u.reg[g][out_reg]: ONE for g in range(4)}
    network = Network.single(
        W_hh=SparseMatrix.from_row_dicts((n, n), [r.coeffs for r in table.rows]),
        W_ih=SparseMatrix.from_row_dicts((n, 1), [{0: r.input} if r.input else {} for r in table.rows]),
        b=tuple(r.bias for r in table.rows),
        W_out=SparseMatrix.from_row_dicts((1, n), [readout]),
        b_out=(-regs[out_reg].offset,),
        h0=tuple(table.h0),
    )
    simulation = SimulationMap(
        c=C,
        t0=T0,
        control=tuple((q, u.ctrl[0][q]) for q in p.states),
        stacks=tuple(stacks[s.name] for s in p.stacks),
        registers=tuple(regs[r.name] for r in p.registers),
        units=tuple(table.infos),
    )
    return Compiled(p, network, simulation)


def from_compiled(compiled: Compiled, claims: dict[str, Any] | None = None) -> RnnFile:
    """The weight file of a compiled program, claiming its hidden dimension (``hidden_dim_max``) and ``claims``."""
    base = {"hidden_dim_max": hidden_dim_formula(compiled.program)}
    return RnnFile(
        network=compiled.network,
        name=compiled.program.name,
        simulation=Simulation(compiled.program, compiled.simulation),
        claims=base | (claims or {}),
    )
