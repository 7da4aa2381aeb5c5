"""Read and write ``.npz`` and safetensors weight files exactly, with bounded memory (never pickle).

A file is one of three layouts, told apart by its names:

* certify's own arrays (:mod:`~certify.spec.certify_arrays`): ``layers.0.W_hh`` … with every non-weight
  part (activations, input convention, claims, simulation) as JSON text in the metadata;
* certify's flat ``certify.rnn/1`` arrays ``W_hh W_ih b W_out b_out h0`` (one ReLU layer);
* a PyTorch ``nn.RNN`` state dict (:mod:`~certify.spec.torch_names`): ``[prefix.]weight_hh_l{k}`` …,
  whose nonlinearity must be given (``--activation`` or the metadata);
* a state dict of the residual RNNs of Wang–Li–Li's code (:mod:`~certify.spec.paper_code`): ``net.W.weight`` …,
  with dt and the weight map in the metadata.

Both containers are parsed here from bytes already read within ``max_file_bytes``: every size is checked
against :class:`~certify.rational.Limits` before anything is decompressed or allocated — a zip member's
uncompressed size and compression ratio from the zip directory, an ``.npy`` header's shape, a
safetensors header's shapes and offsets.

>>> import io as _io
>>> buf = _io.BytesIO()
>>> np.savez(buf, W_hh=np.eye(2) / 2)
>>> t = load_npz(buf.getvalue(), "m.npz")
>>> t["W_hh"].tolist()
[[0.5, 0.0], [0.0, 0.5]]
>>> load_npz(b"PK\\x05\\x06" + bytes(18), "m.npz")
Traceback (most recent call last):
...
certify.errors.InputError: m.npz: an .npz file holds arrays, this one holds none
"""

from __future__ import annotations

import io
import math
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import save as safetensors_bytes

from certify.errors import InputError
from certify.jsonio import loads
from certify.spec import certify_arrays, paper_code, torch_names
from certify.spec.file import RnnFile
from certify.spec.hints import NO_HINTS, ReadHints
from certify.untrusted import TENSOR, MiB, check_name, current_limits, quote

#: Most arrays one weight file may hold (a network has at most eight).
MAX_ARRAYS = 64
#: Element types read exactly: IEEE floats (widened exactly) and integers. No long double, no objects.
_NPY_KINDS = {("f", 2), ("f", 4), ("f", 8)} | {(k, s) for k in "iu" for s in (1, 2, 4, 8)}
_SAFETENSORS_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
                       "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1"}


def _shape(shape: Any, name: str, source: str) -> tuple[int, ...]:
    """A declared array shape, checked against ``max_dimension`` and ``max_entries`` before any allocation."""
    limits = current_limits()
    if not isinstance(shape, (list, tuple)) or not all(isinstance(d, int) and not isinstance(d, bool)
                                                       for d in shape):
        raise InputError(f"{source}: array {name!r} declares shape {quote(shape)}, not a list of integers")
    if not 1 <= len(shape) <= 2:
        raise InputError(f"{source}: array {name!r} has shape {list(shape)}; weights are 1-d or 2-d arrays")
    for d in shape:
        if d < 0 or d > limits.max_dimension:
            raise InputError(f"{source}: array {name!r} declares shape {list(shape)}, beyond the limit "
                             f"max_dimension={limits.max_dimension} (raise it with --limit max_dimension=N)")
    count = math.prod(shape)
    if count > limits.max_entries:
        raise InputError(f"{source}: array {name!r} declares shape {list(shape)} ({count} entries), more than the "
                         f"limit max_entries={limits.max_entries} (raise it with --limit max_entries=N)")
    return tuple(shape)


