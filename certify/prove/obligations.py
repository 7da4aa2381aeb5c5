"""Proof obligations of the simulation theorem, each over an explicit box (DESIGN §4).

For a weight file whose ``simulation`` block says ``h_{t0 + c·n} = enc(config_n)``:

* ``prologue``: for every x in the input domain, the first t0 RNN steps from h0 give
  enc(config_0(x)).
* ``readout[t=k]``, one per RNN step k = 0 … t0: for every x in the input domain, the readout y_k
  is lo_out (the output register's declared lower bound: nothing is loaded yet) for k < t0, and the
  output register of config_0(x) at k = t0. With the step obligations' readouts this covers y_t
  for every t >= 0.
* ``step[q|tops]``, one per control state q and combination of top symbols (empty included): for
  every stack value consistent with those tops, every register vector within the declared bounds
  and every input x, RNN^c(enc(config)) = enc(δ(config)), and the readout shows the old output
  for the first c-1 of those steps and the new one at the c-th.
* ``invariant[op.register.lo|hi]``, per op used by some transition and register it writes: the op
  maps the declared register box into itself (so the next step starts inside the box again).

Variables: ``x``; ``r:<register>``; ``v:<stack>`` (the encoded value of a nonempty stack). By
induction on steps these give the theorem for every input and every reachable configuration.

>>> from certify.compiler.tmnu_to_rnn import compile_program
>>> from certify.constructions.examples import squaring
>>> c = compile_program(squaring())
>>> [o.id for o in step_obligations(c.program, c.simulation)]
['step[load]', 'step[square]']
>>> [o.id for o in readout_obligations(c.simulation.t0)]
['readout[t=0]', 'readout[t=1]', 'readout[t=2]']
>>> [o.id for o in invariant_obligations(c.program)][:3]
['invariant[load.acc.hi]', 'invariant[load.acc.lo]', 'invariant[load.t.hi]']
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from flint import fmpq

from certify.prove import pwl
from certify.prove.pwl import ONE, Lin
from certify.rational import ONE as Q1
from certify.spec.simulation import SimulationMap
from certify.tmnu.program import EMPTY, NeuralOp, Program, Transition, symbol_name
from certify.tmnu.validate import tops_combinations


class ObligationKind(enum.StrEnum):
    """What an obligation or claim of a certificate is about; the JSON spells it by its value.

    Declared in the order certificates, reports and tables list them.

    >>> [k.value for k in ObligationKind]
    ['static', 'invariant', 'prologue', 'readout', 'step']
    >>> ObligationKind("readout").starts_at_h0, ObligationKind.STEP.order
    (True, 4)
    >>> ObligationKind("loop")
    Traceback (most recent call last):
    ...
    ValueError: 'loop' is not a valid ObligationKind
    """

    STATIC = "static"        # a static claim of the file (hidden_dim_max, weight_abs_max, ...)
    INVARIANT = "invariant"  # an op keeps a register inside its declared bounds
    PROLOGUE = "prologue"    # the first t0 RNN steps load config_0(x)
    READOUT = "readout"      # the readout y_t for t <= t0
    STEP = "step"            # one TMNU step per (state, tops) case

    @property
    def order(self) -> int:
        """Position in the listing order."""
        return list(ObligationKind).index(self)

    @property
    def starts_at_h0(self) -> bool:
        """True for the obligations about the run from h0, whose witness is an input x alone."""
        return self in (ObligationKind.PROLOGUE, ObligationKind.READOUT)


@dataclass(frozen=True)
class Obligation:
    """One finite, decidable claim with its domain box."""

    id: str
    kind: ObligationKind
    box: tuple[tuple[str, fmpq, fmpq], ...]
    state: str = ""
    tops: tuple[tuple[str, str | None], ...] = ()
    op: str = ""
    register: str = ""
    side: str = ""  # "lo" | "hi" for invariants
    time: int = 0  # the RNN step t of a readout obligation
    transition: Transition | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ObligationKind(self.kind))  # a kind given by its JSON name, checked

    def box_dict(self) -> dict[str, tuple[fmpq, fmpq]]:
        return {k: (lo, hi) for k, lo, hi in self.box}

    def domain_json(self) -> dict[str, object]:
        """The domain as it goes into the certificate."""
        d: dict[str, object] = {"variables": {k: [str(lo), str(hi)] for k, lo, hi in self.box}}
        if self.kind is ObligationKind.STEP:
            d["state"] = self.state
            d["tops"] = {k: v for k, v in self.tops}
        if self.kind is ObligationKind.INVARIANT:
            d["op"], d["register"], d["side"] = self.op, self.register, self.side
        if self.kind is ObligationKind.READOUT:
            d["t"] = self.time
        return d


def register_var(name: str) -> str:
    return f"r:{name}"


def stack_var(name: str) -> str:
    return f"v:{name}"


def _register_box(p: Program) -> list[tuple[str, fmpq, fmpq]]:
    return [(register_var(r.name), r.lo, r.hi) for r in p.registers]


def _input_box(domain: tuple[fmpq, fmpq]) -> list[tuple[str, fmpq, fmpq]]:
    return [("x", domain[0], domain[1])]


def _case_id(state: str, tops: dict[str, str | None]) -> str:
    inner = ",".join(f"{k}={'empty' if v is EMPTY else v}" for k, v in tops.items())
    return f"step[{state}" + (f"|{inner}" if inner else "") + "]"


def step_obligations(p: Program, m: SimulationMap, domain: tuple[fmpq, fmpq] = (-Q1, Q1)) -> list[Obligation]:
    """One obligation per (state, tops) case, in a fixed order."""
    out = []
    for q in p.states:
        for tops in tops_combinations(p):
            box = list(_input_box(domain)) + _register_box(p)
            for s in p.stacks:
                sym = tops[s.name]
                if sym is not EMPTY:
                    lo, hi = m.stack_encoding(s.name).top_interval(sym)
                    box.append((stack_var(s.name), lo, hi))
            hits = [t for t in p.transitions if t.state == q and t.matches(tops)]
            out.append(Obligation(_case_id(q, tops), ObligationKind.STEP, tuple(box), state=q,
                                  tops=tuple(tops.items()), transition=hits[0]))
    return out


def prologue_obligation(domain: tuple[fmpq, fmpq] = (-Q1, Q1)) -> Obligation:
    return Obligation("prologue", ObligationKind.PROLOGUE, tuple(_input_box(domain)))


def readout_obligations(t0: int, domain: tuple[fmpq, fmpq] = (-Q1, Q1)) -> list[Obligation]:
    """One per RNN step t = 0 … t0: the readout the theorem asserts there."""
    return [Obligation(f"readout[t={t}]", ObligationKind.READOUT, tuple(_input_box(domain)), time=t)
            for t in range(t0 + 1)]


def used_ops(p: Program) -> list[NeuralOp]:
    names = {t.op for t in p.transitions if t.op is not None}
    return [o for o in p.ops if o.name in names]


def invariant_obligations(p: Program) -> list[Obligation]:
    """Two per (op used by a transition, register it writes): the lower and the upper bound."""
    out = []
    box = tuple(_register_box(p))
    for op in sorted(used_ops(p), key=lambda o: o.name):
        for reg in sorted(op.written()):
            for side in ("hi", "lo"):
                out.append(Obligation(f"invariant[{op.name}.{reg}.{side}]", ObligationKind.INVARIANT, box,
                                      op=op.name, register=reg, side=side))
    return out


# --- the TMNU side, as exact expressions over the obligation's variables -----------------------------------
def op_expressions(p: Program, op: NeuralOp, box: dict[str, tuple[fmpq, fmpq]], memo: dict) -> dict[str, Lin]:
    """``r'_i`` for every register the op writes, as piecewise-linear expressions of ``r:*``."""
    hidden = []
    for h in op.hidden:
        arg: Lin = pwl.constant(h.const)
        for name, c in h.coeffs:
            pwl.add(arg, {register_var(name): c})
        hidden.append(pwl.relu(arg, box, memo))
    out = {}
    for u in op.updates:
        e: Lin = pwl.constant(u.affine.const)
        for name, c in u.affine.coeffs:
            pwl.add(e, {register_var(name): c})
        for j, c in u.relu:
            pwl.add(e, hidden[j], c)
        out[u.register] = e
    return out


