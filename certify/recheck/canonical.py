"""The canonical text of a weight file's values, and the content hash over everything the theorem depends on.

The hash covers the weights, h0, the input spec, the simulation block (program, encoding, c, t0) and the
claims. The prover's ``certify/spec/digest.py`` computes the same hash independently; the rules are in
``docs/security.md``.

>>> canonical({"b": [1, _Num("0.50")], "a": "x", "c": None})
'{"a":"x","b":[1,1/2],"c":null}'
"""

from __future__ import annotations

import hashlib
import json
from fractions import Fraction
from typing import Any

from certify.recheck.read import RecheckError, _Num, _num

CONTENT_FORMAT = "certify.content/1"


def canonical(v: Any) -> str:
    if v is None or isinstance(v, bool):
        return json.dumps(v)
    if isinstance(v, (_Num, int, Fraction)):
        return str(_num(v))
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=True)
    if isinstance(v, dict):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=True)}:{canonical(v[k])}"
                              for k in sorted(v, key=str)) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(canonical(x) for x in v) + "]"
    raise RecheckError(f"cannot canonicalise a {type(v).__name__}")


def content_sha256(weight_lines: list[str], kind: str, domain: tuple[Fraction, Fraction], prog: dict | None,
                   smap: dict | None, claims: dict) -> str:
    """sha256 of the content: the weights' canonical lines, the input, the simulation block and the claims."""
    lines = [CONTENT_FORMAT, *weight_lines, f"input {kind} {domain[0]} {domain[1]}"]
    sim = None if prog is None else {"program": prog, **(smap or {})}
    lines += ["simulation " + canonical(sim), "claims " + canonical(claims)]
    return hashlib.sha256(("\n".join(lines) + "\n").encode()).hexdigest()
