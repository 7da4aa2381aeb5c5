"""The trust boundary every reader shares: limits, bounded file reading, and the grammar of names.

Every file certify reads may come from a pull request (DESIGN §8). So every reader, the independent
re-checker included, obeys :class:`Limits` (sizes, digits, bits, dimensions; raised with
``certify --limit NAME=VALUE`` or ``CERTIFY_LIMITS``), takes a file's bytes from :func:`read_untrusted`
(regular files only, never more than ``max_file_bytes``), accepts names of a fixed grammar only
(:func:`check_name`), and shows a bad value quoted, ASCII only and short (:func:`quote`). The number
parser (``certify.rational``) builds on this module; this module imports nothing from certify but the
error type.

>>> read_untrusted("/dev/zero", "weight file")
Traceback (most recent call last):
...
certify.errors.InputError: /dev/zero: the weight file is a character device, not a regular file
>>> with limits_scope(Limits(max_name_chars=4)):
...     check_name("halve", "program.ops[0].name")
Traceback (most recent call last):
...
certify.errors.InputError: program.ops[0].name="halve" is longer than max_name_chars=4 characters \
(raise it with --limit max_name_chars=N)
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields, replace
from typing import Any

from certify.errors import InputError

MiB = 1 << 20


# --- limits ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Limits:
    """Bounds on everything read from an untrusted file or option (``docs/security.md``, "Limits").

    Each default is far above what the committed constructions need (the largest number, the h0 entry of
    ``proofs/universal_weierstrass``, has 167,311 bits) and far below what exhausts memory or time.

    >>> Limits().max_file_bytes == 64 * MiB
    True
    >>> Limits().with_overrides({"max_dimension": "512"}).max_dimension
    512
    >>> Limits().with_overrides({"max_colour": "1"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    certify.errors.InputError: unknown limit "max_colour" (known: max_cases, max_dimension, ...)
    """

    #: Bytes of one file (weights, program, certificate, configuration).
    max_file_bytes: int = 64 * MiB
    #: Nesting depth of a JSON document.
    max_json_depth: int = 64
    #: Characters of one number string.
    max_number_chars: int = 1_250_000
    #: Bits of the numerator and of the denominator of one number (h0, program values, claims, options).
    max_number_bits: int = 2_000_000
    #: Bits of the numerator and of the denominator of one weight (W_hh, W_ih, b, W_out, b_out).
    max_weight_bits: int = 4096
    #: Sum of the bit sizes of all numbers of one file.
    max_total_number_bits: int = 16_000_000
    #: Hidden, input and output dimension; every axis of an array in .npz / safetensors.
    max_dimension: int = 100_000
    #: Entries of one matrix or vector in a file (sparse entries, dense values, array elements).
    max_entries: int = 4_000_000
    #: States, transitions, ops, registers, stacks and alphabet symbols of one TMNU program, each.
    max_states: int = 100_000
    #: (state, top symbols) cases of one TMNU program (each becomes a proof obligation).
    max_cases: int = 200_000
    #: Symbols of one stack's initial content.
    max_stack_symbols: int = 1_000_000
    #: Characters of one name (program, state, stack, register, op, symbol, tensor).
    max_name_chars: int = 128
    #: Characters of one free text (a unit label, a description).
    max_text_chars: int = 4096
    #: Characters of a target function f(x).
    max_expr_chars: int = 2000
    #: Uncompressed bytes of one member of an .npz archive, and of all members together.
    max_zip_member_bytes: int = 64 * MiB
    #: Uncompressed / compressed size of an .npz member larger than 1 MiB.
    max_zip_ratio: int = 500
    #: Bits the whole hidden state (summed over units) may grow beyond its start h0 in an exact rollout.
    max_state_bits: int = 1_000_000

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise InputError(f"limit {f.name}={v!r} must be a positive integer")

    def with_overrides(self, values: Mapping[str, str | int]) -> Limits:
        """These limits with some replaced: ``{"max_file_bytes": "128Mi"}`` (suffixes K M G, Ki Mi Gi)."""
        known = {f.name for f in fields(self)}
        changes = {}
        for name, value in values.items():
            if name not in known:
                raise InputError(f'unknown limit "{name}" (known: {", ".join(sorted(known))})')
            changes[name] = _limit_value(name, value)
        return replace(self, **changes)

    def overrides(self) -> dict[str, int]:
        """The limits that differ from the defaults (what ``CERTIFY_LIMITS`` would have to say)."""
        base = Limits()
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) != getattr(base, f.name)}


_SUFFIX = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30}
_LIMIT_VALUE = re.compile(r"([0-9][0-9_]{0,18})\s*(|K|M|G|Ki|Mi|Gi)B?", re.ASCII)


def _limit_value(name: str, value: str | int) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    m = _LIMIT_VALUE.fullmatch(str(value).strip())
    if not m or int(m.group(1)) < 1:
        raise InputError(f"limit {name}={_show(value)} is not a positive integer (e.g. 1000, 64Mi)")
    return int(m.group(1)) * _SUFFIX[m.group(2)]


def parse_limit_assignments(items: Iterable[str], where: str = "--limit") -> dict[str, str]:
    """``["max_dimension=512", "max_file_bytes=1Gi"]`` → ``{name: value}``; an error names a bad item.

    >>> parse_limit_assignments(["max_dimension=512"])
    {'max_dimension': '512'}
    >>> parse_limit_assignments(["max_dimension"])
    Traceback (most recent call last):
    ...
    certify.errors.InputError: --limit "max_dimension" must be NAME=VALUE, e.g. max_file_bytes=256Mi
    """
    out: dict[str, str] = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            raise InputError(f"{where} {_show(item)} must be NAME=VALUE, e.g. max_file_bytes=256Mi")
        out[name.strip()] = value.strip()
    return out


ENV = "CERTIFY_LIMITS"
_SCOPE: ContextVar[Limits | None] = ContextVar("certify_limits", default=None)
_env_cache: list[tuple[str, Limits]] = []


def limits_from_env(text: str | None = None) -> Limits:
    """The defaults with ``CERTIFY_LIMITS="name=value,name=value"`` applied (``text`` instead of the variable)."""
    text = os.environ.get(ENV, "") if text is None else text
    if _env_cache and _env_cache[0][0] == text:
        return _env_cache[0][1]
    items = [p for p in text.split(",") if p.strip()]
    try:
        limits = Limits().with_overrides(parse_limit_assignments(items, where=ENV))
    except InputError as err:
        raise InputError(f"{ENV}: {err}") from None
    _env_cache[:] = [(text, limits)]
    return limits


def current_limits() -> Limits:
    """The limits in force: the innermost :func:`limits_scope`, else the defaults with ``CERTIFY_LIMITS``."""
    scoped = _SCOPE.get()
    return scoped if scoped is not None else limits_from_env()


@contextmanager
def limits_scope(limits: Limits) -> Iterator[Limits]:
    """Make ``limits`` the ones in force inside the ``with`` block (this thread / task only).

    >>> with limits_scope(Limits(max_dimension=7)):
    ...     current_limits().max_dimension
    7
    """
    token = _SCOPE.set(limits)
    try:
        yield limits
    finally:
        _SCOPE.reset(token)


def too_big(what: str, size: int, limit_name: str, limit: int | None = None) -> InputError:
    """The one message for every exceeded limit: it names the value, the limit and how to raise it."""
    limit = getattr(current_limits(), limit_name) if limit is None else limit
    return InputError(f"{what} {size}, more than {limit_name}={limit} (raise it with --limit {limit_name}=N)")


# --- files ---------------------------------------------------------------------------------------------------
def read_untrusted(path: str | os.PathLike[str], what: str) -> bytes:
    """The bytes of a regular file, never more than ``max_file_bytes`` (devices, FIFOs, folders refused).

    >>> read_untrusted("/dev/zero", "weight file")
    Traceback (most recent call last):
    ...
    certify.errors.InputError: /dev/zero: the weight file is a character device, not a regular file
    """
    p = os.fspath(path)
    limit = current_limits().max_file_bytes
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(p, flags)
    except FileNotFoundError:
        raise InputError(f"{p}: no such file (the {what})") from None
    except IsADirectoryError:
        raise InputError(f"{p}: the {what} is a directory, not a regular file") from None
    except OSError as err:
        raise InputError(f"{_show(p)}: the {what} cannot be opened ({err.strerror})") from None
    except ValueError:  # a NUL byte in the name
        raise InputError(f"{_show(p)}: the {what} has a name the system refuses") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"{p}: the {what} is {_file_kind(mode)}, not a regular file")
        size = os.fstat(fd).st_size
        if size > limit:
            raise InputError(f"{p}: the {what} has {size} bytes, more than max_file_bytes={limit} "
                             f"(raise it with --limit max_file_bytes=N)")
        chunks, got = [], 0
        while got <= limit:
            chunk = os.read(fd, min(limit + 1 - got, 1 << 22))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        if got > limit:  # the file grew while it was read
            raise InputError(f"{p}: the {what} has more than max_file_bytes={limit} bytes "
                             f"(raise it with --limit max_file_bytes=N)")
        return b"".join(chunks)
    except BlockingIOError:
        raise InputError(f"{p}: the {what} cannot be read without blocking") from None
    except OSError as err:
        raise InputError(f"{p}: the {what} cannot be read ({err.strerror})") from None
    finally:
        os.close(fd)


def _file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


# --- names ---------------------------------------------------------------------------------------------------
#: A name: program, state, stack, register, op (a letter or _ first; then letters, digits, _ . -).
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*", re.ASCII)
#: A stack-alphabet symbol ("0", "a", "+", "push_1"): ASCII letters, digits and a few signs.
SYMBOL = re.compile(r"[A-Za-z0-9_.+\-*/=<>!?#%&@^~]+", re.ASCII)
#: A tensor name in .npz / safetensors ("rnn.weight_hh_l0", "0.weight").
TENSOR = re.compile(r"[A-Za-z0-9_.\-]+", re.ASCII)
#: A unit label ("S: relu(22q-3)", "op 'halve' hidden 0"): printable ASCII without " \\ | ; ` $.
LABEL = re.compile(r"[A-Za-z0-9 _.+\-*/=<>!?#%&@^~'(),:\[\]{}]*", re.ASCII)


def check_name(value: Any, where: str, grammar: re.Pattern[str] = NAME) -> str:
    """``value`` if it is a string of the name grammar no longer than ``max_name_chars``, else an error.

    >>> check_name("halve_2", "program.ops[0].name")
    'halve_2'
    >>> check_name('x|) (assert false', "program.registers[1].name")
    Traceback (most recent call last):
    ...
    certify.errors.InputError: program.registers[1].name="x|) (assert false" is not a valid name \
(a letter or _, then letters, digits, _ . -)
    """
    if type(value) is not str:
        raise invalid(value, where, f"is a {_type(value)}, not a name")
    limit = current_limits().max_text_chars if grammar is LABEL else current_limits().max_name_chars
    if len(value) > limit:
        which = "max_text_chars" if grammar is LABEL else "max_name_chars"
        raise invalid(value, where, f"is longer than {which}={limit} characters (raise it with --limit {which}=N)")
    if not grammar.fullmatch(value):
        raise invalid(value, where, _GRAMMAR_WORDS[grammar.pattern])
    return value


def check_symbol(value: Any, where: str) -> str:
    """A stack-alphabet symbol (:data:`SYMBOL`)."""
    return check_name(value, where, SYMBOL)


def check_label(value: Any, where: str) -> str:
    """A unit label (:data:`LABEL`, at most ``max_text_chars``)."""
    return check_name(value, where, LABEL)


def check_text(value: Any, where: str) -> str:
    """A free text such as a description: printable characters only, at most ``max_text_chars``."""
    if type(value) is not str:
        raise invalid(value, where, f"is a {_type(value)}, not a text")
    limit = current_limits().max_text_chars
    if len(value) > limit:
        raise invalid(value, where, f"is longer than max_text_chars={limit} characters "
                                  "(raise it with --limit max_text_chars=N)")
    if not value.isprintable():
        raise invalid(value, where, "contains control characters")
    return value


_GRAMMAR_WORDS = {
    NAME.pattern: "is not a valid name (a letter or _, then letters, digits, _ . -)",
    SYMBOL.pattern: "is not a valid stack symbol (ASCII letters, digits and _ . + - * / = < > ! ? # % & @ ^ ~)",
    TENSOR.pattern: "is not a valid tensor name (ASCII letters, digits, _ . -)",
    LABEL.pattern: "is not a valid unit label (printable ASCII without \" \\ | ; ` $)",
}


def _type(v: Any) -> str:
    if isinstance(v, (JsonDecimal, JsonConstant)) or (isinstance(v, (int, float)) and not isinstance(v, bool)):
        return "number"
    return {dict: "JSON object", list: "list", bool: "boolean", type(None): "null"}.get(type(v), type(v).__name__)


# --- JSON number texts, and values in messages ---------------------------------------------------------------
class JsonDecimal(str):
    """The exact text of a JSON number that had a fraction or exponent (never converted to float)."""


class JsonConstant(str):
    """A JSON constant such as NaN or Infinity, kept so that the error can say where it was."""


def _show(value: Any) -> str:
    """A value for an error message: quoted, ASCII only (non-ASCII as \\u escapes), at most 60 characters."""
    shown = f'"{value}"' if isinstance(value, str) else repr(value)
    if not shown.isascii() or not shown.isprintable():
        shown = ascii(shown)[1:-1]
    if len(shown) > 60:
        shown = shown[:57] + ('..."' if shown.startswith('"') else "...")
    return shown


def quote(value: Any) -> str:
    """A value from a file as an error message shows it: quoted, ASCII only, at most 60 characters.

    >>> print(quote(chr(0x663)), quote("x" * 100)[-6:], quote([1, 2]))
    "\\u0663" xx..." [1, 2]
    """
    return _show(value)


def invalid(value: Any, where: str, why: str) -> InputError:
    """The error for a bad value: where it is, the value as :func:`quote` shows it, and why it is refused.

    >>> print(invalid("٣", "W_hh[0][1]", "is not a number"))
    W_hh[0][1]="\\u0663" is not a number
    """
    prefix = f"{where}=" if where else ""
    return InputError(f"{prefix}{_show(value)} {why}")
