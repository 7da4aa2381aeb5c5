"""Certified error per round of a universal stream: sup_x |y_T - f| <= A_r + B_r for every RNN step T
in [T_r, T_{r+1}), where

* A_r >= sup |P_r - f| is certified by :func:`certify.bounds.supnorm.chebyshev_supnorm` (P_r is the
  exact dyadic Chebyshev polynomial the stream adds up to round r, read from the stream itself);
* B_r >= sup |y_T - P_r| is the proven arithmetic error of :mod:`certify.universal.arithmetic`;
* T_r = t0 + c·step_r, and y_T is constant on [T_r, T_{r+1}) because only the ``emit`` op writes the
  output register (:func:`output_writers` proves it from the program), and 'r' is read once per round.

The argument needs the simulation theorem of the compiled file (``certify check``) and that the
program is exactly :func:`~certify.universal.interpreter.universal_interpreter` (checked).
:data:`UNIVERSAL` is this argument as a rate method of ``certify rates``; the package registers it.

>>> from certify.expr import parse_function
>>> rows = certify_stream("bc+0+ptttttttfc-hr", parse_function("5/8 - x/2"))
>>> [(r.index, r.T, str(r.arith)) for r in rows]
[(0, 2, '0'), (1, 74, '1/16384')]
>>> rows[1].arith <= rows[1].bound < fmpq(1, 50)   # P_1 = f: refined only to 1/100 of row 0's bound
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import sympy
from flint import fmpq

from certify.bounds.claims import ClaimSpan
from certify.bounds.rates import Declined, MethodRows, RateQuery, RateRow
from certify.bounds.supnorm import ABS_TOL, SupBound, chebyshev_supnorm
from certify.compiler.tmnu_to_rnn import T0, C
from certify.execute.tmnu_enclosure import control_path
from certify.spec.file import RnnFile
from certify.tmnu.program import Program
from certify.universal.arithmetic import NotAnalysable, Round, analyze_stream
from certify.universal.interpreter import is_universal, universal_interpreter


@dataclass(frozen=True)
class UniversalRow:
    """Round ``index`` (0: before the first round, y = 0) and its certified error from RNN step T on."""

    index: int
    T: int
    step: int
    round: Round | None
    approx: SupBound  # sup |P_r - f|
    arith: fmpq  # B_r
    bound: fmpq | None  # approx.upper + arith, None when not certified
    note: str = ""


def output_writers(program: Program) -> dict[str, list[str]]:
    """Ops that write the output register, and the stack symbols whose transitions apply them."""
    out: dict[str, list[str]] = {}
    for op in program.ops:
        if program.output_register in op.written():
            out[op.name] = sorted({str(dict(t.reads).get("S")) for t in program.transitions if t.op == op.name})
    return out


def emit_symbols(program: Program) -> list[str]:
    """The stream symbols that can change the output (proved from the program: only 'r' for the interpreter)."""
    return sorted({s for syms in output_writers(program).values() for s in syms})


def certify_stream(stream: str, f: sympy.Expr, *, rel_tol: float = 0.05,
                   f_sup: SupBound | None = None, claims: Sequence[ClaimSpan] = ()) -> list[UniversalRow]:
    """Rows 0..R: the certified sup error of the universal interpreter running ``stream``, per round.

    Each sup|P_r - f| is refined to a relative tolerance; with ``claims`` (spans of RNN steps), a round
    whose bound is still above its claim E is then decided against E - B_r, refining as far as that
    needs. Raises :class:`NotAnalysable` when the stream is not made of rounds or a proof condition fails.
    """
    program = universal_interpreter(stream)
    writers = emit_symbols(program)
    if writers != ["r"] or output_writers(program) != {"emit": ["r"]}:
        raise NotAnalysable(f"ops {sorted(output_writers(program))} on symbols {writers} write the output")
    analysis = analyze_stream(stream)
    f_sup = f_sup or chebyshev_supnorm({}, f, rel_tol=0.01)
    rows = [UniversalRow(0, T0, 0, None, f_sup, fmpq(0), f_sup.upper)]
    rounds = analysis.rounds
    for i, r in enumerate(rounds):
        prev = rows[-1].bound
        t_r = T0 + C * r.step
        e = _tightest_claim(claims, t_r, T0 + C * rounds[i + 1].step if i + 1 < len(rounds) else None)
        # a bound far below the previous round's is as good as a tight one: refine only to 1/100 of it
        tol = max(ABS_TOL, prev / 100) if prev is not None else ABS_TOL
        approx = chebyshev_supnorm(r.poly, f, rel_tol=rel_tol, abs_tol=tol)
        if e is not None and e > r.arith and (approx.upper is None or approx.upper > e - r.arith):
            decided = chebyshev_supnorm(r.poly, f, target=e - r.arith)  # refine as far as the claim needs
            if decided.upper is not None and (approx.upper is None or decided.upper < approx.upper):
                approx = decided
        notes = []
        ok = approx.upper is not None
        if ok and not _sup_at_most(r.poly, r.out_sup_needed, f_sup, approx):
            ok = False
            notes.append(f"could not certify sup|P_{r.index}| <= {float(r.out_sup_needed):.4g} (output clamp)")
        if ok and r.q_sup_needed is not None:
            qs = chebyshev_supnorm(r.coeffs, None, target=r.q_sup_needed)
            if qs.upper is None or qs.upper > r.q_sup_needed:
                ok = False
                notes.append(f"could not certify sup|Q_{r.index}| <= {float(r.q_sup_needed):.4g} (acc clamp)")
        if not approx.settled:
            notes.append(approx.note)
        bound = approx.upper + r.arith if ok and approx.upper is not None else None
        rows.append(UniversalRow(r.index, T0 + C * r.step, r.step, r, approx, r.arith, bound, "; ".join(notes)))
    return rows


def _sup_at_most(poly: dict[int, fmpq], limit: fmpq, f_sup: SupBound, approx: SupBound) -> bool:
    """sup|P| <= limit, from sup|f| + sup|P - f| when that suffices, else directly."""
    if f_sup.upper is not None and approx.upper is not None and f_sup.upper + approx.upper <= limit:
        return True
    direct = chebyshev_supnorm(poly, None, target=limit)
    return direct.upper is not None and direct.upper <= limit


def universal_rows(query: RateQuery) -> MethodRows:
    """The rate rows of a universal weight file (``certify rates``): one per round, plus row 0.

    Only the ``emit`` op writes the output and the interpreter halts when the stream is spent, so row r
    covers every RNN step from T_r to T_{r+1} (the last: every later step). A round whose bound is above
    a claimed E covering it is decided against E - B_r before the claim is reported UNKNOWN. Raises
    :class:`NotAnalysable` when the stream is not made of rounds.
    """
    assert query.file.simulation is not None
    program = query.file.simulation.program
    stream = "".join(program.stack("S").initial)
    path = control_path(program)
    if path.fixed_from != len(stream):
        raise NotAnalysable(f"the interpreter does not halt after the {len(stream)} instructions of its stream")
    rows = certify_stream(stream, query.fx, rel_tol=query.options.rel_tol, claims=query.claims)
    out = []
    for i, r in enumerate(rows):
        t_end = rows[i + 1].T if i + 1 < len(rows) else None
        label = "y = 0 (no round yet)" if r.round is None else (  # row 0, the only one without a round
            f"round {r.index} (deg {r.round.degree}, m {min(r.round.teeth, default=0)}"
            + (f"-{max(r.round.teeth)}" if r.round.teeth and max(r.round.teeth) != min(r.round.teeth) else "") + ")")
        low = max(r.approx.lower - r.arith, fmpq(0))
        out.append(RateRow(r.T, t_end, label, (r.step,), r.bound, low, r.approx.witness if low > 0 else None,
                           r.approx.upper if r.index else None, r.arith if r.index else None, note=r.note))
    notes = (f"output written only by op(s) {sorted(output_writers(program))} on symbol(s) "
             f"{emit_symbols(program)}; {len(rows) - 1} rounds in {len(stream)} instructions",)
    return MethodRows(tuple(out), notes)


@dataclass(frozen=True)
class UniversalMethod:
    """The rate method of the universal approximator: applies to exactly the stream interpreter; declines
    (falling back to the generic method) when the stream is not made of rounds."""

    name: str = "universal"
    priority: int = 10
    described_as: str = "the universal approximator's rounds"
    claim_keys: Mapping[str, str] = field(default_factory=lambda: {
        "universal": "the stream's rounds as built (degree, teeth, bounds): information, not checked"})

    def applies(self, f: RnnFile) -> bool:
        return f.simulation is not None and is_universal(f.simulation.program)

    def rows(self, query: RateQuery) -> MethodRows:
        try:
            return universal_rows(query)
        except NotAnalysable as err:
            raise Declined(f"the stream is not analysable as rounds ({err})") from None


UNIVERSAL = UniversalMethod()


def _tightest_claim(claims: Sequence[ClaimSpan], lo: int, hi: int | None) -> fmpq | None:
    """The smallest claimed E whose span meets [lo, hi)."""
    return min((s.E for s in claims if s.meets(lo, hi)), default=None)
