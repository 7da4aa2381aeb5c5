"""Stability of a network in the sense of Wang–Li–Li §3.3: spectra, Lyapunov matrices, Lemma A.8, and the
perturbation error E(β) (sampled as the paper's code does, and bounded for every perturbation).

* **Spectra** are the roots of the exact characteristic polynomial, isolated rigorously with their
  multiplicities (python-flint ``fmpq_poly.complex_roots``): the enclosures hold even for a Jordan block.
  A residual layer is the forward Euler step of dh/dt = σ(W h + …), so its margin is β₀ = −max Re λ(W)
  (continuous time); an Elman layer's is 1 − ρ(W) (discrete time).
* **Lyapunov**: P with WᵀP + PW = −I (residual) or WᵀPW − P = −I (Elman), solved exactly over ℚ;
  ‖P‖₂ = λ_max(P) enclosed from the roots of P's characteristic polynomial.
* **Lemma A.8** (‖P‖₂ ≤ 1/(2β₀)) needs W normal (WᵀW = WWᵀ, checked exactly); only then is it reported as
  a theorem. For a non-normal W the values are shown and the inequality is decided for this W (it can fail).
  The Elman analogue is ‖P‖₂ ≤ 1/(1 − ρ²) for normal W.
* **E(β)**, with the error max_{t ≤ T} sup_{x in the box} |y_t(θ̃; x) − y_t(θ; x)|_∞ (the Heaviside input; the
  model itself is the reference, so E(0) = 0): sampled with random perturbations in the max-entry ball of the
  paper's code (each tensor's noise scaled to max |entry| = β) and in the paper's ball (spectral norm β for
  matrices, Euclidean for vectors), running max over samples and increasing β; and a certified upper bound
  for every θ̃ with |θ̃ − θ|_max ≤ β (which contains the spectral ball, since |ΔW_ij| ≤ ‖ΔW‖₂), from the
  componentwise recurrence |e_t| ≤ (|F| + β̃)|e_{t−1}| + β̃(|h_{t−1}|₁ + |u_t|₁ + 1) for 1-Lipschitz σ.

>>> from certify.spec.network import Network
>>> net = Network.from_dense(W_hh=[[-2, 0], [0, -1]], W_ih=[[1], [1]], b=[0, 0], W_out=[[1, 1]], b_out=[0],
...                          h0=[0, 0], activation="identity", cell="residual", dt="1/10")
>>> s = spectra(net)[0]
>>> s.margin.contains(1), s.normal, s.lemma_verdict
(True, True, 'PROVED')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from flint import acb, arb, arb_mat, fmpq, fmpq_mat

from certify.memory import linalg
from certify.memory.forms import Compiled, propagate
from certify.memory.intervals import dsigma, rows_scaled
from certify.memory.lohner import Lohner
from certify.spec.network import Network


@dataclass(frozen=True)
class LayerStability:
    layer: int
    time: str                                   # "continuous" (residual) or "discrete" (Elman)
    eigenvalues: tuple[tuple[acb, int], ...]    # enclosures with multiplicities
    max_real: arb
    radius: arb
    margin: arb                                 # β₀ = −max Re λ, or 1 − ρ
    normal: bool
    P: fmpq_mat | None
    P_norm: arb | None
    lemma_bound: arb | None                     # 1/(2β₀), or 1/(1 − ρ²)
    lemma_verdict: str                          # PROVED / FAILS HERE / HOLDS HERE (not normal) / NOT APPLICABLE
    note: str


def _roots(m: fmpq_mat) -> list[tuple[acb, int]]:
    roots: list[tuple[acb, int]] = []
    found: list[Any] = list(m.charpoly().complex_roots())  # (root enclosure, multiplicity) pairs
    for item in found:
        roots.append((acb(item[0]), int(item[1])))
    return roots


def _max(vals: Sequence[arb]) -> arb:
    out = vals[0]
    for v in vals[1:]:
        out = out.max(v)
    return out


def _lyapunov_discrete_exact(W: fmpq_mat) -> fmpq_mat | None:  # noqa: N803
    """P with Wᵀ P W − P = −I, exactly (None when singular)."""
    n = W.nrows()
    K = fmpq_mat(n * n, n * n)  # noqa: N806
    for i in range(n):
        for j in range(n):
            r = i * n + j
            K[r, r] -= 1
            for k in range(n):
                for m in range(n):
                    K[r, k * n + m] += W[k, i] * W[m, j]
    rhs = fmpq_mat(n * n, 1, [-1 if i == j else 0 for i in range(n) for j in range(n)])
    try:
        sol = K.solve(rhs)
    except ZeroDivisionError:
        return None
    return fmpq_mat(n, n, [sol[r, 0] for r in range(n * n)])


def spectra(net: Network) -> list[LayerStability]:
    """Spectrum, margin, Lyapunov P and Lemma A.8 of every layer's recurrent matrix."""
    out = []
    for k, st in enumerate(Compiled.of(net).stages):
        W = st.W  # noqa: N806
        eig = _roots(W)
        max_real = _max([z.real for z, _ in eig])
        radius = _max([abs(z) for z, _ in eig])
        normal = W.transpose() * W == W * W.transpose()
        continuous = st.dt is not None
        margin = -max_real if continuous else 1 - radius
        P = None  # noqa: N806
        P_norm = bound = None  # noqa: N806
        verdict, note = "NOT APPLICABLE", ""
        if margin > 0:
            P = linalg.lyapunov_continuous_exact(W) if continuous else _lyapunov_discrete_exact(W)  # noqa: N806
            if P is not None:
                P_norm = _max([z.real for z, _ in _roots(P)])  # noqa: N806
                bound = 1 / (2 * margin) if continuous else 1 / (1 - radius * radius)
                if normal and not P_norm > bound:
                    verdict = "PROVED"
                    note = ("W is normal and stable: the lemma applies (a theorem); the enclosures agree"
                            + (" (with equality, as for every symmetric W)" if not P_norm < bound else ""))
                elif normal:
                    verdict = "INCONSISTENT"
                    note = "W is normal, yet ‖P‖₂ > the bound: an internal error, please report it"
                elif P_norm > bound:
                    verdict = "FAILS HERE"
                    note = "W is not normal (WᵀW ≠ WWᵀ): the lemma's hypothesis fails, and so does its bound here"
                elif P_norm <= bound:
                    verdict = "HOLDS HERE"
                    note = "W is not normal: the lemma does not apply, though the bound holds for this W"
                else:
                    verdict = "UNDECIDED"
                    note = "W is not normal; the enclosures overlap the bound"
        elif margin < 0:
            note = ("not stable: max Re λ(W) > 0 (continuous time, residual cell)" if continuous else
                    "not stable: ρ(W) > 1 (discrete time, Elman cell)")
        else:
            note = "the margin's enclosure contains 0: an eigenvalue on the stability boundary (not stable)"
        out.append(LayerStability(k, "continuous" if continuous else "discrete", tuple(eig), max_real, radius,
                                  margin, normal, P, P_norm, bound, verdict, note))
    return out


