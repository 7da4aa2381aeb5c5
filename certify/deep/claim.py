"""``claims.equals_target``: a weight file claims that its network equals a deep-narrow target on K^N (the target
given inline, a ``certify.deep-target/1`` document), and ``certify check`` decides it — one result per output
time t, recorded in the certificate like the static claims (the content hash covers the claims, so the
target is covered too). Registered with :mod:`certify.prove.claim_checks` when this package is imported.

>>> from certify.deep.target import Target
>>> from certify.deep.narrow import compile_target
>>> from certify.spec.file import InputSpec, RnnFile
>>> tg = Target.from_lists(dx=1, dy=1, N=2, domain=[[-1, 1]], steps=[
...     {"t": 1, "A": [[1]], "c": [0], "W": [[1]], "d": [0]},
...     {"t": 2, "A": [[1, 1]], "c": [0], "W": [[-1]], "d": [0]}])
>>> f = RnnFile(compile_target(tg), claims={KEY: tg.as_json()})
>>> [(r.id, r.verdict.value, r.method) for r in decide_equality(f, f.claims[KEY], 60.0, None)]
[('claim[equals_target][t=1]', 'PROVED', 'symbolic'), ('claim[equals_target][t=2]', 'PROVED', 'symbolic')]
"""

from __future__ import annotations

from typing import Any

from certify.bounds.claims import declare_key
from certify.deep.equivalence import prove_equal
from certify.deep.target import parse_target
from certify.errors import InputError
from certify.prove import claim_checks
from certify.prove.certificate import Result
from certify.prove.obligations import ObligationKind
from certify.rational import to_string
from certify.spec.file import RnnFile

KEY = "equals_target"


def decide_equality(f: RnnFile, value: Any, timeout: float, rlimit: int | None) -> list[Result]:
    """One result per output time of the target: y_t = f[t](x[1:t]) for every x in K^N."""
    if not isinstance(value, dict):
        raise InputError(f"claims.{KEY} must be a certify.deep-target/1 object")
    eq = prove_equal(f.network, parse_target(value, f"claims.{KEY}"), timeout=timeout, rlimit=rlimit)
    out = []
    for r in eq.results:
        reason = r.reason
        if r.witness:
            seq = "; ".join("(" + ", ".join(to_string(v) for v in x) + ")" for x in r.witness)
            reason += f" at the input sequence x_1..x_N = {seq} (replay: certify equiv FILE TARGET)"
        out.append(Result(id=f"claim[{KEY}][t={r.t}]", kind=ObligationKind.STATIC, verdict=r.verdict, method=r.method,
                          reason=reason, evidence={"claim": f"y_{r.t} = f[{r.t}](x[1:{r.t}]) on K^N, target sha256 "
                                                            f"{eq.target_sha256[:16]}"}))
    return out


claim_checks.register(KEY, decide_equality)
declare_key(KEY, "the network equals this deep-narrow target (certify.deep-target/1, inline) on K^N: certify check")
