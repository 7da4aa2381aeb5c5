"""The memory function: closed forms, an own Fraction rollout, soundness against samples, planted bugs."""

from __future__ import annotations

import json
import math
import random
from fractions import Fraction

import pytest
from flint import fmpq

from certify.cli import main
from certify.memory.decay import check_claim, decay
from certify.memory.search import memory
from certify.spec.network import Network
from certify.verdict import Verdict

F = Fraction


def q(v: Fraction | int) -> fmpq:
    v = F(v)
    return fmpq(v.numerator, v.denominator)


def frac(v: fmpq) -> Fraction:
    return F(int(v.p), int(v.q))


def residual_diagonal(w: Fraction, dt: Fraction, c: Fraction) -> Network:
    """The paper code's cell h_{k+1} = h_k + dt·(x − w·h_k), y = c·h: W_hh = −w in certify's convention."""
    return Network.from_dense(W_hh=[[q(-w)]], W_ih=[[1]], b=[0], W_out=[[q(c)]], b_out=[0], h0=[0],
                              activation="identity", cell="residual", dt=q(dt))


@pytest.mark.parametrize(("w", "dt", "c", "D"), [
    (F(1, 2), F(1), F(1), F(1)),          # the seed note's example: 0.5^t
    (F(3), F(1, 10), F(-2), F(2)),        # decaying, |1 − dt·w| = 7/10
    (F(25), F(1, 10), F(1, 3), F(1)),     # |1 − dt·w| = 3/2 > 1: growing memory
    (F(-1), F(1, 4), F(5), F(1, 2)),      # unstable w < 0
])
def test_residual_diagonal_closed_form_both_norms(w: Fraction, dt: Fraction, c: Fraction, D: Fraction) -> None:  # noqa: N803
    net = residual_diagonal(w, dt, c)
    for norm, scale in (("abs", F(1)), ("abs+1", D / (D + 1))):
        res = memory(net, [(q(-D), q(D))], steps=12, norm=norm)
        for r in res.rows:
            expected = abs(c) * dt * abs(1 - dt * w) ** r.t * scale
            assert r.exact and frac(r.upper) == expected and frac(r.lower) == expected, (norm, r)
            assert r.witness is not None and abs(frac(r.witness[0])) == D


@pytest.mark.parametrize(("w", "N"), [(F(3), 1), (F(3), 4), (F(25), 3), (F(-1), 2)])
def test_impulse_and_reversed_closed_forms(w: Fraction, N: int) -> None:  # noqa: N803
    """Impulse: |c|·dt·|a|^t; reversed after N steps: |c|·dt·|1 − a^N|·|a|^t, a = 1 − dt·w."""
    dt, c = F(1, 10), F(-3, 2)
    a = 1 - dt * w
    net = residual_diagonal(w, dt, c)
    imp = memory(net, [(q(-1), q(1))], steps=8, norm="abs", kind="impulse")
    rev = memory(net, [(q(-1), q(1))], steps=8, norm="abs", kind="reversed", warmup=N)
    for ri, rr in zip(imp.rows, rev.rows, strict=True):
        assert ri.exact and frac(ri.upper) == abs(c) * dt * abs(a) ** ri.t
        assert rr.exact and frac(rr.upper) == abs(c) * dt * abs(1 - a**N) * abs(a) ** rr.t


def _fraction_delta(W, U, C, x, t):  # noqa: N803
    """Δ_t = C·A^t·B·x for the identity Elman network with h_0 = 0, b = 0 (own rollout)."""
    n = len(W)
    h = [F(0)] * n
    ys = [sum(C[0][j] * h[j] for j in range(n))]
    for _ in range(t + 1):
        h = [sum(W[i][j] * h[j] for j in range(n)) + sum(U[i][k] * x[k] for k in range(len(x))) for i in range(n)]
        ys.append(sum(C[0][j] * h[j] for j in range(n)))
    return ys[t + 1] - ys[t]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_linear_memory_is_the_l1_norm_of_the_kernel(seed: int) -> None:
    rng = random.Random(seed)
    W = [[F(rng.randint(-6, 6), 10) for _ in range(3)] for _ in range(3)]  # noqa: N806
    U = [[F(rng.randint(-4, 4), 3) for _ in range(2)] for _ in range(3)]  # noqa: N806
    C = [[F(rng.randint(-3, 3), 2) for _ in range(3)]]  # noqa: N806
    net = Network.from_dense(W_hh=[[q(v) for v in r] for r in W], W_ih=[[q(v) for v in r] for r in U], b=[0] * 3,
                             W_out=[[q(v) for v in C[0]]], b_out=[0], h0=[0] * 3, activation="identity")
    res = memory(net, [(q(-1), q(1))] * 2, steps=6, norm="abs")
    for r in res.rows:
        kernel = [_fraction_delta(W, U, C, [F(int(j == k)) for j in range(2)], r.t) for k in range(2)]
        assert frac(r.upper) == frac(r.lower) == sum(abs(v) for v in kernel)
        x = [frac(v) for v in r.witness]
        assert abs(_fraction_delta(W, U, C, x, r.t)) / max(abs(v) for v in x) == frac(r.lower)


