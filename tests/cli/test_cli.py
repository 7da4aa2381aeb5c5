from __future__ import annotations

import json
from pathlib import Path

import pytest

from certify.constructions.examples import EXAMPLES

PROGRAM_PY = '''
from certify.tmnu.build import Builder, relu

b = Builder("halver")
x = b.register("x", bound=1, input=True)
y = b.register("y", bound=1)
b.output(y)
b.op("abs", y=relu(x) + relu(-x))
b.op("half", y=y / 2)
b.sequence("load", ["abs"], then="loop")
b.forever("loop", "half")
program = b.build()
'''


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_compile_info_run_examples(name: str, run_cli, tmp_path: Path) -> None:
    out_file = tmp_path / f"{name}.rnn.json"
    code, out, _ = run_cli("compile", f"example:{name}", "-o", str(out_file))
    assert code == 0 and out_file.exists()
    assert "hidden_dim" in out
    code, out, _ = run_cli("info", str(out_file))
    assert code == 0 and "c = 4" in out and "max |weight|" in out
    code, out, _ = run_cli("run", str(out_file), "--x", "1/3", "--steps", "200", "--exact")
    assert code == 0 and "200" in out


def test_run_squaring_shows_errors_within_claimed_bounds(run_cli, tmp_path: Path) -> None:
    f = tmp_path / "sq.rnn.json"
    run_cli("compile", "example:squaring", "-o", str(f))
    code, out, _ = run_cli("run", str(f), "--x", "1/3", "--steps", "50", "--tmnu", "--samples", "100")
    assert code == 0
    assert "1/4718592" in out and "1/4194304" in out  # round 10: |f_10(1/3) - 1/9| next to 4^-11
    assert "square" in out


def test_compile_python_and_json_programs(run_cli, tmp_path: Path) -> None:
    src = tmp_path / "halver.py"
    src.write_text(PROGRAM_PY)
    code, _, err = run_cli("compile", str(src), "-o", str(tmp_path / "h.rnn.json"))
    assert code == 0, err
    doc = json.loads((tmp_path / "h.rnn.json").read_text())
    (tmp_path / "halver.json").write_text(json.dumps(doc["simulation"]["program"]))
    code, _, err = run_cli("compile", str(tmp_path / "halver.json"), "-o", str(tmp_path / "h2.rnn.json"))
    assert code == 0, err
    assert (tmp_path / "h.rnn.json").read_text() == (tmp_path / "h2.rnn.json").read_text()
    code, out, _ = run_cli("run", str(tmp_path / "h.rnn.json"), "--x", "-1/2", "--steps", "14")
    assert code == 0 and "1/8" in out


def test_invalid_program_file_exits_2_listing_problems(run_cli, tmp_path: Path) -> None:
    src = tmp_path / "bad.py"
    src.write_text(PROGRAM_PY.replace('b.forever("loop", "half")', 'b.state("loop").when(S="a").goto("loop")'))
    code, _, err = run_cli("compile", str(src), "-o", str(tmp_path / "x.json"))
    assert code == 2
    assert "reads undeclared stack 'S'" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [(("compile", "example:nope", "-o", "x.json"), "example 'nope' does not exist"),
     (("info", "missing.rnn.json"), "no such file"),
     (("run", "WEIGHTS", "--x", "2"), "--x=2 is outside the file's input domain"),
     (("run", "WEIGHTS", "--x", "one"), '--x="one" is not a number'),
     (("run", "WEIGHTS", "--steps", "0"), "Invalid value for '--steps'")],
)
def test_usage_errors_exit_2(args, message: str, run_cli, tmp_path: Path) -> None:
    f = tmp_path / "sq.rnn.json"
    run_cli("compile", "example:squaring", "-o", str(f))
    code, out, err = run_cli(*[str(f) if a == "WEIGHTS" else a for a in args])
    assert code == 2, (out, err)
    assert message in err


def test_help_explains_commands(run_cli) -> None:
    code, out, _ = run_cli("--help")
    assert code == 0 and "compile" in out and "run" in out and "info" in out
    code, out, _ = run_cli("run", "--help")
    assert code == 0 and "--exact" in out and "--tmnu" in out
