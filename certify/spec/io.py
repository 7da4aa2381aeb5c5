"""Reading and writing weight files: the format is chosen from a table by the file's suffix.

=====================  ==========================================  =====================
suffix                 format                                      module
=====================  ==========================================  =====================
``.json``              ``certify.rnn/1`` (read and written)        :mod:`~certify.spec.json_format`
``.npz``               NumPy archive of exact float/int arrays     :mod:`~certify.spec.binary_format`
``.safetensors``       safetensors (certify or ``nn.RNN`` names)   :mod:`~certify.spec.binary_format`
``.pt`` ``.pth`` …     pickle: never loaded (it can run code)      —
=====================  ==========================================  =====================

Every reader takes the file's bytes from :func:`~certify.rational.read_untrusted` (regular files,
bounded size) and returns an :class:`~certify.spec.file.RnnFile`.

>>> sorted(READERS)
['.json', '.npz', '.safetensors']
>>> read("model.pt")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
certify.errors.InputError: model.pt: pickle-based files are never loaded (they can run code); ...
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from certify.errors import InputError
from certify.spec import binary_format, json_format
from certify.spec.file import InputSpec, RnnFile, Simulation
from certify.spec.json_format import dumps, loads, to_json_doc
from certify.untrusted import read_untrusted

__all__ = ["InputSpec", "RnnFile", "Simulation", "dumps", "loads", "read", "to_json_doc", "write"]

#: suffix -> reader of (path, bytes)
READERS: dict[str, Callable[[Path, bytes], RnnFile]] = {
    ".json": lambda p, data: json_format.loads(data, str(p)),
    ".npz": binary_format.read,
    ".safetensors": binary_format.read,
}
#: suffix -> writer
WRITERS: dict[str, Callable[[RnnFile, str | Path], None]] = {".json": json_format.write_json}
PICKLE = (".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin")


def read(path: str | Path) -> RnnFile:
    """Read a weight file; the format follows the suffix (any other suffix is read as ``certify.rnn/1`` JSON)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in PICKLE:
        raise InputError(f"{p}: pickle-based files are never loaded (they can run code); "
                         "save the state dict with safetensors instead")
    return READERS.get(suffix, READERS[".json"])(p, read_untrusted(p, "weight file"))


def write(f: RnnFile, path: str | Path) -> None:
    """Write a weight file in the format its suffix names (only ``certify.rnn/1`` JSON is written)."""
    suffix = Path(path).suffix.lower()
    writer = WRITERS.get(suffix)
    if writer is None:
        raise InputError(f"{path}: certify writes weight files as certify.rnn/1 JSON only; name the file *.json")
    writer(f, path)
