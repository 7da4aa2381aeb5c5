"""The deep-narrow compiler: networks equal to their targets exactly (by an independent Fraction reference on random
and corner sequences, and by proof), within the paper's widths; planted bugs are REFUTED with replayable witnesses."""

from __future__ import annotations

import json
import random
from fractions import Fraction
from itertools import product
from pathlib import Path

import pytest
from deep_reference import run_network, run_target
from flint import fmpq, fmpq_mat

from certify.deep.equivalence import prove_equal
from certify.deep.narrow import compile_target, depth_bound, lemma6_matrix, width_of
from certify.deep.target import Target, parse_target
from certify.deep.width import bound
from certify.spec import io
from certify.spec.file import InputSpec, RnnFile
from certify.spec.network import Layer, Network
from certify.spec.sparse import SparseMatrix
from certify.verdict import Verdict

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "deep_narrow_target.json"


def random_target(rng: random.Random, kind: str, dx: int, dy: int, n: int) -> dict:
    def q() -> str:
        return f"{rng.randint(-6, 6)}/{rng.randint(1, 4)}"

    domain = []
    for _ in range(dx):
        lo = Fraction(rng.randint(-4, 2), rng.randint(1, 3))
        domain.append([str(lo), str(lo + Fraction(rng.randint(1, 6), rng.randint(1, 2)))])
    times = range(1, n + 1) if kind == "continuous" else [n]
    steps = []
    for t in times:
        h = rng.randint(1, 3)
        steps.append({"t": t, "A": [[q() for _ in range(t * dx)] for _ in range(h)], "c": [q() for _ in range(h)],
                      "W": [[q() for _ in range(h)] for _ in range(dy)], "d": [q() for _ in range(dy)]})
    return {"format": "certify.deep-target/1", "name": "random", "kind": kind, "dx": dx, "dy": dy, "N": n,
            "domain": domain, "steps": steps}


def written(net: Network, tg: Target, tmp_path: Path) -> dict:
    """The network as the certify.rnn/2 JSON a user gets (so the reference reads the file, not our objects)."""
    path = tmp_path / "net.rnn.json"
    io.write(RnnFile(network=net, name="n", input=InputSpec("sequence", tg.domain, tg.N)), path)
    return json.loads(path.read_text())


def sequences(rng: random.Random, doc: dict, count: int) -> list[list[list[Fraction]]]:
    dom = [(Fraction(lo), Fraction(hi)) for lo, hi in doc["domain"]]
    out = []
    for i in range(count):
        seq = []
        for _ in range(doc["N"]):
            if i % 3 == 0:   # corners of K
                seq.append([rng.choice((lo, hi)) for lo, hi in dom])
            else:
                seq.append([lo + (hi - lo) * Fraction(rng.randint(0, 64), 64) for lo, hi in dom])
        out.append(seq)
    return out


CASES = [(kind, seed) for kind in ("continuous", "seq2vec") for seed in range(6)]


