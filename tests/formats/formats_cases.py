"""Shared pieces of the format tests: random exact networks and the round-trip check."""

from __future__ import annotations

from pathlib import Path

from flint import fmpq
from hypothesis import strategies as st

from certify.spec import io
from certify.spec.activation import ACTIVATIONS
from certify.spec.digest import content_sha256
from certify.spec.file import InputSpec, RnnFile
from certify.spec.network import INPUT_KINDS, Layer, Network
from certify.spec.sparse import SparseMatrix

#: Small dyadic rationals: exactly float32, so every format (ONNX included) holds them.
dyadic = st.builds(lambda n, k: fmpq(n, 2**k), st.integers(-64, 64), st.integers(0, 4))
#: Also thirds and fifths: exact only where a format stores numerators and denominators.
rational = st.one_of(dyadic, st.builds(lambda n, d: fmpq(n, d), st.integers(-9, 9), st.sampled_from([3, 5, 7])))


def _matrix(draw, rows: int, cols: int, values) -> SparseMatrix:  # noqa: ANN001
    return SparseMatrix.from_dense([[draw(values) for _ in range(cols)] for _ in range(rows)])


@st.composite
def rnn_files(draw, values=dyadic, activations=ACTIVATIONS, max_depth: int = 3) -> RnnFile:  # noqa: ANN001
    """A random file: 1 to ``max_depth`` layers, optional P and Q, any activations, input kinds and domains."""
    depth = draw(st.integers(1, max_depth))
    d_x = draw(st.integers(1, 2))
    P = _matrix(draw, draw(st.integers(1, 3)), d_x, values) if draw(st.booleans()) else None  # noqa: N806
    d_in = P.shape[0] if P is not None else d_x
    layers = []
    for _ in range(depth):
        n = draw(st.integers(1, 3))
        layers.append(Layer(W_hh=_matrix(draw, n, n, values), W_ih=_matrix(draw, n, d_in, values),
                            b=tuple(draw(values) for _ in range(n)), h0=tuple(draw(values) for _ in range(n)),
                            activation=draw(st.sampled_from(activations))))
        d_in = n
    Q = _matrix(draw, draw(st.integers(1, 2)), d_in, values) if draw(st.booleans()) else None  # noqa: N806
    readin = Q.shape[0] if Q is not None else d_in
    W_out = _matrix(draw, draw(st.integers(1, 2)), readin, values)  # noqa: N806
    net = Network(layers=tuple(layers), W_out=W_out, b_out=tuple(draw(values) for _ in range(W_out.shape[0])),
                  P=P, Q=Q)
    kind = draw(st.sampled_from(INPUT_KINDS))
    lo = draw(dyadic)
    domains = ((lo, lo + 1),) if draw(st.booleans()) else tuple((lo - k, lo + 1) for k in range(d_x))
    spec = InputSpec(kind, domains, draw(st.sampled_from([None, 4])) if kind == "sequence" else None)
    claims = {"hidden_dim_max": net.width} if draw(st.booleans()) else {}
    return RnnFile(network=net, name=draw(st.sampled_from(["", "net", "tanh_stack"])), input=spec, claims=claims)


def round_trip(f: RnnFile, path: Path) -> RnnFile:
    """Write ``f`` to ``path``, read it back, and check that nothing changed (the content hash, the network)."""
    io.write(f, path)
    back = io.read(path)
    assert content_sha256(back) == content_sha256(f), f"{path.suffix} changed the file"
    assert back.network == f.network and back.input == f.input and back.claims == f.claims
    assert back.name == (f.name or path.stem)
    return back
