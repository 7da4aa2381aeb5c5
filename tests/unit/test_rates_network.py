"""Rates and precision on networks without a simulation block, each against an own exact ``Fraction`` rollout
written here (no certify code in the reference): exact pieces, claims attained with equality, false claims,
planted bugs, lanes for tanh, formula claims, the float horizon of a clocked network."""

from __future__ import annotations

import dataclasses
import random
from fractions import Fraction

import pytest
from flint import fmpq

from certify.bounds.float_horizon import absorbed_units, float_horizon
from certify.bounds.rates import rates
from certify.constructions.clocked import squaring_file, squaring_network
from certify.errors import InputError
from certify.execute.pieces import PieceRun, output_pieces
from certify.spec.file import InputSpec, RnnFile
from certify.spec.network import Layer, Network
from certify.spec.sparse import SparseMatrix
from certify.verdict import Verdict


# --- the reference: an own exact rollout ---------------------------------------------------------------------------
def _act(name: str, z: Fraction) -> Fraction:
    if name == "relu":
        return max(z, Fraction(0))
    if name == "hardtanh":
        return min(max(z, Fraction(-1)), Fraction(1))
    raise AssertionError(name)


def _dense(m: SparseMatrix) -> list[list[Fraction]]:
    out = [[Fraction(0)] * m.shape[1] for _ in range(m.shape[0])]
    for i, j, v in m.entries():
        out[i][j] = Fraction(int(v.p), int(v.q))
    return out


def reference(net: Network, x: Fraction, steps: int, kind: str) -> list[Fraction]:
    """y_t(x)[0] for t = 0..steps by the textbook recurrence, in Fractions."""
    layers = [(_dense(layer.W_hh), _dense(layer.W_ih), [Fraction(int(v.p), int(v.q)) for v in layer.b],
               layer.activation) for layer in net.layers]
    hs, k = [], 0
    for layer in net.layers:
        hs.append([Fraction(int(v.p), int(v.q)) for v in net.h0[k:k + layer.hidden_dim]])
        k += layer.hidden_dim
    wout = _dense(net.W_out)
    bout = Fraction(int(net.b_out[0].p), int(net.b_out[0].q))

    def out() -> Fraction:
        return sum((w * h for w, h in zip(wout[0], hs[-1], strict=True)), bout)

    ys = [out()]
    for t in range(1, steps + 1):
        u = [x if (kind == "constant" or t == 1) else Fraction(0)]
        for i, (whh, wih, b, name) in enumerate(layers):
            h = hs[i]
            new = [_act(name, sum((whh[r][c] * h[c] for c in range(len(h))), Fraction(0))
                        + sum((wih[r][c] * u[c] for c in range(len(u))), Fraction(0)) + b[r]) for r in range(len(h))]
            hs[i] = new
            u = new
        ys.append(out())
    return ys


def _q(v: Fraction) -> fmpq:
    return fmpq(v.numerator, v.denominator)


def random_network(rng: random.Random) -> Network:
    def mat(r: int, c: int) -> list[list[str]]:
        return [[f"{rng.randint(-4, 4)}/{rng.choice([1, 2, 4, 3])}" for _ in range(c)] for _ in range(r)]

    n1, n2 = rng.randint(1, 3), rng.randint(1, 3)
    layers = (Layer.from_dense(W_hh=mat(n1, n1), W_ih=mat(n1, 1), b=mat(1, n1)[0], activation=rng.choice(["relu",
                                                                                                             "hardtanh"])),
              Layer.from_dense(W_hh=mat(n2, n2), W_ih=mat(n2, n1), b=mat(1, n2)[0], activation="relu"))
    return Network(layers=layers, W_out=SparseMatrix.from_dense(mat(1, n2)), b_out=(fmpq(1, 3),))


@pytest.mark.parametrize("seed", range(25))
def test_pieces_equal_an_own_rollout(seed: int) -> None:
    """Every exact piece of y_T agrees with the Fraction rollout at its ends and at random inside points."""
    rng = random.Random(seed)
    net = random_network(rng)
    kind = rng.choice(["constant", "impulse"])
    steps = 5
    pieces = output_pieces(net, fmpq(-2), fmpq(3), kind, [0, steps])
    for T in (0, steps):
        ps = pieces[T]
        assert ps[0].lo == -2 and ps[-1].hi == 3
        assert all(a.hi == b.lo for a, b in zip(ps, ps[1:], strict=False))
        for p in ps:
            for x in (p.lo, p.hi, p.lo + (p.hi - p.lo) * fmpq(rng.randint(1, 99), 100)):
                want = reference(net, Fraction(int(x.p), int(x.q)), T, kind)[T]
                assert p.a[0] + p.b[0] * x == _q(want)


