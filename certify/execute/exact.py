"""Exact rollouts with python-flint rationals: the oracle every faster path is tested against.

>>> from certify.constructions.examples import squaring
>>> from certify.compiler.tmnu_to_rnn import compile_program
>>> net = compile_program(squaring()).network
>>> [(t, str(y[0])) for t, _, y in rollout(net, [fmpq(1, 2)], steps=14, times={10, 14})]
[(10, '1/2'), (14, '1/4')]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
from flint import fmpq

from certify.errors import InputError
from certify.execute.enclosure import Enclosures, Inputs
from certify.execute.rounding import float_balls
from certify.spec.activation import NotExact
from certify.spec.network import INPUT_KINDS, Network
from certify.untrusted import current_limits


def sample_times(steps: int, samples: int) -> list[int]:
    """About ``samples`` evenly spaced steps in 1..steps, always including the last.

    >>> sample_times(1000, 4)
    [250, 500, 750, 1000]
    """
    if steps <= 0:
        return []
    k = max(1, min(samples, steps))
    return sorted({max(1, round(steps * (i + 1) / k)) for i in range(k)} | {steps})


def require_exact(net: Network) -> None:
    """Refuse, naming the layer and the engines that can run it, a network with tanh or sigmoid.

    >>> from certify.spec.network import Network
    >>> require_exact(Network.from_dense(W_hh=[[0]], W_ih=[[1]], b=[0], W_out=[[1]], b_out=[0], h0=[0],
    ...                                  activation="tanh"))
    Traceback (most recent call last):
    ...
    certify.spec.activation.NotExact: layers[0] has activation tanh, which has no exact rational values: \
run it with --backend arb (or --backend numpy), not --exact
    """
    for k, name in enumerate(net.activations):
        if name not in ("relu", "hardtanh", "satlin", "identity"):
            raise NotExact(f"layers[{k}] has activation {name}, which has no exact rational values: run it with "
                           "--backend arb (or --backend numpy), not --exact")


def rollout(
    net: Network,
    x: Sequence[fmpq] | Iterable[Sequence[fmpq]],
    steps: int,
    times: Iterable[int],
    progress: Callable[[int], None] | None = None,
    h0: Sequence[fmpq] | None = None,
    kind: str = "constant",
) -> list[tuple[int, list[fmpq], list[fmpq]]]:
    """Run ``steps`` exact steps with input ``x`` (from ``h0``, default the network's); return
    ``(t, h_t, y_t)`` at the requested times. ``kind``: ``constant`` (x_t = x), ``impulse`` (x_1 = x,
    then 0) or ``sequence`` (``x`` is then the sequence x_1, x_2, …; it must have ``steps`` entries).
    Any piecewise-linear network (stacked layers, P, Q); tanh and sigmoid raise
    :class:`~certify.spec.activation.NotExact` naming the ball engines.

    Exact rationals can grow without bound (a weight of 1000 digits adds thousands of bits per step, and
    the cost of a step grows with them), so the run stops with an :class:`~certify.errors.InputError` once
    the hidden state needs ``max_state_bits`` bits more than it started with, summed over the units
    (``certify --limit max_state_bits=N`` raises it). The universal approximators stay far below: their
    state is about the size of h0 (the stream) plus the registers.

    >>> from certify.untrusted import Limits, limits_scope
    >>> from certify.spec.network import Network
    >>> halver = Network.from_dense(W_hh=[["1/2"]], W_ih=[[0]], b=[0], W_out=[[1]], b_out=[0], h0=[1])
    >>> with limits_scope(Limits(max_state_bits=600)):
    ...     rollout(halver, [fmpq(0)], steps=1000, times=[1000])
    Traceback (most recent call last):
    ...
    certify.errors.InputError: exact run stopped at step 601: the hidden state needs 602 bits, 601 more than \
at the start, beyond max_state_bits=600 (raise it with --limit max_state_bits=N, or use an interval backend)
    """
    require_exact(net)
    if kind not in INPUT_KINDS:
        raise InputError(f"input kind {kind!r} is not one of {', '.join(INPUT_KINDS)}")
    allowed = current_limits().max_state_bits
    start = sum(v.height_bits() for v in (net.h0 if h0 is None else h0))
    wanted = set(times)
    out = []
    if kind == "sequence":
        xs = [list(v) for v in x]  # type: ignore[arg-type]
        if len(xs) != steps:
            raise InputError(f"the input sequence has {len(xs)} entries, the run has {steps} steps")
        runs = net.run_sequence(xs, h0)
    else:
        runs = net.run(x, steps, h0=h0, kind=kind)  # type: ignore[arg-type]
    for t, h, y in runs:
        size = sum(v.height_bits() for v in h)
        if size - start > allowed:
            raise InputError(f"exact run stopped at step {t}: the hidden state needs {size} bits, {size - start} more "
                             f"than at the start, beyond max_state_bits={allowed} (raise it with --limit "
                             "max_state_bits=N, or use an interval backend)")
        if t in wanted:
            out.append((t, h, y))
        if progress is not None:
            progress(t)
    return out


def enclosures_exact(net: Network, inputs: Inputs, steps: int, times: Iterable[int],
                     progress: Callable[[int], None] | None = None, kind: str = "constant") -> Enclosures:
    """Exact rollouts for a batch of points, returned as (tight, rigorous) float64 balls.

    The same :class:`~certify.execute.enclosure.Enclosures` as the interval backends, so the CLI and
    the tests treat every backend alike. Cost: one exact rollout per point.

    >>> from certify.execute.enclosure import Inputs
    >>> from certify.compiler.tmnu_to_rnn import compile_program
    >>> from certify.constructions.examples import squaring
    >>> net = compile_program(squaring()).network
    >>> enc = enclosures_exact(net, Inputs.points([fmpq(1, 2), fmpq(1, 3)]), 14, [14])
    >>> enc.mid[0, :, 0].tolist(), float(enc.rad[0, 0, 0])
    ([0.25, 0.16666666666666666], 0.0)
    >>> enc.contains(0, 1, [fmpq(1, 6)]), enc.contains(0, 1, [fmpq(1, 6) + fmpq(1, 10**30)])
    (True, False)
    """
    if not inputs.is_points:
        raise InputError("the exact backend needs points, not x-intervals")
    if kind == "sequence":
        raise InputError("input kind 'sequence': run one sequence with rollout(..., kind='sequence')")
    require_exact(net)
    wanted = sorted({t for t in times if 1 <= t <= steps})
    mid = np.zeros((len(wanted), inputs.size, net.output_dim))
    rad = np.zeros_like(mid)
    for j in range(inputs.size):
        def tick(t: int, done: int = j * steps) -> None:
            if progress is not None:
                progress(min(steps, (done + t) // inputs.size))

        res = rollout(net, inputs.point(j, net.input_dim), steps, wanted, progress=tick, kind=kind)
        for i, (_, _, y) in enumerate(res):
            mid[i, j], rad[i, j] = float_balls(y, "y")
    return Enclosures(times=tuple(wanted), inputs=inputs, mid=mid, rad=rad, finite=np.ones(inputs.size, dtype=bool),
                      backend="exact", exact_units=net.hidden_dim)
