"""Exact numbers, and the limits every reader of untrusted input obeys.

Every weight in certify is a rational (python-flint ``fmpq``). Nothing on the way in passes through
a Python float. A decimal string is the rational it denotes; a float64/float32 value (from ``.npz``
or safetensors) is its exact dyadic value.

>>> parse_number("-3/4")
-3/4
>>> parse_number("0.125")
1/8
>>> parse_number("-1e-3")
-1/1000
>>> parse_number(7)
7
>>> parse_number("6/8")
3/4
>>> from_float(0.1)
3602879701896397/36028797018963968
>>> to_string(parse_number("2.50"))
'5/2'
>>> decimal(parse_number("1/3"), 5)
'0.33333'
>>> parse_number("abc", where="W_hh[3][7]")
Traceback (most recent call last):
...
certify.errors.InputError: W_hh[3][7]="abc" is not a number (expected an integer, "p/q" or a decimal like "0.125")

Every file certify reads may come from a pull request (DESIGN §8), so this module also holds the
trust-boundary primitives that every reader shares, the independent re-checker included (it imports
nothing else from certify): :class:`Limits` (sizes, digits, bits, dimensions; raised with
``certify --limit NAME=VALUE`` or ``CERTIFY_LIMITS``), :func:`read_untrusted` (regular files only,
never more than ``max_file_bytes``) and the grammar of names read from files (:func:`check_name`).

>>> parse_number("1e99999", "b[0]", max_bits=4096, limit_name="max_weight_bits")  # before building 10^99999
Traceback (most recent call last):
...
certify.errors.InputError: b[0]="1e99999" has a decimal exponent beyond what max_weight_bits=4096 allows \
(at least 332190 bits; raise it with --limit max_weight_bits=N)
>>> with limits_scope(current_limits().with_overrides({"max_number_bits": "100"})):
...     parse_number("1" * 40)
Traceback (most recent call last):
...
certify.errors.InputError: "1111111111111111111111111111111111111111" needs at least 130 bits, more than \
max_number_bits=100 (raise it with --limit max_number_bits=N)
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields, replace
from fractions import Fraction
from typing import Any, TypeAlias

from flint import fmpq, fmpz

from certify.errors import InputError

Q: TypeAlias = fmpq

ZERO = fmpq(0)
ONE = fmpq(1)

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
        raise _fail(value, where, f"is a {_type(value)}, not a name")
    limit = current_limits().max_text_chars if grammar is LABEL else current_limits().max_name_chars
    if len(value) > limit:
        which = "max_text_chars" if grammar is LABEL else "max_name_chars"
        raise _fail(value, where, f"is longer than {which}={limit} characters (raise it with --limit {which}=N)")
    if not grammar.fullmatch(value):
        raise _fail(value, where, _GRAMMAR_WORDS[grammar.pattern])
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
        raise _fail(value, where, f"is a {_type(value)}, not a text")
    limit = current_limits().max_text_chars
    if len(value) > limit:
        raise _fail(value, where, f"is longer than max_text_chars={limit} characters "
                                  "(raise it with --limit max_text_chars=N)")
    if not value.isprintable():
        raise _fail(value, where, "contains control characters")
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


# --- numbers -------------------------------------------------------------------------------------------------
_INT = re.compile(r"[+-]?[0-9]+", re.ASCII)
_RATIO = re.compile(r"([+-]?[0-9]+)/([0-9]+)", re.ASCII)
_DECIMAL = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?", re.ASCII)
#: log2(10) from below and above, as exact ratios (bit sizes are decided in integers).
_LOG2_10_LO, _LOG2_10_HI = (3321928, 1000000), (3321929, 1000000)


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


def _fail(value: Any, where: str, why: str) -> InputError:
    prefix = f"{where}=" if where else ""
    return InputError(f"{prefix}{_show(value)} {why}")


def _min_bits(digits: int) -> int:
    """A lower bound of the bit size of any integer with ``digits`` significant decimal digits."""
    return 0 if digits <= 0 else (digits - 1) * _LOG2_10_LO[0] // _LOG2_10_LO[1] + 1


class _Budget:
    """Bits parsed so far in one file (see :func:`number_budget`)."""

    def __init__(self, source: str, limit: int) -> None:
        self.source, self.limit, self.used = source, limit, 0


_BUDGET: ContextVar[_Budget | None] = ContextVar("certify_number_budget", default=None)


@contextmanager
def number_budget(source: str) -> Iterator[None]:
    """Count the bits of every number parsed inside the block against ``max_total_number_bits``.

    >>> with limits_scope(Limits(max_total_number_bits=50)), number_budget("f.json"):
    ...     [parse_number("1e9") for _ in range(3)]
    Traceback (most recent call last):
    ...
    certify.errors.InputError: f.json: its numbers need more than max_total_number_bits=50 bits \
