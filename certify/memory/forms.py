"""Rigorous forms of a network's outputs over a box of inputs x, step by step: exact affine maps while
every activation stays on one linear piece, arb enclosures (range, value at the box's centre,
Jacobian) after that.

The network is any stack of Elman or residual layers (P and Q folded in), driven by a schedule:
layer 1 reads u_t = s_t·P·x with s_t ∈ {0, 1} (Heaviside: s_t = 1; impulse: s_1 = 1 only).

Exact mode. While the pre-activations z of every unit lie, over the whole box, inside one linear
piece of σ (decided from their exact range), h_t = M_t·x + v_t on the box with exact rational M_t, v_t.

Enclosure mode (arb balls, rigorous). For each layer: the range H ⊇ h_t(box), the value V ∋ h_t(m)
at the centre m, and the Jacobian enclosure J ∋ ∂h_t/∂x(x) for every x in the box (the derivative
of σ enclosed over the range of z; for relu/hardtanh on a kink, [0, 1], which also encloses the
Clarke derivative, so the mean-value form h(x) ∈ V + J·(x − m) holds). Ranges are the
intersection of the interval rollout and the mean-value form.

>>> from certify.spec.network import Network
>>> net = Network.from_dense(W_hh=[["1/2"]], W_ih=[[1]], b=[0], W_out=[[1]], b_out=[0], h0=[0],
...                          activation="identity", cell="residual", dt="1/2")
>>> steps = propagate(Compiled.of(net), [(fmpq(-1), fmpq(1))], [1] * 3)
>>> [str(s.exact[0][0, 0]) for s in steps]   # y_t = x·(1 − (5/4)^t)/(−1/2)·(1/2)... exactly affine in x
['1/2', '9/8', '61/32']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flint import arb, arb_mat, ctx, fmpq, fmpq_mat

from certify.errors import InputError
from certify.memory.intervals import (
    SECOND,
    ball,
    dsigma,
    hull,
    map_mat,
    meet_all,
    meet_mat,
    piece,
    rows_scaled,
    second,
    sigma,
)
from certify.memory.lohner import Lohner
from certify.spec.network import Network
from certify.spec.sparse import SparseMatrix

ZERO, ONE = fmpq(0), fmpq(1)
Box = Sequence[tuple[fmpq, fmpq]]


def _dense(m: SparseMatrix) -> fmpq_mat:
    out = fmpq_mat(m.shape[0], m.shape[1])
    for i, j, v in m.entries():
        out[i, j] = v
    return out


def _col(v: Sequence[fmpq]) -> fmpq_mat:
    out = fmpq_mat(len(v), 1)
    for i, x in enumerate(v):
        out[i, 0] = x
    return out


@dataclass(frozen=True)
class Stage:
    """One layer, dense: z = W h + U u + b; h' = σ(z) (Elman) or h + dt·σ(z) (residual)."""

    W: fmpq_mat
    U: fmpq_mat
    b: fmpq_mat
    h0: fmpq_mat
    activation: str
    dt: fmpq | None


@dataclass(frozen=True)
class Compiled:
    """The network with P folded into layer 1 and Q into the readout C: y = C·hᴸ + c."""

    stages: tuple[Stage, ...]
    C: fmpq_mat
    c: fmpq_mat
    input_dim: int

    @staticmethod
    def of(net: Network) -> Compiled:
        stages = []
        for k, layer in enumerate(net.layers):
            U = _dense(layer.W_ih)  # noqa: N806
            if k == 0 and net.P is not None:
                U = U * _dense(net.P)  # noqa: N806
            stages.append(Stage(_dense(layer.W_hh), U, _col(layer.b), _col(layer.h0), layer.activation, layer.dt))
        C = _dense(net.W_out)  # noqa: N806
        if net.Q is not None:
            C = C * _dense(net.Q)  # noqa: N806
        return Compiled(tuple(stages), C, _col(net.b_out), net.input_dim)

    @property
    def output_dim(self) -> int:
        return self.C.nrows()

    @property
    def y0(self) -> fmpq_mat:
        """y_0 = C·hᴸ_0 + c (x-independent)."""
        return self.C * self.stages[-1].h0 + self.c


