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
from typing import Any

from flint import fmpq

from certify.errors import InputError
from certify.rational import JsonConstant, JsonDecimal, parse_number

#: Largest JSON text accepted (a weight file with a long stack value is a few MB at most).
MAX_JSON_BYTES = 512 * 1024 * 1024


def _int(text: str) -> int | JsonDecimal:
    # Very long integers stay text (Python's int() refuses > 4300 digits); parse_number handles them.
    return int(text) if len(text) < 4000 else JsonDecimal(text)


def loads(data: str | bytes, source: str) -> Any:
    """Parse JSON text exactly: fractional numbers stay as their decimal text, NaN/Infinity are kept
    as markers so that the field that holds them can be named in the error."""
    if isinstance(data, bytes):
        if len(data) > MAX_JSON_BYTES:
            raise InputError(f"{source}: file of {len(data)} bytes is larger than the limit {MAX_JSON_BYTES}")
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise InputError(f"{source}: not UTF-8 text (byte {err.start}); is this a JSON file?") from None
    try:
        return json.loads(data, parse_float=JsonDecimal, parse_int=_int, parse_constant=JsonConstant)
    except json.JSONDecodeError as err:
        raise InputError(f"{source}: invalid JSON at line {err.lineno} column {err.colno}: {err.msg}") from None
    except RecursionError:
        raise InputError(f"{source}: JSON nested too deeply") from None


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


def number(v: Any, path: str) -> fmpq:
    return parse_number(v, where=path)


def integer(v: Any, path: str, lo: int = 0, hi: int | None = None) -> int:
    """A JSON integer within [lo, hi], else an error naming ``path`` and the value."""
    if isinstance(v, bool) or not isinstance(v, int):
        raise InputError(f"{path}={json.dumps(v) if _jsonable(v) else v!r} is not an integer")
    if v < lo:
        raise InputError(f"{path}={v} is below the minimum {lo}")
    if hi is not None and v > hi:
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


def _jsonable(v: Any) -> bool:
    try:
        json.dumps(v)
        return True
    except (TypeError, ValueError):
        return False


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