def test_piece_budget_stops_the_enumeration() -> None:
    run = PieceRun(squaring_network(fmpq(1)), fmpq(-1), fmpq(1), "impulse", max_pieces=64)
    with pytest.raises(InputError, match="more than 64 linear pieces"):
        for _ in range(10):
            run.step()


def test_squaring_claim_attained_with_equality_is_proved() -> None:
    """sup |y_T − x²| = D²·4^(−T) exactly (the maximum is attained); certify proves E = that value by exact pieces,
    and the reference reaches it at the witness."""
    d = fmpq(3, 2)
    rep = rates(squaring_file(d, up_to=9), samples=0)
    assert rep.method == "network"
    assert [c.verdict for c in rep.claims] == [Verdict.PROVED] * len(rep.claims)
    for r in rep.rows:
        if r.T >= 2:
            assert r.certified == r.lower == d * d / fmpq(4) ** r.T  # exact: upper = lower = the claim
            w = Fraction(int(r.witness.p), int(r.witness.q))
            y = reference(squaring_network(d), w, r.T, "impulse")[r.T]
            assert abs(y - w * w) == Fraction(int((d * d).p), int((d * d).q)) / 4 ** r.T


def test_a_claim_below_the_true_error_is_refuted_with_a_replaying_witness() -> None:
    d = fmpq(1)
    f = squaring_file(d, up_to=6)
    claims = dict(f.claims, rate_formula={"E": "4**(-T) - 1/10**9", "T_min": 2, "T_max": 6})
    rep = rates(dataclasses.replace(f, claims=claims), samples=0)
    refuted = [c for c in rep.claims if c.verdict is Verdict.REFUTED]
    assert len(refuted) == 5
    for c in refuted:
        row = next(r for r in rep.rows if r.T == c.T)
        w = Fraction(int(row.witness.p), int(row.witness.q))
        y = reference(squaring_network(d), w, c.T, "impulse")[c.T]
        assert abs(y - w * w) > Fraction(1, 4 ** c.T) - Fraction(1, 10**9)
        assert f"--x {row.witness} --steps {c.T} --exact" in c.reason


def test_planted_bug_one_weight_changed_is_refuted() -> None:
    """A wrong weight in the accumulator (S's self-loop 1 → 9/10) breaks the rate; the witness replays."""
    d = fmpq(1)
    f = squaring_file(d, up_to=8)
    net = f.network
    W = [[v for v in row] for row in net.W_hh.to_dense()]
    W[7][7] = fmpq(9, 10)
    bad = net.replace(W_hh=SparseMatrix.from_dense(W))
    rep = rates(dataclasses.replace(f, network=bad), samples=0)
    assert rep.verdict is Verdict.REFUTED
    c = next(c for c in rep.claims if c.verdict is Verdict.REFUTED)
    row = next(r for r in rep.rows if r.T == c.T)
    w = Fraction(int(row.witness.p), int(row.witness.q))
    assert abs(reference(bad, w, c.T, "impulse")[c.T] - w * w) > Fraction(int(c.E.p), int(c.E.q))


def test_tanh_network_by_lanes() -> None:
    """y = tanh(x) against f = x on [−1, 1]: sup error 1 − tanh(1) ≈ 0.2384 (at x = ±1); lanes prove 0.25 and
    refute 0.2 (a rigorous lower bound at a lane midpoint), and never prove 0.2."""
    net = Network(layers=(Layer.from_dense(W_hh=[[0]], W_ih=[[1]], b=[0], activation="tanh"),),
                  W_out=SparseMatrix.from_dense([[1]]), b_out=(fmpq(0),))
    for E, verdict in (("1/4", Verdict.PROVED), ("1/5", Verdict.REFUTED)):
        f = RnnFile(net, name="tanh1", input=InputSpec("constant", ((fmpq(-1), fmpq(1)),)),
                    claims={"target": "x", "rate": [{"T": 1, "E": E}], "rate_until": 3})
        rep = rates(f, samples=0, lanes=8, max_lanes=2048)
        assert rep.method == "network"
        assert {c.verdict for c in rep.claims} == {verdict}, rep.claims
        assert all("float64 lanes" in r.note for r in rep.rows)


