"""Inputs of a batched rollout (exact points or x-intervals) and the enclosures it returns.

An enclosure of output y_t for lane j is a ball ``mid ± rad`` (points, or x-intervals in ball mode) or
an affine form ``mid + gen·ξ ± rad`` with ``ξ = (x - x_mid)/x_half ∈ [-1, 1]`` (x-intervals, affine
mode): for every x of the lane, the exact y_t(x) lies inside. :meth:`Enclosures.contains` checks a
claimed exact value with rational arithmetic, never with a float comparison.

>>> xs = Inputs.grid(fmpq(-1), fmpq(1), 5)
>>> [str(v) for v in xs.lo], xs.is_points
(['-1', '-1/2', '0', '1/2', '1'], True)
>>> iv = Inputs.intervals(fmpq(-1), fmpq(1), 2)
>>> [(str(a), str(b)) for a, b in zip(iv.lo, iv.hi)], iv.is_points
([('-1', '0'), ('0', '1')], False)
>>> Inputs.grid(fmpq(-1), fmpq(1), 0)
Traceback (most recent call last):
...
certify.errors.InputError: --x-grid=0 must be at least 1
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from flint import fmpq

from certify.errors import InputError
from certify.execute.rounding import float_ball, next_up
from certify.rational import from_float

#: Largest batch a command line may ask for (4·10^6 lanes of a 1000-unit network is already 32 GB).
MAX_LANES = 4_000_000


@dataclass(frozen=True)
class Inputs:
    """One lane per entry: the input x ranges over ``[lo[j], hi[j]]`` in every dimension (a point when equal),
    or, with ``box`` (:meth:`boxes`), over one interval per input dimension (``lo``/``hi`` then hold
    dimension 0).
    """

    lo: tuple[fmpq, ...]
    hi: tuple[fmpq, ...]
    box: tuple[tuple[tuple[fmpq, fmpq], ...], ...] | None = None

    def __post_init__(self) -> None:
        if len(self.lo) != len(self.hi) or any(a > b for a, b in zip(self.lo, self.hi, strict=True)):
            raise InputError("inputs: every lane needs lo <= hi")
        if self.box is not None:
            if len(self.box) != len(self.lo) or any(not lane for lane in self.box):
                raise InputError("inputs: a box per lane, each with at least one dimension")
            for j, lane in enumerate(self.box):
                for k, (a, b) in enumerate(lane):
                    if a > b:
                        raise InputError(f"inputs: lane {j} has x[{k}] in [{a}, {b}], empty")

    @staticmethod
    def boxes(lanes: list[list[tuple[fmpq, fmpq]]]) -> Inputs:
        """One lane per box: x[k] ranges over ``lanes[j][k]`` (a point vector when every interval is one).

        >>> b = Inputs.boxes([[(fmpq(0), fmpq(1)), (fmpq(2), fmpq(2))]])
        >>> b.is_points, [str(v) for v in b.point(0, 2)[:1]], b.dims
        (False, ['1/2'], 2)
        """
        box = tuple(tuple((a, b) for a, b in lane) for lane in lanes)
        return Inputs(tuple(lane[0][0] for lane in box), tuple(lane[0][1] for lane in box), box)

    @property
    def dims(self) -> int | None:
        """Input dimensions of a box (None: the same x in every dimension)."""
        return len(self.box[0]) if self.box else None

    def _intervals(self, d: int) -> list[list[tuple[fmpq, fmpq]]]:
        """Per lane, the interval of each of the d input dimensions."""
        if self.box is None:
            return [[(a, b)] * d for a, b in zip(self.lo, self.hi, strict=True)]
        if self.dims != d:
            raise InputError(f"the inputs have {self.dims} dimensions, the network expects input_dim={d}")
        return [list(lane) for lane in self.box]

    def point(self, j: int, d: int) -> list[fmpq]:
        """The exact input vector of lane j (the midpoint of its box)."""
        return [(a + b) / 2 for a, b in self._intervals(d)[j]]

    def vector_balls(self, d: int) -> tuple[np.ndarray, np.ndarray]:
        """Float64 balls ``(mid, rad)`` of shape ``(d, B)`` containing each lane's box."""
        c, g, r = self.vector_affine(d)
        return c, next_up(g + r)

    def vector_affine(self, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(centre, half-width, rad)`` of shape ``(d, B)``: x[k] = centre + half·ξ_k with the float error in rad."""
        c, g, r = (np.zeros((d, self.size)) for _ in range(3))
        for j, lane in enumerate(self._intervals(d)):
            for k, (a, b) in enumerate(lane):
                c[k, j], e1 = float_ball((a + b) / 2, f"x[{j}][{k}]")
                g[k, j], e2 = float_ball((b - a) / 2, f"x[{j}][{k}]")
                r[k, j] = next_up(e1 + e2) if (e1 or e2) else 0.0
        return c, g, r

    @staticmethod
    def points(values: list[fmpq]) -> Inputs:
        return Inputs(tuple(values), tuple(values))

    @staticmethod
    def grid(lo: fmpq, hi: fmpq, n: int) -> Inputs:
        """n evenly spaced points of [lo, hi] (endpoints included; the midpoint when n = 1)."""
        _check_count(n, "--x-grid")
        if n == 1:
            return Inputs.points([(lo + hi) / 2])
        return Inputs.points([lo + (hi - lo) * fmpq(i, n - 1) for i in range(n)])

    @staticmethod
    def intervals(lo: fmpq, hi: fmpq, n: int) -> Inputs:
        """n equal closed subintervals covering [lo, hi]."""
        _check_count(n, "--x-grid")
        cuts = [lo + (hi - lo) * fmpq(i, n) for i in range(n + 1)]
        return Inputs(tuple(cuts[:-1]), tuple(cuts[1:]))

    @property
    def size(self) -> int:
        return len(self.lo)

    @property
    def is_points(self) -> bool:
        if self.box is not None:
            return all(a == b for lane in self.box for a, b in lane)
        return all(a == b for a, b in zip(self.lo, self.hi, strict=True))

    def mid_half(self) -> tuple[list[fmpq], list[fmpq]]:
        """Exact midpoints and half-widths."""
        return ([(a + b) / 2 for a, b in zip(self.lo, self.hi, strict=True)],
                [(b - a) / 2 for a, b in zip(self.lo, self.hi, strict=True)])

    def balls(self, d: int) -> tuple[np.ndarray, np.ndarray]:
        """Float64 balls ``(mid, rad)`` of shape ``(d, B)`` containing each lane's x (the same in every input)."""
        mids, halves = self.mid_half()
        m, r = np.empty(self.size), np.empty(self.size)
        for j, (c, h) in enumerate(zip(mids, halves, strict=True)):
            m[j], e = float_ball(c, f"x[{j}]")
            hf, he = float_ball(h, f"x[{j}]")
            r[j] = next_up(next_up(e + hf) + he) if (h or e) else 0.0
        return np.tile(m, (d, 1)), np.tile(r, (d, 1))


def _check_count(n: int, name: str) -> None:
    if n < 1:
        raise InputError(f"{name}={n} must be at least 1")
    if n > MAX_LANES:
        raise InputError(f"{name}={n} is absurdly large (at most {MAX_LANES} lanes)")


@dataclass(frozen=True)
class Enclosures:
    """Rigorous enclosures of y_t at the sampled ``times``: arrays of shape ``(len(times), B, d_out)``.

    ``gen`` is None for balls; for affine forms it is the coefficient of ξ. ``finite[j]`` is False when
    lane j overflowed at some step: its enclosures are then the whole real line.
    """

    times: tuple[int, ...]
    inputs: Inputs
    mid: np.ndarray
    rad: np.ndarray
    finite: np.ndarray
    backend: str
    gen: np.ndarray | None = None
    exact_units: int = 0
    period: int | None = None
    notes: tuple[str, ...] = field(default=())

    def width(self) -> float:
        """The widest enclosure (diameter, ξ-variation included) over finite lanes; inf if a lane is not finite."""
        if not self.finite.all():
            return float("inf")
        w = 2 * self.rad + (2 * np.abs(self.gen) if self.gen is not None else 0.0)
        return float(w.max()) if w.size else 0.0

    def contains(self, ti: int, lane: int, y: list[fmpq], x: fmpq | None = None) -> bool:
        """Exact check that ``y`` (the exact y_t at input x) lies in the enclosure of (time index, lane)."""
        if not self.finite[lane]:
            return True
        centre = [from_float(float(v)) for v in self.mid[ti, lane]]
        if self.gen is not None:
            if self.inputs.box is not None:
                raise ValueError("an affine enclosure over a box has several generators; it is reported as a ball")
            mids, halves = self.inputs.mid_half()
            xv = mids[lane] if x is None else x
            xi = (xv - mids[lane]) / halves[lane] if halves[lane] != 0 else fmpq(0)
            if abs(xi) > 1:
                raise ValueError(f"x={xv} is outside lane {lane}")
            centre = [c + from_float(float(g)) * xi for c, g in zip(centre, self.gen[ti, lane], strict=True)]
        return all(abs(v - c) <= from_float(float(r))
                   for v, c, r in zip(y, centre, self.rad[ti, lane], strict=True))

    def save_npz(self, path: str | Path) -> None:
        """Write times, exact input bounds (as strings), mid/rad(/gen) and finite flags (no pickle)."""
        arrays: dict[str, Any] = {
            "times": np.asarray(self.times, dtype=np.int64),
            "x_lo": np.asarray([str(v) for v in self.inputs.lo]),
            "x_hi": np.asarray([str(v) for v in self.inputs.hi]),
            "x_lo_float": np.asarray([float_ball(v)[0] for v in self.inputs.lo]),
            "mid": self.mid, "rad": self.rad, "finite": self.finite,
        }
        if self.gen is not None:
            arrays["gen"] = self.gen
        np.savez_compressed(Path(path), **arrays)