# --- perturbation error --------------------------------------------------------------------------------
@dataclass(frozen=True)
class PerturbationRow:
    beta: fmpq
    sampled_max_entry: float
    sampled_spectral: float
    certified: fmpq | None          # upper bound for every |θ̃ − θ|_max ≤ β (None: diverged or not covered)


BETAS = tuple([fmpq(0)] + [fmpq(5, 10**4) * 2**k for k in range(21)])


def _float_model(comp: Compiled) -> list[dict[str, np.ndarray]]:
    parts = []
    for st in comp.stages:
        parts.append({"W": linalg.to_numpy(st.W), "U": linalg.to_numpy(st.U), "b": linalg.to_numpy(st.b)[:, 0]})
    parts.append({"C": linalg.to_numpy(comp.C), "c": linalg.to_numpy(comp.c)[:, 0]})
    return parts


_NP: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": lambda z: np.maximum(z, 0), "hardtanh": lambda z: np.clip(z, -1, 1), "satlin": lambda z: np.clip(z, 0, 1),
    "identity": lambda z: z, "tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z))}


def _run_float(comp: Compiled, params: list[dict[str, np.ndarray]], xs: np.ndarray, steps: int) -> np.ndarray:
    """y_t for t = 1 … steps at the inputs xs (rows), Heaviside input, float64 (sampling only)."""
    hs = [np.tile(linalg.to_numpy(st.h0)[:, 0], (xs.shape[0], 1)) for st in comp.stages]
    out = []
    for _ in range(steps):
        u = xs
        for k, st in enumerate(comp.stages):
            p = params[k]
            z = hs[k] @ p["W"].T + u @ p["U"].T + p["b"]
            s = _NP[st.activation](z)
            hs[k] = hs[k] + float(st.dt) * s if st.dt is not None else s
            u = hs[k]
        out.append(hs[-1] @ params[-1]["C"].T + params[-1]["c"])
    return np.array(out)