def test_formula_claims_with_irrational_values() -> None:
    """E(T) = exp(−T)·(a constant) is irrational: proved against a rational lower bound of it, refuted only above
    an upper bound."""
    f = squaring_file(fmpq(1), up_to=6)
    ok = dict(f.claims, rate_formula={"E": "exp(-T) * 3", "T_min": 2, "T_max": 5})  # 3e^-T >= 4^-T for T >= 2
    assert rates(dataclasses.replace(f, claims=ok), samples=0).verdict is Verdict.PROVED
    bad = dict(f.claims, rate_formula={"E": "exp(-2*T)", "T_min": 2, "T_max": 5})  # e^-2T < 4^-T
    assert {c.verdict for c in rates(dataclasses.replace(f, claims=bad), samples=0).claims
            if c.T >= 2} == {Verdict.REFUTED}


@pytest.mark.parametrize("formula,msg", [({"E": "4**(-x)", "T_min": 1, "T_max": 2}, "the variable is T"),
                                         ({"E": "4**(-T)", "T_min": 5, "T_max": 2}, "at least T_min"),
                                         ({"E": "4**(-T)"}, "must be"),
                                         ({"E": "__import__('os')", "T_min": 1, "T_max": 2}, "rate_formula.E")])
def test_malformed_formula_is_refused(formula: dict, msg: str) -> None:
    f = squaring_file(fmpq(1), up_to=4)
    with pytest.raises(InputError, match=msg):
        rates(dataclasses.replace(f, claims=dict(f.claims, rate_formula=formula)), samples=0)


def test_float_horizon_of_the_clocked_squaring_net() -> None:
    """The exact error keeps falling (own rollout at a non-dyadic x at T = 60: below 4^−60, above 0), but float64
    follows the claimed rate for under 70 steps: the certified horizon, the predicted absorption and a real NumPy
    float64 run all say so."""
    d = fmpq(1)
    f = squaring_file(d, up_to=70)
    x = Fraction(1, 3)
    y = reference(f.network, x, 60, "impulse")[60]
    assert 0 < abs(y - x * x) <= Fraction(1, 4**60)
    rep = float_horizon(f, steps=70, eps=None, lanes=4)
    assert rep.max_T["float64"] is not None and rep.max_T["float64"] < 70
    assert rep.predicted("float64") is not None and rep.predicted("float64") < 70
    assert rep.observed["float64"] is not None and rep.observed["float64"] < 70
    assert rep.max_T["float32"] < rep.max_T["float64"] and rep.bits_needed > 53
    assert rep.json()["format"] == "certify.precision/1"


def test_a_clock_with_constant_drive_is_found() -> None:
    """c_t = c_{t−1}/2 + 1 → 2 (the issue's clock), d_t = relu(2 − c_{t−1}) = 2^(1−t)·…: d's sum cancels below the
    rounding of its terms after about 53 steps in float64 (24 in float32)."""
    net = Network.from_dense(W_hh=[["1/2", 0], [-1, 0]], W_ih=[[0], [0]], b=[1, 2], W_out=[[0, 1]], b_out=[0],
                             h0=[0, 0])
    found = {(a.unit, a.into, a.fmt): a.t for a in absorbed_units(net, "constant", [[fmpq(0)]], 80)}
    assert 50 <= found[(1, 1, "float64")] <= 56
    assert 20 <= found[(1, 1, "float32")] <= 27


# --- the clocked polynomial RNN --------------------------------------------------------------------------------------
def _poly(coeffs: list[Fraction], x: Fraction) -> Fraction:
    return sum((c * x**k for k, c in enumerate(coeffs)), Fraction(0))


@pytest.mark.parametrize("coeffs,d", [([Fraction(1, 2), Fraction(-1), Fraction(3)], Fraction(3, 2)),
                                      ([Fraction(0), Fraction(1), Fraction(-2), Fraction(1, 2)], Fraction(1)),
                                      ([Fraction(1), Fraction(0), Fraction(0), Fraction(0), Fraction(-1)],
                                       Fraction(1))])
