"""Reading and writing weight files: the format is chosen from a table by the file's suffix.

=====================  ===================================================  ===============================
suffix                 format (read and written)                            module
=====================  ===================================================  ===============================
``.json``              ``certify.rnn/1`` or ``/2`` JSON (``.rnn.json``)     :mod:`~certify.spec.json_format`
``.safetensors``       certify's arrays; read also: ``nn.RNN`` state dicts  :mod:`~certify.spec.binary_format`
``.npz``               the same, as a NumPy archive (never pickle)          :mod:`~certify.spec.binary_format`
``.onnx``              ONNX ``RNN`` nodes with a MatMul/Add readout          :mod:`~certify.spec.onnx_format`
``.pt`` ``.pth`` …     pickle: never loaded (it can run code)               —
=====================  ===================================================  ===============================

Every reader takes the file's bytes from :func:`~certify.untrusted.read_untrusted` (regular files,
bounded size) and what the user said about it (:class:`~certify.spec.hints.ReadHints`), and returns an
:class:`~certify.spec.file.RnnFile`. Every writer writes the format its suffix names, exactly, or refuses.
``docs/formats.md`` describes each format.

>>> sorted(READERS) == sorted(WRITERS) == ['.json', '.npz', '.onnx', '.safetensors']
True
>>> read("model.pt")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
certify.errors.InputError: model.pt: pickle-based files are never loaded (they can run code); ...
>>> write(RnnFile(network=None), "model.txt")  # type: ignore[arg-type]
Traceback (most recent call last):
...
certify.errors.InputError: model.txt: certify writes weight files named *.rnn.json, *.json, *.safetensors, \
*.npz or *.onnx; the suffix ".txt" names none of them
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from certify.errors import InputError
from certify.spec import binary_format, json_format, onnx_format, onnx_writer
from certify.spec.file import InputSpec, RnnFile, Simulation
from certify.spec.hints import NO_HINTS, ReadHints, check_recorded
from certify.spec.json_format import dumps, loads, to_json_doc
from certify.untrusted import read_untrusted

__all__ = ["InputSpec", "ReadHints", "RnnFile", "Simulation", "dumps", "loads", "read", "to_json_doc", "write",
           "writer_for"]


def _json(path: Path, data: bytes, hints: ReadHints) -> RnnFile:
    return check_recorded(json_format.loads(data, str(path)), hints, "recorded in the file")


#: suffix -> reader of (path, bytes, hints)
READERS: dict[str, Callable[[Path, bytes, ReadHints], RnnFile]] = {
    ".json": _json,
    ".npz": binary_format.read,
    ".safetensors": binary_format.read,
    ".onnx": onnx_format.read,
}
#: suffix -> writer
WRITERS: dict[str, Callable[[RnnFile, str | Path], None]] = {
    ".json": json_format.write_json,
    ".npz": binary_format.write_npz,
    ".safetensors": binary_format.write_safetensors,
    ".onnx": onnx_writer.write,
}
PICKLE = (".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin")


def read(path: str | Path, hints: ReadHints = NO_HINTS) -> RnnFile:
    """Read a weight file; the format follows the suffix (any other suffix is read as ``certify.rnn`` JSON)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in PICKLE:
        raise InputError(f"{p}: pickle-based files are never loaded (they can run code); "
                         "save the state dict with safetensors instead")
    return READERS.get(suffix, READERS[".json"])(p, read_untrusted(p, "weight file"), hints)


def writer_for(path: str | Path) -> Callable[[RnnFile, str | Path], None]:
    """The writer of the format ``path``'s suffix names; any other suffix is refused."""
    suffix = Path(path).suffix.lower()
    writer = WRITERS.get(suffix)
    if writer is None:
        raise InputError(f"{path}: certify writes weight files named *.rnn.json, *.json, *.safetensors, *.npz or "
                         f'*.onnx; the suffix "{suffix}" names none of them')
    return writer


def write(f: RnnFile, path: str | Path) -> None:
    """Write a weight file in the format its suffix names; any other suffix is refused (nothing is written)."""
    writer_for(path)(f, path)
