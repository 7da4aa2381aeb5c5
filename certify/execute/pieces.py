"""Exact piecewise-linear rollouts in one input: for a network whose activations are all piecewise linear and
whose input is one number x ∈ [lo, hi], the state h_t and the output y_t are piecewise *affine* in x. This
module enumerates those pieces with exact rationals: a partition lo = x₀ < x₁ < … < x_n = hi and, on each
[x_k, x_{k+1}], coefficients with h_t(x) = A + B·x exactly.

Each layer's pre-activation z = W_hh·h + W_ih·u + b is affine on a piece; where a unit's z crosses a kink of
its activation (ReLU: 0; hardtanh: ±1; :data:`~certify.spec.activation.RELU_FORM`) inside the piece, the
piece is cut there (the cut is a rational point); on each resulting piece every unit sits on one linear
part, read off at the piece's midpoint. Adjacent pieces on which the whole state has the same affine
coefficients are merged again, so the count is that of the state's true pieces (not of every cut made).

This is written by hand (not through a polyhedral library) because the input is one-dimensional: a piece
is an interval, a cut is a rational root of an affine function, and nothing more is needed.

>>> from certify.spec.network import Network
>>> net = Network.from_dense(W_hh=[[0, 0], [0, 0]], W_ih=[[1], [-1]], b=[0, 0], W_out=[[1, 1]], b_out=[0],
...                          h0=[0, 0])                         # y_t = relu(x) + relu(-x) = |x|
>>> run = PieceRun(net, fmpq(-1), fmpq(2), kind="constant")
>>> run.step()
>>> [(str(p.lo), str(p.hi), str(p.a[0]), str(p.b[0])) for p in run.output_pieces()]
[('-1', '0', '0', '-1'), ('0', '2', '0', '1')]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flint import fmpq

from certify.errors import InputError
from certify.rational import ZERO
from certify.spec import activation as act
from certify.spec.network import Layer, Network
from certify.spec.sparse import SparseMatrix

#: Default most pieces a rollout may reach before it stops (each piece costs two sparse products per layer).
MAX_PIECES = 1 << 16

Vector = tuple[fmpq, ...]


class TooManyPieces(InputError):
    """The exact enumeration passed its piece budget; ``t`` is the step where it did."""

    def __init__(self, t: int, count: int, limit: int) -> None:
        super().__init__(f"the output has more than {limit} linear pieces at T={t} ({count} found)")
        self.t, self.count, self.limit = t, count, limit


@dataclass(frozen=True)
class AffinePiece:
    """``y(x) = a + b·x`` for every x in [lo, hi] (a and b one entry per output)."""

    lo: fmpq
    hi: fmpq
    a: Vector
    b: Vector


def _kinks(name: str) -> tuple[tuple[fmpq, fmpq], ...]:
    """(coefficient c, kink k) of each relu(z − k) term of the activation's ReLU form."""
    terms, _, _ = act.RELU_FORM[name]
    return tuple((fmpq(c), fmpq(k)) for c, k in terms)


def _affine(mat: SparseMatrix, a: Sequence[fmpq], b: Sequence[fmpq]) -> tuple[list[fmpq], list[fmpq]]:
    return mat.matvec(a), mat.matvec(b)


