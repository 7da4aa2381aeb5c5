"""What the user says about a weight file that the file itself may not record: the nonlinearity and the
input convention (``--activation``, ``--input-kind``), and the one rule that reconciles the two.

* A format that records a value (``certify.rnn`` JSON, certify's own arrays, an ONNX ``RNN`` node) is
  read as recorded; a hint that disagrees is refused, naming both values.
* A PyTorch ``nn.RNN`` state dict records no nonlinearity: it comes from the hint or from the file's
  metadata; with neither the file is refused (:data:`NO_NONLINEARITY`), never defaulted.
* A file that records no input convention (state dicts without ``input_kind`` metadata, foreign ONNX) is
  driven as ``--input-kind`` says, x in [-1, 1]; without it the file is refused (:data:`NO_INPUT_KIND`):
  a constant input and an impulse are different networks' worth of results. Which one was used is a note
  the file carries (``certify info`` shows it).

>>> resolve_activation(None, "", ReadHints(activation="tanh"), "m.safetensors")
('tanh', 'activation tanh: from --activation (the file does not record it)')
>>> resolve_activation(None, "", ReadHints(), "m.safetensors")
Traceback (most recent call last):
...
certify.errors.InputError: m.safetensors: state dicts do not record the nonlinearity; nn.RNN's default is \
tanh: pass --activation tanh|relu
>>> resolve_activation("relu", "metadata nonlinearity", ReadHints(activation="tanh"), "m.safetensors")
Traceback (most recent call last):
...
certify.errors.InputError: m.safetensors: --activation tanh disagrees with the activation relu the file \
records (metadata nonlinearity); drop --activation or fix the file
"""

from __future__ import annotations

from dataclasses import dataclass

from certify.errors import InputError
from certify.spec.activation import ACTIVATIONS
from certify.spec.file import InputSpec, RnnFile
from certify.spec.network import INPUT_KINDS

#: The refusal for a state dict without a nonlinearity (tests and docs quote it).
NO_NONLINEARITY = "state dicts do not record the nonlinearity; nn.RNN's default is tanh: pass --activation tanh|relu"
#: The refusal for a file without an input convention.
NO_INPUT_KIND = ("the file records no input convention: pass --input-kind constant|impulse|sequence (x_t = x for all "
                 "t, x at t = 1 only, or a given sequence; x in [-1, 1] — convert to .rnn.json to change the domain)")


@dataclass(frozen=True)
class ReadHints:
    """``--activation`` and ``--input-kind`` as given (None: not given)."""

    activation: str | None = None
    input_kind: str | None = None

    def __post_init__(self) -> None:
        if self.activation is not None and self.activation not in ACTIVATIONS:
            raise InputError(f"--activation {self.activation!r} is not supported (known: {', '.join(ACTIVATIONS)})")
        if self.input_kind is not None and self.input_kind not in INPUT_KINDS:
            raise InputError(f"--input-kind {self.input_kind!r} is not supported (known: {', '.join(INPUT_KINDS)})")


#: No hints given.
NO_HINTS = ReadHints()


def resolve_activation(recorded: str | None, where: str, hints: ReadHints, source: str) -> tuple[str, str]:
    """The activation to use and a note saying where it came from; ``recorded`` is the file's (or None)."""
    if recorded is None:
        if hints.activation is None:
            raise InputError(f"{source}: {NO_NONLINEARITY}")
        return hints.activation, f"activation {hints.activation}: from --activation (the file does not record it)"
    if hints.activation is not None and hints.activation != recorded:
        raise InputError(f"{source}: --activation {hints.activation} disagrees with the activation {recorded} the "
                         f"file records ({where}); drop --activation or fix the file")
    return recorded, f"activation {recorded}: {where}"


def resolve_input(recorded: InputSpec | None, where: str, hints: ReadHints, source: str) -> tuple[InputSpec, str]:
    """The input convention to use and a note saying where it came from; ``recorded`` is the file's (or None).

    >>> spec, note = resolve_input(None, "", ReadHints(input_kind="impulse"), "m.onnx")
    >>> spec.kind, note
    ('impulse', 'input impulse, x in [-1, 1]: kind from --input-kind, domain [-1, 1] (the file records neither)')
    >>> resolve_input(None, "", ReadHints(), "m.onnx")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    certify.errors.InputError: m.onnx: the file records no input convention: pass --input-kind ...
    """
    if recorded is None:
        if hints.input_kind is None:
            raise InputError(f"{source}: {NO_INPUT_KIND}")
        spec = InputSpec(kind=hints.input_kind)
        return spec, (f"input {spec.kind}, x in {spec.describe_domain()}: kind from --input-kind, domain "
                      f"{spec.describe_domain()} (the file records neither)")
    if hints.input_kind is not None and hints.input_kind != recorded.kind:
        raise InputError(f"{source}: --input-kind {hints.input_kind} disagrees with the input kind {recorded.kind} "
                         f"the file records ({where}); drop --input-kind or fix the file")
    return recorded, f"input {recorded.kind}, x in {recorded.describe_domain()}: {where}"


def check_recorded(f: RnnFile, hints: ReadHints, where: str) -> RnnFile:
    """``f`` (a file that records every activation and its input kind) when the hints agree with it."""
    names = set(f.network.activations)
    if hints.activation is not None and names != {hints.activation}:
        shown = f.network.activation if len(names) == 1 else "/".join(f.network.activations)
        raise InputError(f"{f.source}: --activation {hints.activation} disagrees with the activation {shown} the "
                         f"file records ({where}); drop --activation or fix the file")
    resolve_input(f.input, where, hints, f.source)
    return f