@pytest.mark.parametrize(("kind", "seed"), CASES)
def test_compiled_network_equals_target_exactly(kind: str, seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    doc = random_target(rng, kind, rng.randint(1, 3), rng.randint(1, 2), rng.randint(1, 4))
    tg = parse_target(doc, "random")
    net = compile_target(tg)
    assert net.width == width_of(tg) <= (bound(tg.dx, tg.dy, "relu", kind).width or 0)
    assert net.depth <= depth_bound(tg)
    ndoc = written(net, tg, tmp_path)
    for xs in sequences(rng, doc, 12):
        ys, want = run_network(ndoc, xs), run_target(doc, xs)
        for t, f in want.items():
            assert ys[t - 1] == f, (t, xs)
    eq = prove_equal(net, tg)
    assert eq.verdict is Verdict.PROVED and [r.t for r in eq.results] == list(tg.times)


def test_widths_are_the_theorems() -> None:
    doc = json.loads(EXAMPLE.read_text())
    tg = parse_target(doc, "example")
    assert compile_target(tg).width == tg.dx + tg.dy + 2 == 5          # Theorem 5 allows 6
    last = dict(doc, kind="seq2vec", steps=[doc["steps"][-1]])
    assert compile_target(parse_target(last, "last")).width == 2 + 1 + 1  # Theorem 9: d_x + d_y + 1


def test_lemma6_matrix_is_the_path_count_and_invertible() -> None:
    for n in range(1, 7):
        lam = lemma6_matrix(n)
        # simulate the stacked accumulators: acc_m[t] = acc_m[t-1] + b_m x[t] + acc_{m-1}[t], unit b_m, x = e_j
        for m in range(n):
            for j in range(n):
                acc = [[0] * (n + 1) for _ in range(n + 1)]
                for t in range(1, n + 1):
                    for mm in range(1, n + 1):
                        x = 1 if (t == j + 1 and mm == m + 1) else 0
                        acc[mm][t] = acc[mm][t - 1] + x + acc[mm - 1][t]
                assert acc[n][n] == lam[m][j]
        assert fmpq_mat(n, n, [v for row in lam for v in row]).det() != 0


def _with_weight(net: Network, k: int, which: str, i: int, j: int | None, delta: fmpq) -> Network:
    layers = list(net.layers)
    la = layers[k]
    if which == "b":
        b = list(la.b)
        b[i] += delta
        layers[k] = Layer(W_hh=la.W_hh, W_ih=la.W_ih, b=tuple(b), h0=la.h0)
    else:
        mat = getattr(la, which).to_dense()
        mat[i][j] = fmpq(mat[i][j]) + delta
        changed = SparseMatrix.from_dense(mat)
        layers[k] = Layer(W_hh=changed if which == "W_hh" else la.W_hh, W_ih=changed if which == "W_ih" else la.W_ih,
                          b=la.b, h0=la.h0)
    return Network(layers=tuple(layers), W_out=net.W_out, b_out=net.b_out)


def _planted(net: Network, dx: int) -> list[tuple[str, Network]]:
    """One weight changed, at places every construction relies on: a node's bias, the recurrent sum (of the last
    node, T = N, whose sum runs over every t), the time embedding, the accumulator's offset, a y update."""
    rec = max(k for k, la in enumerate(net.layers) if k and any(True for _ in la.W_hh.entries()))  # the last node's
    node = next(k for k in range(rec + 1, net.depth) if net.layers[k].b[dx] != 0)
    into_y = next(k for k in range(node + 1, net.depth) if any(j == dx for _, j, _ in net.layers[k].W_ih.entries()))
    y_row = next(i for i, j, _ in net.layers[into_y].W_ih.entries() if j == dx)
    return [("node bias", _with_weight(net, node, "b", dx, None, fmpq(1, 1000))),
            ("recurrent sum", _with_weight(net, rec, "W_hh", dx + 1, dx + 1, fmpq(-1, 2))),
            ("time embedding", _with_weight(net, 0, "b", 0, None, fmpq(1, 3))),
            ("accumulator offset", _with_weight(net, rec, "b", dx + 1, None, fmpq(-10**6))),
            ("y update", _with_weight(net, into_y, "W_ih", y_row, dx, fmpq(1, 7)))]


def test_planted_bugs_are_refuted_with_witnesses_that_replay(tmp_path: Path) -> None:
    doc = json.loads(EXAMPLE.read_text())
    tg = parse_target(doc, "example")
    net = compile_target(tg)
    assert prove_equal(net, tg).verdict is Verdict.PROVED
    for what, bad in _planted(net, tg.dx):
        eq = prove_equal(bad, tg)
        assert eq.verdict is Verdict.REFUTED, what
        bdoc = written(bad, tg, tmp_path)
        for r in eq.results:
            if r.verdict is Verdict.REFUTED:
                xs = [[Fraction(int(v.p), int(v.q)) for v in x] for x in r.witness]
                got, want = run_network(bdoc, xs)[r.t - 1], run_target(doc, xs)[r.t]
                assert got != want, what
                assert [Fraction(int(v.p), int(v.q)) for v in r.network_y] == got
                assert [Fraction(int(v.p), int(v.q)) for v in r.target_y] == want


def test_seq2vec_planted_bug_is_refuted() -> None:
    doc = json.loads(EXAMPLE.read_text())
    tg = parse_target(dict(doc, kind="seq2vec", steps=[doc["steps"][-1]]), "last")
    net = compile_target(tg)
    assert prove_equal(net, tg).verdict is Verdict.PROVED
    bad = _with_weight(net, 1, "W_ih", tg.dx, 0, fmpq(1, 64))     # one Lemma-6 coefficient b_m
    eq = prove_equal(bad, tg)
    assert eq.verdict is Verdict.REFUTED and eq.results[0].witness


def test_solver_budget_exhausted_is_unknown_never_proved() -> None:
    doc = json.loads(EXAMPLE.read_text())
    tg = parse_target(doc, "example")
    bad = _planted(compile_target(tg), tg.dx)[0][1]
    eq = prove_equal(bad, tg, rlimit=1)
    assert eq.verdict is Verdict.UNKNOWN
    assert all(r.verdict is not Verdict.REFUTED or r.witness for r in eq.results)
    assert any(r.verdict is Verdict.UNKNOWN and r.reason for r in eq.results)


def test_grid_of_the_example_by_reference(tmp_path: Path) -> None:
    """Sequences on the grid {lo, mid, hi}^(2·4) (40 drawn): the network and the target agree at every t."""
    doc = json.loads(EXAMPLE.read_text())
    tg = parse_target(doc, "example")
    ndoc = written(compile_target(tg), tg, tmp_path)
    pts = [[Fraction(lo), (Fraction(lo) + Fraction(hi)) / 2, Fraction(hi)] for lo, hi in doc["domain"]]
    tokens = [list(p) for p in product(*pts)]
    rng = random.Random(0)
    for _ in range(40):
        xs = [rng.choice(tokens) for _ in range(doc["N"])]
        ys, want = run_network(ndoc, xs), run_target(doc, xs)
        assert all(ys[t - 1] == f for t, f in want.items())


def test_a_difference_on_a_tiny_corner_is_found() -> None:
    """The target plus relu(x_4[0] − (1 − 1/1000))·5 at t = 4: it differs from the compiled network only where
    x_4[0] > 999/1000 (random sampling would rarely see it); z3 finds it and the witness replays."""
    doc = json.loads(EXAMPLE.read_text())
    net = compile_target(parse_target(doc, "example"))
    last = doc["steps"][-1]
    changed = dict(last, A=[*last["A"], [0] * 6 + [1, 0]], c=[*last["c"], "-999/1000"], W=[[*last["W"][0], 5]])
    other = dict(doc, steps=[*doc["steps"][:-1], changed])
    eq = prove_equal(net, parse_target(other, "other"))
    assert [r.verdict for r in eq.results] == [Verdict.PROVED] * 3 + [Verdict.REFUTED]
    x4 = eq.results[-1].witness[3][0]
    assert x4 > fmpq(999, 1000)
    xs = [[Fraction(int(v.p), int(v.q)) for v in x] for x in eq.results[-1].witness]
    assert run_target(other, xs)[4] != run_target(doc, xs)[4]


def test_equal_functions_written_differently_are_proved_by_smt() -> None:
    """relu(x) − relu(−x) = x: not the same expression, so the symbolic step cannot decide it; z3 proves it."""
    tg = Target.from_lists(dx=1, dy=1, N=1, domain=[[-1, 1]], steps=[
        {"t": 1, "A": [[1], [-1]], "c": [0, 0], "W": [[1, -1]], "d": [0]}])
    ident = Network.from_dense(W_hh=[[0]], W_ih=[[1]], b=[1], W_out=[[1]], b_out=[-1], h0=[0])   # relu(x+1) − 1
    eq = prove_equal(ident, tg)
    assert eq.verdict is Verdict.PROVED and eq.results[0].method == "smt"