# --- .npz --------------------------------------------------------------------------------------------------
def load_npz(data: bytes, source: str) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` archive; sizes and ratios are checked from the zip directory first."""
    limits = current_limits()
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, struct.error,
            NotImplementedError) as err:
        raise InputError(f"{source}: not a readable .npz file ({_first_line(err)})") from None
    if not infos:
        raise InputError(f"{source}: an .npz file holds arrays, this one holds none")
    if len(infos) > MAX_ARRAYS:
        raise InputError(f"{source}: holds {len(infos)} arrays; a weight file has at most {MAX_ARRAYS}")
    names, total = [], 0
    for info in infos:
        member = info.filename
        if not member.endswith(".npy"):
            raise InputError(f"{source}: member {quote(member)} is not an .npy array")
        name = check_name(member[: -len(".npy")], f"{source}: array name", TENSOR)
        if name in names:
            raise InputError(f"{source}: array {name!r} appears twice")
        names.append(name)
        if info.flag_bits & 0x1:
            raise InputError(f"{source}: array {name!r} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise InputError(f"{source}: array {name!r} uses zip compression method {info.compress_type}; only "
                             "stored (0) and deflate (8) are supported")
        size, packed = info.file_size, max(info.compress_size, 1)
        total += size
        if size > limits.max_zip_member_bytes or total > limits.max_zip_member_bytes:
            raise InputError(f"{source}: array {name!r} unpacks to {size} bytes ({total} so far), more than the limit "
                             f"max_zip_member_bytes={limits.max_zip_member_bytes} (raise it with --limit "
                             "max_zip_member_bytes=N)")
        if size > MiB and size > limits.max_zip_ratio * packed:
            raise InputError(f"{source}: array {name!r} unpacks {packed} bytes to {size} (ratio {size // packed}), "
                             f"beyond the limit max_zip_ratio={limits.max_zip_ratio} (raise it with --limit "
                             "max_zip_ratio=N)")
    out = {}
    for name, info in zip(names, infos, strict=True):
        try:
            with zf.open(info) as fh:
                raw = fh.read(info.file_size + 1)  # zipfile never returns more than the declared size
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError,
                RuntimeError) as err:
            raise InputError(f"{source}: array {name!r} cannot be unpacked ({_first_line(err)})") from None
        if len(raw) != info.file_size:
            raise InputError(f"{source}: array {name!r} unpacks to {len(raw)} bytes, not the {info.file_size} "
                             "its zip directory declares")
        out[name] = _npy(raw, name, source)
    return out


def _npy(raw: bytes, name: str, source: str) -> np.ndarray:
    """One ``.npy`` array: header checked (dtype, shape against the limits, size against the data) first."""
    fp = io.BytesIO(raw)
    try:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except (ValueError, TypeError, SyntaxError, EOFError, struct.error, UnicodeDecodeError) as err:
        if "pickle" in str(err).lower() or "object" in str(err).lower():
            raise InputError(f"{source}: array {name!r} is a pickled object array; pickle is never loaded "
                             "(it can run code)") from None
        raise InputError(f"{source}: array {name!r} has no readable .npy header ({_first_line(err)})") from None
    if dtype.hasobject:
        raise InputError(f"{source}: array {name!r} is a pickled object array; pickle is never loaded "
                         "(it can run code)")
    if (dtype.kind, dtype.itemsize) not in _NPY_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise InputError(f"{source}: {name} has dtype {dtype}; weights must be float or integer arrays "
                         "(float16/32/64, int, uint)")
    shape = _shape(shape, name, source)
    count = math.prod(shape)
    offset = fp.tell()
    if len(raw) - offset != count * dtype.itemsize:
        raise InputError(f"{source}: array {name!r} declares shape {list(shape)} of {dtype} ({count * dtype.itemsize} "
                         f"bytes) but holds {len(raw) - offset} bytes of data")
    arr = np.frombuffer(raw, dtype=dtype, count=count, offset=offset)
    return arr.reshape(shape[::-1]).T if fortran else arr.reshape(shape)


# --- safetensors ------------------------------------------------------------------------------------------------
def load_safetensors(data: bytes, source: str) -> dict[str, np.ndarray]:
    """The tensors of a safetensors file: an 8-byte header length, a JSON header, then raw little-endian data.

    >>> import json
    >>> head = json.dumps({"b": {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]}}).encode()
    >>> blob = len(head).to_bytes(8, "little") + head + np.array([0.5, -2.0]).tobytes()
    >>> load_safetensors(blob, "m.safetensors")["b"].tolist()
    [0.5, -2.0]
    """
    return load_safetensors_with_metadata(data, source)[0]


def load_safetensors_with_metadata(data: bytes, source: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The tensors of a safetensors file and its ``__metadata__`` (text keys to text values)."""
    if len(data) < 8:
        raise InputError(f"{source}: not a readable safetensors file (shorter than its 8-byte header length)")
    n = int.from_bytes(data[:8], "little")
    if n > len(data) - 8:
        raise InputError(f"{source}: not a readable safetensors file (header of {n} bytes in a file of {len(data)})")
    header = loads(data[8 : 8 + n], f"{source}: not a readable safetensors file: its header")
    if not isinstance(header, dict):
        raise InputError(f"{source}: not a readable safetensors file (its header is not a JSON object)")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                 for k, v in metadata.items()):
        raise InputError(f"{source}: not a readable safetensors file: __metadata__ must map texts to texts")
    if len(metadata) > MAX_ARRAYS:
        raise InputError(f"{source}: __metadata__ holds {len(metadata)} entries; a weight file has at most "
                         f"{MAX_ARRAYS}")
    if len(header) > MAX_ARRAYS:
        raise InputError(f"{source}: holds {len(header)} tensors; a weight file has at most {MAX_ARRAYS}")
    buffer = memoryview(data)[8 + n :]
    out = {}
    for name, info in header.items():
        check_name(name, f"{source}: tensor name", TENSOR)
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise InputError(f"{source}: not a readable safetensors file: tensor {name!r} must declare exactly "
                             "dtype, shape and data_offsets")
        dtype = info["dtype"]
        if dtype not in _SAFETENSORS_DTYPES:
            raise InputError(f"{source}: {name} has dtype {quote(dtype)}; weights must be float or integer arrays "
                             f"({', '.join(_SAFETENSORS_DTYPES)})")
        dt = np.dtype(_SAFETENSORS_DTYPES[dtype])
        shape = _shape(info["shape"], name, source)
        offsets = info["data_offsets"]
        if (not isinstance(offsets, list) or len(offsets) != 2
                or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
                or not 0 <= offsets[0] <= offsets[1] <= len(buffer)):
            raise InputError(f"{source}: not a readable safetensors file: tensor {name!r} has data_offsets "
                             f"{quote(offsets)} outside the {len(buffer)} bytes of data")
        count = math.prod(shape)
        if offsets[1] - offsets[0] != count * dt.itemsize:
            raise InputError(f"{source}: not a readable safetensors file: tensor {name!r} declares shape "
                             f"{list(shape)} of {dtype} ({count * dt.itemsize} bytes) but data_offsets span "
                             f"{offsets[1] - offsets[0]}")
        out[name] = np.frombuffer(buffer, dtype=dt, count=count, offset=offsets[0]).reshape(shape)
    return out, metadata


def _first_line(err: BaseException) -> str:
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return text[:200]


# --- layouts ---------------------------------------------------------------------------------------------------
def read(path: Path, data: bytes, hints: ReadHints = NO_HINTS) -> RnnFile:
    """A weight file from the bytes of an ``.npz`` or safetensors file (read with ``read_untrusted``)."""
    if path.suffix.lower() == ".npz":
        tensors = load_npz(data, str(path))
        meta_array = tensors.pop(certify_arrays.META_ARRAY, None)
        meta = None if meta_array is None else certify_arrays.meta_text(meta_array, str(path))
        metadata: dict[str, str] = {}
    else:
        tensors, metadata = load_safetensors_with_metadata(data, str(path))
        meta = metadata.get(certify_arrays.META_KEY)
    if meta is not None:
        return certify_arrays.read(tensors, meta, path, hints)
    if "W_hh" in tensors:
        return certify_arrays.read_flat(tensors, path, hints)
    if paper_code.MARKER in tensors:
        return paper_code.read(tensors, metadata, path, hints)
    return torch_names.read(tensors, metadata, path, hints)


def write_safetensors(f: RnnFile, path: str | Path) -> None:
    """certify's own arrays as safetensors (the non-weight parts in ``__metadata__``)."""
    tensors, meta = certify_arrays.to_arrays(f)
    Path(path).write_bytes(safetensors_bytes(tensors, metadata={certify_arrays.META_KEY: meta}))


def write_npz(f: RnnFile, path: str | Path) -> None:
    """certify's own arrays as ``.npz`` (the non-weight parts as a uint8 array of JSON text, no pickle)."""
    tensors, meta = certify_arrays.to_arrays(f)
    tensors[certify_arrays.META_ARRAY] = np.frombuffer(meta.encode(), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez_compressed(buf, allow_pickle=False, **tensors)
    Path(path).write_bytes(buf.getvalue())
