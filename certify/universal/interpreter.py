"""The universal approximator: one fixed TMNU, the *stream interpreter*, and its instruction set.

The interpreter's control has a single state; every step pops one instruction from the stream
stack ``S`` and applies the neural op that instruction names. Everything that depends on f is in
the stream (the initial content of ``S``), so compiled networks for different f differ only in h0.
The stream compiler is :mod:`certify.universal.stream`; the proven arithmetic error
of a stream is :mod:`certify.universal.arithmetic`; ``docs/universal.md`` has the math.

Instruction set (one symbol, one op; registers in brackets are written):

===== ========== ===========================================================================
sym   op         effect
===== ========== ===========================================================================
``b`` begin      [tc, tp, acc] <- 1, x, 0          (T_0 = 1 and T_{-1} = T_1 = x)
``p`` load       [a±, t±, d±, s] <- |u±|, |u±|, 0, 1   with u± = (x ± tc)/4
``t`` tooth      a <- relu(a - d); t, d <- s/4·g(t/s); s <- s/4   (both squarers at once)
``f`` finish     [tp, tc] <- tc, clamp(8(a₊ - d₊ - a₋ + d₋) - tp)   (T_{k+1} = 2x·T_k - T_{k-1})
``c`` coef       [w] <- tc
``0`` digit 0    [w] <- w/2
``+`` digit +1   [acc, w] <- clamp(acc + w), w/2
``-`` digit -1   [acc, w] <- clamp(acc - w), w/2
``h`` halve      [acc] <- acc/2
``d`` double     [acc] <- clamp(2·acc)
``r`` emit       [out] <- clamp(out + acc)       (the only op that writes the output)
===== ========== ===========================================================================

Every op maps the declared register box into itself (clamps and ``relu(a - d)`` see to it), so
the box is inductive for every stream, not only for the streams the compiler writes.

>>> p = universal_interpreter("bc+r")
>>> p.states, p.stack("S").alphabet == tuple(SYMBOLS), len(p.transitions)
(('run',), True, 12)
>>> from certify.tmnu.interpret import run, output
>>> from certify.rational import parse_number as q
>>> [str(output(p, c)) for c in run(p, q("1/3"), steps=4)]     # out = 1·T_0 = 1 after 'r'
['0', '0', '0', '0', '1']
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from certify.errors import InputError
from certify.tmnu.build import Builder, relu
from certify.tmnu.program import EMPTY, Program

#: Instruction symbols, in alphabet order (the stack digit of symbol i is 2i + 1, base 22).
SYMBOLS = "bptfc0+-hdr"
OPS = {"b": "begin", "p": "load", "t": "tooth", "f": "finish", "c": "coef", "0": "digit0",
       "+": "digit_plus", "-": "digit_minus", "h": "halve", "d": "double", "r": "emit"}

#: Declared register bounds, the same for every f (|T_k| <= 1 leaves a margin of 1 for errors).
T_BOUND = 2
ACC_BOUND = 8
OUT_BOUND = 8
STACK = "S"
NAME = "universal"


def _clamp(v, bound: int):
    """clamp(v) = -B + relu(v + B) - relu(v - B) for an affine v: two hidden ReLUs."""
    return -bound + relu(v + bound) - relu(v - bound)


@cache
def _ops_and_registers() -> Builder:
    b = Builder(NAME, description="stream interpreter: one fixed TMNU that approximates any continuous f on [-1, 1] "
                                  "by running longer; the stream (stack S) holds everything that depends on f")
    x = b.register("x", bound=1, input=True)
    tp = b.register("tp", bound=T_BOUND)
    tc = b.register("tc", bound=T_BOUND)
    a1 = b.register("a1", bounds=(0, 1))
    t1 = b.register("t1", bounds=(0, 1))
    d1 = b.register("d1", bounds=(0, 1))
    a2 = b.register("a2", bounds=(0, 1))
    t2 = b.register("t2", bounds=(0, 1))
    d2 = b.register("d2", bounds=(0, 1))
    s = b.register("s", bounds=(0, 1), initial=1)
    w = b.register("w", bound=T_BOUND)
    acc = b.register("acc", bound=ACC_BOUND)
    out = b.register("out", bound=OUT_BOUND)
    b.output(out)
    up, um = (x + tc) / 4, (x - tc) / 4
    b.op("begin", tc=1, tp=x, acc=0)
    b.op("load", a1=relu(up) + relu(-up), t1=relu(up) + relu(-up), d1=0,
         a2=relu(um) + relu(-um), t2=relu(um) + relu(-um), d2=0, s=1)

    def tooth(t):  # s/4 · g(t/s) for 0 <= t: 2t - 4relu(t - s/2) + 2relu(t - s), all over 4 (t >= 0 in the box)
        return (2 * t - 4 * relu(t - s / 2) + 2 * relu(t - s)) / 4

    b.op("tooth", a1=relu(a1 - d1), t1=tooth(t1), d1=tooth(t1),
         a2=relu(a2 - d2), t2=tooth(t2), d2=tooth(t2), s=s / 4)
    b.op("finish", tp=tc, tc=_clamp(8 * (a1 - d1 - a2 + d2) - tp, T_BOUND))
    b.op("coef", w=tc)
    b.op("digit0", w=w / 2)
    b.op("digit_plus", acc=_clamp(acc + w, ACC_BOUND), w=w / 2)
    b.op("digit_minus", acc=_clamp(acc - w, ACC_BOUND), w=w / 2)
    b.op("halve", acc=acc / 2)
    b.op("double", acc=_clamp(2 * acc, ACC_BOUND))
    b.op("emit", out=_clamp(out + acc, OUT_BOUND))
    return b


def universal_interpreter(stream: Iterable[str] = ()) -> Program:
    """The fixed stream interpreter, with ``stream`` (top first) as the initial content of stack S.

    The program is the same for every stream except that initial content.
    """
    content = tuple(stream)
    bad = sorted(set(content) - set(SYMBOLS))
    if bad:
        raise InputError(f"stream symbol {bad[0]!r} is not an instruction (known: {SYMBOLS})")
    proto = _ops_and_registers()
    b = Builder(proto.name, description=proto.description, registers=list(proto.registers),
                ops=dict(proto.ops), input_register=proto.input_register, output_register=proto.output_register)
    b.stack(STACK, alphabet=SYMBOLS, initial=content)
    run = b.state("run")
    for sym in SYMBOLS:
        run.when(S=sym).pop(STACK).op(OPS[sym]).goto("run")
    run.when(S=EMPTY).goto("run")  # the stream is spent: y stays put
    return b.build()


def is_universal(program: Program) -> bool:
    """True when ``program`` is exactly the stream interpreter (any initial stream)."""
    if len(program.stacks) != 1 or program.stacks[0].name != STACK:
        return False
    return program == universal_interpreter(program.stacks[0].initial)
