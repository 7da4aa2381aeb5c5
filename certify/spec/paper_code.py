"""State dicts of the residual RNNs trained by the code of Wang–Li–Li (github.com/radarFudan/Curse-of-memory,
``src/models/recurrent/{simple_diagonalrnn,simple_rnn,softplusrnn}.py`` inside ``LFLitModule``), saved as
safetensors, read exactly.

The code's model is h_{k+1} = h_k + dt·σ(U x_k + b_U − W h_k), y_k = C h_{k+1} + c with

======================  =========================================================================
tensor                  meaning
======================  =========================================================================
``encoder.U.weight``    U [m, d] (``encoder.U.bias``: b_U, optional)
``net.W.weight``        w [m]: W = diag(g(w)) (diagonal model) or Pᵀ·diag(g(w))·P
``net.P.weight``        P [m, m] (absent for the diagonal model)
``decoder.U.weight``    C [d_out, m] (``decoder.U.bias``: c, optional)
======================  =========================================================================

so certify's residual cell gets W_hh = −W, W_ih = U, b = b_U, W_out = C, b_out = c, h0 = 0. What the
state dict does not record must be in the safetensors metadata (or, for σ and the input kind, given by
``--activation`` / ``--input-kind``), and is refused otherwise:

* ``dt``: the Euler step (an exact number);
* ``recurrent_weight``: g, how ``net.W.weight`` becomes the diagonal — ``relu`` (the diagonal and Pᵀ·diag·P
  models built with ``training=True``, the default: the layer picks its ReLU when built, whatever ``eval()``
  does later), ``identity`` (the same models built with ``training=False``, or weights after
  ``perturb_weight_initialization``), ``softplus`` (``SoftplusRNN``: W = g(M) with g = log(1 + e^M), the
  paper's −log(1 + e^M) in certify's sign), ``exp`` (e^w: the paper's −e^M) or ``inverse`` (1/(w² + b), the
  StableSSM map, exact; b from ``inverse_b``);
* ``activation``: σ, in the code's names (``linear``, ``tanh``, ``hardtanh``, ``relu``, ``sigmoid``);
* ``encoder_activation`` and ``decoder_activation``: must be ``linear`` (anything else is not this model);
* ``softplus_bits`` (softplus and exp): g(w) is irrational, and certify analyses rational weights, so
  each diagonal entry is replaced by a multiple of 2^−bits within 2^−bits of it (checked in arb; the notes
  say so, and the analysis is of that rational model, not of the trained one).

>>> import numpy as np
>>> sd = {"encoder.U.weight": np.ones((2, 1)), "net.W.weight": np.array([0.5, -2.0]),
...       "decoder.U.weight": np.ones((1, 2)), "decoder.U.bias": np.zeros(1)}
>>> meta = {"dt": "1/10", "recurrent_weight": "relu", "activation": "linear", "encoder_activation": "linear",
...         "decoder_activation": "linear", "input_kind": "constant"}
>>> f = read(sd, meta, Path("m.safetensors"))
>>> f.network.describe(), [[str(v) for v in r] for r in f.network.layers[0].W_hh.to_dense()]
('1 layer (residual identity dt=1/10 2)', [['-1/2', '0'], ['0', '0']])
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from flint import arb, ctx, fmpq, fmpq_mat

from certify.errors import InputError
from certify.rational import ZERO, parse_number
from certify.spec.exact_arrays import matrix, rationals
from certify.spec.file import InputSpec, RnnFile
from certify.spec.hints import NO_HINTS, ReadHints, resolve_activation, resolve_input
from certify.spec.network import Layer, Network
from certify.untrusted import quote

#: The tensor that marks a state dict of the paper's code.
MARKER = "net.W.weight"
TENSORS = ("encoder.U.weight", "encoder.U.bias", "net.W.weight", "net.P.weight", "decoder.U.weight",
           "decoder.U.bias")
#: The code's activation names.
ACTIVATIONS = {"linear": "identity", "tanh": "tanh", "hardtanh": "hardtanh", "relu": "relu", "sigmoid": "sigmoid"}
RECURRENT = ("relu", "identity", "softplus", "exp", "inverse")


def _meta(metadata: dict[str, str], key: str, source: str, why: str) -> str:
    if key not in metadata:
        raise InputError(f"{source}: the safetensors metadata has no {key!r} ({why}); a state dict of the paper's "
                         "code does not record it, and certify does not assume it")
    return metadata[key]


def _rounded(g: str, w: fmpq, bits: int) -> fmpq:
    """A multiple k/2^bits of 2^−bits with |g(w) − k/2^bits| ≤ 2^−bits (checked in arb); g = softplus or exp.

    >>> _rounded("softplus", fmpq(0), 10)   # log 2 = 0.693147…
    709/1024
    """
    with ctx.workprec(bits + 96 + 2 * max(0, int(abs(float(w))))):
        v = ((arb(1) + arb(w).exp()).log() if g == "softplus" else arb(w).exp()) * arb(2) ** bits
        m, e = v.mid().floor().man_exp()
        k = int(m) * 2 ** int(e) if e >= 0 else int(m) >> int(-e)
        if (v - k).abs_upper() <= 1:
            return fmpq(k, 2**bits)
    raise InputError(f"{g}({w}) could not be enclosed to 2^-{bits}")


def read(tensors: dict[str, np.ndarray], metadata: dict[str, str], path: Path, hints: ReadHints = NO_HINTS) -> RnnFile:
    """The residual network of a state dict of the paper's code (see the module docstring)."""
    source = str(path)
    stray = sorted(set(tensors) - set(TENSORS))
    if stray:
        raise InputError(f"{source}: tensor {quote(stray[0])} is not part of the paper code's residual RNNs "
                         f"(known: {', '.join(TENSORS)})")
    for key in ("encoder.U.weight", "decoder.U.weight"):
        if key not in tensors:
            raise InputError(f"{source}: missing tensor {key!r} (a state dict of LFLitModule has encoder, net and "
                             "decoder)")
    for key in ("encoder_activation", "decoder_activation"):
        got = _meta(metadata, key, source, "the encoder and decoder of the LF experiments are linear")
        if got != "linear":
            raise InputError(f"{source}: metadata {key}={quote(got)}: only linear encoders and decoders are read")
    dt = parse_number(_meta(metadata, "dt", source, "the Euler step of the residual cell"), where=f"{source}: dt")
    g = _meta(metadata, "recurrent_weight", source, "relu or identity for diagonalrnn/rnn (training flag), softplus")
    if g not in RECURRENT:
        raise InputError(f"{source}: metadata recurrent_weight={quote(g)} is not one of {', '.join(RECURRENT)}")
    recorded = metadata.get("activation")
    if recorded is not None and recorded not in ACTIVATIONS:
        raise InputError(f"{source}: metadata activation={quote(recorded)} is not one of the code's "
                         f"{', '.join(ACTIVATIONS)}")
    activation, act_note = resolve_activation(None if recorded is None else ACTIVATIONS[recorded],
                                              "the metadata (activation)", hints, source)
    U = rationals(tensors["encoder.U.weight"], "encoder.U.weight", 2)  # noqa: N806
    m, d = len(U), len(U[0]) if U else 0
    b = rationals(tensors["encoder.U.bias"], "encoder.U.bias", 1) if "encoder.U.bias" in tensors else [ZERO] * m
    w = rationals(tensors["net.W.weight"], "net.W.weight", 1)
    C = rationals(tensors["decoder.U.weight"], "decoder.U.weight", 2)  # noqa: N806
    d_out = len(C)
    c = rationals(tensors["decoder.U.bias"], "decoder.U.bias", 1) if "decoder.U.bias" in tensors else [ZERO] * d_out
    if len(w) != m or len(b) != m or any(len(r) != m for r in C) or len(c) != d_out:
        raise InputError(f"{source}: shapes do not fit: encoder {m}×{d}, net.W.weight {len(w)}, bias {len(b)}, "
                         f"decoder {d_out}×{len(C[0]) if C else 0}, decoder bias {len(c)}")
    notes = [act_note]
    if g == "relu":
        diag = [v if v > 0 else ZERO for v in w]
    elif g == "identity":
        diag = list(w)
    elif g == "inverse":  # StableSSM's "best" map 1/(w² + b): rational, exact
        b_inv = parse_number(_meta(metadata, "inverse_b", source, "the b of g(w) = 1/(w² + b)"),
                             where=f"{source}: inverse_b")
        if not b_inv > 0:
            raise InputError(f"{source}: metadata inverse_b={b_inv} must be positive")
        diag = [1 / (v * v + b_inv) for v in w]
        notes.append(f"W = diag(1/(w² + {b_inv})), exactly")
    else:
        bits_text = _meta(metadata, "softplus_bits", source, f"{g}(w) is irrational: name the rounding 2^-bits of "
                          "the rational model certify analyses")
        bits = int(bits_text) if bits_text.isdigit() and 1 <= int(bits_text) <= 1000 else None
        if bits is None:
            raise InputError(f"{source}: metadata softplus_bits={quote(bits_text)} must be an integer in 1..1000")
        diag = [_rounded(g, v, bits) for v in w]
        notes.append(f"W = Pᵀ·diag({g}(w))·P with {g}(w) replaced by a multiple of 2^-{bits} within "
                     f"2^-{bits} of it (the analysis is of this rational model, not of the trained one)")
    D = fmpq_mat(m, m, [diag[i] if i == j else 0 for i in range(m) for j in range(m)])  # noqa: N806
    if "net.P.weight" in tensors:
        P = fmpq_mat(rationals(tensors["net.P.weight"], "net.P.weight", 2))  # noqa: N806
        if (P.nrows(), P.ncols()) != (m, m):
            raise InputError(f"{source}: net.P.weight has shape {[P.nrows(), P.ncols()]}, expected [{m}, {m}]")
        W = P.transpose() * D * P  # noqa: N806
        notes.append("W = Pᵀ·diag(g(w))·P, exactly (P as stored: the code does not keep it orthogonal)")
    else:
        W = D  # noqa: N806
    W_hh = [[-W[i, j] for j in range(m)] for i in range(m)]  # noqa: N806
    spec, in_note = resolve_input(_recorded_input(metadata, source), "the metadata (input_kind)", hints, source)
    notes.append(in_note)
    notes.append(f"the paper code's residual RNN: W_hh = −W, dt = {dt}, g = {g}, h0 = 0")
    layer = Layer(W_hh=matrix(W_hh, (m, m)), W_ih=matrix(U, (m, d)), b=tuple(b), h0=(ZERO,) * m,
                  activation=activation, cell="residual", dt=dt)
    net = Network(layers=(layer,), W_out=matrix(C, (d_out, m)), b_out=tuple(c))
    return RnnFile(network=net, name=path.stem, input=spec, source=source, notes=tuple(notes))


def _recorded_input(metadata: dict[str, str], source: str) -> InputSpec | None:
    kind = metadata.get("input_kind")
    if kind is None:
        return None
    if kind not in ("constant", "impulse", "sequence"):
        raise InputError(f"{source}: metadata input_kind={quote(kind)} is not constant, impulse or sequence")
    return InputSpec(kind=kind)