def invariant_expression(p: Program, ob: Obligation, memo: dict) -> Lin:
    """The quantity the invariant says is >= 0: ``op_i(r) - lo_i`` or ``hi_i - op_i(r)``."""
    reg = p.register(ob.register)
    e = op_expressions(p, p.op(ob.op), ob.box_dict(), memo)[ob.register]
    if ob.side == "lo":
        return pwl.add(dict(e), pwl.constant(-reg.lo))
    return pwl.add(pwl.scale(e, -1), pwl.constant(reg.hi))


def encoded_state(p: Program, m: SimulationMap, state: str, stacks: dict[str, Lin],
                  registers: dict[str, Lin]) -> list[Lin]:
    """The hidden state (as expressions) that encodes a configuration given by expressions."""
    h: list[Lin] = [{} for _ in range(m.hidden_dim)]
    h[m.control_unit(state)] = {ONE: Q1}
    for enc in m.stacks:
        h[enc.unit] = dict(stacks[enc.stack])
    for reg_enc in m.registers:
        h[reg_enc.unit] = pwl.add(dict(registers[reg_enc.register]), pwl.constant(reg_enc.offset))
    return h


def case_start(p: Program, m: SimulationMap, ob: Obligation) -> tuple[list[Lin], dict[str, Lin], dict[str, Lin]]:
    """The encoded start of a step obligation: (h, stack values, register values) as expressions."""
    tops = dict(ob.tops)
    stacks = {s.name: ({} if tops[s.name] is EMPTY else {stack_var(s.name): Q1}) for s in p.stacks}
    regs = {r.name: {register_var(r.name): Q1} for r in p.registers}
    return encoded_state(p, m, ob.state, stacks, regs), stacks, regs


