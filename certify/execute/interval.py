"""Rigorous float64 midpoint-radius ("ball") steps of ``relu(W h + b)``, vectorized over a batch of inputs.

No rounding-mode control (``research/rigorous-numerics.md`` §1.5). The operand matrix holds the
centres ``X = [M; x; 1]`` and the radius operand ``V = [α|M| + R; α|x| + r_x; α]``. One step is

    D = fl(Â X)          centre, one ordinary GEMM (bias folded in)
    S = fl(Ĝ V)          radius, one GEMM on Ĝ ≥ κ(1 + c)|Â| -- already rigorous, no post-processing
    M' = relu(D),  R' = S where D + S > 0 else 0      (ReLU is 1-Lipschitz; exact float comparisons)

with α ≥ γ_k + c (Higham's γ_k ≤ (k+1)u, Jeannerod–Rump), κ = 1 + (k+8)·2^-52 so that
κ(1-u)^(k+6) ≥ 1, c the relative error of rounding the exact rational weights to float64 (0 when
they are dyadic and short), and an underflow term τ = realmin in Ĝ's bias column (row sums of Ĝ are
kept below 2^40). Proof: the exact pre-activation z satisfies
|z - D| ≤ (1+c)|Â|R + (γ_k + c)|Â||M| + kη ≤ S. A lane whose D + S is not finite at some step is
marked not finite for good (an overflowed centre is not an enclosure).

>>> from certify.execute.backend import get_backend
>>> bm = ball_matrix(np.array([[0.5, 1.0, 0.0], [-1.0, 0.0, 0.25]]))   # [W_hh | W_ih | b], 2 rows
>>> lanes = BallLanes(get_backend("numpy"), bm, h0=(np.zeros((1, 2)), np.zeros((1, 2))),
...                   x=(np.array([[0.5, -0.5]]), np.zeros((1, 2))))
Traceback (most recent call last):
...
ValueError: BallLanes: matrix has 2 rows but h0 has 1
>>> bm = ball_matrix(np.array([[0.5, 1.0, 0.0]]))                      # h' = relu(h/2 + x)
>>> lanes = BallLanes(get_backend("numpy"), bm, h0=(np.zeros((1, 2)), np.zeros((1, 2))),
...                   x=(np.array([[0.5, -0.5]]), np.zeros((1, 2))))
>>> for _ in range(3):
...     lanes.step()
>>> m, r = lanes.state()
>>> m.tolist(), bool(r.max() < 1e-15), lanes.finite().tolist()
([[0.875, 0.0]], True, [True, True])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from flint import fmpq

from certify.errors import InputError
from certify.execute.backend import Backend
from certify.execute.rounding import REALMIN, U, nearest, next_up, next_up_nonzero

MAX_INNER = 2**24  #: largest inner dimension k the a-priori constants are derived for
MAX_ROW_SUM = 2.0**40  #: largest row sum of Ĝ: keeps (row sum)·η far below the realmin underflow term
EXACT_LIMIT = 2.0**1000  #: largest |weight| accepted (products with states must not overflow silently)


def alpha_for(k: int, relerr: float = 0.0) -> float:
    """α: a power of two ≥ γ_k + c, with γ_k ≤ (k+1)u (valid for k(k+1)u ≤ 1).

    >>> alpha_for(100) == 2.0**-46, alpha_for(100, 2.0**-52) == 2.0**-46
    (True, True)
    """
    if not 1 <= k <= MAX_INNER:
        raise InputError(f"inner dimension k={k} is outside 1..{MAX_INNER} for the float64 executor")
    need = (k + 1) * U + relerr
    return 2.0 ** math.ceil(math.log2(need))


@dataclass(frozen=True)
class BallMatrix:
    """Float64 data for rigorous products with an exact matrix ``[W | b]`` (last column: the bias).

    ``A`` are float centres, ``G ≥ κ(1+c)|A|`` the radius matrix, its last column also carrying the
    bias radius and the underflow term τ, ``alpha`` the weight of ``|M|`` in the radius operand.
    """

    A: np.ndarray
    G: np.ndarray
    alpha: float
    relerr: float
    kappa: float
    tau: float

    @property
    def shape(self) -> tuple[int, int]:
        return self.A.shape

    def bias_column(self, b_mid: np.ndarray, b_rad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The (A, G) last columns for a bias ball ``<b_mid, b_rad>`` (used when the bias changes per step)."""
        scale = next_up_nonzero(np.float64(self.kappa) * (1 + self.relerr))
        extra = next_up_nonzero(next_up_nonzero(b_rad + self.tau) / self.alpha)
        g = next_up_nonzero(scale * next_up_nonzero(np.abs(b_mid) + extra))
        return np.asarray(b_mid, dtype=np.float64), g


