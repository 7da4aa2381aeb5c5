"""Lohner's QR form of a set of matrices, for interval recurrences X' = M·X + S that must not wrap.

>>> rot = arb_mat([[0, -1], [1, 0]]) * arb("0.9")    # ‖M‖ = 0.9, and the plain product wraps by √2 a step
>>> X = Lohner.of(arb_mat([[arb(1, "0.01")], [arb(0)]]))
>>> for _ in range(40):
...     X = X.step(rot, arb_mat(2, 1))
>>> float(max(X.value()[i, 0].rad() for i in range(2))) < 1e-3
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from flint import arb, arb_mat


@dataclass(frozen=True)
class Lohner:
    """A set of matrices X ∈ mid + B·Q: mid and B point matrices, Q an interval matrix. Propagating
    X' = M·X + S through a basis B' that follows the midpoint of M·B (QR) keeps interval products from
    wrapping: the radius then grows with the norm of M, not with the spectral radius of |M| (Lohner's method).

    Soundness: M·X + S ⊆ (M·mid + S) + (M·B)·Q = mid′ + S′ + A·Q, and every v in it is B′·(B′⁻¹v) with
    B′⁻¹ enclosed by the arb inverse, so v ∈ mid′ + B′·(B′⁻¹·S′ + (B′⁻¹·A)·Q).
    """

    mid: arb_mat
    B: arb_mat
    Q: arb_mat

    @staticmethod
    def of(X: arb_mat) -> Lohner:  # noqa: N803
        n, d = X.nrows(), X.ncols()
        mid = arb_mat([[arb(X[i, j].mid()) for j in range(d)] for i in range(n)])
        return Lohner(mid, arb_mat(n, n, [1 if i == j else 0 for i in range(n) for j in range(n)]), X - mid)

    def value(self) -> arb_mat:
        return self.mid + self.B * self.Q

    def step(self, M: arb_mat, S: arb_mat) -> Lohner | None:  # noqa: N803
        """The form of M·X + S (None when the new basis cannot be inverted rigorously)."""
        Y = M * self.mid + S  # noqa: N806
        n, d = Y.nrows(), Y.ncols()
        mid = arb_mat([[arb(Y[i, j].mid()) for j in range(d)] for i in range(n)])
        A = M * self.B  # noqa: N806
        a = np.array([[float(A[i, j].mid()) for j in range(n)] for i in range(n)])
        if not np.all(np.isfinite(a)):
            return None
        basis = np.linalg.qr(a)[0] if n else a
        B = arb_mat([[arb(float(v)) for v in row] for row in basis])  # noqa: N806
        try:
            Binv = B.inv()  # noqa: N806
        except (ZeroDivisionError, ValueError):
            return None
        return Lohner(mid, B, Binv * (Y - mid) + (Binv * A) * self.Q)
