"""Rigorous float64 rollouts of any network: stacked layers, P and Q, every activation, constant or impulse input.

Each layer keeps its units as affine forms ``C + Σ_k G_k ξ_k ± R`` in the input generators ξ_k ∈ [-1, 1]
(no generator: plain balls). One step of layer ℓ multiplies ``[Wˡ_hh | Wˡ_in | bˡ]`` with
``[Cˡ; Cᵘ; 1]`` and the generators, and its radius matrix Ĝ with ``α(|C| + Σ|G|) + R``: the bound of
:mod:`certify.execute.interval` (Higham's γ_k, the weights' rounding, underflow), per layer. The input
u of layer 1 is x (x at t = 1 and 0 after for an impulse), of layer ℓ > 1 the new state of layer ℓ − 1.
The activation is then applied rigorously (:mod:`certify.execute.activation_balls`). P and Q are folded
into the weights exactly (:mod:`certify.execute.layers`). No lane splitting: every unit is a float lane.

>>> from certify.spec.network import Layer, Network
>>> from certify.spec.sparse import SparseMatrix
>>> from certify.execute.enclosure import Inputs
>>> net = Network(layers=(Layer.from_dense(W_hh=[[1]], W_ih=[[1]], b=[0], activation="hardtanh"),
...                       Layer.from_dense(W_hh=[[0]], W_ih=[[2]], b=[0], activation="tanh")),
...               W_out=SparseMatrix.from_dense([[1]]), b_out=(fmpq(0),))
>>> enc = rollout_layered(net, Inputs.points([fmpq(1, 2)]), steps=3, times=[1, 3])
>>> import math; [bool(abs(float(enc.mid[i, 0, 0]) - math.tanh(v)) < 1e-12) for i, v in enumerate((1, 2))]
[True, True]
>>> float(enc.rad.max()) < 1e-12
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from flint import fmpq

from certify.errors import InputError
from certify.execute import activation_balls as actb
from certify.execute.backend import Backend, get_backend
from certify.execute.enclosure import Enclosures, Inputs
from certify.execute.interval import BallMatrix, ball_matrix
from certify.execute.lanes import exact_to_floats
from certify.execute.layers import Folded, Stage, check_kind, fold
from certify.execute.rounding import float_balls, up
from certify.spec.network import Network
from certify.spec.sparse import SparseMatrix

Progress = Callable[[int], None]


def stage_matrix(blocks: Iterable[tuple[SparseMatrix, int]], rows: int, bias: tuple[fmpq, ...],
                 where: str) -> BallMatrix:
    """The ball matrix of ``[B₁ | B₂ | … | b]`` (exact blocks side by side, bias last)."""
    blocks = list(blocks)
    k = sum(width for _, width in blocks) + 1
    cells: list[tuple[int, int, fmpq]] = []
    off = 0
    for mat, width in blocks:
        cells += [(i, off + j, v) for i, j, v in mat.entries()]
        off += width
    vals, relerr = exact_to_floats([c[2] for c in cells], f"{where} weight")
    A = np.zeros((rows, k))
    for (i, j, _), v in zip(cells, vals, strict=True):
        A[i, j] = v
    b_mid, b_rad = float_balls(bias, f"{where} bias")
    A[:, -1] = b_mid
    return ball_matrix(A, relerr, b_rad)


class LayeredLanes:
    """A batch of affine-form (or ball, ``ngen = 0``) enclosures of every layer's state, one lane per column."""

    def __init__(self, backend: Backend, folded: Folded, x: tuple[np.ndarray, list[np.ndarray], np.ndarray],
                 kind: str = "constant") -> None:
        self.backend, self.folded, self.kind = backend, folded, kind
        xc, xg, xr = x
        self.B, self.ngen = xc.shape[1], len(xg)
        be = backend
        widths = [folded.input_dim] + [s.size for s in folded.stages[:-1]]
        self.mats = [stage_matrix([(s.W_hh, s.size), (s.W_in, w)], s.size, s.b, f"layers[{k}]")
                     for k, (s, w) in enumerate(zip(folded.stages, widths, strict=True))]
        last = folded.stages[-1].size
        self.out = stage_matrix([(folded.W_out, last)], folded.output_dim, folded.b_out, "readout")
        self.dev = [(be.asarray(m.A), be.asarray(m.G)) for m in self.mats]
        self.x = (be.asarray(xc), [be.asarray(g) for g in xg], be.asarray(xr))
        self.state: list[tuple[Any, list[Any], Any]] = []
        for k, s in enumerate(folded.stages):
            m, r = float_balls(list(s.h0), f"layers[{k}].h0")
            self.state.append((be.asarray(np.tile(m[:, None], (1, self.B))),
                               [be.asarray(np.zeros((s.size, self.B))) for _ in range(self.ngen)],
                               be.asarray(np.tile(r[:, None], (1, self.B)))))
        self.t = 0
        self.ok = np.ones(self.B, dtype=bool)

    def _input(self) -> tuple[Any, list[Any], Any]:
        if self.kind == "impulse" and self.t > 1:
            xc, xg, xr = self.x
            xp = self.backend.xp
            return xp.zeros_like(xc), [xp.zeros_like(g) for g in xg], xp.zeros_like(xr)
        return self.x

    def _product(self, A: Any, G: Any, alpha: float,
                 parts: list[tuple[Any, list[Any], Any]]) -> tuple[Any, list[Any], Any]:
        """``(A·C, [A·G_k], Ĝ·V)`` for the operand made of ``parts`` stacked, then a row of ones."""
        xp = self.backend.xp
        ones = xp.ones((1, self.B), dtype=xp.float64)
        zeros = xp.zeros((1, self.B), dtype=xp.float64)
        C = xp.concat([p[0] for p in parts] + [ones], axis=0)
        gens = [xp.concat([p[1][k] for p in parts] + [zeros], axis=0) for k in range(self.ngen)]
        absum = xp.abs(C)
        for g in gens:
            absum = absum + xp.abs(g)
        V = xp.concat([absum[:-1] * alpha + xp.concat([p[2] for p in parts], axis=0), ones * alpha], axis=0)
        Y = xp.matmul(A, xp.concat([C] + gens, axis=1))
        return Y[:, :self.B], [Y[:, (k + 1) * self.B:(k + 2) * self.B] for k in range(self.ngen)], xp.matmul(G, V)

    def step(self) -> None:
        """Advance every lane by one rigorous step of every layer (layer ℓ reads layer ℓ − 1 at this step)."""
        self.t += 1
        xp = self.backend.xp
        u = self._input()
        with np.errstate(all="ignore"):
            for k, (stage, mat) in enumerate(zip(self.folded.stages, self.mats, strict=True)):
                A, G = self.dev[k]
                Dc, Dg, S = self._product(A, G, mat.alpha, [self.state[k], u])
                total = Dc + S
                for g in Dg:
                    total = total + xp.abs(g)
                self.ok &= self.backend.to_numpy(xp.all(xp.isfinite(total), axis=0)).astype(bool)
                self.state[k] = _activate(stage, xp, Dc, Dg, S)
                u = self.state[k]

    def finite(self) -> np.ndarray:
        return self.ok.copy()

    def readout(self) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
        """Host ``(c, [g_k], r)`` of y for the current state, each ``(d_out, B)``."""
        be = self.backend
        with np.errstate(all="ignore"):
            c, gs, r = self._product(be.asarray(self.out.A), be.asarray(self.out.G), self.out.alpha, [self.state[-1]])
        return be.to_numpy(c), [be.to_numpy(g) for g in gs], be.to_numpy(r)