def test_polynomial_rnn_meets_its_claims_in_an_own_rollout(coeffs: list[Fraction], d: Fraction) -> None:
    """At random inputs, the own Fraction rollout is within every claimed E at every step of its row."""
    from certify.constructions.clocked_polynomial import polynomial_file

    f = polynomial_file([_q(c) for c in coeffs], _q(d), until=40)
    n = len(coeffs) - 1
    assert f.network.hidden_dim == 16 * (n - 1) + 13
    rows = f.claims["rate"]
    assert rows, "the construction claims something"
    rng = random.Random(n)
    for _ in range(4):
        x = d * Fraction(rng.randint(-999, 999), 999)
        ys = reference(f.network, x, 40, "impulse")
        for i, row in enumerate(rows):
            end = rows[i + 1]["T"] if i + 1 < len(rows) else 41
            e = Fraction(row["E"])
            for t in range(row["T"], end):
                assert abs(ys[t] - _poly(coeffs, x)) <= e, (x, t)
        assert abs(ys[40] - _poly(coeffs, x)) < abs(ys[8] - _poly(coeffs, x)) or ys[8] == _poly(coeffs, x)


def test_polynomial_rnn_claims_proved_and_a_planted_bug_refuted() -> None:
    from certify.constructions.clocked_polynomial import polynomial_file

    f = polynomial_file([fmpq(0), fmpq(1), fmpq(-2), fmpq(1, 2)], fmpq(1), until=20)
    rep = rates(f, samples=0)
    assert rep.verdict is Verdict.PROVED and [c.T for c in rep.claims] == [16]
    W = [list(row) for row in f.network.W_hh.to_dense()]
    i, j = next((i, j) for i, row in enumerate(W) for j, v in enumerate(row) if v == fmpq(1, 2) and i != j)
    W[i][j] = fmpq(3, 4)  # one tooth weight of one squarer
    bad = f.network.replace(W_hh=SparseMatrix.from_dense(W))
    rep = rates(dataclasses.replace(f, network=bad), samples=0)
    assert rep.verdict is Verdict.REFUTED
    c = next(c for c in rep.claims if c.verdict is Verdict.REFUTED)
    row = next(r for r in rep.rows if r.T == c.T)
    w = Fraction(int(row.witness.p), int(row.witness.q))
    coeffs = [Fraction(0), Fraction(1), Fraction(-2), Fraction(1, 2)]
    assert abs(reference(bad, w, c.T, "impulse")[c.T] - _poly(coeffs, w)) > Fraction(int(c.E.p), int(c.E.q))


def test_build_commands(tmp_path, run_cli) -> None:
    out = tmp_path / "p.rnn.json"
    code, text, err = run_cli("build", "polynomial", "--coeffs", "1,0,-1", "--domain", "1", "--until", "16", "-o",
                              str(out))
    assert code == 0, err
    assert "hidden_dim 29" in text and out.exists()
    code, text, err = run_cli("rates", str(out), "--no-plot", "--samples", "0")
    assert code == 0 and text.strip().splitlines()[-1].startswith("RESULT: PROVED"), text + err
    code, text, err = run_cli("build", "polynomial", "--coeffs", "1,2", "-o", str(out))
    assert code == 2 and "degrees 2 to" in text + err
    sq = tmp_path / "s.rnn.json"
    code, text, err = run_cli("build", "squaring", "--domain", "3/2", "--up-to", "8", "-o", str(sq))
    assert code == 0 and "hidden_dim 8" in text
    code, text, err = run_cli("precision", str(sq), "--steps", "8", "--json-out", str(tmp_path / "p.json"))
    assert code == 0, err
    import json
    doc = json.loads((tmp_path / "p.json").read_text())
    assert doc["format"] == "certify.precision/1" and set(doc) >= {"float64", "float32", "bits_needed", "units"}


