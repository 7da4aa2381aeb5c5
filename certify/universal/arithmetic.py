"""The proven arithmetic error of a stream for the universal interpreter (``docs/universal.md`` §4).

A stream is read as rounds (anything else is refused; the caller then falls back to generic
enclosures)::

    round   := 'b' block? (product block?)* scale 'r'
    product := 'p' 't'^m 'f'          computes T_{k+1} from T_k, T_{k-1} with m teeth
    block   := 'c' ('0' | '+' | '-')*  adds c'·T_k to acc, c' = sum_j d_j 2^-j (j = 0, 1, ...)
    scale   := 'h'^e | 'd'^e           acc·2^-e (halvings) or acc·2^e (doublings)

What the analysis proves, by induction over the stream, for every x in [-1, 1]:

* product i with m_i teeth computes T̃_i = 2x·T̃_{i-1} - T̃_{i-2} + η_i with |η_i| <= ε_i = 2·4^-m_i
  (each Yarotsky square f_m(|u|) lies in [u², u² + 4^-(m+1)], and the finish op scales by 8);
* hence e_i = T̃_i - T_i = sum_j U_{i-j}(x)·η_j, and |U_n| <= n + 1 on [-1, 1] gives
  |e_i| <= E_i = sum_{j<=i} (i - j + 1)·ε_j  — as long as no clamp was active, which holds while
  E_i < 1 (then |T̃| < 2, the clamp bound, and |u±| = |x ± T̃|/4 < 1, the squarer's domain);
* digits are exact: acc = sum_k c'_k·T̃_k, so |acc - Q(x)| <= sum_k |c'_k|·E_k with Q = sum c'_k T_k,
  provided no acc clamp is active (checked with the sum of absolute digit contributions, and
  for doublings with a sup-norm bound on Q that the caller must certify);
* the output after round r is P_r(x) + err with |err| <= B_r = sum over rounds of 2^-e·acc error,
  provided sup|P_r| + B_r <= 8 (the output clamp); the caller certifies that sup too.

>>> a = analyze_stream("bc+0+" + "ptttttttf" + "c-" + "hr")     # Q = 1.25·T_0 - T_1, halved
>>> r = a.rounds[0]
>>> {k: str(v) for k, v in r.added.items()}, r.teeth, r.step
({0: '5/8', 1: '-1/2'}, (7,), 18)
>>> str(r.arith)     # ε = 2·4^-7 on T_1, times |c'_1| = 1, halved
'1/16384'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flint import fmpq

from certify.universal.interpreter import ACC_BOUND, OUT_BOUND


class NotAnalysable(Exception):  # noqa: N818 (a reason, reported as UNKNOWN by callers)
    """The stream does not follow the round grammar, or a condition of the proof fails."""


@dataclass(frozen=True)
class Round:
    """One round of a stream and what the analysis proved about it."""

    index: int
    start: int  # position of 'b'
    end: int  # position of 'r'
    step: int  # TMNU step (config index) at which the new output first shows: end + 1
    coeffs: dict[int, fmpq]  # Q = sum c'_k T_k accumulated in acc
    shift: int  # e: the output gets acc·2^-e (negative: doublings)
    teeth: tuple[int, ...]  # teeth of products 1..n
    acc_abs: fmpq  # bound on |acc| while digits are added
    acc_err: fmpq  # |acc - Q| <= acc_err at the end of the digits
    max_t_err: fmpq  # max_k E_k
    added: dict[int, fmpq]  # 2^-e·Q, the polynomial added to the output
    poly: dict[int, fmpq]  # P_r = sum of ``added`` so far (Chebyshev coefficients)
    arith: fmpq  # B_r: |y - P_r| <= B_r after this round
    q_sup_needed: fmpq | None  # the caller must certify sup|Q| <= this (doublings), if not None
    out_sup_needed: fmpq  # the caller must certify sup|P_r| <= this (no output clamp)
    symbols: int = 0  # length of the round in symbols (= TMNU steps)

    @property
    def degree(self) -> int:
        return max((k for k, v in self.poly.items() if v != 0), default=0)


@dataclass(frozen=True)
class StreamAnalysis:
    rounds: tuple[Round, ...]
    length: int
    notes: tuple[str, ...] = field(default_factory=tuple)


def product_error(teeth: int) -> fmpq:
    """ε = 2·4^-m: the bound on |finish - (2x·T_k - T_{k-1})| for a product with m teeth."""
    return fmpq(2, 4**teeth)


def analyze_stream(stream: str) -> StreamAnalysis:
    """Read ``stream`` as rounds and prove its arithmetic error bounds (raises NotAnalysable)."""
    rounds: list[Round] = []
    poly: dict[int, fmpq] = {}
    arith = fmpq(0)
    i, n = 0, len(stream)
    while i < n:
        if stream[i] != "b":
            raise NotAnalysable(f"symbol {i} is {stream[i]!r}, expected 'b' (a round starts with begin)")
        start = i
        i += 1
        k = 0
        s0 = s1 = fmpq(0)  # sum ε_j, sum j·ε_j
        errs = {0: fmpq(0)}
        coeffs: dict[int, fmpq] = {}
        acc_abs = fmpq(0)
        teeth: list[int] = []
        while i < n and stream[i] in "cp":
            if stream[i] == "c":
                i += 1
                weight, value, absval = fmpq(1), fmpq(0), fmpq(0)
                while i < n and stream[i] in "0+-":
                    if stream[i] != "0":
                        value += weight if stream[i] == "+" else -weight
                        absval += weight
                    weight /= 2
                    i += 1
                coeffs[k] = coeffs.get(k, fmpq(0)) + value
                acc_abs += absval * (1 + errs[k])
                if acc_abs > ACC_BOUND:
                    raise NotAnalysable(f"round {len(rounds) + 1}: digits up to symbol {i} may reach "
                                        f"|acc| = {float(acc_abs):.4g} > {ACC_BOUND} (the acc clamp could act)")
            else:
                j = i + 1
                while j < n and stream[j] == "t":
                    j += 1
                if j >= n or stream[j] != "f":
                    raise NotAnalysable(f"product at symbol {i} is not closed by 'f'")
                m = j - i - 1
                k += 1
                eps = product_error(m)
                s0 += eps
                s1 += k * eps
                errs[k] = (k + 1) * s0 - s1
                if errs[k] >= 1:
                    raise NotAnalysable(f"round {len(rounds) + 1}: T_{k} error bound {float(errs[k]):.4g} >= 1 "
                                        f"(too few teeth, {m}, at symbol {i})")
                teeth.append(m)
                i = j + 1
        acc_err = sum((abs(v) * errs[kk] for kk, v in coeffs.items()), fmpq(0))
        if i < n and stream[i] in "hd":
            kind = stream[i]
            j = i
            while j < n and stream[j] == kind:
                j += 1
            e = (j - i) if kind == "h" else -(j - i)
            i = j
        else:
            e = 0
        if i >= n or stream[i] != "r":
            raise NotAnalysable(f"round {len(rounds) + 1} (from symbol {start}) does not end with 'r' "
                                f"at symbol {i}")
        scale = fmpq(1, 2**e) if e >= 0 else fmpq(2 ** (-e))
        q_sup = None
        if e < 0 and acc_abs * scale > ACC_BOUND:
            q_sup = ACC_BOUND / scale - acc_err
            if q_sup <= 0:
                raise NotAnalysable(f"round {len(rounds) + 1}: doubling {-e} times may clamp acc")
        added = {kk: v * scale for kk, v in coeffs.items() if v != 0}
        for kk, v in added.items():
            poly[kk] = poly.get(kk, fmpq(0)) + v
        arith += acc_err * scale
        if arith >= OUT_BOUND:
            raise NotAnalysable(f"round {len(rounds) + 1}: arithmetic error bound {float(arith):.4g} is too large")
        rounds.append(Round(
            index=len(rounds) + 1, start=start, end=i, step=i + 1, coeffs=coeffs, shift=e, teeth=tuple(teeth),
            acc_abs=acc_abs, acc_err=acc_err, max_t_err=max(errs.values()), added=added,
            poly={kk: v for kk, v in poly.items() if v != 0}, arith=arith, q_sup_needed=q_sup,
            out_sup_needed=OUT_BOUND - arith, symbols=i + 1 - start,
        ))
        i += 1
    return StreamAnalysis(tuple(rounds), n)