@dataclass(frozen=True)
class StepForms:
    """The output at step t over the box: exact (A, a) with y_t = A·x + a, or enclosures."""

    exact: tuple[fmpq_mat, fmpq_mat] | None
    y_mid: arb_mat          # y_t(m)
    y_jac: arb_mat          # ∂y_t/∂x over the box
    y_range: arb_mat        # y_t(box)
    inc_mid: arb_mat        # (y_t − y_{t−1})(m)
    inc_jac: arb_mat
    inc_range: arb_mat
    state_l1: tuple[arb, ...] = ()  # per layer: an upper bound of |h_t|₁ over the box
    z_ranges: tuple[arb_mat, ...] = ()  # per layer: the range of the pre-activation z_t over the box


    # (a point interval of tanh is still not rational: enclosure mode)


# --- exact mode --------------------------------------------------------------------------------------
def _exact_range(M: fmpq_mat, v: fmpq_mat, i: int, box: Box) -> tuple[fmpq, fmpq]:  # noqa: N803
    lo = hi = v[i, 0]
    for j, (a, b) in enumerate(box):
        c = M[i, j]
        if c > 0:
            lo, hi = lo + c * a, hi + c * b
        elif c < 0:
            lo, hi = lo + c * b, hi + c * a
    return lo, hi


def _exact_step(st: Stage, M: fmpq_mat, v: fmpq_mat, zM: fmpq_mat, zv: fmpq_mat,  # noqa: N803
                box: Box) -> tuple[fmpq_mat, fmpq_mat] | None:
    """The next (M, v) from the pre-activation form z = zM·x + zv, or None when a unit leaves its piece."""
    n = zM.nrows()
    nM, nv = fmpq_mat(n, zM.ncols()), fmpq_mat(n, 1)  # noqa: N806
    for i in range(n):
        p = piece(st.activation, *_exact_range(zM, zv, i, box))
        if p is None:
            return None
        slope, offset = p
        for j in range(zM.ncols()):
            nM[i, j] = slope * zM[i, j]
        nv[i, 0] = slope * zv[i, 0] + offset
    if st.dt is not None:
        return M + nM * st.dt, v + nv * st.dt
    return nM, nv


@dataclass
class _Enc:
    H: arb_mat
    V: arb_mat
    J: arb_mat


@dataclass
class _Layer:
    """A layer in enclosure mode: its state, its increment δ_t = h_t − h_{t−1}, and its last pre-activation."""

    h: _Enc
    inc: _Enc
    z: _Enc | None          # the range, centre value and Jacobian of z_t (None before the first step)
    inc_jac: Lohner | None = None   # the increment's Jacobian in Lohner's form (intersected with inc.J)
    h_jac: Lohner | None = None     # the state's Jacobian likewise (intersected with h.J)