def test_precision_escalation_decides_what_float64_cannot() -> None:
    """y = 2^30·tanh(2^−30·x) against f = x: sup error x³·2^−60/3-ish ≈ 2.89e-19, far below float64 rounding of y.
    The float64 lanes leave every claim open; the arb fallback proves 3e-19 and refutes 2e-19 (and says so)."""
    s = fmpq(1, 2**30)
    net = Network(layers=(Layer.from_dense(W_hh=[[0]], W_ih=[[s]], b=[0], activation="tanh"),),
                  W_out=SparseMatrix.from_dense([[1 / s]]), b_out=(fmpq(0),))
    for E, verdict in (("3e-19", Verdict.PROVED), ("2e-19", Verdict.REFUTED)):
        f = RnnFile(net, name="t", input=InputSpec("constant", ((fmpq(-1), fmpq(1)),)),
                    claims={"target": "x", "rate": [{"T": 1, "E": E}], "rate_until": 2})
        rep = rates(f, samples=0, lanes=4, max_lanes=64)
        assert [c.verdict for c in rep.claims] == [verdict]
        assert "decided again with arb" in rep.rows[0].note
    # the same claims with the escalation's precisions taken away stay UNKNOWN: it is the arb pass that decides
    import certify.bounds.rates.network as method
    saved = method.ESCALATE_PRECISIONS
    method.ESCALATE_PRECISIONS = ()
    try:
        f = RnnFile(net, name="t", input=InputSpec("constant", ((fmpq(-1), fmpq(1)),)),
                    claims={"target": "x", "rate": [{"T": 1, "E": "3e-19"}], "rate_until": 2})
        assert [c.verdict for c in rates(f, samples=0, lanes=4, max_lanes=64).claims] == [Verdict.UNKNOWN]
    finally:
        method.ESCALATE_PRECISIONS = saved


@pytest.mark.parametrize("text,a,b,lo,hi", [("x**4 - x**2", 0, 0, -1, 1), ("x**3 - x", "1/10", 0, -2, "3/2"),
                                            ("x**5/7 - x**3 + x/3", 0, "-1/3", -1, 2), ("x**2", 1, 1, 0, 3)])
def test_piece_error_against_a_dense_exact_scan(text: str, a, b, lo, hi) -> None:
    """The certified sup of |f − a − bx| on [lo, hi] is at least every exactly evaluated |e(x)| on a fine grid and at
    most slightly above the grid's maximum; equality claims at irrational points are decided exactly."""
    from certify.bounds.piece_error import piece_error
    from certify.expr import parse_function
    from certify.rational import parse_number as q

    f = parse_function(text)
    a, b, lo, hi = (q(str(v)) for v in (a, b, lo, hi))
    bound = piece_error(f, a, b, lo, hi)
    coeffs = {"x**4 - x**2": [0, 0, -1, 0, 1], "x**3 - x": [0, -1, 0, 1], "x**5/7 - x**3 + x/3":
              [0, Fraction(1, 3), 0, -1, 0, Fraction(1, 7)], "x**2": [0, 0, 1]}[text]
    best = Fraction(0)
    flo, fhi = Fraction(int(lo.p), int(lo.q)), Fraction(int(hi.p), int(hi.q))
    for i in range(2001):
        x = flo + (fhi - flo) * i / 2000
        e = abs(sum(Fraction(c) * x**k for k, c in enumerate(coeffs)) - Fraction(int(a.p), int(a.q))
                - Fraction(int(b.p), int(b.q)) * x)
        best = max(best, e)
    assert _q(best) <= bound.upper
    assert bound.upper - _q(best) <= fmpq(1, 10**4) * (1 + bound.upper)
    assert bound.lower <= bound.upper
    exact = piece_error(f, a, b, lo, hi, target=bound.upper)
    assert exact.upper <= bound.upper


def test_equality_at_an_irrational_point_is_decided_exactly() -> None:
    """|x⁴ − x²| on [−1, 1] peaks at ±1/√2 with value exactly 1/4: E = 1/4 proved, E = 1/4 − 10⁻⁹ refuted."""
    from certify.bounds.piece_error import piece_error
    from certify.expr import parse_function

    f = parse_function("x**4 - x**2")
    assert piece_error(f, fmpq(0), fmpq(0), fmpq(-1), fmpq(1), target=fmpq(1, 4)).upper == fmpq(1, 4)
    e = fmpq(1, 4) - fmpq(1, 10**9)
    assert piece_error(f, fmpq(0), fmpq(0), fmpq(-1), fmpq(1), target=e).lower > e