def _ht(z: Fraction) -> Fraction:
    return min(max(z, F(-1)), F(1))


HT = {"W": [[F(1, 2), F(-1, 4)], [F(1, 3), F(1, 2)]], "U": [F(1), F(-1, 2)], "b": [F(1, 8), F(0)], "C": [F(1), F(1)]}


def _ht_ratio(x: Fraction, t: int, s: int) -> Fraction:
    h = [F(0), F(0)]
    ys = [F(0)]
    for _ in range(t + 1):
        h = [_ht(sum(HT["W"][i][j] * h[j] for j in range(2)) + HT["U"][i] * x + HT["b"][i]) for i in range(2)]
        ys.append(sum(c * v for c, v in zip(HT["C"], h, strict=True)))
    return abs(ys[t + 1] - ys[t]) / (abs(x) + s)


def _ht_net(W=None) -> Network:  # noqa: N803
    W = W or HT["W"]  # noqa: N806
    return Network.from_dense(W_hh=[[q(v) for v in r] for r in W], W_ih=[[q(u)] for u in HT["U"]],
                              b=[q(v) for v in HT["b"]], W_out=[[q(v) for v in HT["C"]]], b_out=[0], h0=[0, 0],
                              activation="hardtanh")


def test_piecewise_linear_rows_are_sound_and_tight_against_an_own_rollout() -> None:
    res = memory(_ht_net(), [(q(-2), q(2))], steps=10, norm="abs+1", max_boxes=1500)
    rng = random.Random(0)
    xs = [F(rng.randint(-2000, 2000), 1000) for _ in range(200)]
    for r in res.rows:
        assert r.upper is not None and r.lower <= r.upper
        assert max(_ht_ratio(x, r.t, 1) for x in xs) <= frac(r.upper)
        assert _ht_ratio(frac(r.witness[0]), r.t, 1) >= frac(r.lower)  # the witness attains the lower bound
        assert frac(r.upper - r.lower) <= frac(r.upper) / 1000


def test_a_perturbed_weight_changes_the_curve() -> None:
    base = memory(_ht_net(), [(q(-2), q(2))], steps=6, norm="abs+1")
    W = [row[:] for row in HT["W"]]  # noqa: N806
    W[0][1] += F(1, 64)
    moved = memory(_ht_net(W), [(q(-2), q(2))], steps=6, norm="abs+1")
    assert any(a.lower > b.upper or b.lower > a.upper for a, b in zip(base.rows[1:], moved.rows[1:], strict=True))


def test_tanh_rows_enclose_float_samples() -> None:
    net = Network.from_dense(W_hh=[["1/2", "-1/4"], ["1/3", "1/2"]], W_ih=[[1], ["-1/2"]], b=[0, 0],
                             W_out=[[1, 1]], b_out=[0], h0=[0, 0], activation="tanh")
    res = memory(net, [(q(-2), q(2))], steps=8, norm="abs+1", max_boxes=400)

    def ratio(x: float, t: int) -> float:
        h, ys = [0.0, 0.0], [0.0]
        for _ in range(t + 1):
            h = [math.tanh(0.5 * h[0] - 0.25 * h[1] + x), math.tanh(h[0] / 3 + 0.5 * h[1] - 0.5 * x)]
            ys.append(h[0] + h[1])
        return abs(ys[t + 1] - ys[t]) / (abs(x) + 1)

    for r in res.rows:
        sample = max(ratio(-2 + 4 * k / 400, r.t) for k in range(401))
        assert float(r.lower) <= ratio(float(r.witness[0]), r.t) * (1 + 1e-9) + 1e-15
        assert sample <= float(r.upper) * (1 + 1e-9)


