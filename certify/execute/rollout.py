"""The batched rigorous rollout: exact lanes for x-independent units, float64 ball or affine lanes for the rest.

``rollout_intervals(net, inputs, steps, times)`` returns :class:`~certify.execute.enclosure.Enclosures`
of y_t at the sampled times. Points run as balls; x-intervals as affine forms (``mode="affine"``) or
balls. With ``split=True`` (the default) the x-independent units are computed exactly
(:mod:`certify.execute.lanes`); if their exact values grow past ``max_exact_bits`` (a network with
no discrete structure), they are moved into the float lanes at that step, soundly.

>>> from certify.compiler.tmnu_to_rnn import compile_program
>>> from certify.constructions.examples import squaring
>>> from certify.execute.enclosure import Inputs
>>> net = compile_program(squaring()).network
>>> enc = rollout_intervals(net, Inputs.grid(fmpq(-1), fmpq(1), 5), steps=30, times=[30])
>>> [round(float(v), 6) for v in enc.mid[0, :, 0]], bool(enc.width() < 1e-9), bool(enc.finite.all())
([1.0, 0.25, 0.0, 0.25, 1.0], True, True)
>>> enc.exact_units, net.hidden_dim
(15, 39)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from flint import fmpq

from certify.errors import InputError
from certify.execute.affine import AffineLanes
from certify.execute.backend import Backend, get_backend
from certify.execute.enclosure import Enclosures, Inputs
from certify.execute.interval import BallLanes, SimFormat
from certify.execute.lanes import ExactLanes, LaneSplit, dep_matrices, no_split, sim_bias_rad, split_lanes
from certify.execute.layered import rollout_layered
from certify.execute.rounding import float_ball, float_balls, next_up
from certify.spec.network import Network

#: Exact lanes whose values exceed this many bits are moved into the float lanes.
MAX_EXACT_BITS = 1 << 16
#: Distinct exact bias columns kept converted (device arrays) at once.
CACHE_SIZE = 4096

Progress = Callable[[int], None]


def _affine_inputs(inputs: Inputs, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Host (centre, generator, rad) rows ``(d, B)``: x = x_mid + x_half·ξ, with the float64 rounding in rad."""
    mids, halves = inputs.mid_half()
    c, g, r = (np.empty(inputs.size) for _ in range(3))
    for j, (m, h) in enumerate(zip(mids, halves, strict=True)):
        c[j], e1 = float_ball(m, f"x[{j}]")
        g[j], e2 = float_ball(h, f"x[{j}]")
        r[j] = next_up(e1 + e2) if (e1 or e2) else 0.0
    return np.tile(c, (d, 1)), np.tile(g, (d, 1)), np.tile(r, (d, 1))


class _Run:
    """State of one rollout: the exact lanes, the float lanes and their matrices (rebuilt on demotion)."""

    def __init__(self, net: Network, inputs: Inputs, backend: Backend, split: LaneSplit, mode: str,
                 sim: SimFormat | None, checked: bool, h0: tuple[np.ndarray, Any] | None = None) -> None:
        self.net, self.backend, self.split, self.mode, self.sim = net, backend, split, mode, sim
        self.exact = ExactLanes(net, split, checked=checked)
        self.step_bm, self.out_bm = dep_matrices(net, split, self.exact, sim)
        self.k_full = net.hidden_dim + net.input_dim + 1
        B, d = inputs.size, net.input_dim
        if h0 is None:
            m, r = float_balls([net.h0[i] for i in split.dep], "h0")
            if sim:
                r = next_up(r + np.abs(m) * (2 * sim.unit))
            h0 = (np.tile(m[:, None], (1, B)), np.tile(r[:, None], (1, B)))
        if mode == "affine":
            xc, xg, xr = _affine_inputs(inputs, d)
            if sim:
                xr = next_up(xr + (np.abs(xc) + np.abs(xg)) * (2 * sim.unit))
            self.lanes: Any = AffineLanes(backend, self.step_bm, h0, (xc, xg, xr))
        else:
            xm, xr = inputs.balls(d)
            if sim:
                xr = next_up(xr + np.abs(xm) * (2 * sim.unit))
            self.lanes = BallLanes(backend, self.step_bm, h0, (xm, xr))
        self._cache: dict[tuple[fmpq, ...], tuple[Any, Any]] = {}
        self._last: tuple[fmpq, ...] | None = None

    def _bias(self, bm, values: tuple[fmpq, ...], absval: Callable[[], tuple[fmpq, ...]]) -> tuple[Any, Any]:
        b_mid, b_rad = float_balls(values, "bias")
        return bm.bias_column(b_mid, sim_bias_rad(self.sim, self.k_full, b_rad, absval() if self.sim else ()))

    def step(self) -> None:
        if self.exact.feeds:
            beta = self.exact.feed()
            if beta != self._last:
                cols = self._cache.get(beta)
                if cols is None:
                    a, g = self._bias(self.step_bm, beta, self.exact.feed_abs)
                    cols = (self.backend.asarray(a), self.backend.asarray(g)) if self.lanes.__class__ is BallLanes \
                        and self.lanes.fused else (a, g)
                    if len(self._cache) < CACHE_SIZE:
                        self._cache[beta] = cols
                self.lanes.set_bias(*cols)
                self._last = beta
        self.lanes.step()
        self.exact.step()

    def sample(self) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """``(mid, gen or None, rad)`` of y at the current step, shape ``(B, d_out)`` each."""
        a, g = self._bias(self.out_bm, self.exact.out_const(), self.exact.out_abs)
        A, G = self.out_bm.A.copy(), self.out_bm.G.copy()
        A[:, -1], G[:, -1] = a, g
        bm = type(self.out_bm)(A, G, self.out_bm.alpha, self.out_bm.relerr, self.out_bm.kappa, self.out_bm.tau)
        if self.mode == "affine":
            c, gen, r = self.lanes.readout(bm)
            return c.T, gen.T, r.T
        m, r = self.lanes.readout(bm)
        return m.T, None, r.T

    def full_state(self) -> tuple[np.ndarray, np.ndarray]:
        """Host balls ``(n, B)`` of every unit (exact ones converted), for moving to an all-float run."""
        n, B = self.net.hidden_dim, self.lanes.B
        M, R = np.zeros((n, B)), np.zeros((n, B))
        if self.mode == "affine":
            c, g, r = self.lanes.state()
            dm, dr = c, next_up(np.abs(g) + r)
        else:
            dm, dr = self.lanes.state()
        M[list(self.split.dep)], R[list(self.split.dep)] = dm, dr
        em, er = float_balls(list(self.exact.state()), "h")
        M[list(self.split.indep)], R[list(self.split.indep)] = em[:, None], er[:, None]
        return M, R


