"""tanh and sigmoid: the float64 and arb enclosures contain a 200-bit mpmath reference, and are tight."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from flint import fmpq

from certify.execute import activation_balls as actb
from certify.execute.balls import rollout_arb
from certify.execute.enclosure import Inputs
from certify.execute.rollout import rollout_intervals
from certify.rational import from_float
from certify.spec.network import Layer, Network
from certify.spec.sparse import SparseMatrix

mpmath.mp.prec = 200


def exact_sigma(name: str, v: float) -> mpmath.mpf:
    z = mpmath.mpf(v)
    return mpmath.tanh(z) if name == "tanh" else 1 / (1 + mpmath.exp(-z))


def _points() -> np.ndarray:
    rng = np.random.default_rng(7)
    extremes = [0.0, -0.0, 5e-324, -5e-324, 2.0**-1022, 1e-300, -1e-300, 1e-8, 0.5, 1.0, 19.0, 20.0, 37.0, 50.0,
                700.0, -700.0, -700.5, -709.0, -710.0, -745.0, -800.0, 1e300, -1e300, 1.7e308, -1.7e308]
    wide = rng.standard_normal(3000) * 10.0
    log = np.sign(rng.standard_normal(2000)) * 10.0 ** rng.uniform(-300, 3, 2000)
    return np.concatenate([np.array(extremes), -np.array(extremes), wide, log])


@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
def test_library_bounds_contain_mpmath(name: str) -> None:
    v = _points()
    lo, hi = actb.library_bounds(name, np, v)
    worst = 0.0
    for a, b, p in zip(lo, hi, v, strict=True):
        s = exact_sigma(name, float(p))
        assert mpmath.mpf(float(a)) <= s <= mpmath.mpf(float(b)), (name, p, a, b)
        worst = max(worst, float(b - a))
    assert worst < 1e-12  # relative 2^-44 on values ≤ 1


@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
def test_ball_images_contain_mpmath_over_the_ball(name: str) -> None:
    rng = np.random.default_rng(3)
    D = rng.standard_normal(400) * 4
    S = np.abs(rng.standard_normal(400)) * 10.0 ** rng.uniform(-16, 0, 400)
    M, R = actb.ball(name, np, D, S)
    for d, s, m, r in zip(D, S, M, R, strict=True):
        for z in (d - s, d, d + s):
            value = mpmath.tanh(mpmath.mpf(d) + (mpmath.mpf(z) - mpmath.mpf(d))) if name == "tanh" else \
                1 / (1 + mpmath.exp(-(mpmath.mpf(d) + (mpmath.mpf(z) - mpmath.mpf(d)))))
            assert abs(value - mpmath.mpf(float(m))) <= mpmath.mpf(float(r)), (d, s)
        # ends taken exactly (d ± s in 200 bits, not in floats)
        for z in (mpmath.mpf(d) - mpmath.mpf(s), mpmath.mpf(d) + mpmath.mpf(s)):
            value = mpmath.tanh(z) if name == "tanh" else 1 / (1 + mpmath.exp(-z))
            assert abs(value - mpmath.mpf(float(m))) <= mpmath.mpf(float(r))


def _deep(name: str, width: int = 3) -> Network:
    rng = np.random.default_rng(11)

    def mat(n: int, m: int) -> list[list[str]]:
        return [[f"{int(v)}/{4 * max(n, m)}" for v in rng.integers(-6, 7, m)] for _ in range(n)]

    layers = (Layer.from_dense(W_hh=mat(width, width), W_ih=mat(width, 1), b=[f"{k}/7" for k in range(width)],
                               activation=name),
              Layer.from_dense(W_hh=mat(width, width), W_ih=mat(width, width), b=[0] * width, activation="tanh"))
    return Network(layers=layers, W_out=SparseMatrix.from_dense(mat(1, width)), b_out=(fmpq(1, 3),),
                   P=None, Q=None)


def _mp_run(net: Network, x: float, steps: int, kind: str) -> list[mpmath.mpf]:
    def dense(m: SparseMatrix) -> mpmath.matrix:
        return mpmath.matrix([[mpmath.mpf(int(v.p)) / int(v.q) for v in row] for row in m.to_dense()])

    hs = [mpmath.matrix([mpmath.mpf(int(v.p)) / int(v.q) for v in L.h0]) for L in net.layers]
    ys = []
    for t in range(1, steps + 1):
        u = mpmath.matrix([mpmath.mpf(x) if (kind == "constant" or t == 1) else mpmath.mpf(0)])
        for k, L in enumerate(net.layers):
            b = mpmath.matrix([mpmath.mpf(int(v.p)) / int(v.q) for v in L.b])
            z = dense(L.W_hh) * hs[k] + dense(L.W_ih) * u + b
            hs[k] = mpmath.matrix([exact_sigma_mp(L.activation, zi) for zi in z])
            u = hs[k]
        y = dense(net.W_out) * hs[-1]
        ys.append(y[0] + mpmath.mpf(1) / 3)
    return ys


def exact_sigma_mp(name: str, z: mpmath.mpf) -> mpmath.mpf:
    return mpmath.tanh(z) if name == "tanh" else 1 / (1 + mpmath.exp(-z))


@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
@pytest.mark.parametrize("kind", ["constant", "impulse"])
def test_rollouts_contain_mpmath_and_report_widths(name: str, kind: str) -> None:
    net = _deep(name)
    xs = [fmpq(k, 4) for k in range(-8, 9, 3)]
    steps = 30
    f64 = rollout_intervals(net, Inputs.points(xs), steps, [1, 10, steps], kind=kind)
    arb = rollout_arb(net, Inputs.points(xs), steps, [1, 10, steps], prec=128, kind=kind)
    for j, x in enumerate(xs):
        ys = _mp_run(net, float(x), steps, kind)
        for i, t in enumerate((1, 10, steps)):
            for enc in (f64, arb):
                m, r = mpmath.mpf(float(enc.mid[i, j, 0])), mpmath.mpf(float(enc.rad[i, j, 0]))
                assert abs(ys[t - 1] - m) <= r, (enc.backend, t, x)
    print(f"{name} {kind}: widest float64 enclosure {f64.width():.3e}, arb(128) {arb.width():.3e}")
    assert f64.width() < 1e-10 and arb.width() < 1e-15  # arb's balls are reported as float64 balls
    assert from_float(float(f64.width())) > 0
