"""How long the hostile inputs of issue 9 take to be refused (or answered), and the speed-ups behind it.

    python benchmarks/security_limits.py            # every planted case through the real CLI, in-process
    python benchmarks/security_limits.py --scaling  # also: stack encoding and duplicate names, old vs new

Each planted case must end with exit 2 and one error line (or a bounded, correct answer) well within
60 s. The scaling rows time the old quadratic algorithms beside the new ones in the same run (2 shared
cores here: compare ratios, not absolute times). Timings never appear in tests.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import struct
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SQUARING = str(ROOT / "proofs/squaring/squaring.rnn.json")


def _cli(*args: str) -> tuple[int, str]:
    from certify.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, err.getvalue().strip()


def _sparse(n: int, h0: list[str]) -> dict:
    return {"rnn": {"hidden_dim": n, "input_dim": 1, "output_dim": 1, "W_hh": {"shape": [n, n], "entries": []},
                    "W_ih": {"shape": [n, 1], "entries": []}, "b": {"shape": [n], "entries": []},
                    "W_out": {"shape": [1, n], "entries": []}, "h0": h0}}


def _cycle(n: int, stack: str = "") -> dict:
    states = [f"s{i}" for i in range(n)]
    return {"name": "big", "states": states, "start": "s0",
            "stacks": [{"name": "S", "alphabet": ["a", "b"], "initial": stack}] if stack else [],
            "registers": [{"name": "x", "bounds": [-1, 1], "input": True}, {"name": "y", "bounds": [-2, 2]}],
            "input": "x", "output": "y", "ops": [],
            "transitions": [{"state": states[i], "goto": states[(i + 1) % n]} for i in range(n)]}


def _zip_bomb(path: Path) -> None:
    size, name = 1 << 30, b"W_hh.npy"
    head = b"{'descr': '<f8', 'fortran_order': False, 'shape': (%d,), }" % (size // 8)
    head += b" " * (63 - (10 + len(head)) % 64) + b"\n"
    head = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(head)) + head
    packer, chunk = zlib.compressobj(9, zlib.DEFLATED, -15), bytes(1 << 20)
    parts, crc, left = [packer.compress(head)], zlib.crc32(head), size - len(head)
    while left:
        piece = chunk[: min(left, len(chunk))]
        parts.append(packer.compress(piece))
        crc, left = zlib.crc32(piece, crc), left - len(piece)
    body = b"".join([*parts, packer.flush()])
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(body), size, len(name), 0) + name
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(body), size, len(name),
                          0, 0, 0, 0, 0, 0) + name
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local) + len(body), 0)
    path.write_bytes(local + body + central + end)


def _npy_header_npz(path: Path) -> None:
    head = b"{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000, 1000000000000), }"
    head += b" " * (63 - (10 + len(head)) % 64) + b"\n"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("W_hh.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(head)) + head)


def cases(tmp: Path) -> list[tuple[str, Callable[[], tuple[str, ...]]]]:
    def write(name: str, doc: object) -> str:
        (tmp / name).write_text(json.dumps(doc))
        return str(tmp / name)

    big = "1" + "7" * 4999
    heavy = {"rnn": {"W_hh": [[f"1/{big}", f"3/{big}1"], [f"{big}/7{big}", "1/2"]], "W_ih": [[1], [f"1/{big}3"]],
                     "b": [f"1/{big}9", 0], "W_out": [[1, 1]], "b_out": [0], "h0": ["1/3", "2/7"]}}
    target = json.loads(Path(SQUARING).read_text())
    return [
        ("--x with a unicode digit", lambda: ("run", SQUARING, "--x", "١", "--steps", "3")),
        ("--x 1e999999", lambda: ("run", SQUARING, "--x", "1e999999", "--steps", "3")),
        ("/dev/zero as the weight file", lambda: ("info", "/dev/zero")),
        ("10^5 h0 entries of 1e99999", lambda: ("info", write("h5.rnn.json", _sparse(100_000, ["1e99999"] * 100_000)))),
        ("10^4 h0 entries of 1e100000", lambda: ("info", write("h4.rnn.json", _sparse(10_000, ["1e100000"] * 10_000)))),
        ("1 MB zip bomb (1 GiB inside)", lambda: (_zip_bomb(tmp / "bomb.npz"), ("info", str(tmp / "bomb.npz")))[1]),
        ("npy header of shape 10^12 x 10^12",
         lambda: (_npy_header_npz(tmp / "h.npz"), ("info", str(tmp / "h.npz")))[1]),
        ("program with 10^5 states: compile", lambda: ("compile", write("p5.json", _cycle(100_000)),
                                                     "-o", str(tmp / "p5.rnn.json"))),
        ("program with a 10^6-symbol stack: compile", lambda: ("compile", write("s6.json", _cycle(2, "ab" * 500_000)),
                                                            "-o", str(tmp / "s6.rnn.json"))),
        ("build --f exp(1000*x)", lambda: ("build", "universal", "--f", "exp(1000*x)", "-o", str(tmp / "u.rnn.json"))),
        ("build --f with five nested exp", lambda: ("build", "universal", "--f", "exp(exp(exp(exp(exp(x)))))",
                                                    "-o", str(tmp / "u.rnn.json"))),
        ("rates with claims.target exp(1000*x)", lambda: ("rates", write("t.rnn.json", {
            **target, "claims": {**target["claims"], "target": "exp(1000*x)"}}), "--no-plot")),
        ("run --exact, 5000-digit weights", lambda: ("run", write("w.rnn.json", heavy), "--x", "1/3", "--steps", "1000",
                                                     "--exact")),
        ("the same with max_weight_bits raised", lambda: ("--limit", "max_weight_bits=20000", "run",
                                                          str(tmp / "w.rnn.json"), "--x", "1/3", "--steps", "1000",
                                                          "--exact")),
    ]


def scaling() -> None:
    from flint import fmpq

    from certify.rational import ZERO
    from certify.spec.simulation import StackEncoding
    from certify.tmnu.validate import _duplicates

    enc = StackEncoding("S", 0, 22, tuple((s, 2 * i + 1) for i, s in enumerate("bptfc0+-hdr")))

    def horner(content: tuple[str, ...]) -> fmpq:
        d, v, base = dict(enc.digits), ZERO, fmpq(enc.base)
        for s in reversed(content):
            v = (v + d[s]) / base
        return v

    print(f"\n{'stack symbols':>14} {'Horner (old)':>14} {'divide & conquer':>18} {'decode':>8}")
    for n in (10**3, 10**4, 3 * 10**4, 10**6):
        content = tuple("bptfc0+-hdr"[(i * 7) % 11] for i in range(n))
        t = time.perf_counter()
        old = horner(content) if n <= 3 * 10**4 else None
        t_old = time.perf_counter() - t
        t = time.perf_counter()
        new = enc.encode(content)
        t_new = time.perf_counter() - t
        t = time.perf_counter()
        assert enc.decode(new) == content and (old is None or old == new)
        t_dec = time.perf_counter() - t
        print(f"{n:>14} {t_old if old is not None else float('nan'):>13.3f}s {t_new:>17.3f}s {t_dec:>7.3f}s")
    print(f"\n{'names':>14} {'names.count (old)':>18} {'Counter (new)':>14}")
    for n in (10**3, 10**4, 3 * 10**4):
        names = [f"s{i}" for i in range(n)]
        t = time.perf_counter()
        {x for x in names if names.count(x) > 1}
        t_old = time.perf_counter() - t
        t = time.perf_counter()
        _duplicates(names)
        print(f"{n:>14} {t_old:>17.3f}s {time.perf_counter() - t:>13.4f}s")


def smt_guard_times() -> None:
    """How fast the SMT-LIB allowlist guards refuse an oversize text and a text of too many tokens."""
    from certify.prove import smt_guard
    from certify.recheck.smt_guard import _smt_guard

    head = "(set-logic QF_LRA)\n(set-option :produce-models true)\n(declare-fun v0 () Real)\n"
    texts = {"17 MiB comment": head + "; " + "x" * (17 * 2**20) + "\n(check-sat)\n",
             "2.1e6 tokens": head + "(assert (< (+ " + " ".join(["v0"] * 2_100_000) + ") 0.0))\n(check-sat)\n"}
    print(f"\n{'SMT guard':<14} {'case':<16} {'seconds':>8}")
    for guard, check in (("prover", smt_guard.check), ("re-checker", _smt_guard)):
        for name, text in texts.items():
            t = time.perf_counter()
            with contextlib.suppress(Exception):
                check(text)
            print(f"{guard:<14} {name:<16} {time.perf_counter() - t:>8.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scaling", action="store_true", help="also time the old quadratic algorithms")
    args = parser.parse_args()
    os.environ.pop("CERTIFY_LIMITS", None)
    with tempfile.TemporaryDirectory() as d:
        print(f"{'case':<44} {'exit':>4} {'seconds':>8}  message")
        for name, make in cases(Path(d)):
            argv = make()
            t = time.perf_counter()
            code, err = _cli(*argv)
            print(f"{name:<44} {code:>4} {time.perf_counter() - t:>8.2f}  {err[:110]}", flush=True)
    smt_guard_times()
    if args.scaling:
        scaling()
    sys.exit(0)


if __name__ == "__main__":
    main()
