"""The general network model (stacked layers, P, Q, activations, input kinds) against an own Fraction evaluator."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from flint import fmpq
from hypothesis import given, settings
from hypothesis import strategies as st

from certify.errors import InputError
from certify.spec.activation import PIECEWISE_LINEAR, NotExact
from certify.spec.file import InputSpec, RnnFile
from certify.spec.json_format import FORMAT, FORMAT_V2, dumps, loads
from certify.spec.network import Layer, Network
from certify.spec.sparse import SparseMatrix

SIGMA = {
    "relu": lambda z: max(z, Fraction(0)),
    "hardtanh": lambda z: min(max(z, Fraction(-1)), Fraction(1)),
    "satlin": lambda z: min(max(z, Fraction(0)), Fraction(1)),
    "identity": lambda z: z,
}


def reference(layers, P, Q, W_out, b_out, xs):  # noqa: N803
    """y_1 … y_T by the definition, in Fractions (independent of certify's stepping)."""
    hs = [list(layer["h0"]) for layer in layers]
    ys = []
    for x in xs:
        u = [sum(P[i][j] * x[j] for j in range(len(x))) for i in range(len(P))] if P is not None else list(x)
        for k, layer in enumerate(layers):
            z = [sum(layer["W_hh"][i][j] * hs[k][j] for j in range(len(hs[k])))
                 + sum(layer["W_ih"][i][j] * u[j] for j in range(len(u))) + layer["b"][i] for i in range(len(hs[k]))]
            hs[k] = [SIGMA[layer["activation"]](v) for v in z]
            u = hs[k]
        s = [sum(Q[i][j] * u[j] for j in range(len(u))) for i in range(len(Q))] if Q is not None else u
        ys.append([sum(W_out[i][j] * s[j] for j in range(len(s))) + b_out[i] for i in range(len(W_out))])
    return ys


def _fm(rows):
    return SparseMatrix.from_dense([[fmpq(v.numerator, v.denominator) for v in row] for row in rows])


def _fv(vec):
    return tuple(fmpq(v.numerator, v.denominator) for v in vec)


small = st.fractions(min_value=-2, max_value=2, max_denominator=4)


@st.composite
def networks(draw):
    depth = draw(st.integers(1, 3))
    d_x = draw(st.integers(1, 2))
    use_p = draw(st.booleans())
    d_u = draw(st.integers(1, 3)) if use_p else d_x
    P = [[draw(small) for _ in range(d_x)] for _ in range(d_u)] if use_p else None  # noqa: N806
    layers, d_in = [], d_u
    for _ in range(depth):
        n = draw(st.integers(1, 3))
        layers.append({"activation": draw(st.sampled_from(PIECEWISE_LINEAR)),
                       "W_hh": [[draw(small) for _ in range(n)] for _ in range(n)],
                       "W_ih": [[draw(small) for _ in range(d_in)] for _ in range(n)],
                       "b": [draw(small) for _ in range(n)], "h0": [draw(small) for _ in range(n)]})
        d_in = n
    Q = [[draw(small) for _ in range(d_in)] for _ in range(draw(st.integers(1, 2)))] if draw(st.booleans()) else None  # noqa: N806
    readin = len(Q) if Q is not None else d_in
    W_out = [[draw(small) for _ in range(readin)] for _ in range(draw(st.integers(1, 2)))]  # noqa: N806
    b_out = [draw(small) for _ in range(len(W_out))]
    return layers, P, Q, W_out, b_out, d_x


def build(layers, P, Q, W_out, b_out):  # noqa: N803
    return Network(layers=tuple(Layer(W_hh=_fm(lay["W_hh"]), W_ih=_fm(lay["W_ih"]), b=_fv(lay["b"]),
                                      h0=_fv(lay["h0"]), activation=lay["activation"]) for lay in layers),
                   W_out=_fm(W_out), b_out=_fv(b_out), P=None if P is None else _fm(P), Q=None if Q is None else _fm(Q))


@settings(max_examples=150, deadline=None)
@given(networks(), st.sampled_from(["constant", "impulse"]), st.data())
def test_exact_run_matches_the_definition(spec, kind, data):
    layers, P, Q, W_out, b_out, d_x = spec  # noqa: N806
    x = [data.draw(small) for _ in range(d_x)]
    T = 5  # noqa: N806
    xs = [x if kind == "constant" or t == 0 else [Fraction(0)] * d_x for t in range(T)]
    want = reference(layers, P, Q, W_out, b_out, xs)
    net = build(layers, P, Q, W_out, b_out)
    got = [[Fraction(int(v.p), int(v.q)) for v in y] for _, _, y in net.run(_fv(x), T, kind=kind)]
    assert got == want
    # a sequence run with the same inputs agrees, and the JSON form reads back to the same network
    seq = [[Fraction(int(v.p), int(v.q)) for v in y] for _, _, y in net.run_sequence([_fv(v) for v in xs])]
    assert seq == want
    f = RnnFile(net, name="n", input=InputSpec(kind, ((fmpq(-1), fmpq(1)),)))
    text = dumps(f)
    back = loads(text, "n.rnn.json")
    assert back.network == net and back.input == f.input and dumps(back) == text
    assert json.loads(text)["format"] == (FORMAT if net.is_single_relu and kind == "constant" else FORMAT_V2)
    assert net.width == max(len(lay["b"]) for lay in layers)


def _doc(**rnn):
    return {"format": FORMAT_V2, "name": "t", "rnn": rnn, "input": {"kind": "constant", "domain": [-1, 1]}}


def test_v2_requires_an_activation_per_layer():
    doc = _doc(layers=[{"W_hh": [[0]], "W_ih": [[1]], "b": [0]}], W_out=[[1]])
    with pytest.raises(InputError, match='rnn.layers\\[0\\]: missing key "activation"'):
        loads(json.dumps(doc))


def test_v2_requires_an_input_block():
    doc = _doc(activation="tanh", W_hh=[[0]], W_ih=[[1]], b=[0], W_out=[[1]])
    del doc["input"]
    with pytest.raises(InputError, match="input: missing block"):
        loads(json.dumps(doc))


def test_layer_shapes_must_chain():
    doc = _doc(layers=[{"activation": "relu", "W_hh": [[0, 0], [0, 0]], "W_ih": [[1], [1]], "b": [0, 0]},
                       {"activation": "relu", "W_hh": [[0]], "W_ih": [[1, 1, 1]], "b": [0]}], W_out=[[1]])
    with pytest.raises(InputError, match="expected 2 \\(the hidden_dim of the layer below\\)"):
        loads(json.dumps(doc))


def test_q_alone_is_the_readout():
    doc = _doc(layers=[{"activation": "identity", "W_hh": [[0, 0], [0, 0]], "W_ih": [[1], [2]], "b": [0, 0]}],
               Q=[[1, 1]])
    net = loads(json.dumps(doc)).network
    assert [str(v) for v in net.output(net.step(list(net.h0), [fmpq(1)]))] == ["3"]


def test_domains_per_dimension_and_the_count_checked():
    doc = _doc(activation="relu", W_hh=[[0]], W_ih=[[1, 1]], b=[0], W_out=[[1]])
    doc["input"] = {"kind": "impulse", "domain": [[-1, 1], [0, 2]]}
    f = loads(json.dumps(doc))
    assert f.input.domain_of(1) == (fmpq(0), fmpq(2))
    with pytest.raises(InputError, match="one input interval"):
        _ = f.input.domain
    doc["input"]["domain"] = [[-1, 1], [0, 2], [0, 1]]
    with pytest.raises(InputError, match="lists 3 intervals, and the network has input_dim=2"):
        loads(json.dumps(doc))


def test_v1_files_cannot_use_v2_features():
    doc = _doc(activation="relu", W_hh=[[0]], W_ih=[[1]], b=[0], W_out=[[1]])
    doc["format"] = FORMAT
    doc["input"] = {"kind": "impulse", "domain": [-1, 1]}
    with pytest.raises(InputError, match='needs "format": "certify.rnn/2"'):
        loads(json.dumps(doc))


def test_tanh_is_refused_by_the_exact_step_with_the_alternative():
    net = Network.from_dense(W_hh=[[0]], W_ih=[[1]], b=[0], W_out=[[1]], b_out=[0], h0=[0], activation="tanh")
    with pytest.raises(NotExact, match="--backend arb"):
        list(net.run([fmpq(1)], 1))


def test_wrong_input_length_is_refused():
    net = Network.from_dense(W_hh=[[0]], W_ih=[[1, 1]], b=[0], W_out=[[1]], b_out=[0], h0=[0])
    with pytest.raises(InputError, match="the input has 1 values, the network expects input_dim=2"):
        list(net.run([fmpq(1)], 1))


def test_one_layer_views_refuse_a_deep_network():
    lay = Layer.from_dense(W_hh=[[0]], W_ih=[[1]], b=[0])
    deep = Network(layers=(lay, lay), W_out=SparseMatrix.from_dense([[1]]), b_out=(fmpq(0),))
    with pytest.raises(InputError, match="2 layers"):
        _ = deep.W_hh
    assert deep.canonical_text().startswith("certify.rnn/2 layers 2")


def test_simulation_needs_one_relu_layer_and_constant_input(tmp_path):
    from certify.compiler.tmnu_to_rnn import compile_program, from_compiled
    from certify.constructions.examples import squaring

    doc = json.loads(dumps(from_compiled(compile_program(squaring()))))
    doc["format"] = FORMAT_V2
    doc["input"]["kind"] = "impulse"
    with pytest.raises(InputError, match="a TMNU simulation reads one constant input"):
        loads(json.dumps(doc))