def _enc_step(st: Stage, e: _Layer, u: _Enc, du: _Enc, dev: arb_mat) -> _Layer:
    """The layer's next state, increment and pre-activation (u, du: the input and its increment)."""
    W, U, b = arb_mat(st.W), arb_mat(st.U), arb_mat(st.b)  # noqa: N806
    zm = W * e.h.V + U * u.V + b
    Jz = W * e.h.J + U * u.J  # noqa: N806
    zr = meet_mat(W * e.h.H + U * u.H + b, zm + Jz * dev)
    n, name = zr.nrows(), st.activation
    D = [dsigma(name, zr[i, 0]) for i in range(n)]  # noqa: N806
    s_range = map_mat(lambda z: sigma(name, z), zr)
    s_mid = map_mat(lambda z: sigma(name, z), zm)
    z = _Enc(zr, zm, Jz)
    if e.z is None:  # the first step: δ_1 = σ(z_1) − h_0, or dt·σ(z_1)
        if st.dt is None:
            inc = _Enc(meet_mat(s_range - e.h.V, (s_mid - e.h.V) + rows_scaled(D, Jz) * dev), s_mid - e.h.V,
                       rows_scaled(D, Jz))
        else:
            dt = arb(st.dt)
            inc = _Enc(s_range * dt, s_mid * dt, rows_scaled(D, Jz) * dt)
    else:
        # σ(z_{t+1}) − σ(z_t) = D_sec·Δz with D_sec ∋ σ′ on the hull of the two ranges; the Jacobian of the
        # difference is D_{t+1}·ΔJz + (σ′(z_{t+1}) − σ′(z_t))·Jz_t
        dz_r = W * e.inc.H + U * du.H
        dJz = W * e.inc.J + U * du.J  # noqa: N806
        Dsec = [dsigma(name, hull(zr[i, 0], e.z.H[i, 0])) for i in range(n)]  # noqa: N806
        if name in SECOND:  # σ′(z_{t+1}) − σ′(z_t) = σ″(ξ)·Δz, ξ on the hull of both ranges
            E = [second(name, hull(zr[i, 0], e.z.H[i, 0])) * dz_r[i, 0] for i in range(n)]  # noqa: N806
        else:
            E = [D[i] - dsigma(name, e.z.H[i, 0]) for i in range(n)]  # noqa: N806
        dsig_r = arb_mat([[Dsec[i] * dz_r[i, 0]] for i in range(n)])
        dsig_m = s_mid - map_mat(lambda v: sigma(name, v), e.z.V)
        dsig_J = rows_scaled(D, dJz) + rows_scaled(E, e.z.J)  # noqa: N806
        # the same Jacobian as M·ΔJ + S in Lohner's form: Elman M = D·W, residual M = I + dt·D·W
        drive = rows_scaled(D, U * du.J) + rows_scaled(E, e.z.J)
        DW = rows_scaled(D, W)  # noqa: N806
        if st.dt is None:
            M, S = DW, drive  # noqa: N806
        else:
            dtq = arb(st.dt)
            M = arb_mat(n, n, [1 if i == j else 0 for i in range(n) for j in range(n)]) + DW * dtq  # noqa: N806
            S = drive * dtq  # noqa: N806
        start = e.inc_jac if e.inc_jac is not None else Lohner.of(e.inc.J)
        inc_jac = start.step(M, S) if n > 1 else None
        if st.dt is None:
            J = dsig_J  # noqa: N806
            if inc_jac is not None:
                J = meet_all(J, inc_jac.value())  # noqa: N806
            inc = _Enc(meet_mat(dsig_r, dsig_m + J * dev), dsig_m, J)
        else:
            dt = arb(st.dt)
            J = e.inc.J + dsig_J * dt  # noqa: N806
            if inc_jac is not None:
                J = meet_all(J, inc_jac.value())  # noqa: N806
            V = e.inc.V + dsig_m * dt  # noqa: N806
            inc = _Enc(meet_mat(meet_mat(e.inc.H + dsig_r * dt, s_range * dt), V + J * dev), V, J)
    # the state's Jacobian: Elman J' = D·W·J + D·U·J_u, residual J' = (I + dt·D·W)·J + dt·D·U·J_u
    DWs = rows_scaled(D, W)  # noqa: N806
    Sh = rows_scaled(D, U * u.J)  # noqa: N806
    if st.dt is not None:
        DWs = arb_mat(n, n, [1 if i == j else 0 for i in range(n) for j in range(n)]) + DWs * arb(st.dt)  # noqa: N806
        Sh = Sh * arb(st.dt)  # noqa: N806
    h_jac = (e.h_jac if e.h_jac is not None else Lohner.of(e.h.J)).step(DWs, Sh) if n > 1 else None
    if st.dt is None:
        J, V = rows_scaled(D, Jz), s_mid  # noqa: N806
    else:
        J, V = e.h.J + inc.J, e.h.V + inc.V  # noqa: N806
    if h_jac is not None:
        J = meet_all(J, h_jac.value())  # noqa: N806
    H = meet_mat(s_range, V + J * dev) if st.dt is None else meet_mat(e.h.H + inc.H, V + J * dev)  # noqa: N806
    return _Layer(_Enc(H, V, J), inc, z, inc_jac if e.z is not None else None, h_jac)


