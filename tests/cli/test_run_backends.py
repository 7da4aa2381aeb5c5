"""`certify run` with the rigorous backends and `certify precision`: output, files, exit codes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from flint import fmpq

from certify.execute.backend import cupy_available
from certify.execute.exact import rollout


@pytest.fixture(scope="module")
def squaring_file(tmp_path_factory) -> Path:
    from certify.cli import main

    path = tmp_path_factory.mktemp("w") / "sq.rnn.json"
    assert main(["compile", "example:squaring", "-o", str(path)]) == 0
    return path


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict", "arb", "exact"])
def test_run_grid_every_backend_writes_sound_enclosures(backend: str, squaring_file: Path, run_cli, tmp_path) -> None:
    from certify.spec import io

    out = tmp_path / "enc.npz"
    code, text, _ = run_cli("run", str(squaring_file), "--x-grid", "5", "--steps", "40", "--backend", backend,
                            "--samples", "4", "--out", str(out))
    assert code == 0, text
    assert "every enclosure finite: yes" in text and "widest enclosure at t=40" in text
    data = np.load(out)
    assert list(data["times"]) == [10, 20, 30, 40] and data["mid"].shape == (4, 5, 1)
    net = io.read(str(squaring_file)).network
    for lane, xs in enumerate(data["x_lo"]):
        x = fmpq(*map(int, xs.split("/"))) if "/" in xs else fmpq(int(xs))
        for ti, (_, _, y) in enumerate(rollout(net, [x], 40, data["times"].tolist())):
            c, r = float(data["mid"][ti, lane, 0]), float(data["rad"][ti, lane, 0])
            assert abs(y[0] - fmpq(*c.as_integer_ratio())) <= fmpq(*r.as_integer_ratio())


def test_run_intervals_are_affine(squaring_file: Path, run_cli, tmp_path) -> None:
    out = tmp_path / "aff.npz"
    code, text, _ = run_cli("run", str(squaring_file), "--x-grid", "8", "--x-intervals", "--steps", "30",
                            "--out", str(out))
    assert code == 0 and "affine in x" in text and "ξ" in text
    assert "gen" in np.load(out)


def test_run_exact_single_x_still_works(squaring_file: Path, run_cli) -> None:
    code, text, _ = run_cli("run", str(squaring_file), "--x", "1/3", "--steps", "50", "--tmnu", "--samples", "100")
    assert code == 0 and "1/4718592" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [(("--x-grid", "0"), "--x-grid=0 must be at least 1"),
     (("--x-intervals",), "--x-intervals needs --x-grid"),
     (("--x", "1/2", "--x-grid", "3"), "either --x or --x-grid"),
     (("--x-grid", "3", "--backend", "arb", "--prec", "4"), "--prec=4"),
     (("--x-grid", "3", "--x-intervals", "--backend", "exact"), "needs points"),
     (("--exact", "--backend", "numpy"), "--exact contradicts"),
     (("--x-grid", "3", "--backend", "fortran"), "Invalid value for '--backend'"),
     (("--x-grid", "3", "--tmnu"), "--tmnu works with one exact --x")],
)
def test_bad_options_exit_2(args, message: str, squaring_file: Path, run_cli) -> None:
    code, out, err = run_cli("run", str(squaring_file), "--steps", "5", *args)
    assert code == 2 and message in out + err


@pytest.mark.skipif(cupy_available(), reason="a GPU is present")
def test_cupy_without_gpu_is_a_clean_input_error(squaring_file: Path, run_cli) -> None:
    code, _, err = run_cli("run", str(squaring_file), "--x-grid", "3", "--steps", "5", "--backend", "cupy")
    assert code == 2 and "--backend=cupy" in err and err.count("\n") == 1


def test_precision_command(run_cli, tmp_path) -> None:
    from certify.cli import main

    path = tmp_path / "counter.rnn.json"
    assert main(["compile", "example:counter", "-o", str(path)]) == 0
    code, text, _ = run_cli("precision", str(path), "--steps", "600", "--eps", "1e-6", "--x-grid", "3")
    assert code == 0 and "float32: supports" in text and "bits for ε = 1e-6" in text
    code, _, err = run_cli("precision", str(path), "--steps", "10", "--eps", "-1")
    assert code == 2 and "--eps=-1 must be positive" in err


def test_run_help_explains_backends(run_cli) -> None:
    code, out, _ = run_cli("run", "--help")
    assert code == 0 and "--backend" in out and "--x-intervals" in out and "--exact" in out
