"""Exact sparse matrices (rows of ``(column, fmpq)`` pairs).

Constructions are mostly zeros (a few nonzeros per row among hundreds of units), so a row list is
both the natural storage and the fast way to multiply exactly in Python: python-flint's dense
``fmpq_mat`` would touch every zero.

>>> m = SparseMatrix.from_dense([[1, 0], ["1/2", -3]])
>>> m.shape, m.nnz
((2, 2), 3)
>>> m.matvec([fmpq(2), fmpq(4)])
[2, -11]
>>> m.to_dense()[1]
[1/2, -3]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from flint import fmpq

from certify.rational import ZERO, parse_number

Row = tuple[tuple[int, fmpq], ...]


@dataclass(frozen=True)
class SparseMatrix:
    """An exact rational matrix; ``rows[i]`` lists the nonzero ``(j, value)`` of row i, j ascending."""

    shape: tuple[int, int]
    rows: tuple[Row, ...]

    def __post_init__(self) -> None:
        n, m = self.shape
        if len(self.rows) != n:
            raise ValueError(f"SparseMatrix: {len(self.rows)} rows for shape {self.shape}")
        for i, row in enumerate(self.rows):
            last = -1
            for j, v in row:
                if not (last < j < m) or v == 0:
                    raise ValueError(f"SparseMatrix: bad entry ({i}, {j}) = {v}")
                last = j

    # --- construction -------------------------------------------------------------------------
    @staticmethod
    def zeros(n: int, m: int) -> SparseMatrix:
        return SparseMatrix((n, m), tuple(() for _ in range(n)))

    @staticmethod
    def from_entries(shape: tuple[int, int], entries: Iterable[tuple[int, int, fmpq]]) -> SparseMatrix:
        """Build from ``(i, j, value)`` triples; zero values are dropped, duplicates are summed."""
        acc: list[dict[int, fmpq]] = [{} for _ in range(shape[0])]
        for i, j, v in entries:
            acc[i][j] = acc[i].get(j, ZERO) + v
        return SparseMatrix.from_row_dicts(shape, acc)

    @staticmethod
    def from_row_dicts(shape: tuple[int, int], rows: Sequence[Mapping[int, fmpq]]) -> SparseMatrix:
        return SparseMatrix(
            shape, tuple(tuple((j, v) for j, v in sorted(r.items()) if v != 0) for r in rows)
        )

    @staticmethod
    def from_dense(rows: Sequence[Sequence[object]]) -> SparseMatrix:
        m = len(rows[0]) if rows else 0
        vals = [[parse_number(v) for v in row] for row in rows]
        return SparseMatrix.from_row_dicts(
            (len(rows), m), [{j: v for j, v in enumerate(r) if v != 0} for r in vals]
        )

    # --- queries ------------------------------------------------------------------------------
    @property
    def nnz(self) -> int:
        return sum(len(r) for r in self.rows)

    def entries(self) -> list[tuple[int, int, fmpq]]:
        return [(i, j, v) for i, row in enumerate(self.rows) for j, v in row]

    def to_dense(self) -> list[list[fmpq]]:
        out = [[ZERO] * self.shape[1] for _ in range(self.shape[0])]
        for i, j, v in self.entries():
            out[i][j] = v
        return out

    def get(self, i: int, j: int) -> fmpq:
        for jj, v in self.rows[i]:
            if jj == j:
                return v
        return ZERO

    def columns_used(self) -> set[int]:
        return {j for row in self.rows for j, _ in row}

    def matvec(self, x: Sequence[fmpq]) -> list[fmpq]:
        """Exact ``A @ x``."""
        out = []
        for row in self.rows:
            s = ZERO
            for j, v in row:
                xj = x[j]
                if xj != 0:
                    s += v * xj
            out.append(s)
        return out

    def with_entry(self, i: int, j: int, value: fmpq) -> SparseMatrix:
        """A copy with entry (i, j) set to ``value`` (used by mutation tests and editing tools)."""
        row = dict(self.rows[i])
        if value == 0:
            row.pop(j, None)
        else:
            row[j] = value
        rows = list(self.rows)
        rows[i] = tuple(sorted(row.items()))
        return SparseMatrix(self.shape, tuple(rows))
