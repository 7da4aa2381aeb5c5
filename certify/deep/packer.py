"""The L^p construction's encoder and packer (Song–Hwang–Lee–Kang §6, after Park et al. 2021), exactly.

* quantiser q_n(v) = max{c ∈ C_n : c ≤ v}, C_n = {0, 2^−n, …, 1 − 2^−n}, for v ∈ [0, 1];
* encoder Enc_M(x) = Σ_{i=1}^{d_x} q_M(x_i)·2^{−(i−1)M} (one number per token, a multiple of 2^{−d_x M} in [0, 1));
* packer (eq. 48), a width-1 recurrent cell: R[t+1] = 2^{−(d_x M+1)}·R[t] + v[t+1] + 1, R[0] = 0;
  unrolled: R[t] = Σ_{j=1}^{t} 2^{−(t−j)(d_x M+1)}·(v[j] + 1).

**Injectivity, for every M and N** (all prefixes of all lengths together, which is eq. 50's disjoint union):
with B = 2^{d_x M+1} and digits d_j = 2^{d_x M}(v[j] + 1) ∈ [B/2, B), 2^{d_x M}·B^{t−1}·R[t] is the integer whose
base-B digits are d_t … d_1. Its 2-adic valuation is that of d_1, at most d_x M, so the reduced denominator of
R[t] is 2^e with (t−1)(d_x M+1) ≤ e ≤ (t−1)(d_x M+1) + d_x M: these ranges are disjoint for different t, so the
denominator gives t, and the base-B digits give v[1..t]. :func:`unpack` is that left inverse; :func:`injectivity`
checks it (and the closed form, and that every value is distinct) on every quantised prefix for small d_x, M, N.

>>> r = pack([fmpq(1, 4), fmpq(3, 4)], dx=1, M=2)
>>> [str(v) for v in r]
['5/4', '61/32']
>>> [str(v) for v in unpack(r[-1], dx=1, M=2)]
['1/4', '3/4']
>>> injectivity(dx=1, M=2, N=4).distinct
340
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product

from flint import fmpq

from certify.errors import InputError
from certify.rational import ZERO
from certify.spec.network import Network

#: Most quantised prefixes :func:`injectivity` enumerates.
MAX_PREFIXES = 2_000_000


def quantise(v: fmpq, n: int) -> fmpq:
    """q_n(v), the largest multiple of 2^−n in [0, 1 − 2^−n] that is ≤ v (v ∈ [0, 1]).

    >>> str(quantise(fmpq(5, 8), 2)), str(quantise(fmpq(1), 2))
    ('1/2', '3/4')
    """
    if not 0 <= v <= 1:
        raise InputError(f"the quantiser reads values in [0, 1]; got {v}")
    scale = 2 ** n
    k = min((v * scale).floor(), scale - 1)
    return fmpq(int(k), scale)


def encode(x: Sequence[fmpq], M: int) -> fmpq:  # noqa: N803
    """Enc_M(x) = Σ_i q_M(x_i)·2^{−(i−1)M}.

    >>> str(encode([fmpq(1, 2), fmpq(3, 4)], 2))
    '11/16'
    """
    return sum((quantise(v, M) / fmpq(2 ** (i * M)) for i, v in enumerate(x)), ZERO)


def _check(dx: int, M: int) -> None:  # noqa: N803
    for name, v in (("dx", dx), ("M", M)):
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 64:
            raise InputError(f"{name}={v!r} must be an integer in [1, 64]")


def pack(vs: Sequence[fmpq], dx: int, M: int) -> list[fmpq]:  # noqa: N803
    """R[1], …, R[t] of eq. 48 on the encoded tokens v[1..t], exactly."""
    _check(dx, M)
    rho = fmpq(1, 2 ** (dx * M + 1))
    r, out = ZERO, []
    for v in vs:
        r = rho * r + v + 1
        out.append(r)
    return out


def closed_form(vs: Sequence[fmpq], dx: int, M: int) -> fmpq:  # noqa: N803
    """R[t] = Σ_{j=1}^{t} 2^{−(t−j)(d_x M+1)}(v[j] + 1), t = len(vs)."""
    t = len(vs)
    return sum((fmpq(1, 2 ** ((t - j) * (dx * M + 1))) * (v + 1) for j, v in enumerate(vs, start=1)), ZERO)


def unpack(r: fmpq, dx: int, M: int) -> list[fmpq]:  # noqa: N803
    """The tokens v[1..t] whose packing is r (the left inverse of the module doc), or an error if r is no packing."""
    _check(dx, M)
    b = dx * M + 1
    q = int(r.q)
    e = q.bit_length() - 1
    if q != 1 << e or r <= 0:
        raise InputError(f"R={r} is not a packing: its denominator is not a power of 2")
    t = e // b + 1
    if e > (t - 1) * b + dx * M:
        raise InputError(f"R={r} is not a packing: denominator 2^{e} is in no range of a prefix length")
    n = r * fmpq(2 ** (dx * M + (t - 1) * b))
    if n.q != 1:
        raise InputError(f"R={r} is not a packing")
    num, base, out = int(n.p), 2 ** b, []
    for _ in range(t):
        num, d = divmod(num, base)
        if d < base // 2:
            raise InputError(f"R={r} is not a packing: a digit {d} is below {base // 2}")
        out.append(fmpq(d, 2 ** (dx * M)) - 1)
    if num:
        raise InputError(f"R={r} is not a packing: {t} digits leave {num}")
    return out


@dataclass(frozen=True)
class Injectivity:
    """Every quantised prefix of length 1 … N: how many, how many distinct packings, and the checks."""

    dx: int
    M: int
    N: int
    prefixes: int
    distinct: int
    closed_form_ok: bool
    inverse_ok: bool

    @property
    def injective(self) -> bool:
        return self.prefixes == self.distinct and self.closed_form_ok and self.inverse_ok


def injectivity(dx: int, M: int, N: int) -> Injectivity:  # noqa: N803
    """Enumerate every prefix over the 2^{d_x M} token values, pack it by the recurrence, compare with the closed
    form and with :func:`unpack`, and count the distinct values exactly."""
    _check(dx, M)
    if isinstance(N, bool) or not isinstance(N, int) or N < 1:
        raise InputError(f"N={N!r} must be a positive integer")
    tokens = [fmpq(k, 2 ** (dx * M)) for k in range(2 ** (dx * M))]
    total = sum(len(tokens) ** t for t in range(1, N + 1))
    if total > MAX_PREFIXES:
        raise InputError(f"dx={dx}, M={M}, N={N} has {total} prefixes, above {MAX_PREFIXES} to enumerate "
                         "(the module's argument covers every M and N; the enumeration checks it)")
    seen: set[fmpq] = set()
    closed_ok = inverse_ok = True
    for t in range(1, N + 1):
        for vs in product(tokens, repeat=t):
            r = pack(vs, dx, M)[-1]
            seen.add(r)
            closed_ok = closed_ok and r == closed_form(vs, dx, M)
            inverse_ok = inverse_ok and unpack(r, dx, M) == list(vs)
    return Injectivity(dx, M, N, total, len(seen), closed_ok, inverse_ok)


def packer_network(dx: int, M: int) -> Network:  # noqa: N803
    """Eq. 48 as a one-unit ReLU RNN on the encoded token v[t] (exact: every pre-activation is ≥ 1).

    >>> net = packer_network(1, 2)
    >>> [str(y[0]) for _, _, y in net.run_sequence([[fmpq(1, 4)], [fmpq(3, 4)]])]
    ['5/4', '61/32']
    """
    _check(dx, M)
    return Network.from_dense(W_hh=[[fmpq(1, 2 ** (dx * M + 1))]], W_ih=[[1]], b=[1], W_out=[[1]], b_out=[0], h0=[0])
