"""Decay constants sharpened or completed with the certified rows of ``certify memory`` (t ≤ K).

* :func:`refine` (linear networks): C from the rows and the Lyapunov bound restarted at K;
* :func:`residual_decay` (one residual layer with a nonlinear σ): the rows, and a contraction of I + dt·D·W on a
  region of pre-activations the trajectory provably never leaves after K;
* :func:`decay_from_rows` picks between them and :func:`~certify.memory.decay.decay`.

>>> from certify.memory.search import memory
>>> from certify.spec.network import Network
>>> net = Network.from_dense(W_hh=[["-1/2"]], W_ih=[[1]], b=[0], W_out=[[2]], b_out=[0], h0=[0],
...                          activation="identity", cell="residual", dt="1/2")
>>> d = decay_from_rows(net, "abs", "heaviside", memory(net, [(fmpq(-1), fmpq(1))], steps=20, norm="abs"))
>>> d.verdict.value, float(d.C) < 1.01   # 𝓜(t) = (3/4)^t: C = 1 is the best constant
('PROVED', True)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from flint import arb, arb_mat, fmpq, fmpq_mat

from certify.memory import linalg
from certify.memory.decay import LIPSCHITZ_MONOTONE, Decay, decay, state_space
from certify.memory.forms import Compiled, final_state
from certify.memory.intervals import dsigma, lower_q, upper_q
from certify.memory.ratio import box_norm_range
from certify.memory.search import NORMS, MemoryResult
from certify.spec.network import Network
from certify.verdict import Verdict

__all__ = ["decay_from_rows", "refine", "residual_decay"]


def refine(d: Decay, net: Network, norm: str, kind: str, rows: MemoryResult) -> Decay:
    """A smaller C for the same β from the certified rows t ≤ K and the Lyapunov bound restarted at K:

        𝓜(t) ≤ max( max_{t ≤ K} upper_t·e^{βt},  λ^{−K}·min(κ·‖A^K v‖, κ_K·‖v‖) )·e^{−βt},

    where ‖v‖ = max(Σ_j ‖B_j‖_P, s‖e′‖_P), κ_K = max_i √(c_i A^K P⁻¹ (c_i A^K)ᵀ): for t ≥ K,
    δ_{t+1} = A^{t−K}·A^K·(B x + e′) and ‖A^{t−K} w‖_P ≤ λ^{t−K}‖w‖_P (linear networks only)."""
    if d.verdict is not Verdict.PROVED or d.method != "lyapunov" or d.beta is None or d.lam is None:
        return d
    if any(r.upper is None for r in rows.rows):
        return d
    s = NORMS[norm]
    ss = state_space(Compiled.of(net))
    A, lam, beta = ss.A, d.lam, d.beta  # noqa: N806
    n = A.nrows()
    P = fmpq_mat(d.certificate["P"])  # noqa: N806
    K = rows.rows[-1].t  # noqa: N806
    AK = linalg.eye(n)  # noqa: N806
    for _ in range(K):
        AK = AK * A  # noqa: N806
    e1 = fmpq_mat(n, 1) if kind == "impulse" else (A - linalg.eye(n)) * ss.h0 + ss.e
    Pinv = P.inv()  # noqa: N806
    kappa = max((linalg.sqrt_upper(linalg.quad(linalg.row(ss.C_out, i), Pinv)) for i in range(ss.C_out.nrows())),
                default=fmpq(0))
    kb = sum((linalg.sqrt_upper(linalg.quad(AK * linalg.column(ss.B, j), P)) for j in range(ss.B.ncols())), fmpq(0))
    ke = linalg.sqrt_upper(linalg.quad(AK * e1, P)) if s else fmpq(0)
    # or A^K on the readout's side: |c A^K A^{t−K} w| ≤ √(c A^K P⁻¹ (c A^K)ᵀ)·λ^{t−K}·‖w‖_P
    CK = ss.C_out * AK  # noqa: N806
    kappa_k = max((linalg.sqrt_upper(linalg.quad(linalg.row(CK, i), Pinv)) for i in range(CK.nrows())), default=fmpq(0))
    kb0 = sum((linalg.sqrt_upper(linalg.quad(linalg.column(ss.B, j), P)) for j in range(ss.B.ncols())), fmpq(0))
    ke0 = linalg.sqrt_upper(linalg.quad(e1, P)) if s else fmpq(0)
    tail = arb(min(kappa * max(kb, ke), kappa_k * max(kb0, ke0))) / arb(lam) ** K
    head = arb(0)
    for r in rows.rows:
        assert r.upper is not None
        head = head.max(arb(r.upper) * (arb(beta) * r.t).exp())
    C = linalg.round_up(upper_q(head.max(tail)))  # noqa: N806
    if d.C is not None and C >= d.C:
        return d
    return Decay(d.verdict, C, beta, d.reason + f"; C refined with the certified rows t ≤ {K} and the Lyapunov "
                 f"bound restarted at t = {K}", d.method, d.lam, d.certificate, candidates=d.candidates)


def _dsigma_bounds(name: str, r: arb) -> tuple[fmpq, fmpq]:
    """Rationals d_lo ≤ σ′ ≤ d_hi on the interval r (d_hi ≤ 1 for the 1-Lipschitz σ used here)."""
    d = dsigma(name, r)
    lo, hi = lower_q(d), upper_q(d)
    return max(lo, fmpq(0)), min(hi, fmpq(1))


def residual_decay(net: Network, norm: str, kind: str, rows: MemoryResult, bits: int = 30) -> Decay:
    """Decay constants for one residual layer with a nonlinear 1-Lipschitz σ, from the certified rows t ≤ K and
    a contraction that holds where the trajectory provably stays.

    With z_t = W h_{t−1} + U x + b and δ_t = h_t − h_{t−1} (Heaviside): z_{t+1} − z_t = W δ_t and
    δ_{t+1} = (I + dt·D_t·W)·δ_t with D_t the secant slopes of σ between z_t and z_{t+1}. Over every leaf L of the
    final partition the rows' run encloses z_{K+1} and δ_{K+1}. If, on a box R of pre-activations, σ′ ∈ [d_lo, d_hi]
    and a rational P ≻ 0 satisfies λ²P − MᵀPM ≻ 0 at every vertex M = I + dt·D·W of that box of D (exact LDLᵀ; the
    P-norm ball is convex, so every D in between is covered), and R contains z_{K+1}(L) + [−r, r] with
    r_i = ‖w_i‖_{P⁻¹}·‖δ_{K+1}‖_P,max / (1 − λ), then by induction every later z stays in R and
    ‖δ_{K+1+j}‖_P ≤ λ^j‖δ_{K+1}‖_P, so 𝓜(t) ≤ max_i √(c_i P⁻¹ c_iᵀ)·A·λ^{t−K} for t ≥ K (A: the largest
    ‖δ_{K+1}(x)/(|x|_∞ + s)‖_P over the leaves). C = max(max_{t≤K} upper_t·e^{βt}, that constant·λ^{−K})."""
    if kind != "heaviside" or net.depth != 1 or not net.layers[0].residual:
        return Decay(Verdict.UNKNOWN, None, None, "the trajectory contraction is implemented for one residual layer "
                     "under the heaviside input")
    if any(r.upper is None for r in rows.rows) or not rows.leaves:
        return Decay(Verdict.UNKNOWN, None, None, "the rows t ≤ K have no finite upper bound everywhere")
    s = NORMS[norm]
    comp = Compiled.of(net)
    st = comp.stages[0]
    assert st.dt is not None
    n, K = st.W.nrows(), rows.rows[-1].t  # noqa: N806
    finals = [(list(leaf), final_state(comp, list(leaf), [1] * (K + 1))[0]) for leaf in rows.leaves]
    W = st.W  # noqa: N806
    Z = [arb_mat(f.z) for _, f in finals]  # noqa: N806
    a_abs = [[upper_q(f.inc[i, 0].abs_upper()) for i in range(n)] for _, f in finals]
    a_ratio = [_ratio_bounds(box, f, s) for box, f in finals]
    if any(a is None for a in a_ratio):
        return Decay(Verdict.UNKNOWN, None, None, "with --norm abs the increment at x = 0 is not proved zero on a "
                     "leaf containing 0")
    hull = [Z[0][i, 0] for i in range(n)]
    for z in Z[1:]:
        hull = [h.union(z[i, 0]) for i, h in enumerate(hull)]
    margin = [arb(0)] * n
    for _ in range(6):  # R = the hull widened by the last r; stop when the widened hull contains every z + r
        R = [h + arb(0, 1) * m if not m.is_zero() else h for h, m in zip(hull, margin, strict=True)]  # noqa: N806
        found = _common_lyapunov(st, R, bits)
        if found is None:
            return Decay(Verdict.UNKNOWN, None, None, "no P-norm contracts I + dt·D·W for every D allowed by the "
                         "pre-activation range after K steps (σ′ may be near 0 there); try a larger --steps")
        P, lam = found  # noqa: N806
        Pinv = P.inv()  # noqa: N806
        wnorm = [linalg.sqrt_upper(linalg.quad(linalg.row(W, i), Pinv)) for i in range(n)]
        r_by_leaf = []
        for a in a_abs:
            A = _p_norm_bound(a, P)  # noqa: N806
            r_by_leaf.append([arb(wn * A) / (1 - arb(lam)) for wn in wnorm])
        need = [max((r[i] for r in r_by_leaf), key=lambda v: float(v.upper())) for i in range(n)]
        inside = all(all(R[i].contains(Z[k][i, 0] + arb(0, 1) * r_by_leaf[k][i].upper()) for i in range(n))
                     for k in range(len(Z)))
        if inside:
            kappa = max((linalg.sqrt_upper(linalg.quad(linalg.row(comp.C, i), Pinv)) for i in range(comp.C.nrows())),
                        default=fmpq(0))
            A_ratio = max(_p_norm_bound(a, P) for a in a_ratio if a is not None)  # noqa: N806
            beta = linalg.neg_log_lower(lam)
            tail = arb(kappa * A_ratio) / arb(lam) ** K
            head = arb(0)
            for row in rows.rows:
                assert row.upper is not None
                head = head.max(arb(row.upper) * (arb(beta) * row.t).exp())
            C = linalg.round_up(upper_q(head.max(tail)))  # noqa: N806
            return Decay(Verdict.PROVED, C, beta, f"rows t ≤ {K} certified, and for t ≥ {K} a contraction of "
                         f"I + dt·D·W in a P-norm (λ = {float(lam):.6g}, exact LDLᵀ at every vertex of D) on a box of "
                         "pre-activations the trajectory provably never leaves", "trajectory-contraction", lam,
                         {"lambda": lam, "P": [[P[i, j] for j in range(n)] for i in range(n)], "K": K})
        margin = [arb(v.upper()) * 2 for v in need]
    return Decay(Verdict.UNKNOWN, None, None, "the pre-activations could not be kept in a box where the contraction "
                 "holds (the increments after K steps are too large); try a larger --steps")


def _ratio_bounds(box: list[tuple[fmpq, fmpq]], f, s: int) -> list[fmpq] | None:
    """a_i ≥ |δ_i(x)| / (|x|_∞ + s) over the leaf (range form, or the Jacobian at a leaf containing 0)."""
    from_ratio = []
    r_min, r_max = box_norm_range(box)
    n = f.inc.nrows()
    for i in range(n):
        cands = []
        if r_min + s > 0:
            cands.append(upper_q(f.inc[i, 0].abs_upper() / arb(r_min + s)))
        if r_min == 0:
            g = sum((f.inc_jac[i, j].abs_upper() for j in range(f.inc_jac.ncols())), arb(0))
            scale = arb(1) if s == 0 else arb(r_max) / (r_max + 1)
            if s:
                cands.append(upper_q(f.inc[i, 0].abs_upper() + g * scale))
        if not cands:
            return None
        from_ratio.append(min(cands))
    return from_ratio


def _p_norm_bound(a: Sequence[fmpq], P: fmpq_mat) -> fmpq:  # noqa: N803
    """max ‖v‖_P over |v_i| ≤ a_i: √(Σ_ij |P_ij| a_i a_j), rounded up."""
    n = len(a)
    return linalg.sqrt_upper(sum((abs(P[i, j]) * a[i] * a[j] for i in range(n) for j in range(n)), fmpq(0)))


def _common_lyapunov(st, R: list[arb], bits: int) -> tuple[fmpq_mat, fmpq] | None:  # noqa: N803
    """P ≻ 0 and λ < 1 with λ²P − MᵀPM ≻ 0 for every vertex M = I + dt·D·W, D_i ∈ [d_lo_i, d_hi_i] (σ′ on R_i)."""
    n = st.W.nrows()
    bounds = [_dsigma_bounds(st.activation, r) for r in R]
    if n > 12:
        return None  # 2^n vertices
    eye = linalg.eye(n)
    dt = st.dt

    def step(ds: Sequence[fmpq]) -> fmpq_mat:
        return eye + fmpq_mat(n, n, [ds[i] if i == j else 0 for i in range(n) for j in range(n)]) * st.W * dt

    mid = step([(lo + hi) / 2 for lo, hi in bounds])
    a = linalg.to_numpy(mid)
    rho = float(max(abs(np.linalg.eigvals(a))))
    if rho >= 1:
        return None
    vertices = [step([bounds[i][(k >> i) & 1] for i in range(n)]) for k in range(2**n)]
    for f in (fmpq(1, 2), fmpq(1, 4), fmpq(1, 10), fmpq(3, 4), fmpq(9, 10)):
        lam = fmpq(1) - (fmpq(1) - linalg.round_up(linalg.from_float_pos(rho), 6)) * (fmpq(1) - f)
        if not 0 < lam < 1:
            continue
        try:
            P = linalg.rationalise(linalg.lyapunov_discrete(a, float(lam)), bits)  # noqa: N806
        except np.linalg.LinAlgError:
            continue
        if linalg.is_positive_definite(P) and all(linalg.is_positive_definite(P * lam * lam - M.transpose() * P * M)
                                                  for M in vertices):
            return P, lam
    return None


def decay_from_rows(net: Network, norm: str, kind: str, rows: MemoryResult) -> Decay:
    """:func:`decay` sharpened (linear: :func:`refine`) or completed (one nonlinear residual layer:
    :func:`residual_decay`) with the certified rows of ``certify memory``."""
    d = decay(net, norm, kind)
    if d.verdict is Verdict.PROVED:
        return refine(d, net, norm, kind, rows)
    if (net.depth == 1 and net.layers[0].residual and net.layers[0].activation in LIPSCHITZ_MONOTONE
            and kind == "heaviside"):
        r = residual_decay(net, norm, kind, rows)
        return r if r.verdict is Verdict.PROVED else Decay(Verdict.UNKNOWN, None, None, f"{d.reason}; and {r.reason}")
    return d
