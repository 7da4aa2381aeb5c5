"""Exact rationals to and from NumPy arrays: a float array is read as the dyadic rationals its bits denote,
and written only when every value is exactly a float64; other rationals go in as numerator/denominator
int64 arrays (``NAME.num``, ``NAME.den``) or not at all. Nothing is rounded.

>>> from flint import fmpq
>>> arrays = encode("W", [[fmpq(1, 2), fmpq(3)]])
>>> sorted(arrays), arrays["W"].dtype.name
(['W'], 'float64')
>>> arrays = encode("W", [[fmpq(1, 3), fmpq(3)]])
>>> sorted(arrays), arrays["W.num"].tolist(), arrays["W.den"].tolist()
(['W.den', 'W.num'], [[1, 3]], [[3, 1]])
>>> [[str(v) for v in row] for row in decode(arrays, "W", 2)]
[['1/3', '3']]
>>> encode("h0", [fmpq(1, 3**40)])
Traceback (most recent call last):
...
certify.errors.InputError: h0[0]=1/12157665459056928801 is not exactly a float64 and does not fit int64 \
numerator/denominator arrays; write a .rnn.json file, which holds every rational exactly
"""

from __future__ import annotations

from typing import Any

import numpy as np
from flint import fmpq

from certify.errors import InputError
from certify.rational import from_float
from certify.spec.sparse import SparseMatrix

_INT64 = 1 << 63


def rationals(arr: np.ndarray, name: str, ndim: int) -> list[Any]:
    """The exact values of a float or integer array of ``ndim`` dimensions (a list, or a list of rows)."""
    if arr.ndim != ndim:
        raise InputError(f"{name} has shape {list(arr.shape)}; expected a {ndim}-d array")
    if arr.dtype.kind == "f":
        bad = np.argwhere(~np.isfinite(arr))
        if len(bad):
            idx = "".join(f"[{int(k)}]" for k in bad[0])
            raise InputError(f"{name}{idx}={arr[tuple(bad[0])]} is not a finite number")
        conv = lambda v, w: from_float(v, w)  # noqa: E731  (float data: its exact dyadic value)
    elif arr.dtype.kind in "iu":
        conv = lambda v, w: fmpq(int(v))  # noqa: E731
    else:
        raise InputError(f"{name} has dtype {arr.dtype}; weights must be float or integer arrays")
    if ndim == 1:
        return [conv(v, f"{name}[{i}]") for i, v in enumerate(arr.tolist())]
    return [[conv(v, f"{name}[{i}][{j}]") for j, v in enumerate(row)] for i, row in enumerate(arr.tolist())]


def decode(tensors: dict[str, np.ndarray], name: str, ndim: int) -> list[Any]:
    """The exact values stored under ``name``: one float/int array, or ``name.num`` / ``name.den``."""
    if name in tensors:
        if f"{name}.num" in tensors or f"{name}.den" in tensors:
            raise InputError(f"{name} is stored twice: as an array and as {name}.num / {name}.den")
        return rationals(tensors[name], name, ndim)
    num, den = tensors.get(f"{name}.num"), tensors.get(f"{name}.den")
    if num is None or den is None:
        raise InputError(f"missing array {name!r} (or {name}.num with {name}.den)")
    for part, arr in ((f"{name}.num", num), (f"{name}.den", den)):
        if arr.dtype.kind not in "iu":
            raise InputError(f"{part} has dtype {arr.dtype}; numerators and denominators are integer arrays")
    if num.shape != den.shape:
        raise InputError(f"{name}.num has shape {list(num.shape)} and {name}.den {list(den.shape)}; they must agree")
    nums, dens = rationals(num, f"{name}.num", ndim), rationals(den, f"{name}.den", ndim)
    flat_n = nums if ndim == 1 else [v for row in nums for v in row]
    flat_d = dens if ndim == 1 else [v for row in dens for v in row]
    for k, d in enumerate(flat_d):
        if d <= 0:
            idx = f"[{k}]" if ndim == 1 else f"[{k // num.shape[1]}][{k % num.shape[1]}]"
            raise InputError(f"{name}.den{idx}={d} is not a positive denominator")
    if ndim == 1:
        return [n / d for n, d in zip(flat_n, flat_d, strict=True)]
    return [[n / d for n, d in zip(rn, rd, strict=True)] for rn, rd in zip(nums, dens, strict=True)]


