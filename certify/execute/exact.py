"""Exact rollouts with python-flint rationals: the oracle every faster path is tested against.

>>> from certify.constructions.examples import squaring
>>> from certify.compiler.tmnu_to_rnn import compile_program
>>> net = compile_program(squaring()).network
>>> [(t, str(y[0])) for t, _, y in rollout(net, [fmpq(1, 2)], steps=14, times={10, 14})]
[(10, '1/2'), (14, '1/4')]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from flint import fmpq

from certify.rnn.network import Network


def sample_times(steps: int, samples: int) -> list[int]:
    """About ``samples`` evenly spaced steps in 1..steps, always including the last.

    >>> sample_times(1000, 4)
    [250, 500, 750, 1000]
    """
    if steps <= 0:
        return []
    k = max(1, min(samples, steps))
    return sorted({max(1, round(steps * (i + 1) / k)) for i in range(k)} | {steps})


def rollout(
    net: Network,
    x: Sequence[fmpq],
    steps: int,
    times: Iterable[int],
    progress: Callable[[int], None] | None = None,
) -> list[tuple[int, list[fmpq], list[fmpq]]]:
    """Run ``steps`` exact steps with constant input ``x``; return ``(t, h_t, y_t)`` at the requested times."""
    wanted = set(times)
    out = []
    for t, h, y in net.run(x, steps):
        if t in wanted:
            out.append((t, h, y))
        if progress is not None:
            progress(t)
    return out
