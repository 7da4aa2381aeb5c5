"""The L^p construction: exact on the good cells (independent Fraction reference of q_M and f), a certified bound
that dominates sampled errors and shrinks with M, a clamp read off the weights, a planted memoriser bug that the
certified bound reflects, bad input named."""

from __future__ import annotations

import json
import math
import random
from fractions import Fraction
from pathlib import Path

import pytest
from deep_reference import run_network, run_target
from flint import fmpq

from certify.deep.lp import build_lp, certify_lp, output_bound
from certify.deep.target import parse_target
from certify.errors import InputError
from certify.spec import io
from certify.spec.file import InputSpec, RnnFile
from certify.spec.network import Layer, Network
from certify.spec.sparse import SparseMatrix

DOC = {"format": "certify.deep-target/1", "name": "lp", "kind": "continuous", "dx": 1, "dy": 1, "N": 3,
       "domain": [[0, 1]],
       "steps": [{"t": 1, "A": [[1]], "c": [0], "W": [[1]], "d": [0]},
                 {"t": 2, "A": [[1, -1], [-1, 1]], "c": [0, 0], "W": [[1, 1]], "d": [0]},
                 {"t": 3, "A": [[1, 1, 1]], "c": ["-1"], "W": [[2]], "d": ["1/4"]}]}
DOC2 = dict(DOC, dx=2, N=2, domain=[[0, 1], [0, 1]],
            steps=[{"t": 1, "A": [[1, -1]], "c": [0], "W": [[1]], "d": [0]},
                   {"t": 2, "A": [[1, 1, 1, 1]], "c": ["-2"], "W": [["1/2"]], "d": [0]}])


def doc_of(net: Network, tmp_path: Path) -> dict:
    path = tmp_path / "lp.rnn.json"
    io.write(RnnFile(network=net, name="lp", input=InputSpec("sequence", ((fmpq(0), fmpq(1)),), 3)), path)
    return json.loads(path.read_text())


def q(v: Fraction, m: int) -> Fraction:
    return min(Fraction(math.floor(v * 2 ** m), 2 ** m), 1 - Fraction(1, 2 ** m))


def good_point(rng: random.Random, m: int, delta: Fraction) -> Fraction:
    j = rng.randrange(2 ** m)
    lo = Fraction(j, 2 ** m)
    hi = Fraction(1) if j == 2 ** m - 1 else lo + Fraction(1, 2 ** m) - delta
    return lo + (hi - lo) * Fraction(rng.randint(0, 100), 100)


@pytest.mark.parametrize(("doc", "m"), [(DOC, 1), (DOC, 2), (DOC2, 1)])
def test_exact_on_good_cells(doc: dict, m: int, tmp_path: Path) -> None:
    tg = parse_target(doc, "lp")
    delta = Fraction(1, 2 ** (m + 8))
    lp = build_lp(tg, m, fmpq(delta.numerator, delta.denominator))
    assert lp.network.width == tg.dx + 2
    ndoc = doc_of(lp.network, tmp_path)
    rng = random.Random(m)
    for _ in range(25):
        xs = [[good_point(rng, m, delta) for _ in range(tg.dx)] for _ in range(tg.N)]
        ys = run_network(ndoc, xs)
        quantised = run_target(doc, [[q(v, m) for v in x] for x in xs])
        assert all(ys[t - 1] == f for t, f in quantised.items())


def test_certified_bound_dominates_sampled_error_and_shrinks(tmp_path: Path) -> None:
    tg = parse_target(DOC, "lp")
    b1 = certify_lp(tg, build_lp(tg, 1, fmpq(1, 512)), p=2)
    lp2 = build_lp(tg, 2, fmpq(1, 1024))
    b2 = certify_lp(tg, lp2, p=2)
    assert all(b.upper < a.upper for a, b in zip(b1, b2, strict=True))
    assert all(b.upper ** 2 >= b.p_power for b in b2)
    ndoc = doc_of(lp2.network, tmp_path)
    rng = random.Random(3)
    sums = [Fraction(0)] * 3
    n = 150
    for _ in range(n):
        xs = [[Fraction(rng.randint(0, 10**6), 10**6)] for _ in range(3)]     # anywhere in K^N, bad set included
        ys, fs = run_network(ndoc, xs), run_target(DOC, xs)
        for t in range(1, 4):
            assert abs(ys[t - 1][0]) <= Fraction(str(lp2.clamp))
            sums[t - 1] += (fs[t][0] - ys[t - 1][0]) ** 2
    for t, b in enumerate(b2, start=1):
        assert sums[t - 1] / n <= Fraction(int(b.p_power.p), int(b.p_power.q))


def test_a_planted_memoriser_bug_shows_in_the_certified_bound() -> None:
    tg = parse_target(DOC, "lp")
    lp = build_lp(tg, 2, fmpq(1, 1024))
    good = certify_lp(tg, lp, p=1)
    layers = list(lp.network.layers)
    k = len(layers) - 40                                   # a memoriser layer: its accumulator's slope weight
    la = layers[k]
    mat = la.W_ih.to_dense()
    mat[2][1] = fmpq(mat[2][1]) + 3
    layers[k] = Layer(W_hh=la.W_hh, W_ih=SparseMatrix.from_dense(mat), b=la.b, h0=la.h0)
    bad_net = Network(layers=tuple(layers), W_out=lp.network.W_out, b_out=lp.network.b_out)
    bad = certify_lp(tg, type(lp)(bad_net, lp.M, lp.delta, lp.points, lp.clamp), p=1)
    assert any(b.upper > g.upper for g, b in zip(good, bad, strict=True))


def test_without_the_clamp_there_is_no_bound() -> None:
    tg = parse_target(DOC, "lp")
    lp = build_lp(tg, 1, fmpq(1, 64))
    assert output_bound(lp.network) == lp.clamp
    net = lp.network
    last = net.layers[-1]
    b = (last.b[1], last.b[0])                              # biases swapped: not a clamp (b1 < b2)
    swapped = Network(layers=(*net.layers[:-1], Layer(W_hh=last.W_hh, W_ih=last.W_ih, b=b, h0=last.h0)),
                      W_out=net.W_out, b_out=net.b_out)
    assert output_bound(swapped) is None
    with pytest.raises(InputError, match="not a clamp"):
        certify_lp(tg, type(lp)(swapped, lp.M, lp.delta, lp.points, lp.clamp))


@pytest.mark.parametrize(("change", "m", "delta", "message"), [
    ({"domain": [[0, 2]]}, 1, fmpq(1, 8), "K = \\[0, 1\\]"),
    ({}, 1, fmpq(1, 2), "delta=1/2"),
    ({}, 0, fmpq(1, 8), "M=0"),
    ({"dy": 2, "steps": [dict(s, W=s["W"] * 2, d=s["d"] * 2) for s in DOC["steps"]]}, 1, fmpq(1, 8), "dy=2"),
])
def test_bad_parameters_are_named(change: dict, m: int, delta: fmpq, message: str) -> None:
    tg = parse_target(DOC | change, "lp")
    with pytest.raises(InputError, match=message):
        build_lp(tg, m, delta)


def test_build_deep_lp_cli(run_cli, tmp_path: Path) -> None:
    target = tmp_path / "t.json"
    target.write_text(json.dumps(DOC))
    code, out, _ = run_cli("build", "deep-lp", str(target), "-M", "1", "-o", str(tmp_path / "lp.rnn.json"))
    assert code == 0 and "certified L^1 error" in out and "width 3" in out
