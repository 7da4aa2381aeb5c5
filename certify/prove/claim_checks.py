"""Claims that a plug-in decides inside ``certify check`` (so that the certificate records them): a registry of
deciders keyed by claim name. The checker asks every registered decider whose key the file claims; a decider
returns results of kind ``static`` (ids ``claim[KEY]…``), with the methods certificates know (``symbolic``,
``smt``). The prover never imports a plug-in: plug-ins register here (:mod:`certify.plugins` loads them).

>>> register("demo_claim", lambda f, value, timeout, rlimit: [])
>>> "demo_claim" in registered()
True
>>> _DECIDERS.pop("demo_claim") is not None
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from certify.prove.certificate import Result
from certify.spec.file import RnnFile

#: decider(file, the claim's value, SMT timeout in seconds, z3 rlimit or None) -> results
Decider = Callable[[RnnFile, Any, float, int | None], list[Result]]
_DECIDERS: dict[str, Decider] = {}


def register(key: str, decider: Decider) -> None:
    """Let ``certify check`` decide ``claims.KEY`` with ``decider`` (replacing one of the same key)."""
    _DECIDERS[key] = decider


def registered() -> dict[str, Decider]:
    """Every registered decider, by claim key (in the order they were registered)."""
    return dict(_DECIDERS)