def ball_matrix(
    centre: np.ndarray, relerr: float = 0.0, bias_rad: np.ndarray | None = None,
    sim_relerr: float = 0.0, tau_extra: float = 0.0, alpha: float | None = None,
) -> BallMatrix:
    """Build the float data for the exact matrix ``centre`` (+ entries within ``relerr``·|centre|).

    ``sim_relerr``/``tau_extra`` add a simulated rounding of another format (the precision certificate):
    every product is also allowed that relative error, every row that absolute error.

    >>> bm = ball_matrix(np.array([[0.5, -1.0, 0.25]]))
    >>> bm.alpha == 2.0**-51, bool(bm.G[0, 0] > 0.5), bool(bm.G[0, 2] > 0.25)
    (True, True, True)
    """
    A = np.ascontiguousarray(np.asarray(centre, dtype=np.float64))
    if A.ndim != 2 or A.shape[1] < 1:
        raise ValueError(f"ball_matrix: need a 2-D matrix [W | b], got shape {A.shape}")
    if not np.all(np.isfinite(A)) or (A.size and np.max(np.abs(A)) > EXACT_LIMIT):
        raise InputError("a weight is not finite or exceeds 2^1000 in magnitude; use --backend arb or exact")
    k = A.shape[1]
    c = float(next_up_nonzero(np.float64(relerr + sim_relerr + relerr * sim_relerr))) if relerr or sim_relerr else 0.0
    a = alpha_for(k, c)
    if alpha is not None:
        if alpha < a:
            raise ValueError(f"ball_matrix: alpha={alpha} is below the required {a}")
        a = alpha
    kappa = 1 + (k + 8) * 2.0**-52
    tau = float(next_up_nonzero(np.float64(REALMIN + tau_extra)))
    scale = next_up_nonzero(np.float64(kappa) * (1 + c))
    G = next_up_nonzero(scale * np.abs(A))
    bm = BallMatrix(A, G, a, c, kappa, tau)
    b_rad = np.zeros(A.shape[0]) if bias_rad is None else np.asarray(bias_rad, dtype=np.float64)
    G[:, -1] = bm.bias_column(A[:, -1], b_rad)[1]
    rows = G[:, :-1].sum(axis=1) if k > 1 else np.zeros(A.shape[0])
    if rows.size and float(rows.max()) > MAX_ROW_SUM:
        i = int(rows.argmax())
        raise InputError(f"row {i} of the weights has sum |w| ≈ {rows[i]:.3g} > 2^40, beyond the float64 "
                         "executor's underflow bound; use --backend arb")
    return bm