(raise it with --limit max_total_number_bits=N)
    """
    token = _BUDGET.set(_Budget(source, current_limits().max_total_number_bits))
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _charge(q: fmpq) -> fmpq:
    budget = _BUDGET.get()
    if budget is not None:
        budget.used += q.height_bits()
        if budget.used > budget.limit:
            raise InputError(f"{budget.source}: its numbers need more than max_total_number_bits={budget.limit} "
                             "bits (raise it with --limit max_total_number_bits=N)")
    return q


def parse_number(value: Any, where: str = "", *, max_bits: int | None = None, limit_name: str = "") -> fmpq:
    """Parse an exact rational from an int, a string ("p/q", "0.125", "-1e-3"), or an fmpq.

    ``where`` names the value in error messages (e.g. ``"W_hh[3][7]"``). Strings are ASCII only and at
    most ``max_number_chars`` long; numerator and denominator have at most ``max_bits`` bits (default
    ``max_number_bits``; ``limit_name`` names the limit in the error), decided from the digit count and
    the exponent before the integer is built. Python floats are refused: use :func:`from_float` when a
    float *is* the data.
    """
    limits = current_limits()
    if max_bits is None:
        max_bits, limit_name = limits.max_number_bits, limit_name or "max_number_bits"
    limit_name = limit_name or "max_number_bits"
    if isinstance(value, fmpq):  # already exact and in memory (built by certify itself)
        return value
    if isinstance(value, Fraction):
        return fmpq(value.numerator, value.denominator)
    if isinstance(value, bool):
        raise _fail(value, where, "is a boolean, not a number")
    if isinstance(value, (int, fmpz)):  # a JSON integer: bounded like its text
        n = value.height_bits() if isinstance(value, fmpz) else abs(value).bit_length()
        if n > max_bits:
            raise _fail(value, where, f"needs {n} bits, more than {limit_name}={max_bits} "
                                      f"(raise it with --limit {limit_name}=N)")
        return _charge(fmpq(value))
    if isinstance(value, JsonConstant):
        raise _fail(value, where, "is not a finite number")
    if isinstance(value, float):
        raise _fail(value, where, "is a binary float; write it as an exact string such as \"0.125\"")
    if not isinstance(value, str):
        raise _fail(value, where, f"is a {type(value).__name__}, not a number")
    if len(value) > limits.max_number_chars:
        raise _fail(value[:20], where, f"is a number string longer than max_number_chars={limits.max_number_chars} "
                                       "characters (raise it with --limit max_number_chars=N)")
    if not value.isascii():
        raise _fail(value, where, "is not a number: only ASCII digits 0-9 are accepted")
    text = value.strip()
    if _INT.fullmatch(text):
        _check_digits(value, where, _significant(text), max_bits, limit_name)
        return _bounded(value, fmpq(_fmpz(text)), where, max_bits, limit_name)
    m = _RATIO.fullmatch(text)
    if m:
        for part in (m.group(1), m.group(2)):
            _check_digits(value, where, _significant(part), max_bits, limit_name)
        den = fmpz(m.group(2))
        if den == 0:
            raise _fail(value, where, "has a zero denominator")
        return _bounded(value, fmpq(_fmpz(m.group(1)), den), where, max_bits, limit_name)
    m = _DECIMAL.fullmatch(text)
    if m and (m.group(2) or m.group(3)):
        return _decimal(value, where, m, max_bits, limit_name)
    if text.lower().lstrip("+-") in {"nan", "inf", "infinity"}:
        raise _fail(value, where, "is not a finite number")
    raise _fail(value, where, 'is not a number (expected an integer, "p/q" or a decimal like "0.125")')


def _significant(digits: str) -> int:
    return len(digits.lstrip("+-").lstrip("0"))


def _check_digits(value: str, where: str, digits: int, max_bits: int, limit_name: str) -> None:
    if _min_bits(digits) > max_bits:
        raise _fail(value, where, f"needs at least {_min_bits(digits)} bits, more than {limit_name}={max_bits} "
                                  f"(raise it with --limit {limit_name}=N)")


def _decimal(value: str, where: str, m: re.Match[str], max_bits: int, limit_name: str) -> fmpq:
    sign, whole, frac, exp = m.group(1), m.group(2) or "", m.group(3) or "", m.group(4)
    if exp is not None and len(exp.lstrip("+-").lstrip("0")) > 12:
        raise _fail(value, where, f"has a decimal exponent beyond what {limit_name}={max_bits} allows")
    e = (int(exp) if exp is not None else 0) - len(frac)
    mantissa = (whole + frac).lstrip("0")
    if not mantissa:
        return _charge(ZERO)
    d = len(mantissa)
    _check_digits(value, where, d, max_bits, limit_name)
    # the value is M·10^e: an integer of d + e digits, or a fraction whose reduced denominator exceeds 10^(-e-d)
    need = _min_bits(d + e) if e >= 0 else _min_bits(-e - d + 1)
    if need > max_bits:
        raise _fail(value, where, f"has a decimal exponent beyond what {limit_name}={max_bits} allows "
                                  f"(at least {need} bits; raise it with --limit {limit_name}=N)")
    man = fmpz(mantissa)
    result = fmpq(man * fmpz(10) ** e) if e >= 0 else fmpq(man, fmpz(10) ** (-e))
    return _bounded(value, -result if sign == "-" else result, where, max_bits, limit_name)


def _bounded(value: Any, q: fmpq, where: str, max_bits: int, limit_name: str) -> fmpq:
    n = q.height_bits()
    if n > max_bits:
        raise _fail(value, where, f"needs {n} bits, more than {limit_name}={max_bits} "
                                  f"(raise it with --limit {limit_name}=N)")
    return _charge(q)


def _fmpz(digits: str) -> fmpz:
    """Integer text (optionally signed) to fmpz; flint parses any length, unlike int()."""
    return fmpz(digits[1:]) if digits.startswith("+") else fmpz(digits)


def from_float(value: float, where: str = "") -> fmpq:
    """The exact dyadic rational a finite binary float denotes (float64, or float32 widened exactly).

    >>> from_float(0.5)
    1/2
    >>> from_float(float("nan"), where="b[2]")
    Traceback (most recent call last):
    ...
    certify.errors.InputError: b[2]=nan is not a finite number
    """
    f = float(value)  # widening a float32/float16 to float64 is exact
    if not math.isfinite(f):
        raise _fail(f, where, "is not a finite number")
    num, den = f.as_integer_ratio()
    return fmpq(num, den)


def to_string(q: fmpq) -> str:
    """Canonical text: ``"p"`` for integers, ``"p/q"`` in lowest terms otherwise."""
    return str(q)


def to_json(q: fmpq) -> int | str:
    """JSON form: small integers as JSON integers, everything else as an exact string."""
    if q.q == 1 and abs(q.p) < 2**53:
        return int(q.p)
    return str(q)


def decimal(q: fmpq, digits: int = 12) -> str:
    """Decimal text of ``q`` truncated toward zero to ``digits`` places (exact, display only)."""
    sign = "-" if q < 0 else ""
    a = abs(q)
    scaled = (a.p * fmpz(10) ** digits) // a.q
    s = str(scaled).rjust(digits + 1, "0")
    whole, frac = s[: len(s) - digits], s[len(s) - digits :]
    out = f"{whole}.{frac}" if digits else whole
    if scaled == 0 and a != 0:
        return f"{sign}{_scientific(a, digits)}"
    return sign + out


def _scientific(a: fmpq, digits: int) -> str:
    """Positive tiny rational as d.ddd...e-N (exact truncation)."""
    exp = a.q.bit_length() - a.p.bit_length() if hasattr(a.q, "bit_length") else 0
    e = max(int(exp * 0.30103) - 2, 0)
    while (a * fmpz(10) ** e) < 1:
        e += 1
    while (a * fmpz(10) ** (e - 1)) >= 1:
        e -= 1
    mant = a * fmpz(10) ** e
    return f"{decimal(mant, min(digits, 6))}e-{e}"


def bits(q: fmpq) -> int:
    """Largest bit size of numerator and denominator (the weight's storage cost).

    >>> bits(parse_number("-3/1024"))
    11
    """
    return q.height_bits()


def relu(q: fmpq) -> fmpq:
    """Exact ReLU."""
    return q if q > 0 else ZERO
