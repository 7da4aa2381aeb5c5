"""Affine-in-x enclosures for x-intervals: each unit is ``c + g·ξ ± r`` with ``ξ = (x - x_mid)/x_half ∈ [-1, 1]``.

One input generator ξ, shared by every unit (all inputs equal x). Affine maps are carried exactly
(up to rounding, bounded as in :mod:`certify.execute.interval`); a ReLU is kept exact where the unit
is provably active (c - |g| - r ≥ 0) or inactive (c + |g| + r ≤ 0) and relaxed only where it
straddles zero, DeepZ-style: for any λ ∈ [0, 1], relu(z) - λz ∈ [0, Δ] on [l, u] with
Δ = max(-λl, (1 - λ)u), so relu(z) ∈ λc + Δ/2 + λg·ξ ± (λr + Δ/2). Every quantity that feeds a bound
is rounded upward with :func:`~certify.execute.rounding.up`. This is what the sup-norm certificate
needs: the width of the enclosure does not grow with the width of the x-interval.

>>> import numpy as np
>>> from certify.execute.backend import get_backend
>>> from certify.execute.interval import ball_matrix
>>> bm = ball_matrix(np.array([[0.5, 1.0, 0.0]]))                  # h' = relu(h/2 + x)
>>> lanes = AffineLanes(get_backend("numpy"), bm, h0=(np.zeros((1, 1)), np.zeros((1, 1))),
...                     x=(np.array([[0.5]]), np.array([[0.25]]), np.zeros((1, 1))))   # x ∈ [1/4, 3/4]
>>> for _ in range(3):
...     lanes.step()
>>> c, g, r = lanes.state()
>>> float(c[0, 0]), float(g[0, 0]), bool(r[0, 0] < 1e-15)           # 1.75·x exactly: 0.875 + 0.4375·ξ
(0.875, 0.4375, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from certify.execute.backend import Backend
from certify.execute.interval import BallMatrix
from certify.execute.rounding import up


class AffineLanes:
    """A batch of affine-in-ξ enclosures of ``h_t = relu(Â [h; x; 1])``; one lane per x-interval.

    ``h0`` is a host ``(mid, rad)`` pair ``(n, B)``; ``x`` a host ``(centre, generator, rad)`` triple ``(d, B)``.
    """

    def __init__(self, backend: Backend, bm: BallMatrix, h0: tuple[np.ndarray, np.ndarray],
                 x: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        n, k = bm.shape
        hm, hr = np.asarray(h0[0], float), np.asarray(h0[1], float)
        xc, xg, xr = (np.asarray(a, float) for a in x)
        if hm.shape[0] != n or n + xc.shape[0] + 1 != k:
            raise ValueError(f"AffineLanes: matrix shape {bm.shape} does not fit h0 {hm.shape} and x {xc.shape}")
        self.backend, self.n, self.B, self.alpha = backend, n, hm.shape[1], bm.alpha
        ones, zeros = np.ones((1, self.B)), np.zeros((1, self.B))
        C = np.vstack([hm, xc, ones])
        Gn = np.vstack([np.zeros_like(hm), xg, zeros])
        R = np.vstack([hr, xr, zeros])
        V = (np.abs(C) + np.abs(Gn)) * bm.alpha + R
        self.A, self.G = backend.asarray(bm.A), backend.asarray(bm.G)
        self.C, self.Gn, self.V = backend.asarray(C), backend.asarray(Gn), backend.asarray(V)
        self.R = backend.asarray(hr)
        self.ok = np.ones(self.B, dtype=bool)

    def set_bias(self, a_col: Any, g_col: Any) -> None:
        """Replace the bias column (centre and radius) of the step matrix."""
        xp, be = self.backend.xp, self.backend
        self.A = xp.concat([self.A[:, :-1], xp.reshape(be.asarray(be.to_numpy(a_col)), (self.n, 1))], axis=1)
        self.G = xp.concat([self.G[:, :-1], xp.reshape(be.asarray(be.to_numpy(g_col)), (self.n, 1))], axis=1)

    def _products(self, A: Any, G: Any) -> tuple[Any, Any, Any]:
        xp, B = self.backend.xp, self.B
        Y = xp.matmul(A, xp.concat([self.C, self.Gn], axis=1))
        return Y[:, :B], Y[:, B:], xp.matmul(G, self.V)

    def step(self) -> None:
        """Advance every lane by one rigorous affine step."""
        if self.n == 0:
            return
        with np.errstate(all="ignore"):  # overflow and NaN are expected: such lanes are marked not finite
            self._step()

    def _step(self) -> None:
        xp, n = self.backend.xp, self.n
        Dc, Dg, S = self._products(self.A, self.G)
        s_up = up(xp.abs(Dg) + S)
        self.ok &= self.backend.to_numpy(xp.all(xp.isfinite(Dc + s_up), axis=0)).astype(bool)
        active = Dc >= s_up
        dead = -Dc >= s_up
        # relaxation where the unit straddles 0 (values elsewhere are discarded by the masks below)
        u_up = up(Dc + s_up)
        nl_up = up(s_up - Dc)
        lam = xp.clip(u_up / (u_up + nl_up), 0.0, 1.0)
        lam = xp.where(xp.isnan(lam), xp.ones_like(lam), lam)
        delta = xp.maximum(up(lam * nl_up), up(up(1.0 - lam) * u_up))
        half = delta * 0.5
        lc = lam * Dc
        c_new = lc + half
        g_new = lam * Dg
        err = up(up(up(xp.abs(lc) + xp.abs(c_new)) + xp.abs(g_new)) * 2.0**-52)
        r_new = up(up(up(lam * S) + up(half)) + err)
        zero = xp.zeros_like(Dc)
        C = xp.where(active, Dc, xp.where(dead, zero, c_new))
        Gh = xp.where(active, Dg, xp.where(dead, zero, g_new))
        R = xp.where(active, S, xp.where(dead, zero, r_new))
        self.C = xp.concat([C, self.C[n:, :]], axis=0)
        self.Gn = xp.concat([Gh, self.Gn[n:, :]], axis=0)
        self.V = xp.concat([(xp.abs(C) + xp.abs(Gh)) * self.alpha + R, self.V[n:, :]], axis=0)
        self.R = R

    def finite(self) -> np.ndarray:
        return self.ok.copy()

    def state(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Host ``(c, g, r)`` of the hidden units, each ``(n, B)``."""
        be = self.backend
        return be.to_numpy(self.C[: self.n, :]), be.to_numpy(self.Gn[: self.n, :]), be.to_numpy(self.R)

    def readout(self, bm: BallMatrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Host ``(c, g, r)`` of ``[W_out | 0 | b_out] [h; x; 1]`` (no ReLU)."""
        be = self.backend
        with np.errstate(all="ignore"):
            c, g, r = self._products(be.asarray(bm.A), be.asarray(bm.G))
        return be.to_numpy(c), be.to_numpy(g), be.to_numpy(r)
