"""Planted cases for ``.npz`` and safetensors: a zip bomb, unsupported compression, an npy header that
declares a huge shape, a wrong bias length, hostile safetensors headers. Each is refused from the
zip directory or the header, before anything large is decompressed or allocated."""

from __future__ import annotations

import io as pyio
import json
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from certify.errors import InputError
from certify.spec import binary_format as binary


def _one_error_line(run_cli, *args: str) -> str:
    code, out, err = run_cli(*args)
    assert code == 2, (code, out, err)
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


def _npy(shape: tuple[int, ...], dtype: str = "<f8", data: bytes = b"") -> bytes:
    header = repr({"descr": dtype, "fortran_order": False, "shape": shape}).encode()
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + data


def _npz(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = pyio.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """About 1 MB of zip that unpacks to 1 GiB of zeros in one array member."""
    size = 1 << 30
    header = _npy((size // 8,))
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    crc, chunk = zlib.crc32(header), bytes(1 << 20)
    parts = [packer.compress(header)]
    for _ in range((size - len(header)) // len(chunk)):
        parts.append(packer.compress(chunk))
        crc = zlib.crc32(chunk, crc)
    tail = bytes(size - len(header) - len(chunk) * ((size - len(header)) // len(chunk)))
    parts += [packer.compress(tail), packer.flush()]
    crc = zlib.crc32(tail, crc)
    body = b"".join(parts)
    name = b"W_hh.npy"
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(body), size, len(name), 0) + name
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(body), size, len(name), 0, 0,
                          0, 0, 0, 0) + name
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local) + len(body), 0)
    return local + body + central + end


def test_a_1mb_zip_bomb_is_refused_from_the_zip_directory(zip_bomb: bytes, run_cli, tmp_path: Path) -> None:
    assert len(zip_bomb) < 2 << 20
    (tmp_path / "bomb.npz").write_bytes(zip_bomb)
    err = _one_error_line(run_cli, "info", str(tmp_path / "bomb.npz"))
    assert "unpacks to 1073741824 bytes" in err and "max_zip_member_bytes" in err
    err = _one_error_line(run_cli, "--limit", "max_zip_member_bytes=2Gi", "info", str(tmp_path / "bomb.npz"))
    assert "max_zip_ratio=500" in err


def test_unsupported_compression_is_an_input_error(run_cli, tmp_path: Path) -> None:
    for method in (zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        (tmp_path / "c.npz").write_bytes(_npz({"W_hh.npy": _npy((1, 1), data=bytes(8))}, method))
        err = _one_error_line(run_cli, "info", str(tmp_path / "c.npz"))
        assert f"uses zip compression method {method}; only stored (0) and deflate (8)" in err
    data = bytearray(_npz({"W_hh.npy": _npy((1, 1), data=bytes(8))}, zipfile.ZIP_STORED))
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):  # an unknown method (99) in both headers
        at = data.index(sig)
        offset = at + (8 if sig == b"PK\x03\x04" else 10)
        data[offset : offset + 2] = struct.pack("<H", 99)
    with pytest.raises(InputError, match="compression method 99"):
        binary.load_npz(bytes(data), "c.npz")


@pytest.mark.parametrize(("shape", "expected"), [
    ((10**12, 10**12), "beyond the limit max_dimension=100000"),
    ((100_000, 100_000), "more than the limit max_entries=4000000"),
    ((3, 3), "declares shape [3, 3] of float64 (72 bytes) but holds 0 bytes"),
    ((2, 2, 2), "weights are 1-d or 2-d arrays"),
])
def test_an_npy_header_is_checked_before_allocation(shape: tuple[int, ...], expected: str, run_cli,
                                                     tmp_path: Path) -> None:
    (tmp_path / "h.npz").write_bytes(_npz({"W_hh.npy": _npy(shape)}))
    assert expected in _one_error_line(run_cli, "info", str(tmp_path / "h.npz"))


def test_wrong_bias_length_is_an_input_error(run_cli, tmp_path: Path) -> None:
    np.savez(tmp_path / "b.npz", **{"rnn.weight_hh_l0": np.eye(3), "rnn.weight_ih_l0": np.ones((3, 1)),
                                    "rnn.bias_ih_l0": np.zeros(2), "rnn.bias_hh_l0": np.zeros(3)})
    err = _one_error_line(run_cli, "info", str(tmp_path / "b.npz"), "--activation", "relu", "--input-kind", "constant")
    assert "bias_ih_l0 has length 2, expected hidden_dim=3" in err


def test_other_npz_shapes_of_trouble(tmp_path: Path) -> None:
    cases = {
        "object dtype": (_npz({"W_hh.npy": _npy((1,), "|O", b"\x80")}), "pickled object array"),
        "long double": (_npz({"W_hh.npy": _npy((1, 1), "<f16", bytes(16))}), "has dtype float128"),
        "not npy": (_npz({"W_hh.txt": b"1"}), "is not an .npy array"),
        "bad name": (_npz({"W hh;.npy": _npy((1, 1), data=bytes(8))}), "is not a valid tensor name"),
        "duplicate": (_npz({"W_hh.npy": _npy((1, 1), data=bytes(8)), "x/../W_hh.npy": b""}),
                      "is not a valid tensor name"),
        "empty": (_npz({}), "holds none"),
    }
    for what, (data, expected) in cases.items():
        with pytest.raises(InputError, match=expected.replace("(", r"\(").replace(")", r"\)")):
            binary.read(Path("m.npz"), data)
        assert what


def _safetensors(header: dict, data: bytes = b"") -> bytes:
    head = json.dumps(header).encode()
    return struct.pack("<Q", len(head)) + head + data


@pytest.mark.parametrize(("blob", "expected"), [
    (struct.pack("<Q", 2**63) + b"{}", "header of 9223372036854775808 bytes"),
    (_safetensors({"W_hh": {"dtype": "F64", "shape": [10**9, 10**9], "data_offsets": [0, 8]}}), "max_dimension"),
    (_safetensors({"W_hh": {"dtype": "F64", "shape": [2, 2], "data_offsets": [0, 10**12]}}, bytes(32)),
     "outside the 32 bytes of data"),
    (_safetensors({"W_hh": {"dtype": "BF16", "shape": [1, 1], "data_offsets": [0, 2]}}, bytes(2)),
     'has dtype "BF16"'),
    (_safetensors({"W_hh": {"dtype": "F64", "shape": [1, 1], "data_offsets": [0, 8], "extra": 1}}, bytes(8)),
     "must declare exactly dtype, shape and data_offsets"),
    (struct.pack("<Q", 9) + b'{"a":1,"a":2}'[:9], "invalid JSON"),
    (b"\x05", "shorter than its 8-byte header length"),
])
def test_safetensors_headers(blob: bytes, expected: str, run_cli, tmp_path: Path) -> None:
    (tmp_path / "m.safetensors").write_bytes(blob)
    assert expected in _one_error_line(run_cli, "info", str(tmp_path / "m.safetensors"))


def test_safetensors_duplicate_header_key(tmp_path: Path) -> None:
    head = b'{"W_hh": {"dtype": "F64", "shape": [1, 1], "data_offsets": [0, 8]}, "W_hh": {}}'
    with pytest.raises(InputError, match='key "W_hh" appears twice'):
        binary.load_safetensors(struct.pack("<Q", len(head)) + head + bytes(8), "m.safetensors")
