from __future__ import annotations

from flint import fmpq

from certify.constructions.examples import counter, squaring, squaring_round_step, stack_copy
from certify.tmnu.interpret import Interpreter, initial_config, output, run


def test_squaring_error_is_exactly_4_to_the_minus_m_plus_1() -> None:
    """At the grid midpoints the error of f_m is attained: exactly 4^-(m+1)."""
    p = squaring()
    for m in range(7):
        worst = fmpq(0)
        for k in range(2**m):
            x = fmpq(2 * k + 1, 2 ** (m + 1))
            for sign in (1, -1):
                conf = list(run(p, sign * x, squaring_round_step(m)))[-1]
                err = output(p, conf) - x * x
                assert err >= 0
                worst = max(worst, err)
        assert worst == fmpq(1, 4 ** (m + 1))


def test_counter_counts_in_binary() -> None:
    p = counter()
    interp = Interpreter(p)
    conf = initial_config(p, fmpq(0))
    increments = 0
    for _ in range(3000):
        before = conf.state
        conf = interp.step(conf)
        if before == "restore" and conf.state == "inc":
            increments += 1
            bits = "".join(reversed(conf.stacks[0]))  # LSB on top
            assert int(bits, 2) == increments
            assert output(p, conf) == fmpq(increments, 1024)
    assert increments > 300


def test_stack_copy_restores_the_content_and_halts() -> None:
    p = stack_copy()
    trace = list(run(p, fmpq(1, 3), 700))
    final = trace[-1]
    assert final.state == "done"
    assert final.stacks[0] == () and final.stacks[1] == ()
    assert final.stacks[2] == p.stacks[0].initial
    assert trace[-1] == trace[-2]  # halted: nothing changes any more
