"""Bounded reading of untrusted JSON, and typed accessors that name the bad value.

The certificate and the weight file may come from a pull request. Their bytes come from the trust
boundary's bounded reader (``certify.untrusted``: regular files only, within ``max_file_bytes``); JSON
numbers stay exact text (:class:`_Num`, never a float) until the bounded number parser
(``certify.rational``) reads them; duplicate keys and non-finite constants are refused; every accessor
raises :class:`RecheckError` naming where the bad value sits.

>>> _num(_Num("-0.75"), "W_hh[0][0]")
Fraction(-3, 4)
>>> _int(_Num("7"), "simulation.c", 1, 64)
7
>>> _int(_Num("70"), "simulation.c", 1, 64)
Traceback (most recent call last):
...
certify.recheck.read.RecheckError: simulation.c=70 is outside [1, 64]
>>> _name("x|) (assert false", "program.registers[0].name")
Traceback (most recent call last):
...
certify.recheck.read.RecheckError: program.registers[0].name="x|) (assert false" is not a valid name \
(a letter or _, then letters, digits, _ . -)
"""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path, PurePosixPath
from typing import Any

from certify import rational, untrusted

#: Largest certificate or weight file read (bytes), largest dimension, counts of program items, t0 and c.
MAX_DIM = 1_000_000
MAX_ITEMS = 100_000
MAX_CASES = 200_000
MAX_TIMING = 64


class RecheckError(Exception):
    """The certificate or its weight file cannot be read (malformed: exit 2)."""


class _Num(str):
    """The exact text of a JSON number (kept as text: never a float, never a huge int built from it)."""


def _num(v: Any, where: str = "a number") -> Fraction:
    """An exact rational from a JSON number or a number string, through the bounded number parser."""
    if isinstance(v, bool) or v is None or isinstance(v, (dict, list)):
        raise RecheckError(f"{where}={json.dumps(v)[:40]} is not a number")
    try:
        q = rational.parse_number(str(v) if isinstance(v, (_Num, str)) else v, where=where)
    except ValueError as err:
        raise RecheckError(str(err)) from None
    return Fraction(int(q.p), int(q.q))


def _read_bytes(path: Path, what: str) -> bytes:
    """A regular file's bytes within the file-size limit (no devices, FIFOs, folders): the trust boundary's reader."""
    try:
        return untrusted.read_untrusted(path, what)
    except ValueError as err:
        raise RecheckError(str(err)) from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise RecheckError(f"key {k!r} appears twice in one JSON object")
        out[k] = v
    return out


def _load_json(path: Path, what: str = "file") -> Any:
    data = _read_bytes(path, what)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise RecheckError(f"{what} {path}: not UTF-8 text (byte {err.start})") from None

    def bad(c: str) -> None:
        raise RecheckError(f"{what} {path}: non-finite number {c}")

    try:
        return json.loads(text, parse_float=_Num, parse_int=_Num, parse_constant=bad, object_pairs_hook=_no_duplicates)
    except ValueError as err:
        raise RecheckError(f"{what} {path}: {err}") from None
    except RecursionError:
        raise RecheckError(f"{what} {path}: JSON nested too deeply") from None


def _obj(v: Any, where: str) -> dict:
    if not isinstance(v, dict):
        raise RecheckError(f"{where}: expected a JSON object")
    return v


def _list(v: Any, where: str, limit: int = MAX_ITEMS) -> list:
    if not isinstance(v, list):
        raise RecheckError(f"{where}: expected a list")
    if len(v) > limit:
        raise RecheckError(f"{where}: {len(v)} items, more than the limit {limit}")
    return v


def _str(v: Any, where: str) -> str:
    if not isinstance(v, str) or isinstance(v, _Num):
        raise RecheckError(f"{where}: expected a string")
    return v


def _name(v: Any, where: str, grammar: re.Pattern[str] = untrusted.NAME) -> str:
    """A name of the identifier grammar (the trust boundary's, which every reader of certify applies)."""
    try:
        return untrusted.check_name(_str(v, where), where, grammar)
    except ValueError as err:
        raise RecheckError(str(err)) from None


def _int(v: Any, where: str, lo: int, hi: int) -> int:
    if isinstance(v, int) and not isinstance(v, bool):
        v = _Num(str(v))
    if not isinstance(v, _Num) or not re.fullmatch(r"-?[0-9]{1,12}", v):
        raise RecheckError(f"{where}={json.dumps(v)[:40]} is not an integer")
    n = int(v)
    if not lo <= n <= hi:
        raise RecheckError(f"{where}={n} is outside [{lo}, {hi}]")
    return n


def _key(d: dict, k: str, where: str, default: Any = ...) -> Any:
    if k not in d:
        if default is ...:
            raise RecheckError(f'{where}: missing key "{k}"')
        return default
    return d[k]


def _relative(root: Path, ref: Any, what: str, parent_ok: bool = False) -> Path:
    """A path a certificate cites: relative to the certificate's folder, never absolute; inside that folder
    (no "..") unless ``parent_ok`` (the weight file may sit above its certificate)."""
    text = _str(ref, what)
    p = PurePosixPath(text)
    if not text or p.is_absolute() or (".." in p.parts and not parent_ok) or "\\" in text or ":" in text:
        inside = "inside the certificate's folder" if not parent_ok else "from the certificate's folder"
        raise RecheckError(f"{what}={text[:60]!r} must be a relative path {inside}")
    return root / Path(*p.parts)