def rollout_intervals(
    net: Network, inputs: Inputs, steps: int, times: Iterable[int], backend: str | Backend = "numpy",
    split: bool | LaneSplit = True, mode: str = "auto", sim: SimFormat | None = None,
    progress: Progress | None = None, max_exact_bits: int = MAX_EXACT_BITS, checked: bool = True,
    kind: str = "constant",
) -> Enclosures:
    """Rigorous enclosures of y_t (input x in each lane, ``kind`` constant or impulse) at the requested ``times``.

    A one-layer ReLU network with constant input, the same x in every dimension, runs the lane-split
    executor below; every other network (stacked layers, P/Q, any activation, impulse input, a box of
    inputs) runs :func:`~certify.execute.layered.rollout_layered` (no lane splitting, no simulated format).
    """
    be = backend if isinstance(backend, Backend) else get_backend(backend)
    if not (net.is_single_relu and kind == "constant" and inputs.box is None):
        if sim is not None:
            raise InputError(f"simulating a float format needs a one-layer ReLU network with constant input; "
                             f"this one is {net.describe()}, {kind} input")
        if isinstance(split, LaneSplit) and split.indep:
            raise InputError(f"lane splitting needs a one-layer ReLU network; this one is {net.describe()}")
        return rollout_layered(net, inputs, steps, times, backend=be, mode=mode, kind=kind, progress=progress)
    if mode == "auto":
        mode = "ball" if inputs.is_points else "affine"
    if mode not in ("ball", "affine"):
        raise InputError(f"mode={mode!r} is not ball or affine")
    sp = split if isinstance(split, LaneSplit) else (split_lanes(net) if split else no_split(net))
    run = _Run(net, inputs, be, sp, mode, sim, checked)
    wanted = sorted({t for t in times if 1 <= t <= steps})
    want = set(wanted)
    mids: list[np.ndarray] = []
    gens: list[np.ndarray] = []  # affine mode only (balls have no generator)
    rads: list[np.ndarray] = []
    notes: list[str] = []
    ok_before = np.ones(inputs.size, dtype=bool)
    for t in range(1, steps + 1):
        run.step()
        if t in want:
            m, g, r = run.sample()
            mids.append(m)
            if g is not None:
                gens.append(g)
            rads.append(r)
        if run.split.indep and run.exact.period is None and run.exact.max_bits > max_exact_bits:
            M, R = run.full_state()
            ok_before &= run.lanes.finite()
            notes.append(f"exact lanes exceeded {max_exact_bits} bits at t={t}; continued in float lanes")
            run = _Run(net, inputs, be, no_split(net), mode, sim, checked, h0=(M, R))
        if progress is not None and (t % 256 == 0 or t == steps):
            progress(t)
    shape = (0, inputs.size, net.output_dim)
    return Enclosures(
        times=tuple(wanted), inputs=inputs,
        mid=np.stack(mids) if mids else np.zeros(shape), rad=np.stack(rads) if rads else np.zeros(shape),
        gen=(np.stack(gens) if gens else np.zeros(shape)) if mode == "affine" else None,
        finite=ok_before & run.lanes.finite(), backend=be.name, exact_units=len(run.split.indep),
        period=run.exact.period, notes=tuple(notes),
    )
