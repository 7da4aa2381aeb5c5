"""Planted cases for TMNU program files and simulation maps: 10^5 states, a 10^6-symbol stack, names
that try to reach solver text, an input flag that is not a boolean. Reading and validating are linear
(or quasi-linear), so each ends with a correct answer or exit 2 quickly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from certify.errors import InputError
from certify.spec.simulation import SimulationMap, StackEncoding
from certify.tmnu import serialize
from certify.tmnu.validate import problems
from certify.universal.interpreter import SYMBOLS
from certify.untrusted import Limits, check_name, check_symbol, limits_scope

ROOT = Path(__file__).resolve().parents[2]


def _one_error_line(run_cli, *args: str) -> str:
    code, out, err = run_cli(*args)
    assert code == 2, (code, out, err)
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


def _cycle(n: int, stack: str = "", dup: bool = False) -> dict:
    states = [f"s{i}" for i in range(n)]
    if dup:
        states[-1] = "s0"
    return {"name": "big", "states": states, "start": "s0",
            "stacks": [{"name": "S", "alphabet": ["a", "b"], "initial": stack}] if stack else [],
            "registers": [{"name": "x", "bounds": [-1, 1], "input": True}, {"name": "y", "bounds": [-2, 2]}],
            "input": "x", "output": "y", "ops": [],
            "transitions": [{"state": states[i], "goto": states[(i + 1) % n]} for i in range(n)]}


def test_a_program_with_ten_to_the_five_states_validates_in_linear_time() -> None:
    program = serialize.from_json(_cycle(100_000))
    assert problems(program) == []
    found = problems(serialize.from_json(_cycle(100_000, dup=True)))
    assert "state 's0' is declared twice" in found


def test_compiling_ten_to_the_five_states_is_refused_before_the_compiler_runs(run_cli, tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text(json.dumps(_cycle(100_000)))
    err = _one_error_line(run_cli, "compile", str(tmp_path / "p.json"), "-o", str(tmp_path / "o.rnn.json"))
    assert "compiles to at least 400006 hidden units, more than the limit max_dimension=100000" in err
    assert not (tmp_path / "o.rnn.json").exists()


def test_more_states_than_the_limit(run_cli, tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text(json.dumps(_cycle(100_001)))
    err = _one_error_line(run_cli, "compile", str(tmp_path / "p.json"), "-o", str(tmp_path / "o.rnn.json"))
    assert "has 100001 entries, more than the limit max_states=100000" in err


def test_a_stack_of_ten_to_the_six_symbols() -> None:
    content = "ab" * 500_000
    program = serialize.from_json(_cycle(2, stack=content))
    assert len(program.stacks[0].initial) == 10**6 and problems(program) == []
    enc = StackEncoding.for_stack(program.stacks[0], unit=0)
    value = enc.encode(program.stacks[0].initial)  # quasi-linear, not 10^6 rational Horner steps
    assert value.q == 4 ** 10**6 and enc.decode(value) == program.stacks[0].initial
    with pytest.raises(InputError, match="more than the limit max_stack_symbols=1000000"):
        serialize.from_json(_cycle(2, stack=content + "a"))
    with limits_scope(Limits(max_stack_symbols=10)), pytest.raises(InputError, match="longer than max_stack_symbols"):
        enc.decode(value)


def test_the_universal_stack_round_trips() -> None:
    enc = StackEncoding("S", 0, 2 * len(SYMBOLS), tuple((s, 2 * i + 1) for i, s in enumerate(SYMBOLS)))
    content = tuple(SYMBOLS[(i * 7) % len(SYMBOLS)] for i in range(5000))
    assert enc.decode(enc.encode(content)) == content
    for bad in (enc.encode(content) + 1, enc.encode(content) / 3, enc.encode(content) * 22):
        with pytest.raises(InputError, match="not an encoding of stack 'S'"):
            enc.decode(bad)


@pytest.mark.parametrize(("where", "bad"), [
    (("name",), "p|) (echo x"), (("states", 0), "s 0"), (("start",), "(exit)"), (("registers", 1, "name"), "y;"),
    (("output",), "\u0663"), (("input",), ""), (("transitions", 0, "goto"), "s1\n"), (("states", 1), "x" * 200),
])
def test_names_are_validated_at_read_time(where: tuple, bad: str) -> None:
    doc = _cycle(2)
    node = doc
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = bad
    with pytest.raises(InputError, match="is not a valid name|longer than max_name_chars"):
        serialize.from_json(doc, "p.json")


def test_symbols_and_names_of_the_bundled_constructions_are_valid() -> None:
    for sym in [*SYMBOLS, "0", "1", "a", "z"]:
        assert check_symbol(sym, "alphabet") == sym
    for bad in ["", " ", "|", '"', "a b", "\u0663", "(", ";"]:
        with pytest.raises(InputError):
            check_symbol(bad, "alphabet")
    assert check_name("digit_minus", "op") == "digit_minus"


def test_an_input_flag_must_be_a_boolean(run_cli, tmp_path: Path) -> None:
    doc = _cycle(2)
    doc["registers"][0]["input"] = "yes"
    (tmp_path / "p.json").write_text(json.dumps(doc))
    err = _one_error_line(run_cli, "compile", str(tmp_path / "p.json"), "-o", str(tmp_path / "o.rnn.json"))
    assert 'registers[0].input="yes" must be true or false' in err


def test_unknown_keys_are_refused() -> None:
    doc = _cycle(2)
    doc["transitions"][0]["reads_too"] = {"S": "a"}
    with pytest.raises(InputError, match='unknown key "reads_too"'):
        serialize.from_json(doc)


def test_simulation_map_keys_and_labels_are_validated() -> None:
    good = json.loads((ROOT / "proofs/counter/counter.rnn.json").read_text())["simulation"]
    n = len(good["units"])
    assert SimulationMap.from_json(good, n).hidden_dim == n
    for mutate, expected in [
        (lambda d: d["control"].update({"a;b": 0}), "is not a valid name"),
        (lambda d: d["units"][0].__setitem__(2, 'label "with" quotes'), "is not a valid unit label"),
        (lambda d: d["stacks"]["C"]["digits"].update({"|": 5}), "is not a valid stack symbol"),
        (lambda d: d.update({"extra": 1}), 'unknown key "extra"'),
        (lambda d: d["units"].append([0, "control", "x"]), f"lists {n + 1} units"),
        (lambda d: d["registers"][next(iter(d["registers"]))].update({"unit": n}), f"exceeds the limit {n - 1}"),
    ]:
        doc = json.loads(json.dumps(good))
        mutate(doc)
        with pytest.raises(InputError, match=expected):
            SimulationMap.from_json(doc, n)


def test_every_committed_file_is_still_readable(run_cli) -> None:
    files = sorted(ROOT.glob("proofs/*/*.rnn.json")) + sorted(ROOT.glob("tests/golden/*/*.rnn.json"))
    assert len(files) >= 10
    for f in files:
        code, out, err = run_cli("info", str(f))
        assert code == 0, (f, err)
