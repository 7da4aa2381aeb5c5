"""The residual cell h_t = h_{t−1} + dt·σ(W h_{t−1} + U x_t + b): model, JSON, hash, refusals."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from flint import fmpq

from certify.errors import InputError
from certify.execute.layers import fold
from certify.spec.digest import content_sha256
from certify.spec.json_format import dumps, loads


def _doc(**rnn: object) -> dict:
    base = {"activation": "hardtanh", "W_hh": [["-1/2", "1/3"], [0, "-2"]], "W_ih": [[1], ["1/2"]], "b": ["1/8", 0],
            "W_out": [[1, -1]], "b_out": [0]}
    return {"format": "certify.rnn/2", "name": "r", "rnn": base | rnn, "input": {"kind": "constant", "domain": [-1, 1]}}


def _load(doc: dict):
    return loads(json.dumps(doc), "r.rnn.json")


def _reference(x: Fraction, steps: int, dt: Fraction) -> list[Fraction]:
    """An own Fraction rollout of the residual hardtanh cell of :func:`_doc`."""
    W = [[Fraction(-1, 2), Fraction(1, 3)], [Fraction(0), Fraction(-2)]]  # noqa: N806
    U, b = [Fraction(1), Fraction(1, 2)], [Fraction(1, 8), Fraction(0)]  # noqa: N806
    h, ys = [Fraction(0)] * 2, []
    for _ in range(steps):
        z = [sum(W[i][j] * h[j] for j in range(2)) + U[i] * x + b[i] for i in range(2)]
        h = [h[i] + dt * min(max(z[i], Fraction(-1)), Fraction(1)) for i in range(2)]
        ys.append(h[0] - h[1])
    return ys


@pytest.mark.parametrize("x", [Fraction(1), Fraction(-3, 4), Fraction(1, 5)])
def test_exact_steps_match_a_fraction_rollout(x: Fraction) -> None:
    f = _load(_doc(cell="residual", dt="1/10"))
    got = [Fraction(int(y[0].p), int(y[0].q)) for _, _, y in f.network.run([fmpq(x.numerator, x.denominator)], 12)]
    assert got == _reference(x, 12, Fraction(1, 10))


def test_round_trip_and_describe() -> None:
    f = _load(_doc(cell="residual", dt="1/10"))
    text = dumps(f)
    assert '"cell": "residual"' in text and '"dt": "1/10"' in text
    assert dumps(loads(text, "r.rnn.json")) == text
    assert "residual hardtanh dt=1/10" in f.network.describe()


def test_the_hash_separates_residual_from_elman_and_dt_values() -> None:
    elman = content_sha256(_load(_doc()))
    r1 = content_sha256(_load(_doc(cell="residual", dt="1/10")))
    r2 = content_sha256(_load(_doc(cell="residual", dt="1/11")))
    assert len({elman, r1, r2}) == 3
    assert content_sha256(_load(_doc(cell="elman"))) == elman  # "elman" is the default, written or not


@pytest.mark.parametrize(("rnn", "fragment"), [
    ({"dt": "1/10"}, 'rnn.dt="1/10" is the step of a residual cell'),
    ({"cell": "residual"}, 'rnn.cell="residual" needs its step "dt"'),
    ({"cell": "residual", "dt": "-1/10"}, "rnn.dt=-1/10 must be positive"),
    ({"cell": "residual", "dt": 0}, "rnn.dt=0 must be positive"),
    ({"cell": "lstm"}, 'rnn.cell="lstm" is not supported'),
])
def test_bad_cells_are_refused_naming_the_value(rnn: dict, fragment: str) -> None:
    with pytest.raises(InputError, match="^r.rnn.json: ") as err:
        _load(_doc(**rnn))
    assert fragment in str(err.value)


def test_a_v1_file_cannot_be_residual() -> None:
    doc = _doc(cell="residual", dt="1/10")
    doc["format"] = "certify.rnn/1"
    doc["rnn"]["activation"] = "relu"
    with pytest.raises(InputError, match="certify.rnn/2"):
        _load(doc)


def test_engines_without_residual_cells_refuse_them() -> None:
    net = _load(_doc(cell="residual", dt="1/10")).network
    with pytest.raises(InputError, match="Elman cells only"):
        fold(net)
    assert fold(net, residual=True).stages[0].dt == fmpq(1, 10)
    with pytest.raises(InputError, match="one Elman layer"):
        _ = net.W_hh  # the one-layer view used by TMNU analyses, lanes and precision
    assert not net.is_single_relu


def test_the_arb_engine_steps_residual_cells_and_encloses_the_exact_run() -> None:
    from certify.execute.balls import rollout_arb_layered
    from certify.execute.enclosure import Inputs

    f = _load(_doc(cell="residual", dt="1/10"))
    x = fmpq(3, 4)
    exact = [y[0] for _, _, y in f.network.run([x], 6)]
    enc = rollout_arb_layered(f.network, Inputs(lo=(x,), hi=(x,)), 6, range(1, 7))
    for k, y in enumerate(exact):
        mid, rad = float(enc.mid[k, 0, 0]), float(enc.rad[k, 0, 0])
        assert abs(mid - float(y)) <= rad + 1e-15 and rad < 1e-12
