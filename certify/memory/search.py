"""The memory function 𝓜(t), t = 0 … K, certified: an upper bound over every x of a box, and a lower
bound attained at a witness x, by branch and bound over sub-boxes (exact where the network is affine
on a sub-box).

Conventions (``docs/memory.md``): h_0 as in the file (0 in the paper), outputs compared in the max
norm, and

* heaviside: x_t = x for t ≥ 1;        Δ_t(x) = y_{t+1}(x) − y_t(x), y_0 = W_out·h_0 + b_out;
* impulse:   x_1 = x, x_t = 0 after;  Δ_t(x) = y_{t+1}(x) − y_{t+1}(0);
* reversed:  x_t = x for t ≤ N, 0 after; Δ_t(x) = y_{N+t+1}(x) − y_{N+t}(x) (N = the warm-up);

𝓜(t) = sup_{x ≠ 0 in the box} |Δ_t(x)|_∞ / (|x|_∞ + s), s = 0 (norm "abs") or 1 (norm "abs+1").

>>> from certify.spec.network import Network
>>> net = Network.from_dense(W_hh=[["-1/2"]], W_ih=[[1]], b=[0], W_out=[[2]], b_out=[0], h0=[0],
...                          activation="identity", cell="residual", dt="1/2")
>>> rows = memory(net, [(fmpq(-1), fmpq(1))], steps=3, norm="abs").rows
>>> [(r.t, str(r.upper), str(r.lower), r.exact) for r in rows]   # |c|·dt·|1 + dt·W|^t = (3/4)^t
[(0, '1', '1', True), (1, '3/4', '3/4', True), (2, '9/16', '9/16', True), (3, '27/64', '27/64', True)]
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from flint import arb, fmpq, fmpq_mat

from certify.errors import InputError
from certify.memory.forms import Box, Compiled, StepForms, propagate
from certify.memory.intervals import lower_q, upper_q
from certify.memory.ratio import box_norm_range, norm_inf, sup_ratio, sup_ratio_form
from certify.spec.network import Network

NORMS = {"abs": 0, "abs+1": 1}
INPUTS = ("heaviside", "impulse", "reversed")
TOL = fmpq(1, 1000)


@dataclass(frozen=True)
class Row:
    """𝓜(t) ∈ [lower, upper]; upper None: not bounded (infinite, or not decided); witness attains lower."""

    t: int
    upper: fmpq | None
    lower: fmpq
    witness: tuple[fmpq, ...] | None
    exact: bool
    infinite: bool = False


@dataclass(frozen=True)
class MemoryResult:
    rows: tuple[Row, ...]
    norm: str
    input: str
    warmup: int
    box: tuple[tuple[fmpq, fmpq], ...]
    boxes: int
    seconds: float
    complete: bool                      # every row decided to the tolerance (or exactly)
    notes: tuple[str, ...] = ()
    leaves: tuple[tuple[tuple[fmpq, fmpq], ...], ...] = ()   # the final partition of the box


def schedule(kind: str, steps: int, warmup: int) -> tuple[list[int], int]:
    """The input switch s_t (t = 1 …) and the first output index a compared (Δ_t = y_{a+t+1} − y_{a+t})."""
    if kind == "heaviside":
        return [1] * (steps + 1), 0
    if kind == "impulse":
        return [1] + [0] * steps, 0
    if kind == "reversed":
        if warmup < 1:
            raise InputError(f"--warmup={warmup}: the reversed input needs the number of steps N ≥ 1 that x is held")
        return [1] * warmup + [0] * (steps + 1), warmup
    raise InputError(f"--input={kind!r} is not supported (known: {', '.join(INPUTS)})")


@dataclass
class _Leaf:
    box: list[tuple[fmpq, fmpq]]
    upper: list[fmpq | None]                 # per t; None = unbounded
    exact: list[bool]


@dataclass
class _State:
    lower: list[fmpq]
    witness: list[tuple[fmpq, ...] | None]
    leaves: list[_Leaf] = field(default_factory=list)
    evaluated: int = 0


class _Problem:
    def __init__(self, net: Network, box: Box, steps: int, norm: str, kind: str, warmup: int) -> None:
        if norm not in NORMS:
            raise InputError(f"--norm={norm!r} is not supported (known: {', '.join(NORMS)})")
        self.comp, self.s, self.kind, self.steps = Compiled.of(net), NORMS[norm], kind, steps
        self.sched, self.a = schedule(kind, steps, warmup)
        self.box = [(lo, hi) for lo, hi in box]
        if len(self.box) != net.input_dim:
            raise InputError(f"--box has {len(self.box)} intervals, the network has input_dim={net.input_dim}")
        for lo, hi in self.box:
            if not lo <= hi:
                raise InputError(f"--box interval [{lo}, {hi}] is empty")
        if net.input_dim == 0 or box_norm_range(self.box)[1] == 0:
            raise InputError(f"the box {[[str(lo), str(hi)] for lo, hi in self.box]} holds no x ≠ 0: the memory "
                             "function divides by |x| and is not defined there")
        zero = [(fmpq(0), fmpq(0))] * net.input_dim
        self.zero = propagate(self.comp, zero, self.sched)   # the x = 0 run: Δ_t(0)
        self.delta0 = [self._delta_point(self.zero, t, [fmpq(0)] * net.input_dim) for t in range(steps + 1)]

    # Δ_t at a point-run, as exact rationals or balls (one per output)
    def _delta_point(self, forms: list[StepForms], t: int, x: list[fmpq]) -> list[arb]:
        """Δ_t at the point x of a point run: exact where the run is, else balls."""
        col = fmpq_mat([[v] for v in x]) if x else fmpq_mat(0, 1)

        def value(f: StepForms) -> fmpq_mat | None:
            return None if f.exact is None else f.exact[0] * col + f.exact[1]

        if self.kind == "impulse":
            f, z = forms[t], self.zero[t]
            fv, zv = value(f), value(z)
            if fv is not None and zv is not None:
                return [arb(v) for v in _col_list(fv - zv)]
            return [f.y_mid[i, 0] - z.y_mid[i, 0] for i in range(f.y_mid.nrows())]
        f = forms[self.a + t]
        fv = value(f)
        prev = self.comp.y0 if self.a + t == 0 else value(forms[self.a + t - 1])
        if fv is not None and prev is not None:
            return [arb(v) for v in _col_list(fv - prev)]
        return [f.inc_mid[i, 0] for i in range(f.inc_mid.nrows())]

    def _affine(self, forms: list[StepForms], t: int):
        """Δ_t = A·x + a exactly on the box, or None."""
        if self.kind == "impulse":
            f, z = forms[t], self.zero[t]
            if f.exact is None or z.exact is None:
                return None
            return f.exact[0], f.exact[1] - z.exact[1]
        f = forms[self.a + t]
        if f.exact is None:
            return None
        if self.a + t == 0:
            return f.exact[0], f.exact[1] - self.comp.y0
        p = forms[self.a + t - 1]
        if p.exact is None:
            return None
        return f.exact[0] - p.exact[0], f.exact[1] - p.exact[1]

    def _enclosure(self, forms: list[StepForms], t: int):
        """(range, Jacobian, value at the centre) of Δ_t over the box, one per output."""
        if self.kind == "impulse":
            f, z = forms[t], self.zero[t]
            n = f.y_range.nrows()
            return ([f.y_range[i, 0] - z.y_mid[i, 0] for i in range(n)], f.y_jac,
                    [f.y_mid[i, 0] - z.y_mid[i, 0] for i in range(n)])
        f = forms[self.a + t]
        n = f.inc_range.nrows()
        return [f.inc_range[i, 0] for i in range(n)], f.inc_jac, [f.inc_mid[i, 0] for i in range(n)]

    def leaf(self, box: list[tuple[fmpq, fmpq]], st: _State) -> _Leaf:
        forms = propagate(self.comp, box, self.sched)
        st.evaluated += 1
        r_min, r_max = box_norm_range(box)
        uppers: list[fmpq | None] = []
        exacts: list[bool] = []
        for t in range(self.steps + 1):
            aff = self._affine(forms, t)
            if aff is not None:
                A, a = aff  # noqa: N806
                best: fmpq | None = fmpq(0)
                for i in range(A.nrows()):
                    sup, w, wv = sup_ratio([A[i, j] for j in range(A.ncols())], a[i, 0], box, self.s)
                    if sup is None:
                        best = None
                        break
                    best = max(best, sup) if best is not None else None
                    if w is not None and wv is not None and wv > st.lower[t]:
                        st.lower[t], st.witness[t] = wv, tuple(w)
                uppers.append(best)
                exacts.append(True)
                continue
            rng, jac, alpha = self._enclosure(forms, t)
            best = fmpq(0)
            mid = [(lo + hi) / 2 for lo, hi in box]
            for i, ri in enumerate(rng):
                cands: list[fmpq] = []
                if r_min + self.s > 0:
                    _add(cands, ri.abs_upper() / arb(r_min + self.s))
                    form = sup_ratio_form(alpha[i], [jac[i, j] for j in range(jac.ncols())], box, mid, self.s)
                    if form is not None:
                        _add(cands, form)
                if r_min == 0:  # mean value around x = 0: |Δ(x)| ≤ |Δ(0)| + Σ|g_j|·|x|_∞
                    d0 = self.delta0[t][i]
                    g = sum((jac[i, j].abs_upper() for j in range(jac.ncols())), arb(0))
                    scale = arb(1) if self.s == 0 else arb(r_max) / (r_max + 1)
                    if d0.is_zero():
                        _add(cands, g * scale)
                    elif self.s:
                        _add(cands, d0.abs_upper() + g * scale)
                if not cands:
                    best = None
                    break
                best = max(best, min(cands))
            uppers.append(best)
            exacts.append(False)
        return _Leaf(box, uppers, exacts)

    def point(self, x: list[fmpq], st: _State) -> None:
        """Lower bounds from one point x ≠ 0, for every t."""
        if norm_inf(x) == 0:
            return
        forms = propagate(self.comp, [(v, v) for v in x], self.sched)
        st.evaluated += 1
        den = arb(norm_inf(x) + self.s)
        for t in range(self.steps + 1):
            vals = self._delta_point(forms, t, x)
            low = max(lower_q(v.abs_lower() / den) if v.is_finite() else fmpq(0) for v in vals)
            if low > st.lower[t]:
                st.lower[t], st.witness[t] = low, tuple(x)


def _add(cands: list[fmpq], bound: arb) -> None:
    """Keep an upper bound when it is finite (an enclosure that blew up bounds nothing)."""
    if bound.is_finite():
        cands.append(upper_q(bound))


def _key(u: fmpq | None) -> fmpq:
    return fmpq(10**30) if u is None else u


def _col_list(m) -> list[fmpq]:
    return [m[i, 0] for i in range(m.nrows())]


def _bisect(box: list[tuple[fmpq, fmpq]]) -> tuple[list[tuple[fmpq, fmpq]], list[tuple[fmpq, fmpq]]]:
    k = max(range(len(box)), key=lambda j: box[j][1] - box[j][0])
    lo, hi = box[k]
    m = (lo + hi) / 2
    return box[:k] + [(lo, m)] + box[k + 1:], box[:k] + [(m, hi)] + box[k + 1:]


def memory(net: Network, box: Box, steps: int, norm: str = "abs+1", kind: str = "heaviside", warmup: int = 0,
           tol: fmpq = TOL, max_boxes: int = 2000, seconds: float = 120.0) -> MemoryResult:
    """Certified 𝓜(t) for t = 0 … steps (see the module docstring for the conventions)."""
    start = time.monotonic()
    p = _Problem(net, box, steps, norm, kind, warmup)
    st = _State(lower=[fmpq(0)] * (steps + 1), witness=[None] * (steps + 1))
    notes: list[str] = []
    infinite = [False] * (steps + 1)
    r_min, _ = box_norm_range(p.box)
    if p.s == 0 and r_min == 0:  # near x = 0 the ratio is |Δ_t(0)| / |x|: infinite where Δ_t(0) ≠ 0
        for t in range(steps + 1):
            if any(not v.contains(0) for v in p.delta0[t]):
                infinite[t] = True
        if any(infinite):
            notes.append("with --norm abs the ratio is |Δ_t(0)|/|x|_∞ → ∞ as x → 0 where the output moves without "
                         "input (Δ_t(0) ≠ 0, e.g. a bias); the paper's proofs use --norm abs+1")
    st.leaves.append(p.leaf(p.box, st))
    corner = [hi if abs(hi) >= abs(lo) else lo for lo, hi in p.box]
    if not all(st.leaves[0].exact):  # (an exact box already gave every row its witness)
        for x in ([(lo + hi) / 2 for lo, hi in p.box], corner, [lo for lo, _ in p.box], [hi for _, hi in p.box]):
            p.point(x, st)

    def global_upper(t: int) -> fmpq | None:
        ups = [leaf.upper[t] for leaf in st.leaves]
        return None if any(u is None for u in ups) else max(u for u in ups if u is not None)

    def gap(t: int) -> fmpq | None:
        if infinite[t]:
            return None
        u = global_upper(t)
        if u is None:
            return fmpq(10**9)
        return (u - st.lower[t]) / u if u > 0 else fmpq(0)

    complete = False
    last = -1
    while True:
        gaps = [(g, t) for t in range(steps + 1) if (g := gap(t)) is not None and g > tol]
        if not gaps:
            complete = True
            break
        if st.evaluated >= max_boxes or time.monotonic() - start > seconds:
            notes.append(f"stopped after {st.evaluated} rollouts and {time.monotonic() - start:.1f} s with "
                         f"{len(gaps)} rows not within the tolerance {tol}")
            break
        # rows take turns (the row after the last one split, among those still above the tolerance), so that
        # the rows with the widest relative gaps (large t) do not take the whole budget
        open_rows = sorted(t for _, t in gaps)
        t = next((r for r in open_rows if r > last), open_rows[0])
        last = t
        splittable = [lf for lf in st.leaves if not lf.exact[t] and max(hi - lo for lo, hi in lf.box) > 0]
        if not splittable:
            notes.append(f"t={t}: every sub-box is a point or exact; the gap cannot shrink further")
            break
        worst = max(splittable, key=lambda lf: _key(lf.upper[t]))
        st.leaves.remove(worst)
        for child in _bisect(worst.box):
            leaf = p.leaf(child, st)
            st.leaves.append(leaf)
            p.point([(lo + hi) / 2 for lo, hi in child], st)
    rows = []
    for t in range(steps + 1):
        u = None if infinite[t] else global_upper(t)
        exact = not infinite[t] and u is not None and u == st.lower[t]
        rows.append(Row(t, u, st.lower[t], st.witness[t], exact, infinite[t]))
    return MemoryResult(tuple(rows), norm, kind, p.a, tuple(p.box), st.evaluated, time.monotonic() - start,
                        complete, tuple(notes), tuple(tuple(leaf.box) for leaf in st.leaves))
