"""The input of one run, as a user gives it: every component of x exactly, checked against the file's input spec.

``--x 0.5,1/3`` names every input component (no scalar is ever broadcast to several inputs), and
``--x-seq`` gives x_1 … x_T of a sequence. Both are checked against the file's :class:`InputSpec`:
the number of components, each component's interval, and the input convention.

>>> spec = InputSpec("impulse", ((fmpq(-1), fmpq(1)), (fmpq(0), fmpq(2))))
>>> [str(v) for v in parse_x("0.5, 1/3", 2)]
['1/2', '1/3']
>>> parse_x("0.5", 2)
Traceback (most recent call last):
...
certify.errors.InputError: --x="0.5" gives 1 value, and the network has input_dim=2: give every component, \
comma-separated (e.g. --x 0.5,1/3)
>>> check_x((fmpq(1, 2), fmpq(3)), spec)
Traceback (most recent call last):
...
certify.errors.InputError: --x[1]=3 is outside the file's input domain [0, 2] of input 1 \
(input.domain = [-1, 1] x [0, 2])
>>> xs = parse_x_seq("[[1, 0], [0, 0]]", 2)
>>> [str(v) for v in sequence_x(xs, spec)]
['1', '0']
"""

from __future__ import annotations

from collections.abc import Sequence

from flint import fmpq

from certify.errors import InputError
from certify.jsonio import array, loads
from certify.jsonio import read as read_json
from certify.rational import parse_number, to_string
from certify.spec.file import InputSpec
from certify.untrusted import current_limits, quote, too_big

Vector = tuple[fmpq, ...]


def parse_x(text: str, input_dim: int, where: str = "--x") -> Vector:
    """Every component of x from ``"0.5,1/3"`` (exact numbers, comma-separated); exactly ``input_dim`` of them."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != input_dim:
        raise InputError(f"{where}={quote(text)} gives {len(parts)} value{'s' if len(parts) != 1 else ''}, and the "
                         f"network has input_dim={input_dim}: give every component, comma-separated (e.g. "
                         f"{where} {','.join(['0.5', '1/3', '0'][:input_dim] + ['0'] * max(0, input_dim - 3))})")
    return tuple(parse_number(p, where=where if input_dim == 1 else f"{where}[{k}]") for k, p in enumerate(parts))


def check_x(x: Sequence[fmpq], spec: InputSpec, where: str = "--x") -> None:
    """An error naming the first component of x outside its interval of the file's input domain."""
    for k, v in enumerate(x):
        lo, hi = spec.domain_of(k)
        if not lo <= v <= hi:
            name = where if len(x) == 1 else f"{where}[{k}]"
            raise InputError(f"{name}={to_string(v)} is outside the file's input domain "
                             f"[{to_string(lo)}, {to_string(hi)}]"
                             + (f" of input {k} (input.domain = {spec.describe_domain()})" if len(x) > 1 else ""))


def parse_x_seq(text_or_path: str, input_dim: int, where: str = "--x-seq") -> tuple[Vector, ...]:
    """x_1 … x_T from a JSON list of input vectors, inline (``[[1, 0], [0, 0]]``) or in a file (read bounded)."""
    if text_or_path.lstrip().startswith("["):
        doc = loads(text_or_path, where)
    else:
        doc = read_json(text_or_path, f"{where} file")
    rows = array(doc, where)
    if not rows:
        raise InputError(f"{where}: the sequence is empty (give at least x_1)")
    limit = current_limits().max_entries
    if len(rows) * input_dim > limit:
        raise too_big(f"{where}: the sequence has {len(rows)} vectors of {input_dim} values, entries", len(rows) *
                      input_dim, "max_entries", limit)
    out = []
    for t, row in enumerate(rows, start=1):
        vec = array(row, f"{where}[{t - 1}] (x_{t})")
        if len(vec) != input_dim:
            raise InputError(f"{where}[{t - 1}] (x_{t}) has {len(vec)} values, and the network has "
                             f"input_dim={input_dim}")
        out.append(tuple(parse_number(v, where=f"{where}[{t - 1}][{k}]") for k, v in enumerate(vec)))
    return tuple(out)


def sequence_x(xs: Sequence[Vector], spec: InputSpec, where: str = "--x-seq") -> Vector:
    """Check a sequence against the file's input convention and domain; return the x it means for a
    constant or impulse file (x_1), or x_1 of a sequence file.

    A constant file accepts a sequence whose vectors are all equal; an impulse file one that is 0 after x_1;
    a sequence file one of length ``input.length`` when the file gives it. Each x_t of a sequence, and the x of
    the other kinds, must lie in the domain.

    >>> spec = InputSpec("constant")
    >>> sequence_x(((fmpq(1),), (fmpq(0),)), spec)
    Traceback (most recent call last):
    ...
    certify.errors.InputError: --x-seq: x_2=[0] differs from x_1=[1], and input.kind='constant' drives x_t = x for \
every t >= 1
    """
    show = lambda v: "[" + ", ".join(to_string(c) for c in v) + "]"  # noqa: E731
    if spec.kind == "sequence":
        if spec.length is not None and len(xs) != spec.length:
            raise InputError(f"{where}: the sequence has {len(xs)} vectors, and the file's input.length is "
                             f"{spec.length}")
        for t, v in enumerate(xs, start=1):
            check_x(v, spec, f"{where}[{t - 1}]")
        return xs[0]
    for t, v in enumerate(xs[1:], start=2):
        want = xs[0] if spec.kind == "constant" else tuple(fmpq(0) for _ in v)
        if v != want:
            what = f"differs from x_1={show(xs[0])}" if spec.kind == "constant" else "is not 0"
            raise InputError(f"{where}: x_{t}={show(v)} {what}, and input.kind={spec.kind!r} drives x_t = "
                             + ("x for every t >= 1" if spec.kind == "constant" else "0 for t >= 2"))
    check_x(xs[0], spec, f"{where}[0]")
    return xs[0]