class BallLanes:
    """A batch of float64 ball enclosures of ``h_t = relu(Â [h; x; 1])``, one lane (column) per input.

    ``h0`` and ``x`` are host ``(mid, rad)`` pairs of shapes ``(n, B)`` and ``(d, B)``. The bias column
    may be replaced before any step with :meth:`set_bias` (lane splitting feeds exact values there).
    """

    def __init__(self, backend: Backend, bm: BallMatrix, h0: tuple[np.ndarray, np.ndarray],
                 x: tuple[np.ndarray, np.ndarray], fused: bool = True) -> None:
        n, k = bm.shape
        (hm, hr), (xm, xr) = (np.asarray(h0[0], float), np.asarray(h0[1], float)), (np.asarray(x[0], float),
                                                                                      np.asarray(x[1], float))
        if hm.shape[0] != n:
            raise ValueError(f"BallLanes: matrix has {n} rows but h0 has {hm.shape[0]}")
        if n + xm.shape[0] + 1 != k:
            raise ValueError(f"BallLanes: matrix has {k} columns, expected {n} + {xm.shape[0]} + 1")
        self.backend, self.n, self.k, self.B, self.alpha = backend, n, k, hm.shape[1], bm.alpha
        self.fused = fused and backend.native is not None
        X = np.vstack([hm, xm, np.ones((1, self.B))])
        V = np.vstack([_radius_operand(hm, hr, bm.alpha), _radius_operand(xm, xr, bm.alpha),
                       np.full((1, self.B), bm.alpha)])
        self.A, self.G = backend.asarray(bm.A), backend.asarray(bm.G)
        self.X, self.V = backend.asarray(X), backend.asarray(V)
        self.R = backend.asarray(hr)
        self.ok = np.ones(self.B, dtype=bool)
        self._kernel = _make_kernels(backend) if self.fused else None
        self._static_rows = np.maximum(np.abs(bm.A[:, :-1]).sum(axis=1), bm.G[:, :-1].sum(axis=1)) if k > 1 \
            else np.zeros(n)
        self._growth = self._growth_of(np.abs(bm.A[:, -1]), bm.G[:, -1])
        self._horizon = 0
        if self.fused:
            xp = backend.native
            self.D, self.S = xp.empty((n, self.B)), xp.empty((n, self.B))
            self.Ubuf, self.mask = xp.empty((n, self.B)), xp.empty((n, self.B), dtype=bool)
            self.flags = xp.zeros(self.B, dtype=xp.int32)

    # --- one step -----------------------------------------------------------------------------
    def _growth_of(self, a_abs: np.ndarray, g: np.ndarray) -> float:
        """log2 of a per-step growth bound 4·max(1, row sums of |Â| and Ĝ) of every entry of X and V."""
        rows = self._static_rows + np.maximum(a_abs, g) if self.n else np.zeros(1)
        return float(np.log2(4 * max(1.0, float(rows.max()))))

    def set_bias(self, a_col: Any, g_col: Any) -> None:
        """Replace the bias column (centre and radius) of the step matrix (device arrays or host)."""
        if isinstance(a_col, np.ndarray) and isinstance(g_col, np.ndarray):
            growth = self._growth_of(np.abs(a_col), g_col)
            if growth > self._growth:
                self._growth, self._horizon = growth, 0
        else:
            self._horizon = 0
        if self.fused:
            self.A[:, -1] = a_col
            self.G[:, -1] = g_col
        else:
            xp = self.backend.xp
            self.A = xp.concat([self.A[:, :-1], xp.reshape(self.backend.asarray(a_col), (self.n, 1))], axis=1)
            self.G = xp.concat([self.G[:, :-1], xp.reshape(self.backend.asarray(g_col), (self.n, 1))], axis=1)

    def step(self) -> None:
        """Advance every lane by one rigorous step."""
        if self.n == 0:
            return
        with np.errstate(all="ignore"):  # overflow and NaN are expected: such lanes are marked not finite
            if self.fused and self.backend.name == "numpy":
                self._step_numpy()
            elif self.fused:
                self._step_cupy()
            else:
                self._step_generic()

    def _step_generic(self) -> None:
        xp, n = self.backend.xp, self.n
        D = xp.matmul(self.A, self.X)
        S = xp.matmul(self.G, self.V)
        Usum = D + S
        self._mark(xp.all(xp.isfinite(Usum), axis=0))
        zero = xp.zeros_like(D)
        M = xp.where(D > 0, D, zero)
        R = xp.where(Usum > 0, S, zero)
        self.X = xp.concat([M, self.X[n:, :]], axis=0)
        self.V = xp.concat([self.alpha * M + R, self.V[n:, :]], axis=0)
        self.R = R

    def _step_numpy(self) -> None:
        n, D, S, Ub, mask = self.n, self.D, self.S, self.Ubuf, self.mask
        np.matmul(self.A, self.X, out=D)
        np.matmul(self.G, self.V, out=S)
        np.add(D, S, out=Ub)
        if self._horizon > 0:
            self._horizon -= 1
        else:
            self._check_horizon()
        np.greater(Ub, 0.0, out=mask)
        np.multiply(S, mask, out=S)
        Xh, Vh = self.X[:n], self.V[:n]
        np.maximum(D, 0.0, out=Xh)
        np.multiply(Xh, self.alpha, out=Vh)
        np.add(Vh, S, out=Vh)
        self.R = S

    def _check_horizon(self) -> None:
        """Per-lane finiteness of this step, and how many next steps provably cannot overflow.

        Every entry of X and V grows by at most 2^growth per step, so while the largest entry ``g``
        satisfies g·2^(growth·K) < 2^1000 no inf or NaN can appear in the next K steps and the
        per-step check is skipped (saves a pass over the state on long, well-scaled runs).
        """
        self.ok &= np.isfinite(self.Ubuf.sum(axis=0))
        n = self.n
        big = max(float(self.X[:n, self.ok].max(initial=1.0)), float(self.V[:n, self.ok].max(initial=1.0)),
                  float(np.abs(self.X[n:]).max(initial=1.0)), float(np.abs(self.Ubuf[:, self.ok]).max(initial=1.0)),
                  float(self.S[:, self.ok].max(initial=1.0)))
        if np.isfinite(big) and big < 2.0**900:
            self._horizon = max(0, int((1000 - np.log2(big)) / self._growth) - 1)

    def _step_cupy(self) -> None:
        cp, n = self.backend.native, self.n
        cp.matmul(self.A, self.X, out=self.D)
        cp.matmul(self.G, self.V, out=self.S)
        assert self._kernel is not None  # fused CuPy lanes always have their kernel
        self._kernel(self.D, self.S, self.alpha, self.B, self.flags, self.X[:n], self.V[:n], self.S)
        self.R = self.S

    def _mark(self, ok_lanes: Any) -> None:
        self.ok &= self.backend.to_numpy(ok_lanes).astype(bool)

    # --- reading the state ----------------------------------------------------------------------
    def finite(self) -> np.ndarray:
        """Per lane: every enclosure so far was finite (False lanes hold no valid enclosure)."""
        if self.fused and self.backend.name == "cupy":
            return self.ok & (self.backend.to_numpy(self.flags) == 0)
        return self.ok.copy()

    def state(self) -> tuple[np.ndarray, np.ndarray]:
        """Host ``(M, R)`` of the hidden units, shape ``(n, B)``; lanes not :meth:`finite` are meaningless."""
        xp = self.backend.xp
        return self.backend.to_numpy(self.X[: self.n, :]), self.backend.to_numpy(xp.abs(self.R))

    def readout(self, bm: BallMatrix) -> tuple[np.ndarray, np.ndarray]:
        """Host ``(mid, rad)`` of ``[W_out | 0 | b_out] [h; x; 1]`` for the current state (no ReLU)."""
        xp = self.backend.xp
        A, G = self.backend.asarray(bm.A), self.backend.asarray(bm.G)
        with np.errstate(all="ignore"):
            return self.backend.to_numpy(xp.matmul(A, self.X)), self.backend.to_numpy(xp.matmul(G, self.V))


