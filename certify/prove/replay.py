"""Exact side-by-side replays of the RNN and the TMNU: everything the theorem asserts, compared.

The theorem (``docs/certifier.md``): for every x in the input domain, y_t = lo_out for t < t0;
h[t0 + c·n] = enc(config_n) and y_t = out(config_n) for t in [t0 + c·n, t0 + c·(n+1)). A replay
runs both sides in exact rational arithmetic (``Network.step`` and the reference interpreter) and
compares **every** readout and every hidden state at a step boundary, so a witness that differs
anywhere the theorem speaks is seen. Used by the prover before it reports REFUTED and by
``certify run`` (``--tmnu``: :func:`theorem_run`; ``--start``: :func:`replay_start`).

>>> from certify.compiler.tmnu_to_rnn import compile_program
>>> from certify.constructions.examples import squaring
>>> from certify.rational import parse_number as q
>>> c = compile_program(squaring())
>>> rows = list(side_by_side(c.network, c.simulation, c.program, q("1/3"), steps=10))
>>> [r.problem for r in rows if r.problem], [str(r.expected) for r in rows][:4]
([], ['0', '0', '0', '0'])
>>> broken = c.network.replace(b_out=(q(7),))
>>> next(r.problem for r in side_by_side(broken, c.simulation, c.program, q("1/3"), 10) if r.problem)
'the readout y_0 is 7, but the theorem says 0 (lo_out, before t0)'
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from flint import fmpq

from certify.errors import InputError
from certify.execute.exact import sample_times
from certify.rational import ONE, ZERO, decimal
from certify.spec.network import Network
from certify.spec.simulation import SimulationMap
from certify.tmnu.interpret import Interpreter, initial_config, output
from certify.tmnu.program import Config, Program


@dataclass(frozen=True)
class Row:
    """One RNN step of a side-by-side run. ``config`` is set at step boundaries t = t0 + c·n, where
    ``encoding`` says how h differs from enc(config) (None: it does not)."""

    t: int
    y: fmpq
    expected: fmpq
    config: Config | None
    n: int  # the TMNU step whose output the theorem asserts at t (-1 in the prologue)
    encoding: str | None = None

    @property
    def readout(self) -> str | None:
        """How the readout differs from the theorem's, or None."""
        if self.y == self.expected:
            return None
        if self.n < 0:
            return f"the readout y_{self.t} is {short(self.y)}, but the theorem says {short(self.expected)} (lo_out, " \
                   "before t0)"
        return f"the readout y_{self.t} is {short(self.y)}, but the output register of config_{self.n} is " \
               f"{short(self.expected)}"

    @property
    def problem(self) -> str | None:
        return self.encoding or self.readout


def short(v: fmpq) -> str:
    """Exact text when short, else a truncated decimal (display only)."""
    s = str(v)
    return s if len(s) < 40 else f"≈{decimal(v, 12)}"


def _boundary_problem(smap: SimulationMap, h: list[fmpq], want: list[fmpq], where: str, target: str) -> str | None:
    for i, (a, b) in enumerate(zip(h, want, strict=True)):
        if a != b:
            return f"{where} unit {i} ({smap.units[i].label}) is {short(a)}, but {target} has {short(b)}"
    return None


def _encoded(smap: SimulationMap, config: Config, stack_values: list[fmpq]) -> list[fmpq]:
    """enc(config), with the stack units' values given (kept up to date incrementally by the caller)."""
    h = [ZERO] * smap.hidden_dim
    h[smap.control_unit(config.state)] = ONE
    for enc, v in zip(smap.stacks, stack_values, strict=True):
        h[enc.unit] = v
    for reg_enc, r in zip(smap.registers, config.registers, strict=True):
        h[reg_enc.unit] = reg_enc.encode(r)
    return h


def side_by_side(net: Network, smap: SimulationMap, program: Program, x: fmpq, steps: int,
                 start: Config | None = None) -> Iterator[Row]:
    """Rows t = 0 … steps of the run from h0 with input x (or, given ``start``, from enc(start) at t = 0, as
    a TMNU step boundary), each compared with what the theorem asserts.

    The stack encodings are updated by the definition of enc (push: v ↦ (d(a) + v)/B, pop: v ↦ B·v − d(top)),
    so a long initial stack is encoded once, not at every step."""
    lo_out = program.register(program.output_register).lo
    interp = Interpreter(program)
    config = initial_config(program, x) if start is None else start
    stack_values = [enc.encode(content) for enc, content in zip(smap.stacks, config.stacks, strict=True)]
    t0 = smap.t0 if start is None else 0
    n = 0
    h = list(net.h0) if start is None else _encoded(smap, config, stack_values)
    for t in range(steps + 1):
        if t > 0:
            h = net.step(h, [x])
        y = net.output(h)[0]
        if t < t0:
            yield Row(t, y, lo_out, None, -1)
            continue
        if t > t0 and (t - t0) % smap.c == 0:
            actions = dict(interp.transition(config).actions)
            for i, (enc, content) in enumerate(zip(smap.stacks, config.stacks, strict=True)):
                act = actions.get(enc.stack)
                if act is not None and act.kind == "pop":
                    stack_values[i] = stack_values[i] * enc.base - enc.digit(content[0])
                elif act is not None:
                    stack_values[i] = (stack_values[i] + enc.digit(str(act.symbol))) / enc.base
            config = interp.step(config)
            n += 1
        if (t - t0) % smap.c == 0:
            want = _encoded(smap, config, stack_values)
            if start is None:
                where, target = f"at t={t} (TMNU step {n})", f"enc(config_{n})"
            else:
                where, target = f"after {t} RNN steps", "enc(δ(config))" if n == 1 else f"enc(δ^{n}(config))"
            yield Row(t, y, output(program, config), config, n, _boundary_problem(smap, h, want, where, target))
        else:
            yield Row(t, y, output(program, config), None, n)