def _perturb(params: list[dict[str, np.ndarray]], beta: float, ball: str, rng: np.random.Generator) -> list[dict]:
    out = []
    for p in params:
        q = {}
        for name, v in p.items():
            noise = rng.standard_normal(v.shape)
            if ball == "max-entry":
                scale = np.max(np.abs(noise)) if noise.size else 1.0
            elif noise.ndim == 2 and noise.size:
                scale = np.linalg.norm(noise, 2)
            else:
                scale = np.linalg.norm(noise) if noise.size else 1.0
            q[name] = v + noise / (scale or 1.0) * beta
        out.append(q)
    return out


def sampled_errors(net: Network, box: Sequence[tuple[fmpq, fmpq]], steps: int, betas: Sequence[fmpq],
                   samples: int, seed: int = 0) -> list[tuple[float, float]]:
    """The paper's protocol: per β, ``samples`` random perturbations of every tensor (W, U, b of each layer,
    W_out·Q, b_out) in the max-entry ball and in the spectral ball; error on a grid of x; running max."""
    comp = Compiled.of(net)
    params = _float_model(comp)
    grid = [np.linspace(float(lo), float(hi), 9) for lo, hi in box]
    xs = np.array(np.meshgrid(*grid)).reshape(len(box), -1).T if box else np.zeros((1, 0))
    base = _run_float(comp, params, xs, steps)
    rng = np.random.default_rng(seed)
    out, run = [], [0.0, 0.0]
    for beta in betas:
        for i, ball in enumerate(("max-entry", "spectral")):
            for _ in range(samples if beta > 0 else 1):
                y = _run_float(comp, _perturb(params, float(beta), ball, rng), xs, steps)
                err = float(np.max(np.abs(y - base))) if y.size else 0.0
                run[i] = max(run[i], err if np.isfinite(err) else float("inf"))
        out.append((run[0], run[1]))
    return out


def _abs_arb(m: fmpq_mat) -> arb_mat:
    return arb_mat(m.nrows(), m.ncols(), [abs(m[i, j]) for i in range(m.nrows()) for j in range(m.ncols())])


def certified_error(net: Network, box: Sequence[tuple[fmpq, fmpq]], steps: int, beta: fmpq,
                    forms: list | None = None) -> fmpq | None:
    """An upper bound of max_{t ≤ steps} sup |y_t(θ̃; x) − y_t(θ; x)|_∞ over every |θ̃ − θ|_max ≤ β and x in the box
    (Heaviside input), or None (the bound diverged). ``forms``: the nominal run over the box, when already known.

    Two enclosures of e_t = h̃_t − h_t, intersected at every step: the componentwise recurrence (module docstring)
    and, for one layer, the signed one e_t = M_t e_{t−1} + S_t in Lohner's form, M_t = D_t·W̃ (Elman) or
    I + dt·D_t·W̃ (residual), D_t ∋ σ′ on the nominal pre-activation range widened by |z̃ − z|."""
    comp = Compiled.of(net)  # every activation here is 1-Lipschitz (sigmoid: 1/4)
    b = arb(beta)
    if forms is None:
        forms = propagate(comp, box, [1] * steps)   # the nominal model's |h_t|₁ over the box
    es = [arb_mat(st.h0.nrows(), 1) for st in comp.stages]
    x_l1 = sum((max(abs(lo), abs(hi)) for lo, hi in box), fmpq(0))
    h_prev = [sum((arb(abs(st.h0[i, 0])) for i in range(st.h0.nrows())), arb(0)) for st in comp.stages]
    worst = arb(0)
    signed: Lohner | None = Lohner.of(arb_mat(comp.stages[0].W.nrows(), 1)) if len(comp.stages) == 1 else None
    for t in range(steps):
        u_err, u_l1 = arb_mat(len(box), 1), arb(x_l1)
        for k, st in enumerate(comp.stages):
            n = st.W.nrows()
            ones = arb_mat(n, 1, [1] * n)
            Ub = _abs_arb(st.U) + arb_mat(n, st.U.ncols(), [b] * (n * st.U.ncols()))  # noqa: N806
            drive = Ub * u_err + ones * (b * (h_prev[k] + u_l1 + 1))  # |ΔW h + Ũ e_u + ΔU u + Δb|
            Wb = _abs_arb(st.W) + arb_mat(n, n, [b] * (n * n))  # noqa: N806
            dz = Wb * es[k] + drive                         # |z̃ − z|, and |σ(z̃) − σ(z)| ≤ |z̃ − z|
            if signed is not None and k == 0:               # one layer: the signed recurrence in Lohner's form
                zr = forms[t].z_ranges[0]
                D = [dsigma(st.activation, zr[i, 0] + arb(0, 1) * dz[i, 0].abs_upper()) for i in range(n)]  # noqa: N806
                Wt = arb_mat(st.W) + arb_mat(n, n, [arb(0, b)] * (n * n))  # noqa: N806
                S = rows_scaled(D, arb_mat(n, 1, [arb(0, 1) * (b * (h_prev[k] + u_l1 + 1))] * n))  # noqa: N806
                M = rows_scaled(D, Wt)  # noqa: N806
                if st.dt is not None:
                    M = arb_mat(linalg_eye(n)) + M * arb(st.dt)  # noqa: N806
                    S = S * arb(st.dt)  # noqa: N806
                signed = signed.step(M, S)
            if st.dt is not None and st.activation == "identity":  # e_t = (I + dt·W̃) e + dt·drive
                F = _abs_arb(linalg_eye(n) + st.W * st.dt) + arb_mat(n, n, [b * arb(st.dt)] * (n * n))  # noqa: N806
                es[k] = F * es[k] + drive * arb(st.dt)
            else:
                es[k] = es[k] + dz * arb(st.dt) if st.dt is not None else dz
            if signed is not None and k == 0:
                v = signed.value()
                es[k] = arb_mat([[arb(0, min(es[k][i, 0].abs_upper(), v[i, 0].abs_upper(),
                                         key=lambda a: float(a.upper())))] for i in range(n)])
            u_err, u_l1 = es[k], forms[t].state_l1[k]
        h_prev = list(forms[t].state_l1)
        C = comp.C  # noqa: N806
        m, nL = C.nrows(), C.ncols()  # noqa: N806
        Cb = _abs_arb(C) + arb_mat(m, nL, [b] * (m * nL))  # noqa: N806
        dy = Cb * es[-1] + arb_mat(m, 1, [1] * m) * (b * (h_prev[-1] + 1))
        for i in range(m):
            worst = worst.max(dy[i, 0].abs_upper())
        if not worst.is_finite() or worst > 10**12:
            return None
    return linalg.round_up(_upper(worst))