def case_successor(p: Program, m: SimulationMap, ob: Obligation, memo: dict) -> tuple[list[Lin], Lin, Lin]:
    """enc(δ(config)) for a step obligation, and the old and new outputs, as expressions."""
    t = ob.transition
    assert t is not None
    _, stacks, regs = case_start(p, m, ob)
    tops = dict(ob.tops)
    actions = dict(t.actions)
    new_stacks = {}
    for s in p.stacks:
        enc = m.stack_encoding(s.name)
        v = stacks[s.name]
        act = actions.get(s.name)
        if act is None:
            new_stacks[s.name] = v
        elif act.kind == "push":
            assert act.symbol is not None  # the readers and the builder give every push its symbol
            new_stacks[s.name] = pwl.add(pwl.scale(v, fmpq(1, enc.base)),
                                         pwl.constant(fmpq(enc.digit(act.symbol), enc.base)))
        else:
            top = tops[s.name]
            assert top is not EMPTY
            new_stacks[s.name] = pwl.add(pwl.scale(v, enc.base), pwl.constant(fmpq(-enc.digit(top))))
    new_regs = dict(regs)
    if t.op is not None:
        new_regs.update(op_expressions(p, p.op(t.op), ob.box_dict(), memo))
    h = encoded_state(p, m, t.goto, new_stacks, new_regs)
    return h, regs[p.output_register], new_regs[p.output_register]


def initial_expressions(p: Program, m: SimulationMap) -> list[Lin]:
    """enc(config_0(x)) with x the variable ``x``."""
    stacks = {s.name: pwl.constant(m.stack_encoding(s.name).encode(s.initial)) for s in p.stacks}
    regs = {r.name: ({"x": Q1} if r.initial is None else pwl.constant(r.initial)) for r in p.registers}
    return encoded_state(p, m, p.start, stacks, regs)


def expected_readout(p: Program, m: SimulationMap, t: int) -> Lin:
    """What the theorem says y_t is for t <= t0: lo_out before t0, the output of config_0(x) at t0."""
    if t < m.t0:
        return pwl.constant(p.register(p.output_register).lo)
    reg = p.register(p.output_register)
    return {"x": Q1} if reg.initial is None else pwl.constant(reg.initial)


def describe_case(ob: Obligation) -> str:
    tops = ", ".join(f"{k}={symbol_name(v)}" for k, v in ob.tops)
    return f"state {ob.state!r}" + (f" with tops {tops}" if tops else "")