class PieceRun:
    """The exact piecewise-affine state of ``net`` over x ∈ [lo, hi], stepped one RNN step at a time."""

    def __init__(self, net: Network, lo: fmpq, hi: fmpq, kind: str, max_pieces: int = MAX_PIECES) -> None:
        if not net.is_piecewise_linear:
            raise InputError(f"exact pieces need piecewise-linear activations; this network has "
                             f"{', '.join(sorted(set(net.activations)))}")
        if net.input_dim != 1:
            raise InputError(f"exact pieces need a one-dimensional input; this network has input_dim={net.input_dim}")
        if kind not in ("constant", "impulse"):
            raise InputError(f"input.kind={kind!r}: exact pieces follow a constant or an impulse input")
        if lo > hi:
            raise InputError(f"the input interval [{lo}, {hi}] is empty")
        self.net, self.kind, self.max_pieces, self.t = net, kind, max_pieces, 0
        self._lift: list[fmpq] = net.P.matvec([fmpq(1)]) if net.P is not None else [fmpq(1)]
        n = net.state_dim
        self._pieces: list[tuple[fmpq, fmpq, Vector, Vector]] = [(lo, hi, tuple(net.h0), (ZERO,) * n)]
        self._kink_table = [_kinks(layer.activation) for layer in net.layers]
        self._linear = [act.RELU_FORM[layer.activation][1:] for layer in net.layers]

    def __len__(self) -> int:
        return len(self._pieces)

    def step(self) -> None:
        """Advance every piece by one RNN step (cutting and merging as in the module text)."""
        self.t += 1
        drive = self._lift if (self.kind == "constant" or self.t == 1) else [ZERO] * len(self._lift)
        out: list[tuple[fmpq, fmpq, Vector, Vector]] = []
        for lo, hi, A, B in self._pieces:
            # sub-pieces of [lo, hi] with the new state of the layers done so far (the old state is A, B)
            parts: list[tuple[fmpq, fmpq, list[fmpq], list[fmpq]]] = [(lo, hi, [], [])]
            offset = 0
            for k, layer in enumerate(self.net.layers):
                n, below = layer.hidden_dim, self.net.layers[k - 1].hidden_dim if k else 0
                nxt: list[tuple[fmpq, fmpq, list[fmpq], list[fmpq]]] = []
                for plo, phi, new_a, new_b in parts:
                    ua, ub = (([ZERO] * len(drive), drive) if k == 0 else (new_a[-below:], new_b[-below:]))
                    za, zb = self._preactivation(layer, A[offset:offset + n], B[offset:offset + n], ua, ub)
                    nxt.extend((qlo, qhi, new_a + ha, new_b + hb) for qlo, qhi, ha, hb
                               in self._activate(k, plo, phi, za, zb))
                parts = nxt
                offset += n
            out.extend((plo, phi, tuple(na), tuple(nb)) for plo, phi, na, nb in parts)
            if len(out) > 4 * self.max_pieces:
                raise TooManyPieces(self.t, len(out), self.max_pieces)
        self._pieces = _merged(out)
        if len(self._pieces) > self.max_pieces:
            raise TooManyPieces(self.t, len(self._pieces), self.max_pieces)

    def _preactivation(self, layer: Layer, ha: Sequence[fmpq], hb: Sequence[fmpq], ua: Sequence[fmpq],
                       ub: Sequence[fmpq]) -> tuple[list[fmpq], list[fmpq]]:
        wa, wb = _affine(layer.W_hh, ha, hb)
        if layer.input_dim:
            va, vb = _affine(layer.W_ih, ua, ub)
            wa = [p + q for p, q in zip(wa, va, strict=True)]
            wb = [p + q for p, q in zip(wb, vb, strict=True)]
        return [p + c for p, c in zip(wa, layer.b, strict=True)], wb

    def _activate(self, k: int, lo: fmpq, hi: fmpq, za: list[fmpq],
                  zb: list[fmpq]) -> list[tuple[fmpq, fmpq, list[fmpq], list[fmpq]]]:
        """The layer's new state on [lo, hi], cut where a unit crosses a kink."""
        kinks = self._kink_table[k]
        slope, const = self._linear[k]
        if not kinks:  # identity: affine everywhere
            return [(lo, hi, [slope * a + const for a in za], [slope * b for b in zb])]
        cuts = sorted({x for a, b in zip(za, zb, strict=True) if b != 0 for _, kk in kinks
                       for x in ((kk - a) / b,) if lo < x < hi})
        bounds = [lo, *cuts, hi]
        out = []
        for qlo, qhi in zip(bounds, bounds[1:], strict=False):
            mid = (qlo + qhi) / 2
            ha, hb = [], []
            for a, b in zip(za, zb, strict=True):
                z = a + b * mid
                s, c0 = fmpq(slope), fmpq(const)
                for c, kk in kinks:
                    if z > kk:
                        s += c
                        c0 -= c * kk
                ha.append(s * a + c0)
                hb.append(s * b)
            out.append((qlo, qhi, ha, hb))
        return out

    def state_pieces(self) -> list[tuple[fmpq, fmpq, Vector, Vector]]:
        """(lo, hi, A, B) with h_t(x) = A + B·x on [lo, hi]."""
        return list(self._pieces)

    def output_pieces(self) -> list[AffinePiece]:
        """The pieces of y_t = W_out·Q·h_L + b_out (adjacent equal pieces merged)."""
        net = self.net
        last = net.layers[-1].hidden_dim
        out: list[AffinePiece] = []
        for lo, hi, A, B in self._pieces:
            sa, sb = A[len(A) - last:], B[len(B) - last:]
            if net.Q is not None:
                sa, sb = tuple(net.Q.matvec(sa)), tuple(net.Q.matvec(sb))
            ya = tuple(p + c for p, c in zip(net.W_out.matvec(sa), net.b_out, strict=True))
            yb = tuple(net.W_out.matvec(sb))
            if out and out[-1].a == ya and out[-1].b == yb:
                out[-1] = AffinePiece(out[-1].lo, hi, ya, yb)
            else:
                out.append(AffinePiece(lo, hi, ya, yb))
        return out


def _merged(pieces: list[tuple[fmpq, fmpq, Vector, Vector]]) -> list[tuple[fmpq, fmpq, Vector, Vector]]:
    out: list[tuple[fmpq, fmpq, Vector, Vector]] = []
    for p in pieces:
        if out and out[-1][2] == p[2] and out[-1][3] == p[3]:
            out[-1] = (out[-1][0], p[1], p[2], p[3])
        else:
            out.append(p)
    return out


def output_pieces(net: Network, lo: fmpq, hi: fmpq, kind: str, times: Sequence[int],
                  max_pieces: int = MAX_PIECES,
                  progress: Callable[[int, int], None] | None = None) -> dict[int, list[AffinePiece]]:
    """The pieces of y_T over [lo, hi] for each T in ``times`` (T = 0 is the output of h0).

    >>> from certify.spec.network import Network
    >>> net = Network.from_dense(W_hh=[[1]], W_ih=[[1]], b=[0], W_out=[[1]], b_out=[0], h0=[0])
    >>> [(str(p.lo), str(p.b[0])) for p in output_pieces(net, fmpq(-1), fmpq(1), "constant", [3])[3]]
    [('-1', '0'), ('0', '3')]
    """
    run = PieceRun(net, lo, hi, kind, max_pieces)
    want = sorted(set(times))
    out: dict[int, list[AffinePiece]] = {}
    if 0 in want:
        out[0] = run.output_pieces()
    for _ in range(max(want, default=0)):
        run.step()
        if run.t in want:
            out[run.t] = run.output_pieces()
        if progress is not None:
            progress(run.t, len(run))
    return out