def test_bias_with_the_abs_norm_is_infinite_and_said_so() -> None:
    res = memory(_ht_net(), [(q(-1), q(1))], steps=3, norm="abs")
    assert res.rows[0].infinite and res.rows[0].upper is None and res.notes


FIG11B = {"W_hh": [[1, 1], [-4, -3]], "W_ih": [[1], [1]], "b": [0, 0], "W_out": [[1, 0]], "b_out": [0], "h0": [0, 0]}


@pytest.mark.parametrize("activation", ["tanh", "identity"])
def test_the_non_decaying_example_is_never_proved(activation: str) -> None:
    net = Network.from_dense(**FIG11B, activation=activation)
    for norm in ("abs", "abs+1"):
        d = decay(net, norm, "heaviside")
        assert d.verdict is Verdict.UNKNOWN and d.C is None
    rows = memory(net, [(q(-1), q(1))], steps=16, norm="abs+1", max_boxes=200)
    claim = check_claim(fmpq(1), fmpq(1, 10), rows, decay(net, "abs+1", "heaviside"))
    assert claim.verdict is Verdict.REFUTED and claim.witness is not None


def test_decay_constants_hold_on_every_certified_row_and_a_wrong_one_is_refuted() -> None:
    net = residual_diagonal(F(3), F(1, 10), F(2))
    d = decay(net, "abs", "heaviside")
    assert d.verdict is Verdict.PROVED and d.C is not None and d.beta is not None
    rows = memory(net, [(q(-1), q(1))], steps=40, norm="abs")
    for r in rows.rows:  # 𝓜(t) = (1/5)(7/10)^t exactly
        assert float(r.upper) <= float(d.C) * math.exp(-float(d.beta) * r.t) * (1 + 1e-12)
    assert check_claim(d.C, d.beta, rows, d).verdict is Verdict.PROVED
    wrong = check_claim(fmpq(1, 5), fmpq(1, 2), rows, d)   # β = 1/2 > −ln(7/10) ≈ 0.357: fails at some t
    assert wrong.verdict is Verdict.REFUTED
    t, x = wrong.witness
    assert F(1, 5) * F(7, 10) ** t > math.exp(-t / 2) / 5 and abs(frac(x[0])) == 1


def test_cli_writes_the_json_and_refuses_a_bad_box(tmp_path, capsys) -> None:
    doc = {"format": "certify.rnn/2", "name": "diag",
           "rnn": {"cell": "residual", "dt": "1/10", "activation": "identity", "W_hh": [["-3"]], "W_ih": [[1]],
                   "b": [0], "W_out": [[2]], "b_out": [0]}, "input": {"kind": "constant", "domain": [-1, 1]}}
    path = tmp_path / "diag.rnn.json"
    path.write_text(json.dumps(doc))
    out = tmp_path / "m.json"
    assert main(["memory", str(path), "--steps", "5", "--decay", "--json", str(out)]) == 0
    got = json.loads(out.read_text())
    assert got["format"] == "certify.memory/1" and got["rows"][2] == {
        "t": 2, "upper": "49/500", "lower": "49/500", "witness": [1], "exact": True}
    assert got["decay"]["verdict"] == "PROVED" and got["conventions"]["norm"] == "abs"
    assert main(["memory", str(path), "--steps", "5", "--box", "1:0"]) == 2
    assert "--box '1:0' is empty" in capsys.readouterr().err
    assert main(["memory", str(path), "--steps", "5", "--claim-C", "1"]) == 2


def test_residual_tanh_rows_enclose_the_code_forward_pass() -> None:
    """The softplus tanh model of examples/ (read from safetensors): every float sample below the upper bound."""
    from pathlib import Path

    import numpy as np

    from certify.memory.forms import Compiled
    from certify.memory.linalg import to_numpy
    from certify.spec import io

    net = io.read(str(Path(__file__).resolve().parents[2] / "examples" / "paper_softplus.safetensors")).network
    res = memory(net, [(q(-1), q(1))], steps=40, norm="abs+1", max_boxes=600)
    st = Compiled.of(net).stages[0]
    W, U, C = to_numpy(st.W), to_numpy(st.U)[:, 0], to_numpy(Compiled.of(net).C)[0]  # noqa: N806
    for x in np.linspace(-1, 1, 81):
        h, ys = np.zeros(4), [0.0]
        for _ in range(41):
            h = h + 0.5 * np.tanh(W @ h + U * x)
            ys.append(float(C @ h))
        for r in res.rows:
            assert abs(ys[r.t + 1] - ys[r.t]) / (abs(x) + 1) <= float(r.upper) * (1 + 1e-9) + 1e-15
    assert all(r.lower <= r.upper for r in res.rows) and res.complete