def _to_enc(M: fmpq_mat, v: fmpq_mat, box: Box, mid: fmpq_mat) -> _Enc:  # noqa: N803
    H = arb_mat([[ball(*_exact_range(M, v, i, box))] for i in range(M.nrows())])  # noqa: N806
    return _Enc(H=H, V=arb_mat(M * mid + v), J=arb_mat(M))


@dataclass
class _Exact:
    """A layer in exact mode: h_t = M·x + v, h_{t−1} likewise, and z_t = zM·x + zv (None before step 1)."""

    h: tuple[fmpq_mat, fmpq_mat]
    prev: tuple[fmpq_mat, fmpq_mat]
    z: tuple[fmpq_mat, fmpq_mat] | None


def _exact_layer(st: Stage, e: _Exact, Mu: fmpq_mat, vu: fmpq_mat, box: Box) -> _Exact | None:  # noqa: N803
    M, v = e.h  # noqa: N806
    zM, zv = st.W * M + st.U * Mu, st.W * v + st.U * vu + st.b  # noqa: N806
    r = _exact_step(st, M, v, zM, zv, box)
    return None if r is None else _Exact(r, e.h, (zM, zv))


def _promote(e: _Exact, box: Box, mid: fmpq_mat) -> _Layer:
    """The enclosure-mode layer of an exact one."""
    (M, v), (pM, pv) = e.h, e.prev  # noqa: N806
    return _Layer(_to_enc(M, v, box, mid), _to_enc(M - pM, v - pv, box, mid),
                  None if e.z is None else _to_enc(e.z[0], e.z[1], box, mid))


def propagate(comp: Compiled, box: Box, schedule: Sequence[int]) -> list[StepForms]:
    """The output forms at t = 1 … len(schedule) over the box (layer 1 reads s_t·P·x).

    Ball arithmetic runs at 128 + 2·T bits: the rounding errors of the centre values (a residual cell's
    h + dt·σ(W h …) adds radii at every step) may grow by a factor of up to ~4 per step, and stay far below the
    box-induced widths at this precision."""
    with ctx.workprec(128 + 2 * len(schedule)):
        return _propagate(comp, box, schedule)[0]


@dataclass(frozen=True)
class FinalState:
    """Enclosures over the box, after the last step T, of one layer's pre-activation z_T and increment δ_T."""

    z: arb_mat          # range of z_T
    inc: arb_mat        # range of δ_T = h_T − h_{T−1}
    inc_mid: arb_mat    # δ_T at the box's centre
    inc_jac: arb_mat    # ∂δ_T/∂x over the box


def final_state(comp: Compiled, box: Box, schedule: Sequence[int]) -> list[FinalState]:
    """Every layer's :class:`FinalState` after the schedule (exact forms are converted to balls)."""
    with ctx.workprec(128 + 2 * len(schedule)):
        layers = _propagate(comp, box, schedule)[1]
        return [FinalState(e.z.H if e.z is not None else arb_mat(e.h.H.nrows(), 1), e.inc.H, e.inc.V, e.inc.J)
                for e in layers]


