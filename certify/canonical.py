"""Canonical text of JSON-shaped data with exact numbers, for content hashes.

Keys are sorted, there is no whitespace, strings are ASCII-escaped JSON, and every number — a JSON
integer, a decimal literal kept as text (:class:`~certify.rational.JsonDecimal`), an ``fmpq`` or a
``Fraction`` — is written unquoted as the exact rational it denotes (``"p"`` or ``"p/q"`` in lowest
terms), so ``0.5`` and ``1/2`` written as numbers hash alike while the *string* ``"0.5"`` stays a string.
The independent re-checker (``certify/recheck/``) implements the same rules on its own;
``docs/security.md`` states them.

>>> from flint import fmpq
>>> from certify.untrusted import JsonDecimal
>>> canonical({"b": [1, JsonDecimal("0.50")], "a": "x", "c": None, "d": fmpq(-3, 6)})
'{"a":"x","b":[1,1/2],"c":null,"d":-1/2}'
"""

from __future__ import annotations

import hashlib
import json
from fractions import Fraction
from typing import Any

from flint import fmpq, fmpz

from certify.rational import parse_number
from certify.untrusted import JsonConstant, JsonDecimal


def canonical(value: Any) -> str:
    """The canonical text of ``value`` (dicts, lists/tuples, strings, numbers, booleans, None)."""
    out: list[str] = []
    _emit(value, out)
    return "".join(out)


def _emit(v: Any, out: list[str]) -> None:
    if v is None or isinstance(v, bool):
        out.append(json.dumps(v))
    elif isinstance(v, JsonConstant):
        out.append(f"!{v}")  # NaN/Infinity markers: never a valid number, but hashed distinctly
    elif isinstance(v, (JsonDecimal, int, fmpz, fmpq, Fraction)):
        out.append(str(parse_number(v if not isinstance(v, JsonDecimal) else str(v))))
    elif isinstance(v, str):
        out.append(json.dumps(v, ensure_ascii=True))
    elif isinstance(v, dict):
        out.append("{")
        for i, k in enumerate(sorted(v, key=str)):
            if i:
                out.append(",")
            out.append(json.dumps(str(k), ensure_ascii=True))
            out.append(":")
            _emit(v[k], out)
        out.append("}")
    elif isinstance(v, (list, tuple)):
        out.append("[")
        for i, item in enumerate(v):
            if i:
                out.append(",")
            _emit(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot canonicalise a {type(v).__name__}")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
