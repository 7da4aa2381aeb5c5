"""Error versus runtime: certify sup_x |y_T(x) - f(x)| for every RNN step T, row by row, and decide a
file's claimed rate table (``claims.rate`` = [{"T": t, "E": e}, ...]: E bounds the error from that row's
T up to the next row's; the last row holds up to ``claims.rate_until``, or for every later T).

The rows come from the TMNU run, which the simulation theorem (``certify check``) makes equal to the
RNN's. The first registered method that applies certifies them (:mod:`~certify.bounds.rates.registry`:
the universal approximator's rounds when that plug-in is loaded, else enclosures). A claim is decided
on the rows (:mod:`~certify.bounds.rates.decide`). Sampled errors (float64, on a grid) are only shown and
plotted; they are never used as bounds.

>>> from certify.compiler.tmnu_to_rnn import compile_program, from_compiled
>>> from certify.constructions.examples import squaring, squaring_claims
>>> claims = squaring_claims(rounds=4)
>>> f = from_compiled(compile_program(squaring()), claims)
>>> rep = rates(f, samples=65)
>>> [c.verdict.value for c in rep.claims], rep.method
(['PROVED', 'PROVED', 'PROVED', 'PROVED'], 'enclosure')
>>> del claims["rate_until"]       # now the last claim holds 'forever', but squaring never halts
>>> rep = rates(from_compiled(compile_program(squaring()), claims), samples=65)
>>> rep.claims[-1].verdict.value, rep.claims[-1].reason[:60]
('UNKNOWN', 'the claim covers every T from 22 on, but the program never h')

Any span of runtimes can be decided instead of the file's table (the gate's "error at T <= E"):

>>> from flint import fmpq
>>> from certify.bounds.claims import ClaimSpan
>>> rep = rates(f, samples=0, claims=(ClaimSpan(14, 15, fmpq(1, 16)),))
>>> [(c.T, c.T_end, c.verdict.value) for c in rep.claims]
[(14, 15, 'PROVED')]
"""

from __future__ import annotations

import time

from certify.bounds.claims import ClaimSpan, parse_claims
from certify.bounds.rates.decide import Theorem, conditional, decide, decide_network, simulation_theorem
from certify.bounds.rates.model import LANES, MAX_LANES, SAMPLES, RateOptions, RatesReport
from certify.bounds.rates.registry import Declined, RateQuery, certify_rows
from certify.bounds.rates.samples import with_network_samples, with_samples
from certify.errors import InputError
from certify.execute.pieces import MAX_PIECES
from certify.expr import check_continuous, parse_function
from certify.spec.file import RnnFile
from certify.verdict import Verdict


def rates(f: RnnFile, *, samples: int = SAMPLES, lanes: int = LANES, max_lanes: int = MAX_LANES,
          horizon: int | None = None, rel_tol: float = 0.05, theorem: Theorem | None = None,
          claims: tuple[ClaimSpan, ...] | None = None, max_pieces: int = MAX_PIECES) -> RatesReport:
    """Certify the error-versus-runtime table of a weight file and decide its claims (module docstring).

    ``claims``: the spans to decide instead of the file's ``claims.rate`` table. The rows are outputs of
    the TMNU run; a claim is decided for the RNN only when the simulation theorem is proved (``theorem``;
    by default decided here with ``certify check``), otherwise it is UNKNOWN."""
    start = time.perf_counter()
    parsed = parse_claims(f.claims)
    if parsed.target is None:
        raise InputError("the file claims no target function (claims.target); nothing to compare y_T with")
    fx = parse_function(parsed.target)
    check_continuous(fx, parsed.target)
    if claims is None:
        parsed.require("rate", "rate_until", "rate_formula")  # validated before any work
        spans, until = parsed.spans(), parsed.rate_until
    else:
        spans, until = tuple(sorted(claims, key=lambda s: s.T)), None
    query = RateQuery(f, fx, spans, until, RateOptions(lanes, max_lanes, horizon, rel_tol, max_pieces))
    try:
        method, found, declined = certify_rows(query)
    except Declined as err:
        raise InputError(f"no rate method can analyse this file: {err}") from None
    notes = [*declined, *found.notes]
    if f.simulation is None:  # the rows are the network's own outputs: no simulation theorem to rest on
        lo, hi = f.input.domain
        rows = with_network_samples(f.network, f.input.kind, lo, hi, fx, list(found.rows), samples)
        theorem = Theorem(Verdict.PROVED, "the rows are certified on the network itself")
        checks = tuple(decide_network(f, fx, rows, span) for span in spans)
    else:
        rows = with_samples(f.simulation.program, fx, list(found.rows), samples)
        theorem = theorem if theorem is not None else simulation_theorem(f)
        checks = tuple(conditional(decide(f, fx, rows, span), theorem) for span in spans)
    if theorem.verdict is not Verdict.PROVED:
        notes.append(f"the simulation theorem is not proved ({theorem.reason}): the rows are the TMNU's errors, "
                     "not certified for the RNN")
    if not spans:
        notes.append("the file claims no rate table (claims.rate); rows are certified, nothing is checked")
    return RatesReport(f.name, parsed.target, method, tuple(rows), checks, tuple(notes), time.perf_counter() - start)
