"""Exact linear algebra for certificates: LDLᵀ positive-definiteness over ℚ, rationalising a float
candidate, rigorous square roots and logarithms as rationals, and float searches for candidates
(discrete and continuous Lyapunov equations, Perron vectors) whose results are always re-checked exactly.

>>> ldl_pivots(fmpq_mat([[2, 1], [1, 2]]))
[2, 3/2]
>>> is_positive_definite(fmpq_mat([[1, 2], [2, 1]]))
False
>>> P = rationalise(lyapunov_discrete(np.array([[0.5, 0.25], [0.0, 0.5]]), 1.0))
>>> is_positive_definite(P - fmpq_mat([[1, 0], [0, 1]]) * fmpq(1, 2))
True
"""

from __future__ import annotations

import math

import numpy as np
from flint import arb, fmpq, fmpq_mat

from certify.rational import from_float


def ldl_pivots(M: fmpq_mat) -> list[fmpq] | None:  # noqa: N803
    """The pivots of the exact LDLᵀ factorisation of a symmetric M (no pivoting), or None when a pivot is 0."""
    n = M.nrows()
    a = [[M[i, j] for j in range(n)] for i in range(n)]
    pivots = []
    for k in range(n):
        p = a[k][k]
        if p == 0:
            return None
        pivots.append(p)
        for i in range(k + 1, n):
            f = a[i][k] / p
            if f != 0:
                for j in range(k + 1, n):
                    a[i][j] -= f * a[k][j]
    return pivots


def is_positive_definite(M: fmpq_mat) -> bool:  # noqa: N803
    """M symmetric with every LDLᵀ pivot > 0 (Sylvester: exactly the positive-definite matrices)."""
    n = M.nrows()
    if any(M[i, j] != M[j, i] for i in range(n) for j in range(i)):
        return False
    piv = ldl_pivots(M)
    return piv is not None and all(p > 0 for p in piv)


def to_numpy(M: fmpq_mat) -> np.ndarray:  # noqa: N803
    """A float copy (for searching candidates only; never for a conclusion)."""
    return np.array([[float(M[i, j].p) / float(M[i, j].q) if M[i, j] != 0 else 0.0 for j in range(M.ncols())]
                     for i in range(M.nrows())], dtype=float)


def rationalise(a: np.ndarray, bits: int = 40) -> fmpq_mat:
    """A symmetric rational matrix near a float one (entries rounded to ``bits`` bits relative to its max)."""
    scale = float(np.max(np.abs(a))) or 1.0
    step = 2.0 ** (math.floor(math.log2(scale)) - bits)
    sym = (a + a.T) / 2
    rows = [[from_float(round(float(v) / step) * step) for v in row] for row in sym]
    return fmpq_mat(rows)


def lyapunov_discrete(A: np.ndarray, lam: float) -> np.ndarray:  # noqa: N803
    """P solving (A/λ)ᵀ P (A/λ) − P = −I by the Kronecker system (a float candidate)."""
    n = A.shape[0]
    B = A / lam  # noqa: N806
    K = np.eye(n * n) - np.kron(B.T, B.T)  # noqa: N806
    return np.linalg.solve(K, np.eye(n).reshape(-1)).reshape(n, n)


def lyapunov_continuous(W: np.ndarray) -> np.ndarray:  # noqa: N803
    """P solving Wᵀ P + P W = −I by the Kronecker system (a float candidate)."""
    n = W.shape[0]
    K = np.kron(np.eye(n), W.T) + np.kron(W.T, np.eye(n))  # noqa: N806
    return np.linalg.solve(K, -np.eye(n).reshape(-1)).reshape(n, n)


def lyapunov_continuous_exact(W: fmpq_mat) -> fmpq_mat | None:  # noqa: N803
    """The exact rational P with Wᵀ P + P W = −I (None when the system is singular).

    >>> str(lyapunov_continuous_exact(fmpq_mat([[-2]])))
    '[1/4]'
    """
    n = W.nrows()
    K = fmpq_mat(n * n, n * n)  # noqa: N806
    for i in range(n):
        for j in range(n):
            r = i * n + j
            for k in range(n):  # (WᵀP)_ij = Σ_k W_ki P_kj ; (PW)_ij = Σ_k P_ik W_kj
                K[r, k * n + j] += W[k, i]
                K[r, i * n + k] += W[k, j]
    rhs = fmpq_mat(n * n, 1, [-1 if i == j else 0 for i in range(n) for j in range(n)])
    try:
        sol = K.solve(rhs)
    except ZeroDivisionError:
        return None
    return fmpq_mat(n, n, [sol[r, 0] for r in range(n * n)])


def from_float_pos(v: float, bits: int = 30) -> fmpq:
    """A short positive rational near the float v > 0 (a search value, re-checked exactly where used)."""
    e = math.frexp(v)[1]
    return fmpq(max(1, round(math.ldexp(v, bits - e))), 2 ** bits) * (fmpq(2) ** e if e >= 0 else fmpq(1, 2 ** -e))


def sqrt_upper(q: fmpq) -> fmpq:
    """A rational ≥ √q."""
    return _up(arb(q).sqrt())


def _up(a: arb) -> fmpq:
    m, e = a.upper().man_exp()
    return fmpq(int(m)) * fmpq(2) ** int(e) if e >= 0 else fmpq(int(m), 2 ** int(-e))


def _down(a: arb) -> fmpq:
    m, e = a.lower().man_exp()
    return fmpq(int(m)) * fmpq(2) ** int(e) if e >= 0 else fmpq(int(m), 2 ** int(-e))


def neg_log_lower(lam: fmpq) -> fmpq:
    """A rational β ≤ −ln λ (0 < λ < 1), so that λ^t ≤ e^{−βt} for every t ≥ 0."""
    return _down(-arb(lam).log())


def round_up(q: fmpq, digits: int = 12) -> fmpq:
    """A short rational ≥ q (a decimal with ``digits`` significant digits)."""
    return _short(q, digits, up=True)


def round_down(q: fmpq, digits: int = 12) -> fmpq:
    """A short rational ≤ q."""
    return _short(q, digits, up=False)


def _short(q: fmpq, digits: int, up: bool) -> fmpq:
    if q == 0 or (q.q < 10**digits and abs(q.p) < 10**(2 * digits)):
        return q
    e = math.floor(math.log10(abs(float(q)))) if abs(float(q)) > 0 else -300
    scale = fmpq(10) ** (digits - 1 - e) if digits - 1 - e >= 0 else fmpq(1, 10 ** (e - digits + 1))
    v = q * scale
    n = v.ceil() if up else v.floor()
    return fmpq(int(n)) / scale


def eye(n: int) -> fmpq_mat:
    """The n×n identity."""
    return fmpq_mat(n, n, [1 if i == j else 0 for i in range(n) for j in range(n)])


def quad(v: fmpq_mat, P: fmpq_mat) -> fmpq:  # noqa: N803
    """vᵀ P v for a column v."""
    return (v.transpose() * P * v)[0, 0]


def column(m: fmpq_mat, j: int) -> fmpq_mat:
    """Column j as a column."""
    return fmpq_mat(m.nrows(), 1, [m[i, j] for i in range(m.nrows())])


def row(m: fmpq_mat, i: int) -> fmpq_mat:
    """Row i as a column."""
    return fmpq_mat(m.ncols(), 1, [m[i, j] for j in range(m.ncols())])
