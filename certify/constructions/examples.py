"""Bundled example TMNU programs: a binary counter, a stack copy/reverse machine, progressive squaring.

>>> sorted(EXAMPLES)
['counter', 'squaring', 'stack_copy']
>>> squaring().output_register
'acc'
"""

from __future__ import annotations

from collections.abc import Callable

from certify.tmnu.build import Builder, q, relu
from certify.tmnu.program import EMPTY, Program


def _summary(f: Callable[..., object]) -> str:
    """The first line of ``f``'s docstring ("" when docstrings are stripped, as under ``python -OO``)."""
    return f.__doc__.splitlines()[0] if f.__doc__ else ""


#: Ticks of the counter's output register: count = increments / 2^COUNTER_BITS (saturating at 1).
COUNTER_BITS = 10


def counter() -> Program:
    """A binary counter: stack C holds the count in binary, least significant bit on top.

    Each increment pops the trailing 1s (parking a 0 for each on stack T), turns the first 0 (or the
    empty bottom) into a 1, moves the parked 0s back, then ticks the register ``count`` by
    2^-10 (saturating at 1, so its bounds are inductive). After n increments C reads n in binary.
    """
    b = Builder("counter", description=_summary(counter))
    count = b.register("count", bounds=(0, 1), initial=0)
    b.output(count)
    b.stack("C", alphabet="01")
    b.stack("T", alphabet="0")
    tick = q(f"1/{2**COUNTER_BITS}")
    b.op("tick", count=count + tick - relu(count + tick - 1))
    inc = b.state("inc")
    inc.when(C="1").pop("C").push("T", "0").goto("inc")
    inc.when(C="0").pop("C").goto("set")
    inc.when(C=EMPTY).push("C", "1").goto("restore")
    b.state("set").always().push("C", "1").goto("restore")
    restore = b.state("restore")
    restore.when(T="0").pop("T").push("C", "0").goto("restore")
    restore.when(T=EMPTY).op("tick").goto("inc")
    return b.build()


def stack_copy(length: int = 300) -> Program:
    """Reverse a long stack A onto B, then copy B onto C (restoring the original order), mixing each
    symbol into a register: h <- (h + v·x)/2 with v = 1, 0, -1 for a, b, c. Then halt.

    Pushes and pops ``length`` symbols twice; the stack values have thousands of bits.
    """
    b = Builder("stack_copy", description=_summary(stack_copy))
    x = b.register("x", bound=1, input=True)
    h = b.register("h", bound=1)
    b.output(h)
    content = "".join("abc"[(i * i + 3 * i + 1) % 7 % 3] for i in range(length))
    for name in ("A", "B", "C"):
        b.stack(name, alphabet="abc", initial=content if name == "A" else "")
    weights = {"a": 1, "b": 0, "c": -1}
    for sym, v in weights.items():
        b.op(f"mix_{sym}", h=(h + v * x) / 2)
    b.drain("reverse", "A", lambda s: ({"B": s}, f"mix_{s}"), then="copy")
    b.drain("copy", "B", lambda s: ({"C": s}, f"mix_{s}"), then="done")
    b.halt("done")
    return b.build()


def squaring() -> Program:
    """Progressive squaring: after round m the output is Yarotsky's f_m(|x|), |f_m(|x|) - x²| <= 4^-(m+1).

    f_m(u) = u - sum_{s<=m} g_s(u)/4^s, g the tooth. One tooth per step with a scale register s:
    z_{s+1} = (2relu(z) - 4relu(z - s/2) + 2relu(z - s))/4, s <- s/4 (positive homogeneity), and
    acc <- relu(acc - d) subtracts the previous tooth d (the relu never cuts: f_m >= 0, and it makes
    the box [0, 1] inductive). Round m's output appears after TMNU step m + 2.
    """
    b = Builder("squaring", description=_summary(squaring))
    x = b.register("x", bound=1, input=True)
    acc = b.register("acc", bounds=(0, 1))
    t = b.register("t", bounds=(0, 1))
    d = b.register("d", bounds=(0, 1))
    s = b.register("s", bounds=(0, 1), initial=1)
    b.output(acc)
    absx = relu(x) + relu(-x)
    b.op("load", acc=absx, t=absx)
    tooth = (2 * relu(t) - 4 * relu(t - s / 2) + 2 * relu(t - s)) / 4
    b.op("tooth", acc=relu(acc - d), d=tooth, t=tooth, s=s / 4)
    b.sequence("load", ["load"], then="square")
    b.forever("square", "tooth")
    return b.build()


def squaring_round_step(m: int) -> int:
    """The TMNU step after which the squaring machine's output is f_m (round m)."""
    return m + 2


def squaring_claims(rounds: int = 12) -> dict[str, object]:
    """Claims for the compiled squaring network: target x² and, from the RNN step where round m's
    output appears (t0 + c·(m + 2) = 4m + 10) until round ``rounds`` starts, sup_x |y_T - x²| <= 4^-(m+1).

    The table ends (``rate_until``): the machine never halts, and round m's sawtooth has 2^m teeth,
    so certifying it needs ~2^m enclosure lanes; 12 rounds stay within ``certify rates``' budget.
    """
    return {
        "target": "x**2",
        "rate": [{"T": 4 * squaring_round_step(m) + 2, "E": f"1/{4 ** (m + 1)}"} for m in range(rounds)],
        "rate_until": 4 * squaring_round_step(rounds) + 2,
    }


#: Claims each bundled example's weight file carries (beyond the hidden-dimension formula).
EXAMPLE_CLAIMS: dict[str, Callable[[], dict[str, object]]] = {"squaring": squaring_claims}

EXAMPLES: dict[str, Callable[[], Program]] = {
    "counter": counter,
    "stack_copy": stack_copy,
    "squaring": squaring,
}
