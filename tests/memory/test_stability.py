"""Stability: exact Lyapunov solutions, Lemma A.8 only under its hypothesis, spectra of a Jordan block,
the certified perturbation error against the sampled one."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from flint import arb, fmpq, fmpq_mat

from certify.cli import main
from certify.memory.linalg import is_positive_definite, lyapunov_continuous_exact
from certify.memory.stability import certified_error, sampled_errors, spectra
from certify.spec.network import Network


def _residual(W) -> Network:  # noqa: N803
    n = len(W)
    return Network.from_dense(W_hh=W, W_ih=[[1]] * n, b=[0] * n, W_out=[[1] * n], b_out=[0], h0=[0] * n,
                              activation="identity", cell="residual", dt="1/10")


@pytest.mark.parametrize("W", [[[-2, 1], [0, -3]], [["-1/2", 4], [-4, "-1/2"]], [[-1, 10], [0, -2]]])
def test_the_lyapunov_solution_is_exact(W) -> None:  # noqa: N803
    m = fmpq_mat([[fmpq(Fraction(v).numerator, Fraction(v).denominator) for v in row] for row in W])
    P = lyapunov_continuous_exact(m)  # noqa: N806
    assert P is not None and m.transpose() * P + P * m == fmpq_mat([[-1, 0], [0, -1]])
    assert is_positive_definite(P)


@pytest.mark.parametrize("beta0", [fmpq(1, 3), fmpq(2), fmpq(7, 5)])
def test_lemma_a8_is_tight_for_a_multiple_of_the_identity(beta0: fmpq) -> None:
    s = spectra(_residual([[-beta0, 0], [0, -beta0]]))[0]
    assert s.normal and s.lemma_verdict == "PROVED"
    assert fmpq_mat([[1 / (2 * beta0), 0], [0, 1 / (2 * beta0)]]) == s.P
    assert s.P_norm.overlaps(arb(1 / (2 * beta0))) and s.lemma_bound.overlaps(arb(1 / (2 * beta0)))


def test_lemma_a8_fails_for_a_non_normal_matrix_and_is_not_claimed() -> None:
    s = spectra(_residual([[-1, 10], [0, -2]]))[0]
    assert not s.normal and s.lemma_verdict == "FAILS HERE" and s.P_norm > s.lemma_bound
    assert "not normal" in s.note


def test_a_rotation_plus_damping_is_normal_and_the_lemma_holds() -> None:
    s = spectra(_residual([["-1/2", 4], [-4, "-1/2"]]))[0]   # normal: eigenvalues −1/2 ± 4i, P = I
    assert s.normal and s.lemma_verdict == "PROVED" and s.margin.contains(fmpq(1, 2))


def test_the_jordan_block_of_fig11b_is_on_the_boundary() -> None:
    net = Network.from_dense(W_hh=[[1, 1], [-4, -3]], W_ih=[[1], [1]], b=[0, 0], W_out=[[1, 0]], b_out=[0],
                             h0=[0, 0], activation="tanh")
    s = spectra(net)[0]
    assert [(str(z.real), m) for z, m in s.eigenvalues] == [("-1.00000000000000", 2)]
    assert s.margin.is_exact() and s.margin.is_zero() and s.P is None


@pytest.mark.parametrize("activation", ["identity", "tanh", "hardtanh"])
def test_the_certified_perturbation_error_is_above_the_sampled_one(activation: str) -> None:
    net = Network.from_dense(W_hh=[["1/2", "-1/4"], ["1/3", "1/2"]], W_ih=[[1], ["-1/2"]], b=[0, "1/8"],
                             W_out=[[1, 1]], b_out=[0], h0=[0, 0], activation=activation)
    box = [(fmpq(-1), fmpq(1))]
    betas = [fmpq(0), fmpq(1, 1000), fmpq(1, 100)]
    sampled = sampled_errors(net, box, 20, betas, samples=5)
    for beta, (me, sp) in zip(betas, sampled, strict=True):
        bound = certified_error(net, box, 20, beta)
        assert bound is not None and max(me, sp) <= float(bound)
    assert certified_error(net, box, 20, fmpq(0)) == 0


def test_cli_stability_json(tmp_path) -> None:
    doc = {"format": "certify.rnn/2", "name": "nn",
           "rnn": {"cell": "residual", "dt": "1/10", "activation": "identity", "W_hh": [[-1, 10], [0, -2]],
                   "W_ih": [[1], [1]], "b": [0, 0], "W_out": [[1, 0]], "b_out": [0]},
           "input": {"kind": "constant", "domain": [-1, 1]}}
    path = tmp_path / "nn.rnn.json"
    path.write_text(json.dumps(doc))
    out = tmp_path / "s.json"
    assert main(["stability", str(path), "--beta", "0", "--beta", "1/1000", "--samples", "2", "--steps", "10",
                 "--json", str(out)]) == 0
    got = json.loads(out.read_text())
    assert got["layers"][0]["lemma_A8"] == "FAILS HERE" and got["layers"][0]["normal"] is False
    assert [r["beta"] for r in got["perturbation"]["rows"]] == [0, "1/1000"]
