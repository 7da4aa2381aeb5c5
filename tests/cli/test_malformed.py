"""Malformed weight files: each exits 2 with one line that names the bad value; never a traceback."""

from __future__ import annotations

import io as pyio
import json
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from certify.compiler.tmnu_to_rnn import from_compiled

GOOD = {"rnn": {"W_hh": [[0, 1], [0, 0]], "W_ih": [[0], [1]], "b": [0, 0], "W_out": [[1, 0]], "b_out": [0],
                "h0": [0, 0]}}


def _with(path: list, value) -> str:
    doc = json.loads(json.dumps(GOOD))
    node = doc
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return json.dumps(doc)


JSON_CASES = {
    "bad_json": ('{"rnn": [', "invalid JSON at line 1"),
    "empty_file": ("", "invalid JSON"),
    "not_an_object": ("[1, 2]", "a weight file is a JSON object"),
    "missing_rnn": ("{}", 'missing key "rnn"'),
    "missing_W_hh": (_with(["rnn", "W_hh"], KeyError), 'missing key "W_hh"'),
    "wrong_shape": (_with(["rnn", "hidden_dim"], 3), "W_hh has 2 rows, expected 3"),
    "ragged_row": (_with(["rnn", "W_hh"], [[0, 1], [0]]), "W_hh[1] has 1 entries, expected 2"),
    "nan": (_with(["rnn", "W_hh"], [[0, "__NAN__"], [0, 0]]).replace('"__NAN__"', "NaN"),
            'W_hh[0][1]="NaN" is not a finite number'),
    "infinity": (_with(["rnn", "b"], ["__INF__", 0]).replace('"__INF__"', "-Infinity"),
                 'b[0]="-Infinity" is not a finite number'),
    "non_numeric": (_with(["rnn", "W_hh"], [[0, 1], ["abc", 0]]), 'W_hh[1][0]="abc" is not a number'),
    "negative_size": (_with(["rnn", "hidden_dim"], -3), "rnn.hidden_dim=-3 is below the minimum 1"),
    "absurd_size": (_with(["rnn", "hidden_dim"], 10**12), "rnn.hidden_dim=1000000000000 exceeds the limit"),
    "sparse_out_of_range": (_with(["rnn", "W_hh"], {"shape": [2, 2], "entries": [[5, 0, "1"]]}),
                            "W_hh.entries[0][0]=5 exceeds the limit 1"),
    "sparse_duplicate": (_with(["rnn", "W_hh"], {"shape": [2, 2], "entries": [[0, 1, 1], [0, 1, 2]]}),
                         "W_hh: entry [0, 1] is listed twice"),
    "zero_denominator": (_with(["rnn", "b"], ["1/0", 0]), 'b[0]="1/0" has a zero denominator'),
    "wrong_format": (json.dumps({"format": "certify.rnn/9", **GOOD}), 'format="certify.rnn/9" is not supported'),
    "unknown_activation": (_with(["rnn", "activation"], "softsign"), 'activation="softsign" is not supported'),
    "tanh_in_v1": (_with(["rnn", "activation"], "tanh"), 'write "format": "certify.rnn/2"'),
    "boolean_weight": (_with(["rnn", "b"], [True, 0]), "b[0]=True is a boolean, not a number"),
    "huge_exponent": (_with(["rnn", "b"], ["1e999999", 0]), "has a decimal exponent beyond"),
    "h0_length": (_with(["rnn", "h0"], [0]), "h0 has length 1, expected 2"),
    "bad_sparse_shape": (_with(["rnn", "W_hh"], {"shape": [3, 3], "entries": []}).replace('"rnn": {',
                         '"rnn": {"hidden_dim": 2, '),
                         "W_hh.shape=[3, 3] does not match the expected shape [2, 2]"),
    "register_in_control": (None, "reads register 'x': registers never influence control"),
    "domain_beyond_input_bounds": (None, "input.domain=[-2, 1] is not within the bounds [-1, 1] of the input register"),
}


def _register_in_control() -> str:
    from cases import halver

    from certify.compiler.tmnu_to_rnn import compile_program
    from certify.spec import io

    doc = io.to_json_doc(from_compiled(compile_program(halver())))
    doc["simulation"]["program"]["transitions"][0]["reads"] = {"x": "1"}
    return json.dumps(doc)


def _check(run_cli, path: Path, expected: str) -> None:
    code, out, err = run_cli("info", str(path))
    assert code == 2, (code, out, err)
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert expected in err, err
    assert "Traceback" not in err + out


@pytest.mark.parametrize("case", sorted(JSON_CASES))
def test_malformed_json(case: str, run_cli, tmp_path: Path) -> None:
    text, expected = JSON_CASES[case]
    if case == "register_in_control":
        text = _register_in_control()
    if case == "domain_beyond_input_bounds":
        doc = json.loads(_register_in_control().replace('"reads": {\n', '"reads": {'))
        doc["simulation"]["program"]["transitions"][0]["reads"] = {}
        doc["input"] = {"kind": "constant", "domain": ["-2", "1"]}
        text = json.dumps(doc)
    path = tmp_path / f"{case}.rnn.json"
    path.write_text(text)
    _check(run_cli, path, expected)


def test_pickle_inside_npz_is_never_loaded(run_cli, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    arr = np.empty(1, dtype=object)
    arr[0] = Evil()
    path = tmp_path / "evil.npz"
    np.savez(path, W_hh=arr)
    _check(run_cli, path, "pickled object array")
    assert not marker.exists(), "pickle payload ran"
    assert pickle  # the payload above is a real pickle


def test_truncated_safetensors(run_cli, tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    path = tmp_path / "m.safetensors"
    save_file({"W_hh": np.eye(3)}, str(path))
    path.write_bytes(path.read_bytes()[:-7])
    _check(run_cli, path, "not a readable safetensors file")


def test_npz_complex_dtype_and_nan(run_cli, tmp_path: Path) -> None:
    np.savez(tmp_path / "c.npz", W_hh=np.eye(2, dtype=complex), W_ih=np.ones((2, 1)), b=np.zeros(2),
             W_out=np.ones((1, 2)))
    _check(run_cli, tmp_path / "c.npz", "W_hh has dtype complex128")
    w = np.eye(2)
    w[0, 1] = np.nan
    np.savez(tmp_path / "n.npz", W_hh=w, W_ih=np.ones((2, 1)), b=np.zeros(2), W_out=np.ones((1, 2)))
    _check(run_cli, tmp_path / "n.npz", "W_hh[0][1]=nan is not a finite number")


def test_npz_that_is_not_a_zip(run_cli, tmp_path: Path) -> None:
    (tmp_path / "x.npz").write_bytes(b"PK\x03\x04 this is not really a zip")
    _check(run_cli, tmp_path / "x.npz", "not a readable .npz file")


def test_binary_garbage_and_pickle_suffix(run_cli, tmp_path: Path) -> None:
    (tmp_path / "g.rnn.json").write_bytes(bytes(range(256)))
    _check(run_cli, tmp_path / "g.rnn.json", "not UTF-8 text")
    buf = pyio.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("data.pkl", b"\x80\x04")
    (tmp_path / "m.pt").write_bytes(buf.getvalue())
    _check(run_cli, tmp_path / "m.pt", "pickle-based files are never loaded")


def test_real_process_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.rnn.json"
    path.write_text(JSON_CASES["non_numeric"][0])
    proc = subprocess.run([sys.executable, "-m", "certify.cli", "run", str(path), "--x", "0"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    assert 'W_hh[1][0]="abc" is not a number' in proc.stderr