def step_difference(net: Network, smap: SimulationMap, program: Program, config: Config, x: fmpq) -> str | None:
    """One TMNU step from enc(config): the readout after each of the c RNN steps (the old output for the first
    c − 1, the new one at the c-th) and the hidden state against enc(δ(config)). The first difference, or None."""
    rows = list(side_by_side(net, smap, program, x, smap.c, start=config))
    return next((r.problem for r in rows[1:] if r.problem), None)


@dataclass(frozen=True)
class Replay:
    """The rows of a replay worth showing, and the first place where the RNN and the TMNU differ (None: nowhere)."""

    rows: tuple[Row, ...]
    first_problem: str | None


def theorem_run(net: Network, smap: SimulationMap, program: Program, x: fmpq, steps: int, samples: int,
                progress: Callable[[int], None] | None = None) -> Replay:
    """Run from h0 next to the interpreter for ``steps`` RNN steps, comparing everything the theorem asserts.
    Keeps about ``samples`` TMNU step boundaries, the last step and the first difference, and stops c steps
    after that difference.

    >>> from certify.compiler.tmnu_to_rnn import compile_program
    >>> from certify.constructions.examples import squaring
    >>> c = compile_program(squaring())
    >>> run = theorem_run(c.network, c.simulation, c.program, fmpq(1, 3), steps=20, samples=3)
    >>> [r.t for r in run.rows], run.first_problem
    ([6, 10, 18, 20], None)
    """
    c, t0 = smap.c, smap.t0
    times = [t0 + c * n for n in range((steps - t0) // c + 1)] if steps >= t0 else []
    if len(times) > samples:
        keep = set(sample_times(len(times), samples))
        times = [t for i, t in enumerate(times, 1) if i in keep]
    wanted = set(times) | {steps}
    rows: list[Row] = []
    first, first_t = None, 0
    for r in side_by_side(net, smap, program, x, steps):
        if progress is not None:
            progress(r.t)
        if r.problem is not None and first is None:
            first, first_t = f"at t={r.t}: {r.problem}", r.t
            wanted.add(r.t)
        if r.t in wanted:
            rows.append(r)
        if first is not None and r.t > first_t + c:
            break  # show a little past the first difference, then stop
    return Replay(tuple(rows), first)


def check_start(program: Program, config: Config, x: fmpq, domain: tuple[fmpq, fmpq]) -> None:
    """Refuse a start the theorem says nothing about: x outside the input domain, a register outside its bounds.

    >>> from certify.constructions.examples import squaring
    >>> from certify.tmnu.program import Config
    >>> p = squaring()
    >>> check_start(p, Config("square", (), (fmpq(1, 2), ZERO, ZERO, ZERO, fmpq(7))), ZERO, (-ONE, ONE))
    Traceback (most recent call last):
    ...
    certify.errors.InputError: --start: register s=7 is outside its declared bounds [0, 1]: the theorem says \
nothing about such a configuration
    """
    lo, hi = domain
    if not lo <= x <= hi:
        raise InputError(f"--x={x} is outside the file's input domain [{lo}, {hi}]: the theorem says nothing there")
    for r, v in zip(program.registers, config.registers, strict=True):
        if not r.lo <= v <= r.hi:
            raise InputError(f"--start: register {r.name}={v} is outside its declared bounds [{r.lo}, {r.hi}]: "
                             "the theorem says nothing about such a configuration")


def replay_start(net: Network, smap: SimulationMap, program: Program, config: Config, x: fmpq,
                 tmnu_steps: int) -> Replay:
    """Run ``tmnu_steps`` TMNU steps (c RNN steps each) from enc(config) next to the interpreter: the rows at step
    boundaries and the first difference, where the replay stops (a witness of ``certify check`` replays there).

    >>> from certify.compiler.tmnu_to_rnn import compile_program
    >>> from certify.constructions.examples import squaring
    >>> c = compile_program(squaring())
    >>> start = Config("square", (), (fmpq(1, 2), ZERO, ZERO, ZERO, ONE))
    >>> rep = replay_start(c.network, c.simulation, c.program, start, ZERO, 2)
    >>> [r.t for r in rep.rows], rep.first_problem
    ([4, 8], None)
    """
    rows: list[Row] = []
    for r in side_by_side(net, smap, program, x, tmnu_steps * smap.c, start=config):
        if r.t == 0:
            continue
        if r.problem is not None or r.config is not None:
            rows.append(r)
        if r.problem is not None:
            return Replay(tuple(rows), f"at RNN step {r.t}: {r.problem}")
    return Replay(tuple(rows), None)
