"""Exact rollouts at a few sample inputs: the report's trajectory plot and its measured errors.

All sample inputs are run together, exactly. Units that cannot depend on x (control, stacks: found
from the sparsity by :func:`certify.execute.lanes.split_lanes`) are computed once per step and shared;
only the x-dependent units are computed per input. This is the same arithmetic as
:meth:`certify.spec.network.Network.run` (tested against it), at a fraction of the cost when a stack
holds a long exact value.

The measured errors |y_T(x) − f(x)| are exact when f(x) is rational. They are lower bounds on the
sup-norm error, never certificates.

>>> from certify.constructions.bundled import BUNDLED
>>> f = BUNDLED["squaring"]()
>>> xs = sample_inputs(fmpq(-1), fmpq(1), 3)
>>> [str(y) for y in outputs(f.network, xs, 14)[-1]] == [str(f.network.output(h)[0]) for h in
...     [list(f.network.run([x], 14))[-1][1] for x in xs]]
True
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from flint import fmpq

from certify.execute.exact import sample_times
from certify.execute.lanes import split_lanes
from certify.expr import approx_at, parse_function, value_at
from certify.rational import ZERO, decimal, parse_number, to_string
from certify.report.model import RatePoint
from certify.spec.io import RnnFile
from certify.spec.network import Network


def sample_inputs(lo: fmpq, hi: fmpq, k: int) -> list[fmpq]:
    """Midpoints of k equal pieces of [lo, hi] (k odd gives non-dyadic points, where dyadic schemes err).

    >>> [str(x) for x in sample_inputs(fmpq(-1), fmpq(1), 7)]
    ['-6/7', '-4/7', '-2/7', '0', '2/7', '4/7', '6/7']
    """
    return [lo + (hi - lo) * fmpq(2 * i + 1, 2 * k) for i in range(k)]


def run_many(net: Network, xs: list[fmpq], steps: int) -> Iterator[tuple[int, list[fmpq]]]:
    """Yield ``(t, [y_t(x) for x in xs])`` (first output) for t = 1..steps, exactly, with constant input x."""
    split = split_lanes(net)
    rows, b, wih = net.W_hh.rows, net.b, net.W_ih.rows
    out_row, out_b = (net.W_out.rows[0], net.b_out[0]) if net.output_dim else ((), ZERO)
    indep = {i: net.h0[i] for i in split.indep}
    deps = [{i: net.h0[i] for i in split.dep} for _ in xs]
    for t in range(1, steps + 1):
        ys = []
        new_indep = {i: _relu(b[i] + sum((v * indep[j] for j, v in rows[i]), ZERO)) for i in split.indep}
        for k, x in enumerate(xs):
            h = deps[k]
            new = {}
            for i in split.dep:
                z = b[i] + sum((v * (h[j] if j in h else indep[j]) for j, v in rows[i]), ZERO)
                z += sum((v * x for _, v in wih[i]), ZERO)
                new[i] = _relu(z)
            deps[k] = new
            ys.append(out_b + sum((v * (new[j] if j in new else new_indep[j]) for j, v in out_row), ZERO))
        indep = new_indep
        yield t, ys


def outputs(net: Network, xs: list[fmpq], steps: int) -> list[list[fmpq]]:
    """Every y_t(x), t = 1..steps (for tests and small runs)."""
    return [ys for _, ys in run_many(net, xs, steps)]


def _run_each(net: Network, xs: list[fmpq], steps: int, kind: str) -> Iterator[tuple[int, list[fmpq]]]:
    """(t, [y_t(x)[0] for x in xs]) for t = 1..steps, each x run exactly on its own."""
    runs = [net.run([x], steps, kind=kind) for x in xs]
    for t in range(1, steps + 1):
        yield t, [next(r)[2][0] for r in runs]


def _relu(z: fmpq) -> fmpq:
    return z if z > 0 else ZERO


@dataclass(frozen=True)
class Samples:
    """Exact rollouts at the sample inputs: decimal copies of y_t at ``times`` (for the trajectory plot), and
    |y_T − f(x)| at the requested runtimes."""

    xs: tuple[fmpq, ...]
    steps: int
    times: tuple[int, ...]
    values: tuple[tuple[str, ...], ...]  # values[k][i]: y at times[i] for xs[k], 12 decimals
    targets: tuple[str | None, ...]
    errors: dict[int, list[tuple[fmpq, bool, fmpq]]]  # T -> (|y_T(x) − f(x)|, exact?, x) per sample input

    def largest(self) -> list[RatePoint]:
        """Per runtime T, the largest error over the sample inputs (exact when every f(x) is rational)."""
        out = []
        for T in sorted(T for T in self.errors if self.errors[T]):
            err, _, x = max(self.errors[T], key=lambda e: e[0])
            exact = all(e[1] for e in self.errors[T])
            out.append(RatePoint(T, to_string(err) if exact else decimal(err, 20), exact, to_string(x)))
        return out


def run_samples(f: RnnFile, samples: int, steps: int, plot_points: int, error_times: set[int]) -> Samples:
    """Roll out ``samples`` inputs of ``f`` for ``steps`` steps; errors at ``error_times`` when f names a target."""
    net = f.network
    # the lane-split rollout is that of one ReLU layer driven by a constant input; any other piecewise-linear
    # network with one input, constant or impulse, is run input by input (Network.run)
    fast = net.is_single_relu and f.input.kind == "constant"
    runs = (fast or (net.is_piecewise_linear and f.input.kind in ("constant", "impulse"))) \
        and net.input_dim == 1 and net.output_dim >= 1
    xs = sample_inputs(*f.input.domain, samples) if runs else []
    target = parse_function(str(f.claims["target"])) if "target" in f.claims else None
    times = sample_times(steps, plot_points)
    keep = set(times)
    rate_ts = {T for T in error_times if steps >= T} if target is not None else set()
    exact_fx = [value_at(target, x) if target is not None else None for x in xs]
    refs = [fx if fx is not None or target is None else parse_number(str(approx_at(target, x)))
            for x, fx in zip(xs, exact_fx, strict=True)]
    rate_refs = [r for r in refs if r is not None]  # all of refs when there are rate times (a target is given)
    values: list[list[str]] = [[] for _ in xs]
    errors: dict[int, list[tuple[fmpq, bool, fmpq]]] = {T: [] for T in rate_ts}
    if xs:
        rollouts = run_many(net, xs, steps) if fast else _run_each(net, xs, steps, f.input.kind)
        for t, ys in rollouts:
            if t in keep:
                for k, y in enumerate(ys):
                    values[k].append(decimal(y, 12))
            if t in rate_ts:
                errors[t] = [(abs(y - ref), fx is not None, x) for y, ref, fx, x in zip(ys, rate_refs, exact_fx, xs,
                                                                                       strict=True)]
    return Samples(tuple(xs), steps, tuple(times), tuple(tuple(v) for v in values),
                   tuple(None if r is None else decimal(r, 12) for r in refs), errors)