def _propagate(comp: Compiled, box: Box, schedule: Sequence[int]) -> tuple[list[StepForms], list[_Layer]]:
    d = comp.input_dim
    if len(box) != d:
        raise InputError(f"the box has {len(box)} intervals, the network expects input_dim={d}")
    mid = fmpq_mat([[(a + b) / 2] for a, b in box]) if d else fmpq_mat(0, 1)
    dev = arb_mat([[ball(a - (a + b) / 2, b - (a + b) / 2)] for a, b in box]) if d else arb_mat(0, 1)
    eye = fmpq_mat(d, d, [1 if i == j else 0 for i in range(d) for j in range(d)])
    x_enc = _Enc(H=arb_mat([[ball(a, b)] for a, b in box]) if d else arb_mat(0, 1), V=arb_mat(mid), J=arb_mat(eye))
    zero_in = _Enc(H=arb_mat(d, 1), V=arb_mat(d, 1), J=arb_mat(d, d))
    exact: list[_Exact] | None = [_Exact((fmpq_mat(st.h0.nrows(), d), st.h0), (fmpq_mat(st.h0.nrows(), d), st.h0),
                                         None) for st in comp.stages]
    enc: list[_Layer] = []
    C, c = arb_mat(comp.C), arb_mat(comp.c)  # noqa: N806
    out: list[StepForms] = []
    prev_y: tuple[fmpq_mat, fmpq_mat] = (fmpq_mat(comp.output_dim, d), comp.y0)
    prev_s = 0
    for s in schedule:
        if exact is not None:
            Mu, vu = eye * s, fmpq_mat(d, 1)  # noqa: N806
            nxt: list[_Exact] = []
            for st, e in zip(comp.stages, exact, strict=True):
                r = _exact_layer(st, e, Mu, vu, box)
                if r is None:
                    break
                nxt.append(r)
                Mu, vu = r.h  # noqa: N806
            if len(nxt) == len(comp.stages):
                exact = nxt
                A, a = comp.C * nxt[-1].h[0], comp.C * nxt[-1].h[1] + comp.c  # noqa: N806
                yA, ya, pA, pa = arb_mat(A), arb_mat(a), arb_mat(prev_y[0]), arb_mat(prev_y[1])  # noqa: N806
                y_mid, p_mid = yA * arb_mat(mid) + ya, pA * arb_mat(mid) + pa
                dA, da = A - prev_y[0], a - prev_y[1]  # noqa: N806
                rng = arb_mat([[ball(*_exact_range(A, a, i, box))] for i in range(A.nrows())])
                inc_rng = arb_mat([[ball(*_exact_range(dA, da, i, box))] for i in range(A.nrows())])
                l1 = tuple(sum((arb(max(abs(v) for v in _exact_range(e.h[0], e.h[1], i, box)))
                                for i in range(e.h[0].nrows())), arb(0)) for e in nxt)
                zs = tuple(arb_mat([[ball(*_exact_range(e.z[0], e.z[1], i, box))] for i in range(e.z[0].nrows())])
                           for e in nxt if e.z is not None)
                out.append(StepForms((A, a), y_mid, yA, rng, y_mid - p_mid, arb_mat(dA), inc_rng, l1, zs))
                prev_y, prev_s = (A, a), s
                continue
            enc = [_promote(e, box, mid) for e in exact]
            exact = None
        u = x_enc if s else zero_in
        ds = s - prev_s
        du = _Enc(x_enc.H * ds, x_enc.V * ds, x_enc.J * ds) if ds else zero_in
        for k, st in enumerate(comp.stages):
            enc[k] = _enc_step(st, enc[k], u, du, dev)
            u, du = enc[k].h, enc[k].inc
        last = enc[-1]
        l1 = tuple(sum((e.h.H[i, 0].abs_upper() for i in range(e.h.H.nrows())), arb(0)) for e in enc)
        zs = tuple(e.z.H for e in enc if e.z is not None)
        out.append(StepForms(None, C * last.h.V + c, C * last.h.J, C * last.h.H + c, C * last.inc.V, C * last.inc.J,
                             C * last.inc.H, l1, zs))
        prev_s = s
    if exact is not None:  # the box stayed affine to the end: its final state as balls
        enc = [_promote(e, box, mid) for e in exact]
    return out, enc
