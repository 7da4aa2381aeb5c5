from __future__ import annotations

import pytest
from cases import CASES, compiled

from certify.compiler.tmnu_to_rnn import hidden_dim_formula
from certify.spec.network import Network


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_bias_is_nonpositive_so_idle_stages_stay_zero(name: str) -> None:
    net = compiled(name).network
    assert all(b <= 0 for b in net.b)
    # all-zero state and the largest input: every unit except `load` stays 0
    h = net.step([0] * net.hidden_dim, [1])
    assert all(v == 0 for v in h)


@pytest.mark.parametrize("name", sorted(CASES))
def test_hidden_dim_formula(name: str) -> None:
    c = compiled(name)
    assert c.network.hidden_dim == hidden_dim_formula(c.program) == len(c.simulation.units)


def test_programs_differing_in_initial_stack_differ_only_in_h0() -> None:
    from certify.compiler.tmnu_to_rnn import compile_program
    from certify.constructions.examples import stack_copy

    a, b = compile_program(stack_copy(50)).network, compile_program(stack_copy(51)).network
    assert a.h0 != b.h0
    assert (a.W_hh, a.W_ih, a.b, a.W_out, a.b_out) == (b.W_hh, b.W_ih, b.b, b.W_out, b.b_out)


def test_network_shape_errors_name_the_field() -> None:
    from certify.errors import InputError

    with pytest.raises(InputError, match="b has length 1, expected hidden_dim=2"):
        Network.from_dense(W_hh=[[0, 0], [0, 0]], W_ih=[[0], [0]], b=[0], W_out=[[1, 0]], b_out=[0], h0=[0, 0])
