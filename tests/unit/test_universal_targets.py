"""`certify build universal` on the simplest targets (issue 13's defects list): a bare variable and a constant."""

from __future__ import annotations

import pytest
from flint import arb, arb_series

from certify.expr import ArbFunction, parse_function


@pytest.mark.parametrize("text", ["x", "1*x", "(x)", "0.5"])
def test_simple_targets_build(text: str, run_cli, tmp_path) -> None:
    code, out, err = run_cli("build", "universal", "--f", text, "--rounds", "2", "-o", str(tmp_path / "u.rnn.json"))
    assert code == 0, err
    assert "wrote" in out


def test_a_constant_has_a_constant_series() -> None:
    """ArbFunction of a constant given a series returns a series (it returned a bare ball, and the sup-norm code
    crashed reading its Taylor coefficients)."""
    s = ArbFunction(parse_function("0.5"))(arb_series([arb(0), 1], prec=3))
    assert isinstance(s, arb_series) and s.coeffs()[0].contains(arb("0.5")) and len(s.coeffs()) == 1
