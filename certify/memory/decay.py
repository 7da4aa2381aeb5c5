"""Decay constants: 𝓜(t) ≤ C·e^{−βt} for every t ≥ 0, with an exact certificate, and the check of a claimed pair.

Let δ_t = h_t − h_{t−1} (Heaviside) or e_t = h_t(x) − h_t(0) (impulse); the output difference of the
memory function at t is C_out·δ_{t+1} (resp. C_out·e_{t+1}).

* **Linear networks** (every layer identity; Elman or residual; stacked; P, Q): h_t = A h_{t−1} + B x + e
  exactly, so δ_{t+1} = A^t (B x + e′) with e′ = (A − I) h_0 + e (impulse: A^t B x). A rational P ≻ 0
  with λ²P − AᵀPA ≻ 0 (both checked by exact LDLᵀ) gives ‖A v‖_P ≤ λ‖v‖_P, and |c·w| ≤ √(c P⁻¹ cᵀ)‖w‖_P, so

      𝓜(t) ≤ λ^t · max_i √(c_i P⁻¹ c_iᵀ) · max(Σ_j ‖B_j‖_P, s·‖e′‖_P)      (s = 0: needs e′ = 0)

* **Elman networks with 1-Lipschitz monotone σ** (relu, hardtanh, satlin, tanh; any stack): |σ(a) − σ(b)| ≤
  |a − b| gives |δ_{t+1}| ≤ Â|δ_t| componentwise, Â the linear network of |W|, |U|. Weights w > 0 with
  Â w ≤ λ w (checked exactly) give ‖δ_{t+1}‖_w ≤ λ‖δ_t‖_w in ‖v‖_w = max_i |v_i|/w_i, and

      𝓜(t) ≤ λ^t · max_i Σ_j |C_ij| w_j · max(max_i (B̂ 1)_i / w_i, s·‖δ_1(0)‖_w)

* Residual cells with a nonlinear σ are not covered: where σ′ = 0 (relu off, hardtanh saturated) the
  increment is held, so no contraction holds for every x (UNKNOWN, with that reason).

In both, λ^t ≤ e^{−βt} with β a rational lower bound of −ln λ, and C is a rational upper bound of the
product (square roots enclosed with arb).

>>> from certify.spec.network import Network
>>> net = Network.from_dense(W_hh=[["-1/2"]], W_ih=[[1]], b=[0], W_out=[[2]], b_out=[0], h0=[0],
...                          activation="identity", cell="residual", dt="1/2")
>>> from math import log
>>> d = decay(net, "abs+1", "heaviside")
>>> d.verdict.value, d.method, float(d.C) >= 1, 0.28 < float(d.beta) < float(-log(fmpq(3, 4)))
('PROVED', 'lyapunov', True, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from flint import arb, arb_mat, fmpq, fmpq_mat

from certify.memory import linalg
from certify.memory.forms import Compiled
from certify.memory.intervals import sigma, upper_q
from certify.memory.search import NORMS, MemoryResult
from certify.spec.network import Network
from certify.verdict import Verdict

#: Where λ is tried between the spectral radius ρ and 1: λ = ρ + f·(1 − ρ).
FRACTIONS = (fmpq(1, 2), fmpq(1, 4), fmpq(1, 10), fmpq(1, 30), fmpq(1, 100))
LIPSCHITZ_MONOTONE = ("relu", "hardtanh", "satlin", "tanh", "identity")


@dataclass(frozen=True)
class Decay:
    verdict: Verdict
    C: fmpq | None
    beta: fmpq | None
    reason: str
    method: str = ""
    lam: fmpq | None = None
    certificate: dict = field(default_factory=dict)
    witness: tuple[int, tuple[fmpq, ...]] | None = None
    candidates: tuple[tuple[fmpq, fmpq], ...] = ()       # every (C, β) proved, from the smallest β


@dataclass(frozen=True)
class StateSpace:
    """h_t = A h_{t−1} + B x_t + e (all layers' states stacked), readout rows C_out of the whole state."""

    A: fmpq_mat
    B: fmpq_mat
    e: fmpq_mat
    C_out: fmpq_mat
    h0: fmpq_mat


def _abs(m: fmpq_mat) -> fmpq_mat:
    return fmpq_mat(m.nrows(), m.ncols(), [abs(m[i, j]) for i in range(m.nrows()) for j in range(m.ncols())])


def state_space(comp: Compiled, absolute: bool = False) -> StateSpace:
    """The linear network (``absolute``: of |W|, |U|, the comparison system of a 1-Lipschitz one) as one
    state-space system; a residual layer is I + dt·W, dt·U, dt·b."""
    sizes = [st.W.nrows() for st in comp.stages]
    n, d = sum(sizes), comp.input_dim
    A, B, e = fmpq_mat(n, n), fmpq_mat(n, d), fmpq_mat(n, 1)  # noqa: N806
    off = 0
    prev: tuple[int, int] | None = None
    for st, m in zip(comp.stages, sizes, strict=True):
        W, U, b = (_abs(st.W), _abs(st.U), _abs(st.b)) if absolute else (st.W, st.U, st.b)  # noqa: N806
        if st.dt is not None:
            F, G, g = linalg.eye(m) + W * st.dt, U * st.dt, b * st.dt  # noqa: N806
            if absolute:
                F = _abs(linalg.eye(m) + st.W * st.dt)  # noqa: N806
        else:
            F, G, g = W, U, b  # noqa: N806
        for i in range(m):
            for j in range(m):
                A[off + i, off + j] += F[i, j]
            e[off + i, 0] = g[i, 0]
        if prev is None:
            for i in range(m):
                for j in range(d):
                    B[off + i, j] = G[i, j]
        else:
            p0, pm = prev
            for i in range(m):
                for k in range(pm):
                    c = G[i, k]
                    if c == 0:
                        continue
                    for j in range(n):
                        A[off + i, j] += c * A[p0 + k, j]
                    for j in range(d):
                        B[off + i, j] += c * B[p0 + k, j]
                    e[off + i, 0] += c * e[p0 + k, 0]
        prev = (off, m)
        off += m
    C_out = fmpq_mat(comp.output_dim, n)  # noqa: N806
    last = n - sizes[-1]
    Cm = _abs(comp.C) if absolute else comp.C  # noqa: N806
    for i in range(comp.output_dim):
        for j in range(sizes[-1]):
            C_out[i, last + j] = Cm[i, j]
    h0 = fmpq_mat(n, 1, [st.h0[i, 0] for st in comp.stages for i in range(st.h0.nrows())])
    return StateSpace(A, B, e, C_out, h0)


def _lambda_candidates(rho: float) -> list[fmpq]:
    out = []
    for f in FRACTIONS:
        lam = fmpq(1) - (fmpq(1) - linalg.round_up(linalg.from_float_pos(rho), 6)) * (fmpq(1) - f)
        if 0 < lam < 1 and lam not in out:
            out.append(lam)
    return out


def _linear(ss: StateSpace, s: int, kind: str) -> Decay:
    A = ss.A  # noqa: N806
    n = A.nrows()
    e1 = fmpq_mat(n, 1) if kind == "impulse" else (A - linalg.eye(n)) * ss.h0 + ss.e
    if s == 0 and any(e1[i, 0] != 0 for i in range(n)) and not _unobservable(ss, e1):
        return Decay(Verdict.UNKNOWN, None, None, "with --norm abs the memory is unbounded: the output moves with "
                     "x = 0 (a bias or h_0 off its fixed point); use --norm abs+1")
    a = linalg.to_numpy(A)
    rho = float(max(abs(np.linalg.eigvals(a)))) if n else 0.0
    if rho >= 1 - 1e-9:
        return Decay(Verdict.UNKNOWN, None, None, f"the step matrix A has numerical spectral radius {rho:.6g} ≥ 1: "
                     "no contraction certificate exists (certify stability encloses the spectrum rigorously)")
    found = []
    for lam in _lambda_candidates(rho):
        try:
            P = linalg.rationalise(linalg.lyapunov_discrete(a, float(lam)))  # noqa: N806
        except np.linalg.LinAlgError:
            continue
        if not (linalg.is_positive_definite(P) and linalg.is_positive_definite(P * lam * lam - A.transpose() * P * A)):
            continue
        Pinv = P.inv()  # noqa: N806
        kappa = max((linalg.sqrt_upper(linalg.quad(linalg.row(ss.C_out, i), Pinv)) for i in range(ss.C_out.nrows())),
                    default=fmpq(0))
        kb = sum((linalg.sqrt_upper(linalg.quad(linalg.column(ss.B, j), P)) for j in range(ss.B.ncols())), fmpq(0))
        ke = linalg.sqrt_upper(linalg.quad(e1, P)) if s else fmpq(0)
        C = linalg.round_up(kappa * max(kb, ke))  # noqa: N806
        found.append((C, linalg.neg_log_lower(lam), lam, P))
    if not found:
        return Decay(Verdict.UNKNOWN, None, None, f"no rational Lyapunov matrix passed the exact check (numerical "
                     f"spectral radius {rho:.6g})")
    C, beta, lam, P = found[-1]  # noqa: N806
    return Decay(Verdict.PROVED, C, beta, f"exact Lyapunov certificate: P ≻ 0 and λ²P − AᵀPA ≻ 0 (LDLᵀ) with "
                 f"λ = {lam}; 𝓜(t) ≤ C·λ^t ≤ C·e^(−βt)", "lyapunov", lam,
                 {"lambda": lam, "P": [[P[i, j] for j in range(P.ncols())] for i in range(P.nrows())]},
                 candidates=tuple((c, b) for c, b, _, _ in found))


def _unobservable(ss: StateSpace, v: fmpq_mat) -> bool:
    """C A^k v = 0 for k = 0 … n−1 (then for every k, Cayley–Hamilton)."""
    w = v
    for _ in range(ss.A.nrows()):
        if any((ss.C_out * w)[i, 0] != 0 for i in range(ss.C_out.nrows())):
            return False
        w = ss.A * w
    return True


def _contraction(net: Network, comp: Compiled, s: int, kind: str) -> Decay:
    ss = state_space(comp, absolute=True)
    A = ss.A  # noqa: N806
    n = A.nrows()
    a = linalg.to_numpy(A)
    vals, vecs = np.linalg.eig(a) if n else (np.zeros(0), np.zeros((0, 0)))
    tries = [np.ones(n)]
    if n:
        v = np.abs(np.real(vecs[:, int(np.argmax(np.real(vals)))]))
        tries.insert(0, v / max(float(np.max(v)), 1e-300) + 1e-6)
    best = None
    for w_f in tries:
        w = [linalg.from_float_pos(float(x)) for x in w_f]
        aw = A * fmpq_mat(n, 1, w)
        lam = max((aw[i, 0] / w[i] for i in range(n)), default=fmpq(0))
        if 0 < lam < 1 and (best is None or lam < best[1]):
            best = (w, lam)
    if best is None:
        rho = float(max(abs(np.linalg.eigvals(a)))) if n else 0.0
        return Decay(Verdict.UNKNOWN, None, None, f"the componentwise contraction fails: ρ(|W|) of the comparison "
                     f"system ≈ {rho:.6g} ≥ 1 (no weighted max-norm certificate; σ′ ≤ 1 is all this bound uses)")
    w, lam = best
    cw = max((sum((ss.C_out[i, j] * w[j] for j in range(n)), fmpq(0)) for i in range(ss.C_out.nrows())),
             default=fmpq(0))
    kb = max((sum((ss.B[i, j] for j in range(ss.B.ncols())), fmpq(0)) / w[i] for i in range(n)), default=fmpq(0))
    k0 = fmpq(0)
    if kind == "heaviside":
        d0 = _first_increment_at_zero(net, comp)
        k0 = max((q / w[i] for i, q in enumerate(d0)), default=fmpq(0))
        if s == 0 and k0 != 0:
            return Decay(Verdict.UNKNOWN, None, None, "with --norm abs this bound needs δ_1(0) = 0, and the state "
                         "moves at x = 0 (a bias or h_0 off its fixed point); use --norm abs+1")
    C = linalg.round_up(cw * max(kb, k0 if s else fmpq(0)))  # noqa: N806
    return Decay(Verdict.PROVED, C, linalg.neg_log_lower(lam),
                 f"weighted max-norm contraction: |σ(a) − σ(b)| ≤ |a − b| and Â·w ≤ λ·w exactly, λ = {lam}; "
                 "𝓜(t) ≤ C·λ^t ≤ C·e^(−βt)", "weighted-norm", lam, {"lambda": lam, "w": w})


def _first_increment_at_zero(net: Network, comp: Compiled) -> list[fmpq]:
    """Upper bounds of |δ_1(0)| = |h_1(0) − h_0| per unit (exact for piecewise-linear σ, arb for tanh)."""
    zero = [fmpq(0)] * net.input_dim
    if net.is_piecewise_linear:
        h1 = net.step(list(net.h0), zero)
        return [abs(a - b) for a, b in zip(h1, net.h0, strict=True)]
    out: list[fmpq] = []
    u = arb_mat(net.input_dim, 1)
    for st in comp.stages:
        z = arb_mat(st.W) * arb_mat(st.h0) + arb_mat(st.U) * u + arb_mat(st.b)
        h = arb_mat([[sigma(st.activation, z[i, 0])] for i in range(z.nrows())])
        out += [upper_q((h[i, 0] - arb(st.h0[i, 0])).abs_upper()) for i in range(z.nrows())]
        u = h
    return out


def decay(net: Network, norm: str, kind: str) -> Decay:
    """Constants C, β with 𝓜(t) ≤ C·e^{−βt} for every t ≥ 0, or UNKNOWN with the reason."""
    s = NORMS[norm]
    if kind not in ("heaviside", "impulse"):
        return Decay(Verdict.UNKNOWN, None, None, f"--input {kind}: decay constants are proved for the heaviside and "
                     "impulse inputs only")
    comp = Compiled.of(net)
    acts = {layer.activation for layer in net.layers}
    if acts == {"identity"}:
        return _linear(state_space(comp), s, kind)
    if any(layer.residual for layer in net.layers):
        return Decay(Verdict.UNKNOWN, None, None, "a residual cell with a nonlinear σ holds its increment where σ′ = 0 "
                     "(relu off, hardtanh saturated, tanh far out), so no contraction holds for every x (certify "
                     "memory --decay then tries a contraction on the region its rows prove the trajectory stays in)")
    bad = sorted(acts - set(LIPSCHITZ_MONOTONE))
    if bad:
        return Decay(Verdict.UNKNOWN, None, None, f"activation {bad[0]}: the contraction bound needs a 1-Lipschitz "
                     "σ (relu, hardtanh, satlin, tanh, identity)")
    return _contraction(net, comp, s, kind)


def _up_arb(a: arb) -> fmpq:
    return upper_q(a)


def check_claim(claim_C: fmpq, claim_beta: fmpq, rows: MemoryResult, proved: Decay) -> Decay:  # noqa: N803
    """Decide the claim 𝓜(t) ≤ claim_C·e^{−claim_β·t} for every t: REFUTED by a row whose certified lower
    bound (attained at its witness x) exceeds it; PROVED when the rows (t ≤ K) and the proved (C, β)
    beyond K imply it; UNKNOWN otherwise."""
    def bound(t: int) -> arb:
        return arb(claim_C) * (-arb(claim_beta) * t).exp()

    for r in rows.rows:
        if r.infinite or (r.lower > 0 and arb(r.lower) > bound(r.t)):
            x = r.witness if r.witness is not None else ()
            return Decay(Verdict.REFUTED, claim_C, claim_beta,
                         f"at t = {r.t} the certified lower bound {float(r.lower):.6g} of the memory (attained at "
                         f"x = [{', '.join(str(v) for v in x)}], replayed exactly, or in arb for tanh/sigmoid) exceeds "
                         f"C·e^(−βt) ≤ {float(_up_arb(bound(r.t))):.6g}" if not r.infinite else
                         f"at t = {r.t} the memory is infinite (norm abs with a bias)",
                         witness=(r.t, tuple(x)))
    if (proved.verdict is Verdict.PROVED and proved.C is not None and proved.beta is not None
            and claim_C >= proved.C and proved.beta >= claim_beta):
        return Decay(Verdict.PROVED, claim_C, claim_beta,
                     f"implied by the proved 𝓜(t) ≤ {float(proved.C):.6g}·e^(−{float(proved.beta):.6g}·t)",
                     proved.method, proved.lam,
                     proved.certificate)
    below = all(r.upper is not None and arb(r.upper) < bound(r.t) or
                (r.upper is not None and r.upper <= 0) for r in rows.rows)
    K = rows.rows[-1].t if rows.rows else -1  # noqa: N806
    if below and proved.verdict is Verdict.PROVED and proved.C is not None and proved.beta is not None:
        tail = proved.beta >= claim_beta and (arb(proved.C) * (-(arb(proved.beta) - arb(claim_beta)) * (K + 1)).exp()
                                              < arb(claim_C))
        if tail:
            return Decay(Verdict.PROVED, claim_C, claim_beta, f"rows t ≤ {K} are below the claim, and beyond the "
                         f"proved 𝓜(t) ≤ {proved.C}·e^(−{proved.beta}·t) implies it", proved.method, proved.lam,
                         proved.certificate)
    return Decay(Verdict.UNKNOWN, claim_C, claim_beta, f"no row t ≤ {K} refutes the claim, and the proved constants "
                 f"({proved.reason}) do not imply it for every t")


__all__ = ["Decay", "StateSpace", "check_claim", "decay", "state_space"]


