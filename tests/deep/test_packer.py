"""The L^p packer (eq. 48): injectivity on every quantised prefix (distinct values counted exactly), the unrolled
closed form, the left inverse, the quantiser and encoder, and a planted wrong packer whose collisions are found."""

from __future__ import annotations

import random
from itertools import product

import pytest
from flint import fmpq

from certify.deep.packer import closed_form, encode, injectivity, pack, packer_network, quantise, unpack
from certify.errors import InputError


def test_seed_paper_values() -> None:
    assert injectivity(1, 2, 4).distinct == 340                      # research/seed-papers.md §4.4 [CHECKED]
    assert pack([fmpq(1, 4), fmpq(3, 4)], 1, 2)[-1] == fmpq(61, 32)


@pytest.mark.parametrize(("dx", "M", "N"), [(1, 1, 8), (1, 2, 4), (2, 1, 4), (1, 3, 3), (2, 2, 2), (3, 1, 3),
                                             (2, 3, 1)])
def test_injective_on_every_prefix(dx: int, M: int, N: int) -> None:  # noqa: N803
    r = injectivity(dx, M, N)
    assert r.prefixes == sum(2 ** (dx * M * t) for t in range(1, N + 1))
    assert r.distinct == r.prefixes and r.closed_form_ok and r.inverse_ok and r.injective


def test_closed_form_and_inverse_beyond_enumeration() -> None:
    rng = random.Random(7)
    for _ in range(200):
        dx, m, n = rng.randint(1, 4), rng.randint(1, 6), rng.randint(1, 12)
        vs = [fmpq(rng.randrange(2 ** (dx * m)), 2 ** (dx * m)) for _ in range(n)]
        rs = pack(vs, dx, m)
        assert all(rs[t - 1] == closed_form(vs[:t], dx, m) for t in range(1, n + 1))
        assert unpack(rs[-1], dx, m) == vs


def test_packer_network_is_eq_48() -> None:
    net = packer_network(2, 1)
    vs = [fmpq(3, 4), fmpq(0), fmpq(1, 2)]
    assert [y[0] for _, _, y in net.run_sequence([[v] for v in vs])] == pack(vs, 2, 1)
    assert net.width == 1


def _count_with(rho: fmpq, dx: int, m: int, n: int) -> tuple[int, int]:
    tokens = [fmpq(k, 2 ** (dx * m)) for k in range(2 ** (dx * m))]
    seen, total = set(), 0
    for t in range(1, n + 1):
        for vs in product(tokens, repeat=t):
            r = fmpq(0)
            for v in vs:
                r = rho * r + v + 1
            seen.add(r)
            total += 1
    return total, len(seen)


def test_planted_wrong_packer_collides() -> None:
    """With ρ = 2^{−d_x M} instead of 2^{−(d_x M+1)} the digits overlap: the exact count finds collisions."""
    total, distinct = _count_with(fmpq(1, 2 ** 2), 1, 2, 3)
    assert distinct < total
    assert _count_with(fmpq(1, 2 ** 3), 1, 2, 3) == (84, 84)


def test_quantiser_and_encoder() -> None:
    assert [quantise(fmpq(v, 8), 2) for v in range(9)] == [fmpq(k, 4) for k in (0, 0, 1, 1, 2, 2, 3, 3, 3)]
    assert encode([fmpq(1), fmpq(1, 4)], 2) == fmpq(3, 4) + fmpq(1, 16)
    with pytest.raises(InputError, match="-1/2"):
        quantise(fmpq(-1, 2), 2)


@pytest.mark.parametrize("r", [fmpq(1, 3), fmpq(0), fmpq(3, 1), fmpq(1, 2)])
def test_unpack_refuses_non_packings(r: fmpq) -> None:
    with pytest.raises(InputError, match="not a packing"):
        unpack(r, 1, 2)


def test_enumeration_is_bounded() -> None:
    with pytest.raises(InputError, match="prefixes"):
        injectivity(4, 4, 3)