def test_residual_hardtanh_rows_against_an_own_rollout() -> None:
    W = [[F(-1, 2), F(1, 3)], [F(-1, 4), F(-1)]]  # noqa: N806
    U, b, C, dt = [F(2), F(-1)], [F(1, 8), F(0)], [F(1), F(1, 2)], F(1, 4)  # noqa: N806
    net = Network.from_dense(W_hh=[[q(v) for v in r] for r in W], W_ih=[[q(u)] for u in U], b=[q(v) for v in b],
                             W_out=[[q(v) for v in C]], b_out=[0], h0=[0, 0], activation="hardtanh",
                             cell="residual", dt=q(dt))
    res = memory(net, [(q(-1), q(1))], steps=12, norm="abs+1", max_boxes=1500)

    def ratio(x: Fraction, t: int) -> Fraction:
        h, ys = [F(0), F(0)], [F(0)]
        for _ in range(t + 1):
            z = [sum(W[i][j] * h[j] for j in range(2)) + U[i] * x + b[i] for i in range(2)]
            h = [h[i] + dt * _ht(z[i]) for i in range(2)]
            ys.append(sum(c * v for c, v in zip(C, h, strict=True)))
        return abs(ys[t + 1] - ys[t]) / (abs(x) + 1)

    xs = [F(k, 50) for k in range(-50, 51)]
    for r in res.rows:
        assert max(ratio(x, r.t) for x in xs) <= frac(r.upper)
        assert ratio(frac(r.witness[0]), r.t) >= frac(r.lower)


def test_residual_tanh_decay_is_proved_from_the_rows_and_holds_beyond_them() -> None:
    """paper_softplus: C, β proved from rows t ≤ 60 and a contraction on the region the trajectory stays in; the
    code's float forward pass at sample x stays below C·e^(−βt) up to t = 300."""
    from pathlib import Path

    import numpy as np

    from certify.memory.forms import Compiled
    from certify.memory.linalg import to_numpy
    from certify.memory.row_decay import decay_from_rows
    from certify.spec import io

    net = io.read(str(Path(__file__).resolve().parents[2] / "examples" / "paper_softplus.safetensors")).network
    rows = memory(net, [(q(-1), q(1))], steps=60, norm="abs+1")
    d = decay_from_rows(net, "abs+1", "heaviside", rows)
    assert d.verdict is Verdict.PROVED and d.method == "trajectory-contraction"
    C, beta = float(d.C), float(d.beta)  # noqa: N806
    assert all(float(r.upper) <= C * math.exp(-beta * r.t) * (1 + 1e-12) for r in rows.rows)
    comp = Compiled.of(net)
    W, U, Cout = to_numpy(comp.stages[0].W), to_numpy(comp.stages[0].U)[:, 0], to_numpy(comp.C)[0]  # noqa: N806
    for x in np.linspace(-1, 1, 21):
        h, y = np.zeros(4), 0.0
        for t in range(300):
            h = h + 0.5 * np.tanh(W @ h + U * x)
            y, prev = float(Cout @ h), y
            assert abs(y - prev) / (abs(x) + 1) <= C * math.exp(-beta * t) * (1 + 1e-9) + 1e-15


def test_a_saturating_residual_cell_never_gets_decay_constants() -> None:
    """h_{t+1} = h_t + dt·hardtanh(2h_t + x): once saturated the increment dt stays forever (no decay)."""
    net = Network.from_dense(W_hh=[[2]], W_ih=[[1]], b=[0], W_out=[[1]], b_out=[0], h0=[0], activation="hardtanh",
                             cell="residual", dt="1/4")
    from certify.memory.row_decay import decay_from_rows

    rows = memory(net, [(q(-1), q(1))], steps=30, norm="abs+1")
    assert float(rows.rows[-1].lower) >= 0.12   # dt·1/(|x| + 1) at x = ±1
    d = decay_from_rows(net, "abs+1", "heaviside", rows)
    assert d.verdict is Verdict.UNKNOWN and d.C is None
    assert check_claim(fmpq(1), fmpq(1, 10), rows, d).verdict is Verdict.REFUTED
