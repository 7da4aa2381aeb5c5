"""Exact JSON: load numbers without floats, and read fields with errors that name their path.

>>> doc = loads('{"a": [1, 0.5, "3/4"]}', "demo.json")
>>> [str(number(v, f"a[{i}]")) for i, v in enumerate(doc["a"])]
['1', '1/2', '3/4']
>>> loads('{"a": NaN}', "demo.json")["a"]
'NaN'
>>> number(loads('{"a": NaN}', "f")["a"], "b[0]")
Traceback (most recent call last):
...
certify.errors.InputError: b[0]="NaN" is not a finite number
>>> field({"x": 1}, "y", "rnn")
Traceback (most recent call last):
...
certify.errors.InputError: rnn: missing key "y"
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flint import fmpq

from certify.errors import InputError
from certify.rational import parse_number
from certify.untrusted import JsonConstant, JsonDecimal, current_limits, quote, read_untrusted


def _int(text: str) -> int | JsonDecimal:
    # Very long integers stay text (Python's int() refuses > 4300 digits); parse_number bounds them.
    return int(text) if len(text) < 4000 else JsonDecimal(text)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):  # a duplicate key: two readers could see two different files
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise _Duplicate(k)
            seen.add(k)
    return out


class _Duplicate(Exception):
    pass


def loads(data: str | bytes, source: str) -> Any:
    """Parse JSON text exactly: fractional numbers stay as their decimal text, NaN/Infinity are kept
    as markers so that the field that holds them can be named in the error. A key given twice in one
    object, nesting deeper than ``max_json_depth`` and text longer than ``max_file_bytes`` are errors.

    >>> loads('{"a": 1, "a": 2}', "f.json")
    Traceback (most recent call last):
    ...
    certify.errors.InputError: f.json: key "a" appears twice in one object
    >>> loads("[" * 100 + "]" * 100, "f.json")
    Traceback (most recent call last):
    ...
    certify.errors.InputError: f.json: JSON nested deeper than max_json_depth=64 (raise it with \
--limit max_json_depth=N)
    """
    limits = current_limits()
    if len(data) > limits.max_file_bytes:
        raise InputError(f"{source}: {len(data)} bytes of JSON, more than max_file_bytes={limits.max_file_bytes} "
                         "(raise it with --limit max_file_bytes=N)")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise InputError(f"{source}: not UTF-8 text (byte {err.start}); is this a JSON file?") from None
    try:
        doc = json.loads(data, parse_float=JsonDecimal, parse_int=_int, parse_constant=JsonConstant,
                         object_pairs_hook=_object)
    except json.JSONDecodeError as err:
        raise InputError(f"{source}: invalid JSON at line {err.lineno} column {err.colno}: {err.msg}") from None
    except _Duplicate as dup:
        raise InputError(f"{source}: key {_key(dup.args[0])} appears twice in one object") from None
    except RecursionError:
        raise InputError(f"{source}: JSON nested deeper than max_json_depth={limits.max_json_depth} "
                         "(raise it with --limit max_json_depth=N)") from None
    if depth(doc) > limits.max_json_depth:
        raise InputError(f"{source}: JSON nested deeper than max_json_depth={limits.max_json_depth} "
                         "(raise it with --limit max_json_depth=N)")
    return doc


def read(path: str | Path, what: str) -> Any:
    """Read and parse a JSON file from an untrusted source (see :func:`certify.rational.read_untrusted`)."""
    return loads(read_untrusted(path, what), str(path))


def depth(doc: Any) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0), without recursion.

    >>> depth({"a": [1, [2]]}), depth(3)
    (3, 0)
    """
    best, todo = 0, [(doc, 1)]
    while todo:
        node, d = todo.pop()
        children: Iterable[Any]
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        best = max(best, d)
        todo.extend((c, d + 1) for c in children if isinstance(c, (dict, list)))
    return best


def _key(k: str) -> str:
    shown = json.dumps(k)
    return shown if len(shown) <= 60 else shown[:57] + '..."'


def field(obj: Any, key: str, path: str, default: Any = ...) -> Any:
    """``obj[key]``, with an error naming ``path`` if ``obj`` is not an object or lacks the key."""
    if not isinstance(obj, dict):
        raise InputError(f"{path}: expected a JSON object, got {type_name(obj)}")
    if key not in obj:
        if default is ...:
            raise InputError(f'{path}: missing key "{key}"')
        return default
    return obj[key]


def type_name(v: Any) -> str:
    if isinstance(v, (JsonDecimal, int)) and not isinstance(v, bool):
        return "a number"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(v), type(v).__name__
    )


def number(v: Any, path: str, weight: bool = False) -> fmpq:
    """An exact number; a ``weight`` is bounded by ``max_weight_bits``, any other by ``max_number_bits``."""
    if weight:
        return parse_number(v, where=path, max_bits=current_limits().max_weight_bits, limit_name="max_weight_bits")
    return parse_number(v, where=path)


def integer(v: Any, path: str, lo: int = 0, hi: int | None = None, limit_name: str = "") -> int:
    """A JSON integer within [lo, hi], else an error naming ``path`` and the value (and ``limit_name``,
    the :class:`~certify.rational.Limits` field that sets ``hi``, if any).

    >>> integer(70000, "rnn.hidden_dim", 1, 65536, "max_dimension")
    Traceback (most recent call last):
    ...
    certify.errors.InputError: rnn.hidden_dim=70000 exceeds the limit max_dimension=65536 (raise it with \
--limit max_dimension=N)
    """
    if isinstance(v, bool) or not isinstance(v, int):
        raise InputError(f"{path}={quote(v)} is not an integer")
    if v < lo:
        raise InputError(f"{path}={v} is below the minimum {lo}")
    if hi is not None and v > hi:
        if limit_name:
            raise InputError(f"{path}={v} exceeds the limit {limit_name}={hi} (raise it with --limit {limit_name}=N)")
        raise InputError(f"{path}={v} exceeds the limit {hi}")
    return v


def string(v: Any, path: str) -> str:
    if not isinstance(v, str) or isinstance(v, (JsonDecimal, JsonConstant)):
        raise InputError(f"{path}: expected a string, got {type_name(v)}")
    return str(v)


def array(v: Any, path: str) -> list[Any]:
    if not isinstance(v, list):
        raise InputError(f"{path}: expected a list, got {type_name(v)}")
    return v


def dumps(obj: Any) -> str:
    """Deterministic, readable JSON: objects indented, lists of scalars on one line."""
    return _emit(obj, 0) + "\n"


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, (str, int, float, bool))


def _emit(obj: Any, level: int) -> str:
    pad, inner = "  " * level, "  " * (level + 1)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{inner}{json.dumps(str(k))}: {_emit(v, level + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, (list, tuple)):
        if not obj:
            return "[]"
        if all(_is_scalar(v) for v in obj):
            return "[" + ", ".join(json.dumps(v) for v in obj) + "]"
        if all(isinstance(v, (list, tuple)) and all(_is_scalar(w) for w in v) for v in obj):
            return "[\n" + ",\n".join(inner + _emit(v, level + 1) for v in obj) + "\n" + pad + "]"
        return "[\n" + ",\n".join(inner + _emit(v, level + 1) for v in obj) + "\n" + pad + "]"
    return json.dumps(obj)
