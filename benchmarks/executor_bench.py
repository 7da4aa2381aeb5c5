"""Benchmark of the rigorous float64 ball step (issue 4), everything measured in one run on one machine.

    python benchmarks/executor_bench.py            # CPU (NumPy/BLAS); GPU rows too when CuPy sees a GPU
    python benchmarks/executor_bench.py --quick    # smaller repeat counts
    python benchmarks/executor_bench.py --deep 1000  # any-RNN: 2-layer tanh, width 64, 4096 lanes, T steps

Prints, per hidden size N ∈ {32, 256, 1024} and batch B ∈ {1, 4096}: the plain float64 step
(``relu(A @ [h; x; 1])``, bias folded, in place, batched GEMM) and the rigorous step
(:class:`certify.execute.interval.BallLanes`, fused NumPy path), and their ratio; then the speed-up
per input-step over python-flint ``arb_mat`` at 53 bits and over ``mpmath.iv`` (small sizes); then,
with CuPy, the same rows against plain cuBLAS float64. Targets (issue 4): ratio ≤ 2.5 at N ≥ 256
with B = 4096, ≤ 4 at N = 32; ≥ 50× faster than arb_mat; ≥ 10^4× faster than mpmath.iv.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from certify.execute.backend import cupy_available, get_backend
from certify.execute.interval import BallLanes, ball_matrix


def random_weights(n: int, rng: np.random.Generator) -> np.ndarray:
    """Dyadic [W_hh | W_ih | b], spectral scale about 0.5 and a positive bias: the state converges to an
    O(1) fixed point, so long timing loops never wander into subnormal (slow) or overflowing values."""
    A = rng.integers(-64, 65, size=(n, n + 2)) / 64.0
    A[:, :n] *= 0.5 / np.sqrt(n)
    A[:, n + 1] = np.abs(A[:, n + 1]) + 0.25
    return np.ldexp(np.round(np.ldexp(A, 20)), -20)


def timeit(fn, sync, min_time: float, min_reps: int = 3) -> float:
    """Median seconds per call, repeating until ``min_time`` has passed (after one warm-up call)."""
    fn()
    sync()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < min_reps or time.perf_counter() - start < min_time:
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
        if len(times) > 2000:
            break
    return float(np.median(times))


def step_pair(backend_name: str, n: int, B: int, min_time: float) -> tuple[float, float]:
    """(plain float64 step, rigorous step) seconds on one backend, same shapes and layout."""
    be = get_backend(backend_name)
    xp = be.native
    rng = np.random.default_rng(n * 7919 + B)
    A = random_weights(n, rng)
    h0 = np.abs(rng.standard_normal((n, B))) * 0.1
    x = rng.uniform(-1, 1, size=(1, B))
    lanes = BallLanes(be, ball_matrix(A), (h0, np.zeros((n, B))), (x, np.zeros((1, B))))
    Ad = be.asarray(A)
    X = be.asarray(np.vstack([h0, x, np.ones((1, B))]))
    Z = xp.empty((n, B))

    def plain() -> None:
        xp.matmul(Ad, X, out=Z)
        xp.maximum(Z, 0.0, out=X[:n])

    return timeit_pair(plain, lanes.step, be.synchronize, min_time)


def timeit_pair(f, g, sync, min_time: float) -> tuple[float, float]:
    """Median seconds per call of ``f`` and ``g``, calls interleaved so both see the same machine load."""
    f(), g()
    sync()
    tf: list[float] = []
    tg: list[float] = []
    start = time.perf_counter()
    while len(tf) < 5 or time.perf_counter() - start < 2 * min_time:
        for fn, acc in ((f, tf), (g, tg)):
            t0 = time.perf_counter()
            fn()
            sync()
            acc.append(time.perf_counter() - t0)
        if len(tf) > 4000:
            break
    return float(np.median(tf)), float(np.median(tg))


def arb_step_time(n: int, B: int, min_time: float) -> float:
    """Seconds per step of a 53-bit arb_mat ball step (product, nonnegative_part ReLU, rebuild)."""
    from flint import arb_mat, ctx

    rng = np.random.default_rng(n)
    A = random_weights(n, rng)
    with ctx.workprec(53):
        W = arb_mat(A[:, :n].tolist())
        c = arb_mat(A[:, n + 1 :].tolist()) * arb_mat([[1.0] * B])
        H = [arb_mat((np.abs(rng.standard_normal((n, B))) * 0.1).tolist())]

        def step() -> None:
            Z = W * H[0] + c
            H[0] = arb_mat([[z.nonnegative_part() for z in row] for row in Z.tolist()])

        return timeit(step, lambda: None, min_time, min_reps=2)


def mpmath_step_time(n: int, min_time: float) -> float:
    """Seconds per step of an mpmath.iv interval matvec + ReLU (one input)."""
    from mpmath import iv

    rng = np.random.default_rng(n)
    A = random_weights(n, rng)
    iv.prec = 53
    W = iv.matrix(A[:, :n].tolist())
    b = iv.matrix(A[:, n + 1].tolist())
    h = [iv.matrix((np.abs(rng.standard_normal(n)) * 0.1).tolist())]

    def step() -> None:
        z = W * h[0] + b
        h[0] = iv.matrix([iv.mpf([max(0, z[i].a), max(0, z[i].b)]) for i in range(n)])

    return timeit(step, lambda: None, min_time, min_reps=2)


def stack_copy_demo(steps: int) -> None:
    """Lane-split rollouts of stack_copy(300) vs the exact rollout, and where plain float64 diverges."""
    import sys
    from pathlib import Path

    from flint import fmpq

    from certify.compiler.tmnu_to_rnn import compile_program
    from certify.constructions.examples import stack_copy
    from certify.execute.balls import rollout_arb
    from certify.execute.enclosure import Inputs
    from certify.execute.exact import rollout, sample_times
    from certify.execute.rollout import rollout_intervals

    tests = Path(__file__).resolve().parents[1] / "tests"
    sys.path[:0] = [str(tests), str(tests / "property")]
    from test_interval_lanes import plain_float64

    net = compile_program(stack_copy()).network
    xs = [fmpq(1, 2), fmpq(-1, 3), fmpq(1)]
    times = sample_times(steps, 10)
    t0 = time.perf_counter()
    arb = rollout_arb(net, Inputs.points(xs), steps, times, prec=512)
    t_arb = time.perf_counter() - t0
    t0 = time.perf_counter()
    f64 = rollout_intervals(net, Inputs.points(xs), steps, times)
    t_f64 = time.perf_counter() - t0
    print(f"\nstack_copy(300), {steps} RNN steps, x in {[str(x) for x in xs]}; {arb.exact_units} of "
          f"{net.hidden_dim} units x-independent (exact lanes, period {arb.period} after the halt)")
    print(f"  lane split + arb 512 bits: {t_arb:.1f} s, widest enclosure {arb.width():.2e}")
    print(f"  lane split + float64 balls: {t_f64:.1f} s, widest enclosure {f64.width():.2e} (sound; ReLU-gadget"
          " wrapping widens it)")
    for lane, x in enumerate(xs):
        t0 = time.perf_counter()
        exact = rollout(net, [x], steps, times)
        t_ex = time.perf_counter() - t0
        ys, first = plain_float64(net, x, steps, times)
        inside = all(arb.contains(i, lane, y) and f64.contains(i, lane, y) for i, (_, _, y) in enumerate(exact))
        worst = max(abs(ys[t] - int(y[0].p) / int(y[0].q)) for t, _, y in exact)
        print(f"  x={str(x):>5}: exact rollout {t_ex:.1f} s; exact y_t inside both enclosures at all "
              f"{len(times)} sampled steps: {inside}; plain float64: an exact unit drifts at t={first}, "
              f"max |y_float - y_exact| = {worst:.3f}")


def deep_tanh_demo(steps: int, width: int = 64, lanes: int = 4096) -> None:
    """A 2-layer tanh network (issue 11): the layered float64 ball rollout vs a plain float64 NumPy rollout."""
    from flint import fmpq

    from certify.execute.enclosure import Inputs
    from certify.execute.layered import rollout_layered
    from certify.spec.network import Layer, Network
    from certify.spec.sparse import SparseMatrix

    rng = np.random.default_rng(0)

    def mat(n: int, m: int, scale: float) -> np.ndarray:
        return np.round(rng.standard_normal((n, m)) * scale * 1024) / 1024  # dyadic: exact in float64 and fmpq

    def sparse(a: np.ndarray) -> SparseMatrix:
        return SparseMatrix.from_dense([[fmpq(int(v * 1024), 1024) for v in row] for row in a])

    w = [(mat(width, width, 0.9 / np.sqrt(width)), mat(width, 1 if k == 0 else width, 0.5), mat(width, 1, 0.1)[:, 0])
         for k in range(2)]
    w_out = mat(1, width, 0.2)
    layers = tuple(Layer(W_hh=sparse(a), W_ih=sparse(b), b=tuple(fmpq(int(v * 1024), 1024) for v in c),
                         h0=(fmpq(0),) * width, activation="tanh") for a, b, c in w)
    net = Network(layers=layers, W_out=sparse(w_out), b_out=(fmpq(0),))
    xs = np.linspace(-1, 1, lanes)
    inputs = Inputs.points([fmpq(int(v * 2**20), 2**20) for v in np.round(xs * 2**20) / 2**20])

    def plain() -> np.ndarray:
        h = [np.zeros((width, lanes)), np.zeros((width, lanes))]
        x = (np.round(xs * 2**20) / 2**20)[None, :]
        for _ in range(steps):
            u = x
            for k, (a, b, c) in enumerate(w):
                h[k] = np.tanh(a @ h[k] + b @ u + c[:, None])
                u = h[k]
        return w_out @ h[1]

    t0 = time.perf_counter()
    y = plain()
    t_plain = time.perf_counter() - t0
    t0 = time.perf_counter()
    enc = rollout_layered(net, inputs, steps, [steps])
    t_ball = time.perf_counter() - t0
    inside = bool(np.all(np.abs(y[0] - enc.mid[0, :, 0]) <= enc.rad[0, :, 0] + 1e-300))
    print(f"2-layer tanh, width {width}, {lanes} lanes, {steps} steps (numpy {np.__version__}): plain float64 "
          f"{t_plain:.2f} s, rigorous float64 balls {t_ball:.2f} s, ratio {t_ball / t_plain:.2f}; widest enclosure "
          f"{enc.width():.2e}; plain float64 result inside every ball: {inside}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="shorter timing loops")
    ap.add_argument("--gpu-only", action="store_true", help="only the CuPy rows")
    ap.add_argument("--stack-copy", type=int, metavar="T", default=0,
                    help="instead: lane-split rollouts of stack_copy to T steps vs exact and plain float64")
    ap.add_argument("--deep", type=int, metavar="T", default=0,
                    help="instead: a 2-layer tanh network (width 64, 4096 lanes) for T steps, balls vs plain float64")
    args = ap.parse_args()
    if args.deep:
        deep_tanh_demo(args.deep)
        return
    if args.stack_copy:
        stack_copy_demo(args.stack_copy)
        return
    min_time = 0.2 if args.quick else 1.0
    print(f"machine: {platform.machine()} {platform.processor() or ''}, numpy {np.__version__}, "
          f"python {platform.python_version()}")
    rows = []
    if not args.gpu_only:
        print("\nCPU (NumPy/BLAS): seconds per step, ratio = rigorous / plain float64 (target <= 4 at N=32, "
              "<= 2.5 at N>=256 with B=4096)")
        print(f"{'N':>6} {'B':>6} {'plain':>11} {'rigorous':>11} {'ratio':>7}")
        for n in (32, 256, 1024):
            for B in (1, 4096):
                p, r = step_pair("numpy", n, B, min_time)
                rows.append((n, B, p, r))
                print(f"{n:>6} {B:>6} {p:>11.3e} {r:>11.3e} {r / p:>7.2f}")
        best = {n: min(r / B for m, B, _, r in rows if m == n) for n in (32, 256)}
        print("\nvs python-flint arb_mat at 53 bits (per input-step; rigorous float64 at its best batch):")
        for n, B in ((32, 64), (256, 16)):
            a = arb_step_time(n, B, min_time) / B
            print(f"  N={n:>4}: arb_mat {a:.3e} s, float64 balls {best[n]:.3e} s  -> {a / best[n]:,.0f}x faster"
                  f" (target >= 50x)")
        print("vs mpmath.iv (one input, per input-step):")
        for n in (8, 32):
            m = mpmath_step_time(n, min_time)
            f = best[32] if n == 32 else min(step_pair("numpy", n, 4096, min_time)[1] / 4096, best[32])
            print(f"  N={n:>4}: mpmath.iv {m:.3e} s, float64 balls {f:.3e} s  -> {m / f:,.0f}x faster"
                  f" (target >= 10^4x)")
    if cupy_available():
        import cupy

        props = cupy.cuda.runtime.getDeviceProperties(0)
        print(f"\nGPU (CuPy {cupy.__version__}, {props['name'].decode()}): seconds per step vs plain cuBLAS float64")
        print(f"{'N':>6} {'B':>7} {'plain':>11} {'rigorous':>11} {'ratio':>7} {'rigorous TF/s':>14}")
        for n in (32, 256, 1024):
            for B in (1, 4096, 65536):
                p, r = step_pair("cupy", n, B, min_time)
                tflops = 2 * 2 * n * (n + 2) * B / r / 1e12  # two GEMMs of useful work
                print(f"{n:>6} {B:>7} {p:>11.3e} {r:>11.3e} {r / p:>7.2f} {tflops:>14.2f}")
    elif args.gpu_only:
        print("no CuPy / GPU here")


if __name__ == "__main__":
    main()
