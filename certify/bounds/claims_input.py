"""Claims a researcher makes about their own construction, checked before they go into a weight file:
from a JSON file (``certify compile --claims FILE``) or from a program file's ``CLAIMS``.

Every key must be one certify reads (:func:`certify.bounds.claims.known_keys`, plug-ins included); every value
must be exact JSON (no binary float) and parse (:func:`certify.bounds.claims.parse_claims`). The merge order of
``certify compile`` is :func:`merge`: the compiler's own claims, then the program's, then ``--claims``
(a later source replaces a key of an earlier one).

>>> checked({"hidden_dim_max": 40, "rate": [{"T": 10, "E": "1/4"}]}, "--claims")
{'hidden_dim_max': 40, 'rate': [{'T': 10, 'E': '1/4'}]}
>>> checked({"hidden_dim_maks": 40}, "--claims")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
certify.errors.InputError: --claims: unknown claim key "hidden_dim_maks" (known: distinct_weights_max, ...)
>>> checked({"weight_abs_max": 0.5}, "CLAIMS")
Traceback (most recent call last):
...
certify.errors.InputError: CLAIMS.weight_abs_max=0.5 is a binary float; write it as an exact string such as "1/2"
>>> merge({"hidden_dim_max": 9}, {"hidden_dim_max": 8, "target": "x"}, {"target": "x**2"})
{'hidden_dim_max': 8, 'target': 'x**2'}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from certify.bounds.claims import known_keys, parse_claims
from certify.errors import InputError
from certify.jsonio import loads
from certify.jsonio import read as read_json
from certify.untrusted import JsonConstant, quote


def checked(raw: Any, where: str) -> dict[str, Any]:
    """``raw`` as a claims block, or an InputError naming the first unknown key or bad value."""
    if not isinstance(raw, Mapping):
        raise InputError(f"{where}: expected an object of claims {{key: value}}, got {type(raw).__name__}")
    known = known_keys()
    for key in raw:
        if not isinstance(key, str) or key not in known:
            raise InputError(f"{where}: unknown claim key {quote(key)} (known: {', '.join(sorted(known))})")
    for key, value in raw.items():
        _exact_json(value, f"{where}.{key}")
    parse_claims(raw).require()
    return dict(raw)


def _exact_json(v: Any, where: str) -> None:
    """Refuse what a weight file's claims cannot hold exactly: binary floats, NaN, non-JSON values."""
    if isinstance(v, float):
        raise InputError(f"{where}={v!r} is a binary float; write it as an exact string such as "
                         f"\"{_hint(v)}\"")
    if isinstance(v, JsonConstant):
        raise InputError(f"{where}={v} is not a finite number")
    if isinstance(v, Mapping):
        for k, x in v.items():
            if not isinstance(k, str):
                raise InputError(f"{where}: key {k!r} is not a string")
            _exact_json(x, f"{where}.{k}")
    elif isinstance(v, list | tuple):
        for i, x in enumerate(v):
            _exact_json(x, f"{where}[{i}]")
    elif not isinstance(v, str | int | bool) and v is not None:
        raise InputError(f"{where} is a {type(v).__name__}, not a JSON value")


def _hint(v: float) -> str:
    n, d = v.as_integer_ratio() if v == v and abs(v) != float("inf") else (0, 1)
    return f"{n}/{d}" if d != 1 else str(n)


def read_claims(text_or_path: str, where: str = "--claims") -> dict[str, Any]:
    """A claims object from a JSON file (read bounded) or inline JSON text (``{"hidden_dim_max": 40}``), checked."""
    doc = loads(text_or_path, where) if text_or_path.lstrip()[:1] in ("{", "[") else \
        read_json(text_or_path, f"{where} file")
    return checked(doc, where)


def merge(*sources: Mapping[str, Any]) -> dict[str, Any]:
    """The claims of several sources, a later one replacing an earlier one's keys (key order: first seen)."""
    out: dict[str, Any] = {}
    for s in sources:
        out.update(s)
    return out
