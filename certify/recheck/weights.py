"""The weights of a weight file, read with the re-checker's own rules, and their canonical lines.

Matrices are dense lists of rows or sparse ``{"shape": [n, m], "entries": [[i, j, v], ...]}``; every
entry is exact; shapes must agree with the dimensions; rows keep their nonzero entries only.

>>> w = _weights({"rnn": {"W_hh": [["1/2", 0]], "W_ih": [[1]], "b": [0], "W_out": [[1]]}})
Traceback (most recent call last):
...
certify.recheck.read.RecheckError: W_hh[0] has 2 entries, expected 1
>>> w = _weights({"rnn": {"W_hh": [["1/2"]], "W_ih": [[1]], "b": [0], "W_out": [[1]], "h0": [1]}})
>>> w.canonical_lines()
['certify.rnn/1 relu 1 1 1', 'W_hh', '0 0 1/2', 'W_ih', '0 0 1', 'W_out', '0 0 1', 'b', 'b_out', 'h0', '0 1']
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from certify.recheck.read import MAX_DIM, RecheckError, _int, _key, _list, _Num, _num, _obj, _str

F = Fraction


def _matrix(v: Any, n: int, m: int, where: str) -> list[dict[int, Fraction]]:
    rows: list[dict[int, Fraction]] = [{} for _ in range(n)]
    if isinstance(v, dict):
        shape = _list(_key(v, "shape", where), f"{where}.shape")
        if [_int(s, f"{where}.shape", 0, MAX_DIM) for s in shape] != [n, m]:
            raise RecheckError(f"{where}.shape does not match [{n}, {m}]")
        for k, e in enumerate(_list(_key(v, "entries", where), f"{where}.entries", 50_000_000)):
            e = _list(e, f"{where}.entries[{k}]")
            if len(e) != 3:
                raise RecheckError(f"{where}.entries[{k}] must be [i, j, value]")
            i, j = _int(e[0], f"{where}.entries[{k}][0]", 0, n - 1), _int(e[1], f"{where}.entries[{k}][1]", 0, m - 1)
            if j in rows[i]:
                raise RecheckError(f"{where}: entry [{i}, {j}] is listed twice")
            rows[i][j] = _num(e[2], f"{where}[{i}][{j}]")
    else:
        if len(_list(v, where, MAX_DIM)) != n:
            raise RecheckError(f"{where} has {len(v)} rows, expected {n}")
        for i, row in enumerate(v):
            if len(_list(row, f"{where}[{i}]", MAX_DIM)) != m:
                raise RecheckError(f"{where}[{i}] has {len(row)} entries, expected {m}")
            for j, x in enumerate(row):
                rows[i][j] = _num(x, f"{where}[{i}][{j}]")
    return [{j: x for j, x in sorted(r.items()) if x} for r in rows]


def _vector(v: Any, n: int, where: str) -> list[Fraction]:
    if isinstance(v, dict):
        shape = _list(_key(v, "shape", where), f"{where}.shape")
        if [_int(s, f"{where}.shape", 0, MAX_DIM) for s in shape] != [n]:
            raise RecheckError(f"{where}.shape does not match [{n}]")
        out: list[Fraction | None] = [None] * n
        for k, e in enumerate(_list(_key(v, "entries", where), f"{where}.entries", MAX_DIM)):
            e = _list(e, f"{where}.entries[{k}]")
            if len(e) != 2:
                raise RecheckError(f"{where}.entries[{k}] must be [i, value]")
            i = _int(e[0], f"{where}.entries[{k}][0]", 0, n - 1)
            if out[i] is not None:
                raise RecheckError(f"{where}: entry [{i}] is listed twice")
            out[i] = _num(e[1], f"{where}[{i}]")
        return [F(0) if x is None else x for x in out]
    if len(_list(v, where, MAX_DIM)) != n:
        raise RecheckError(f"{where} has length {len(v)}, expected {n}")
    return [_num(x, f"{where}[{i}]") for i, x in enumerate(v)]


def _dim(r: dict, key: str, matrix: str, axis: int) -> int:
    if key in r:
        return _int(r[key], f"rnn.{key}", 1 if key == "hidden_dim" else 0, MAX_DIM)
    m = _key(r, matrix, "rnn")
    if isinstance(m, dict):
        shape = _list(_key(m, "shape", f"rnn.{matrix}"), f"rnn.{matrix}.shape")
        if len(shape) == 2:
            return _int(shape[axis], f"rnn.{matrix}.shape[{axis}]", 0, MAX_DIM)
    elif isinstance(m, list):
        if axis == 0:
            return len(m)
        if m and isinstance(m[0], list):
            return len(m[0])
    raise RecheckError(f'rnn: missing key "{key}" (and it cannot be read off "{matrix}")')


@dataclass
class Weights:
    n: int
    d_in: int
    d_out: int
    W_hh: list[dict[int, Fraction]]  # noqa: N815
    W_ih: list[dict[int, Fraction]]  # noqa: N815
    b: list[Fraction]
    W_out: list[dict[int, Fraction]]  # noqa: N815
    b_out: list[Fraction]
    h0: list[Fraction]
    activation: str

    def canonical_lines(self) -> list[str]:
        lines = [f"certify.rnn/1 {self.activation} {self.n} {self.d_in} {self.d_out}"]
        for name, mat in (("W_hh", self.W_hh), ("W_ih", self.W_ih), ("W_out", self.W_out)):
            lines.append(name)
            lines += [f"{i} {j} {mat[i][j]}" for i in range(len(mat)) for j in sorted(mat[i])]
        for name, vec in (("b", self.b), ("b_out", self.b_out), ("h0", self.h0)):
            lines.append(name)
            lines += [f"{i} {x}" for i, x in enumerate(vec) if x]
        return lines


def _weights(doc: dict) -> Weights:
    r = _obj(_key(doc, "rnn", "weight file"), "rnn")
    activation = _str(r.get("activation", "relu"), "rnn.activation")
    if activation != "relu":
        raise RecheckError(f'rnn.activation="{activation[:20]}": the re-checker knows relu only')
    n, d_in = _dim(r, "hidden_dim", "W_hh", 0), _dim(r, "input_dim", "W_ih", 1)
    d_out = _dim(r, "output_dim", "W_out", 0)
    h0 = r.get("h0")
    return Weights(n, d_in, d_out, _matrix(_key(r, "W_hh", "rnn"), n, n, "W_hh"),
                   _matrix(_key(r, "W_ih", "rnn"), n, d_in, "W_ih"), _vector(_key(r, "b", "rnn"), n, "b"),
                   _matrix(_key(r, "W_out", "rnn"), d_out, n, "W_out"),
                   _vector(r.get("b_out", [_Num("0")] * d_out), d_out, "b_out"),
                   [F(0)] * n if h0 is None else _vector(h0, n, "h0"), activation)
