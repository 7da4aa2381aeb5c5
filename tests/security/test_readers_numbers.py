"""Planted cases of issue 9: unicode digits, huge exponents, many huge numbers, 5000-digit weights in an
exact run and overflowing targets each end with exit 2 and one line naming the value and the limit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flint import fmpq

from certify.errors import InputError
from certify.rational import number_budget, parse_number
from certify.untrusted import Limits, limits_scope

ROOT = Path(__file__).resolve().parents[2]
SQUARING = ROOT / "proofs/squaring/squaring.rnn.json"
SMALL = {"rnn": {"W_hh": [[0, 1], [0, 0]], "W_ih": [[0], [1]], "b": [0, 0], "W_out": [[1, 0]], "b_out": [0],
                 "h0": [0, 0]}}


def _one_error_line(run_cli, *args: str) -> str:
    code, out, err = run_cli(*args)
    assert code == 2, (code, out, err)
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize("text", ["٣", "１", "1٣", "۱/۲", "1e٣", "０.５", "𝟑", "٣.٥e-١"])
def test_unicode_digits_are_not_numbers(text: str) -> None:
    with pytest.raises(InputError, match="only ASCII digits 0-9 are accepted") as err:
        parse_number(text, where="W_hh[0][1]")
    assert str(err.value).startswith('W_hh[0][1]="') and str(err.value).isascii()


def test_unicode_digit_in_the_x_option(run_cli) -> None:
    err = _one_error_line(run_cli, "run", str(SQUARING), "--x", "١", "--steps", "3")
    assert '--x="\\u0661" is not a number' in err


def test_unicode_digit_in_a_weight(run_cli, tmp_path: Path) -> None:
    doc = json.loads(json.dumps(SMALL))
    doc["rnn"]["W_hh"][0][1] = "１"
    (tmp_path / "w.rnn.json").write_text(json.dumps(doc))
    err = _one_error_line(run_cli, "info", str(tmp_path / "w.rnn.json"))
    assert 'W_hh[0][1]="\\uff11" is not a number' in err


def test_huge_exponent_is_refused_before_the_integer_is_built() -> None:
    for text in ["1e999999999999", "1e" + "9" * 40, "-7e1000000000", "1e-1000000000"]:
        with pytest.raises(InputError, match="decimal exponent beyond"):
            parse_number(text)
    assert parse_number("1e99999") == fmpq(10) ** 99999  # 332,190 bits: within max_number_bits


def test_huge_exponent_in_the_x_option(run_cli) -> None:
    err = _one_error_line(run_cli, "run", str(SQUARING), "--x", "1e999999", "--steps", "3")
    assert "--x=" in err and "max_number_bits" in err


def test_ten_to_the_five_entries_of_1e99999(run_cli, tmp_path: Path) -> None:
    n = 100_000
    doc = {"rnn": {"hidden_dim": n, "input_dim": 1, "output_dim": 1,
                   "W_hh": {"shape": [n, n], "entries": []}, "W_ih": {"shape": [n, 1], "entries": []},
                   "b": {"shape": [n], "entries": []}, "W_out": {"shape": [1, n], "entries": []},
                   "h0": ["1e99999"] * n}}
    (tmp_path / "h.rnn.json").write_text(json.dumps(doc))
    err = _one_error_line(run_cli, "info", str(tmp_path / "h.rnn.json"))
    assert "max_total_number_bits" in err
    doc["rnn"]["W_hh"] = {"shape": [n, n], "entries": [[i, 0, "1e99999"] for i in range(n)]}
    (tmp_path / "w.rnn.json").write_text(json.dumps(doc))
    err = _one_error_line(run_cli, "info", str(tmp_path / "w.rnn.json"))
    assert 'W_hh[0][0]="1e99999"' in err and "max_weight_bits=4096" in err


def test_ten_to_the_four_entries_of_1e100000(run_cli, tmp_path: Path) -> None:
    n = 10_000
    doc = {"rnn": {"W_hh": {"shape": [n, n], "entries": []}, "W_ih": {"shape": [n, 1], "entries": []},
                   "b": {"shape": [n], "entries": []}, "W_out": {"shape": [1, n], "entries": []},
                   "h0": ["1e100000"] * n}}
    (tmp_path / "h.rnn.json").write_text(json.dumps(doc))
    err = _one_error_line(run_cli, "info", str(tmp_path / "h.rnn.json"))
    assert "its numbers need more than max_total_number_bits=16000000 bits" in err


def test_the_budget_counts_one_file_at_a_time() -> None:
    with limits_scope(Limits(max_total_number_bits=100)):
        for _ in range(3):  # three files of 90 bits each: each within its own budget
            with number_budget("f.json"):
                parse_number("1" * 27)
        with number_budget("g.json"), pytest.raises(InputError, match="g.json: its numbers need more"):
            for _ in range(2):
                parse_number("1" * 27)


def _dense_5000_digit_file(path: Path) -> None:
    big = "1" + "7" * 4999
    doc = {"rnn": {"W_hh": [[f"1/{big}", f"3/{big}1"], [f"{big}/7{big}", "1/2"]], "W_ih": [[1], [f"1/{big}3"]],
                   "b": [f"1/{big}9", 0], "W_out": [[1, 1]], "b_out": [0], "h0": ["1/3", "2/7"]}}
    path.write_text(json.dumps(doc))


def test_run_exact_with_5000_digit_weights_is_refused_at_read_time(run_cli, tmp_path: Path) -> None:
    _dense_5000_digit_file(tmp_path / "big.rnn.json")
    err = _one_error_line(run_cli, "run", str(tmp_path / "big.rnn.json"), "--x", "1/3", "--steps", "1000", "--exact")
    assert "W_hh[0][0]=" in err and "max_weight_bits=4096" in err


def test_run_exact_with_5000_digit_weights_stops_at_the_state_limit(run_cli, tmp_path: Path) -> None:
    _dense_5000_digit_file(tmp_path / "big.rnn.json")
    err = _one_error_line(run_cli, "--limit", "max_weight_bits=20000", "run", str(tmp_path / "big.rnn.json"),
                          "--x", "1/3", "--steps", "100000", "--exact")
    assert "exact run stopped at step" in err and "max_state_bits=1000000" in err


@pytest.mark.parametrize(("target", "expected"), [
    ("exp(1000*x)", "reaches |f(x)| > 2^64"),
    ("exp(exp(exp(exp(exp(x)))))", "reaches |f(x)| > 2^64"),
    ("cosh(cosh(1e99999))", "is not below 2^64"),
    ("(((1/3)**999)**999)**999", "more than max_number_bits"),
    ("((9**999)**999)**999", "is not below 2^64"),
    ("-" * 1500 + "x", "nested"),
])
def test_overflowing_targets_in_every_command(target: str, expected: str, run_cli, tmp_path: Path) -> None:
    err = _one_error_line(run_cli, "build", "universal", "--f", target, "-o", str(tmp_path / "u.rnn.json"))
    assert expected in err
    doc = json.loads(SQUARING.read_text())
    doc["claims"]["target"] = target
    (tmp_path / "t.rnn.json").write_text(json.dumps(doc))
    assert expected in _one_error_line(run_cli, "run", str(tmp_path / "t.rnn.json"), "--x", "1/3", "--steps", "3")
    assert expected in _one_error_line(run_cli, "rates", str(tmp_path / "t.rnn.json"), "--no-plot")


def test_witness_values_are_bounded_numbers(run_cli) -> None:
    weights = str(ROOT / "tests/golden/refuted/halver_bug.rnn.json")
    for value, expected in [("١", 'registers.y="\\u0661" is not a number'),
                            ("1e999999", "has a decimal exponent beyond what max_number_bits=2000000 allows")]:
        start = json.dumps({"state": "loop", "stacks": {}, "registers": {"x": "1/2", "y": value}})
        assert expected in _one_error_line(run_cli, "run", weights, "--start", start, "--steps", "4")


def test_compile_refuses_an_output_it_would_not_write_as_named(run_cli, tmp_path: Path) -> None:
    for suffix in (".txt", ".pt", ".rnn"):
        err = _one_error_line(run_cli, "compile", "example:squaring", "-o", str(tmp_path / f"s{suffix}"))
        assert "certify writes weight files named" in err and f'the suffix "{suffix}" names none of them' in err
        assert not (tmp_path / f"s{suffix}").exists()