def linalg_eye(n: int) -> fmpq_mat:
    return fmpq_mat(n, n, [1 if i == j else 0 for i in range(n) for j in range(n)])


def _upper(a: arb) -> fmpq:
    m, e = a.upper().man_exp()
    return fmpq(int(m)) * fmpq(2) ** int(e) if e >= 0 else fmpq(int(m), 2 ** int(-e))


def _size(v: fmpq | None) -> float:
    return float("inf") if v is None else float(v)


def certified_errors(net: Network, box: Sequence[tuple[fmpq, fmpq]], steps: int, betas: Sequence[fmpq],
                     pieces: int = 32) -> list[fmpq | None]:
    """:func:`certified_error` for every β, as the max over a partition of the box (sup over a union = max of the
    sups): bisected where the bound at the smallest positive β is worst, up to ``pieces`` parts."""
    comp = Compiled.of(net)
    parts: list[tuple[list[tuple[fmpq, fmpq]], list]] = []

    def add(b: list[tuple[fmpq, fmpq]]) -> None:
        parts.append((b, propagate(comp, b, [1] * steps)))

    add(list(box))
    probe = min((b for b in betas if b > 0), default=None)
    if probe is not None:
        bounds = [certified_error(net, parts[0][0], steps, probe, parts[0][1])]
        while len(parts) < pieces:
            k = max(range(len(parts)), key=lambda i: _size(bounds[i]))
            b, _ = parts.pop(k)
            bounds.pop(k)
            j = max(range(len(b)), key=lambda i: b[i][1] - b[i][0])
            if b[j][1] == b[j][0]:
                parts.insert(k, (b, propagate(comp, b, [1] * steps)))
                bounds.insert(k, None)
                break
            m = (b[j][0] + b[j][1]) / 2
            for half in (b[:j] + [(b[j][0], m)] + b[j + 1:], b[:j] + [(m, b[j][1])] + b[j + 1:]):
                add(half)
                bounds.append(certified_error(net, half, steps, probe, parts[-1][1]))
    out: list[fmpq | None] = []
    for beta in betas:
        vals = [certified_error(net, b, steps, beta, f) for b, f in parts]
        out.append(None if any(v is None for v in vals) else max(v for v in vals if v is not None))
    return out


def perturbation(net: Network, box: Sequence[tuple[fmpq, fmpq]], steps: int, betas: Sequence[fmpq] = BETAS,
                 samples: int = 10, seed: int = 0, pieces: int = 32) -> list[PerturbationRow]:
    sampled = sampled_errors(net, box, steps, betas, samples, seed)
    certified = certified_errors(net, box, steps, betas, pieces)
    return [PerturbationRow(beta, me, sp, cert)
            for beta, (me, sp), cert in zip(betas, sampled, certified, strict=True)]


__all__ = ["BETAS", "LayerStability", "PerturbationRow", "certified_error", "certified_errors", "perturbation",
           "spectra"]