def is_float64(q: fmpq) -> bool:
    """True when q is exactly a (finite) float64.

    >>> is_float64(fmpq(1, 2)), is_float64(fmpq(1, 3)), is_float64(fmpq(2**60 + 1))
    (True, False, False)
    """
    p, d = int(q.p), int(q.q)
    try:
        f = p / d  # correctly rounded
    except OverflowError:
        return False
    return f.as_integer_ratio() == (p, d)


def is_float32(q: fmpq) -> bool:
    """True when q is exactly a (finite) float32.

    >>> is_float32(fmpq(1, 2)), is_float32(fmpq(1, 2**30)), is_float32(fmpq(2**30 + 1))
    (True, True, False)
    """
    if not is_float64(q):
        return False
    with np.errstate(over="ignore"):
        f = np.float32(int(q.p) / int(q.q))
    return bool(np.isfinite(f)) and float(f).as_integer_ratio() == (int(q.p), int(q.q))


def _flat(values: list[Any]) -> list[tuple[str, fmpq]]:
    if values and isinstance(values[0], list):
        return [(f"[{i}][{j}]", v) for i, row in enumerate(values) for j, v in enumerate(row)]
    return [(f"[{i}]", v) for i, v in enumerate(values)]


def encode(name: str, values: list[Any], shape: tuple[int, ...] | None = None) -> dict[str, np.ndarray]:
    """``{name: float64 array}`` when every value is exactly a float64, else ``{name.num, name.den}`` int64
    arrays when they fit, else an error naming the first value that fits neither."""
    shape = shape if shape is not None else ((len(values), len(values[0])) if values and isinstance(values[0], list)
                                             else (len(values),))
    flat = _flat(values)
    if all(is_float64(v) for _, v in flat):
        return {name: np.array([int(v.p) / int(v.q) for _, v in flat], dtype=np.float64).reshape(shape)}
    for where, v in flat:
        if not (abs(int(v.p)) < _INT64 and int(v.q) < _INT64):
            raise InputError(f"{name}{where}={v} is not exactly a float64 and does not fit int64 numerator/denominator "
                             "arrays; write a .rnn.json file, which holds every rational exactly")
    return {f"{name}.num": np.array([int(v.p) for _, v in flat], dtype=np.int64).reshape(shape),
            f"{name}.den": np.array([int(v.q) for _, v in flat], dtype=np.int64).reshape(shape)}


def first_not(values: list[tuple[str, fmpq]], test: Any) -> tuple[str, fmpq] | None:
    """The first (name, value) for which ``test`` is false (None: all pass)."""
    return next(((w, v) for w, v in values if not test(v)), None)


def matrix(rows: list[list[fmpq]], shape: tuple[int, int]) -> SparseMatrix:
    """A sparse matrix of exact rows."""
    return SparseMatrix.from_row_dicts(shape, [{j: v for j, v in enumerate(r) if v != 0} for r in rows])


def dense(m: SparseMatrix) -> list[list[fmpq]]:
    """The rows of a sparse matrix (an n×0 matrix gives n empty rows)."""
    return [list(r) for r in m.to_dense()] if m.shape[1] else [[] for _ in range(m.shape[0])]


def shape_of(rows: list[list[fmpq]], arr_shape: tuple[int, ...]) -> tuple[int, int]:
    """The (rows, columns) of a matrix read from an array of shape ``arr_shape``."""
    return (arr_shape[0], arr_shape[1]) if len(arr_shape) == 2 else (len(rows), len(rows[0]) if rows else 0)