def _activate(stage: Stage, xp: Any, Dc: Any, Dg: list[Any], S: Any) -> tuple[Any, list[Any], Any]:
    if not Dg:
        M, R = actb.ball(stage.activation, xp, Dc, S)
        return M, [], R
    return actb.affine_pwl(stage.activation, xp, Dc, Dg, S)


def input_forms(inputs: Inputs, d: int, mode: str) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Host ``(centre, [generators], rad)`` of x, each ``(d, B)``: balls (no generator) or affine forms.

    Affine mode: one generator ξ when every input dimension is the same x (:meth:`Inputs.intervals`),
    one per dimension for a box (:meth:`Inputs.boxes`).
    """
    if mode == "ball":
        m, r = inputs.vector_balls(d)
        return m, [], r
    c, g, r = inputs.vector_affine(d)
    if inputs.box is None:
        return c, [g], r
    gens = []
    for k in range(d):
        gk = np.zeros_like(g)
        gk[k] = g[k]
        gens.append(gk)
    return c, gens, r


def rollout_layered(net: Network, inputs: Inputs, steps: int, times: Iterable[int], backend: str | Backend = "numpy",
                    mode: str = "auto", kind: str = "constant", progress: Progress | None = None) -> Enclosures:
    """Rigorous enclosures of y_t at the requested ``times`` for any network (see the module text)."""
    be = backend if isinstance(backend, Backend) else get_backend(backend)
    check_kind(kind, "float64")
    if mode == "auto":
        mode = "ball" if inputs.is_points else "affine"
    if mode not in ("ball", "affine"):
        raise InputError(f"mode={mode!r} is not ball or affine")
    folded = fold(net)
    lanes = LayeredLanes(be, folded, input_forms(inputs, folded.input_dim, mode), kind)
    wanted = sorted({t for t in times if 1 <= t <= steps})
    want = set(wanted)
    mids, gens, rads = [], [], []
    for t in range(1, steps + 1):
        lanes.step()
        if t in want:
            c, gs, r = lanes.readout()
            if inputs.box is not None:  # a box: report a ball (|Σ g_k ξ_k| ≤ Σ |g_k|)
                for g in gs:
                    r = up(r + np.abs(g))
                gs = []
            mids.append(c.T)
            rads.append(r.T)
            if gs:
                gens.append(gs[0].T)
        if progress is not None and (t % 256 == 0 or t == steps):
            progress(t)
    shape = (0, inputs.size, folded.output_dim)
    affine_out = mode == "affine" and inputs.box is None
    return Enclosures(times=tuple(wanted), inputs=inputs, mid=np.stack(mids) if mids else np.zeros(shape),
                      rad=np.stack(rads) if rads else np.zeros(shape),
                      gen=(np.stack(gens) if gens else np.zeros(shape)) if affine_out else None,
                      finite=lanes.finite(), backend=be.name, exact_units=0,
                      notes=(f"{net.describe()}, {kind} input: every unit in float64 lanes",))