def _radius_operand(m: np.ndarray, r: np.ndarray, alpha: float) -> np.ndarray:
    """``fl(fl(α|m|) + r)`` on the host (the same two roundings as the device step)."""
    return np.abs(m) * alpha + r


def _make_kernels(backend: Backend):
    """The fused ReLU/radius-operand pass: NumPy does it in :meth:`BallLanes._step_numpy`; CuPy gets one kernel."""
    if backend.name != "cupy":
        return None
    cp = backend.native
    kernel = cp.ElementwiseKernel(
        "float64 d, float64 s, float64 alpha, int32 ncols",
        "raw int32 flags, float64 m, float64 v, float64 r",
        """
        double u = __dadd_rn(d, s);
        if (!isfinite(u)) { flags[i % ncols] = 1; }
        double keep = (u > 0.0) ? s : 0.0;
        double mm = (d > 0.0) ? d : 0.0;
        m = mm;
        v = __dadd_rn(__dmul_rn(alpha, mm), keep);
        r = keep;
        """,
        "certify_ball_relu",
    )

    def run(D, S, alpha, ncols, flags, M_out, V_out, R_out):
        kernel(D, S, alpha, ncols, flags, M_out, V_out, R_out)

    return run


@dataclass(frozen=True)
class SimFormat:
    """A p-bit binary floating-point format (round to nearest, gradual underflow) to be *simulated*.

    With it, enclosures also contain the trajectory of any execution in that format, whatever its
    summation order: weights, inputs and h0 rounded to p bits, every dot product within
    ``γ_k^(p)|W||h| + k·η_p`` (the precision certificate uses this).

    >>> f32 = SimFormat(24, -126)
    >>> f32.unit == 2.0**-24, f32.eta == 2.0**-149, 0 < f32.relerr(10) < 13 * 2.0**-24
    (True, True, True)
    """

    bits: int
    emin: int

    @property
    def unit(self) -> float:
        return 2.0 ** -self.bits

    @property
    def eta(self) -> float:
        return 2.0 ** (self.emin - self.bits + 1)

    @property
    def max(self) -> float:
        """A bound below the format's overflow threshold (2^(1 - emin), the IEEE emax + 1)."""
        return 2.0 ** (-self.emin)

    def relerr(self, k: int) -> float:
        """An upper bound of γ_k(1 + u) + u for this format's u (dot products of length k, weights rounded)."""
        u = fmpq(1, 2**self.bits)
        gamma = (k + 1) * u / (1 - (k + 1) * u)
        bound = gamma * (1 + u) + u
        return next_up(nearest(bound))
