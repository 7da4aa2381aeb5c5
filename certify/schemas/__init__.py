"""The JSON schemas of certify's file formats, shipped in the package, and one validator for them.

``certificate.json`` is ``certify.certificate/2`` (``certify check --certificate``), ``report.json`` is
``certify.report/1`` (``certify report --json``). ``docs/certificate-schema.json`` and
``docs/report-schema.json`` are byte-identical copies for readers of the repository (a test keeps them so).

Documents come from :func:`certify.jsonio.loads`, which keeps fractional numbers as their exact text
(:class:`~certify.untrusted.JsonDecimal`): the validator counts that text as a number, never as a string.
Every problem is reported, each naming its path in the document:

>>> doc = {"format": "certify.certificate/2", "name": "demo", "weights": {"file": "d.rnn.json", "sha256": "0" * 64},
...        "tools": {}, "theorem": "static claims only", "simulation_checked": False, "note": "",
...        "verdict": "PROVED", "counts": {"PROVED": 0, "UNKNOWN": 0, "REFUTED": 0}, "results": []}
>>> problems("certificate", doc)
[]
>>> problems("certificate", doc | {"name": 3, "results": [{"id": "x", "kind": "loop", "method": "smt", "seen": 1}]})
['name=3 is not a string', 'results[0]: unexpected field "seen"', 'results[0]: "verdict" is missing', \
'results[0].kind="loop" is not one of static, invariant, prologue, readout, step']
>>> validate("certificate", {"format": "certify.certificate/1"}, "c.json", ValueError)
Traceback (most recent call last):
...
ValueError: c.json: "name" is missing; "weights" is missing; "tools" is missing; "theorem" is missing; \
"simulation_checked" is missing; and 5 more
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import re
from collections.abc import Iterable
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from certify.untrusted import JsonConstant, JsonDecimal, quote

#: schema name -> file in this package
SCHEMAS = {"certificate": "certificate.json", "report": "report.json"}
#: problems listed in one error message before "and N more"
SHOWN = 5

_INTEGER = re.compile(r"-?[0-9]+")


def text(name: str) -> str:
    """The schema's JSON text, as shipped."""
    if name not in SCHEMAS:
        raise ValueError(f"no schema named {name!r} (known: {', '.join(SCHEMAS)})")
    return importlib.resources.files(__name__).joinpath(SCHEMAS[name]).read_text(encoding="utf-8")


@functools.cache
def schema(name: str) -> dict[str, Any]:
    """The schema as a dict (read once)."""
    out: dict[str, Any] = json.loads(text(name))
    return out


def _is_string(_: object, v: Any) -> bool:
    return isinstance(v, str) and not isinstance(v, (JsonDecimal, JsonConstant))


def _is_number(_: object, v: Any) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool)) or isinstance(v, JsonDecimal)


def _is_integer(_: object, v: Any) -> bool:
    if isinstance(v, JsonDecimal):  # an integer too long for int() stays text
        return bool(_INTEGER.fullmatch(v))
    return isinstance(v, int) and not isinstance(v, bool)


_TYPES = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine_many(
    {"string": _is_string, "number": _is_number, "integer": _is_integer})
_Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=_TYPES)


@functools.cache
def _validator(name: str) -> Any:
    return _Validator(schema(name))


def path_text(path: Iterable[Any]) -> str:
    """A path in a document as a person writes it.

    >>> path_text(["results", 3, "evidence", "map", "state load"])
    'results[3].evidence.map["state load"]'
    """
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(p)):
            out += f".{p}" if out else str(p)
        else:
            out += f"[{quote(str(p))}]"
    return out


def _shown(v: Any) -> str:
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, list):
        return "an array"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    return quote(v)


_ARTICLE = {"object": "an object", "array": "an array", "integer": "an integer", "string": "a string",
            "number": "a number", "boolean": "true or false", "null": "null"}


def _why(e: ValidationError) -> str:
    """One problem: where it is, what is there, and what the schema wants."""
    where = path_text(e.absolute_path)
    kind, want = e.validator, e.validator_value
    if kind == "required":
        missing = [k for k in want if isinstance(e.instance, dict) and k not in e.instance]
        return "; ".join(f'{where + ": " if where else ""}"{k}" is missing' for k in missing)
    if kind == "additionalProperties" and isinstance(e.instance, dict):
        known = set(e.schema.get("properties", {}))
        extra = [k for k in e.instance if k not in known]
        return "; ".join(f"{where + ': ' if where else ''}unexpected field {quote(k)}" for k in extra)
    got = f"{where}={_shown(e.instance)}" if where else _shown(e.instance)
    if kind == "enum":
        return f"{got} is not one of {', '.join(map(str, want))}"
    if kind == "const":
        return f"{got} is not {json.dumps(want)}"
    if kind == "type":
        wants = want if isinstance(want, list) else [want]
        return f"{got} is not {' or '.join(str(_ARTICLE.get(w, w)) for w in wants)}"
    if kind == "pattern":
        return f"{got} does not match {want}"
    if kind == "minimum":
        return f"{got} is below {want}"
    if kind in ("minItems", "maxItems"):
        return f"{got} needs {'at least' if kind == 'minItems' else 'at most'} {want} items"
    if kind == "minLength":
        return f"{got} is empty"
    return f"{got}: {e.message[:120]}"


def problems(name: str, doc: Any) -> list[str]:
    """Every way ``doc`` breaks schema ``name``, in document order (empty: it is valid)."""
    errors = sorted(_validator(name).iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    out: list[str] = []
    for e in errors:
        out += [p for p in _why(e).split("; ") if p and p not in out]
    return out


def validate(name: str, doc: Any, source: str, error: type[Exception]) -> None:
    """Raise ``error`` naming ``source`` and every problem (the first :data:`SHOWN`) when ``doc`` breaks schema
    ``name``."""
    found = problems(name, doc)
    if found:
        more = f"; and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
        raise error(f"{source}: " + "; ".join(found[:SHOWN]) + more)
