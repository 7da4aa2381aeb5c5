"""The compiled RNN, run exactly, decodes to exactly the interpreter's configurations at every
TMNU step boundary, for every case in the table and hypothesis-chosen rational inputs."""

from __future__ import annotations

import pytest
from cases import CASES, compiled
from flint import fmpq
from hypothesis import example, given, settings
from hypothesis import strategies as st

from certify.tmnu.interpret import Interpreter, initial_config, output

TMNU_STEPS = 1000

rationals = st.builds(
    lambda num, k: fmpq(num, 2**k) if k < 40 else fmpq(num % 1000, 997),
    st.integers(-(2**20), 2**20), st.integers(0, 41),
).filter(lambda v: -1 <= v <= 1)


def _check(name: str, x: fmpq, steps: int) -> None:
    c = compiled(name)
    net, sim, prog = c.network, c.simulation, c.program
    interp = Interpreter(prog)
    config = initial_config(prog, x)
    h = list(net.h0)
    t = 0
    prev = config
    for n in range(steps + 1):
        while t < sim.t0 + sim.c * n:
            h = net.step(h, [x])
            t += 1
            if n > 0 and t < sim.t0 + sim.c * n:
                # between boundaries the readout still shows the previous configuration's output
                assert net.output(h)[0] == output(prog, prev), f"{name}: y_{t} wrong"
        assert h == sim.encode(prog, config), f"{name}: RNN step {t} does not encode TMNU step {n}"
        if n % 97 == 0:  # decoding long stacks is quadratic; equality with encode() already pins h
            assert sim.decode(prog, h) == config
        assert net.output(h)[0] == output(prog, config)
        prev = config
        config = interp.step(config)


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=20)
@given(x=rationals)
@example(x=fmpq(0)).via("zero input")
@example(x=fmpq(1)).via("domain edge")
@example(x=fmpq(-1)).via("domain edge")
def test_rnn_run_decodes_to_interpreter(name: str, x: fmpq) -> None:
    _check(name, x, TMNU_STEPS if name in ("counter", "stack_copy", "squaring") else 200)


def test_planted_weight_bug_is_caught() -> None:
    """A single wrong weight in the compiled network breaks the differential test."""
    from cases import halver

    from certify.compiler.tmnu_to_rnn import compile_program

    c = compile_program(halver())
    net = c.network
    y = c.simulation.register_encoding("y").unit  # register y reads op half's unit: scale it
    j, v = next((j, v) for j, v in net.W_hh.rows[y] if c.simulation.units[j].label.startswith("op half"))
    bad = net.replace(W_hh=net.W_hh.with_entry(y, j, v + fmpq(1, 1024)))
    h, ok = list(bad.h0), True
    config = initial_config(c.program, fmpq(1, 3))
    interp = Interpreter(c.program)
    for n in range(1, 40):
        config = interp.step(config)
        for _ in range(c.simulation.c if n > 1 else c.simulation.c + c.simulation.t0):
            h = bad.step(h, [fmpq(1, 3)])
        if h != c.simulation.encode(c.program, config):
            ok = False
            break
    assert not ok, "a mutated weight went unnoticed"
