"""An independent re-checker for certificates. It shares no code with the prover.

It reads the weight file's JSON itself (``json`` + its own exact number handling on top of the
number parser ``certify.rational`` and the trust boundary ``certify.untrusted``, the only certify
modules it imports), validates the TMNU program and the simulation map with its own rules, computes
the file's content hash itself, enumerates the obligations and the static claims itself from the
program, the map and the claims, and requires the certificate to list exactly those. It recomputes
every proof with its own small exact algebra — replaying the activation pattern recorded in the
certificate and *verifying* each recorded sign decision, rebuilding its own SMT-LIB queries and
solving them with z3 — and re-runs every SMT-LIB file the certificate cites through z3 and, when
installed, cvc5. Refutations are checked where they live (x in the input domain, a valid
configuration of the obligation's case, registers in their bounds) and replayed with its own exact
RNN step and its own TMNU step. Any disagreement is reported loudly; nothing is taken on trust
except the file's bytes.

The modules, lowest first (each imports only those above it):

- ``read``: bounded reading of untrusted JSON, typed accessors, :class:`RecheckError`
- ``canonical``: the canonical text and the content hash
- ``weights``: the weights and their canonical lines
- ``program``: the TMNU program, the simulation map and the input spec, validated
- ``algebra``: the exact algebra of ReLU expressions
- ``model``: the file, the model, and the obligations the theorem needs
- ``pattern``: replaying a recorded activation pattern, each decision verified
- ``smt``, ``smt_guard``, ``solvers``: the SMT-LIB writer, its allowlist guard, z3 and cvc5
- ``witness``: witnesses checked where they live and replayed exactly
- ``report``, ``driver``: :class:`Report` and :func:`recheck`

``tests/security/test_recheck_independence.py`` keeps every module of this package from importing
anything else from certify.
"""

from __future__ import annotations

from certify.recheck.algebra import make_atom, plus
from certify.recheck.driver import recheck
from certify.recheck.model import File, Model
from certify.recheck.read import RecheckError
from certify.recheck.report import Report
from certify.recheck.smt import smt_query
from certify.recheck.smt_guard import SmtRefused
from certify.recheck.solvers import cvc5_status, z3_status
from certify.recheck.witness import replay_witness

__all__ = ["File", "Model", "RecheckError", "Report", "SmtRefused", "cvc5_status", "make_atom", "plus", "recheck",
           "replay_witness", "smt_query", "z3_status"]
