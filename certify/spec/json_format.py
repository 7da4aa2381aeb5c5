"""The ``certify.rnn/1`` JSON format of weight files (read and written).

A ``certify.rnn/1`` file::

    {"format": "certify.rnn/1", "name": ..., "rnn": {...}, "input": {...},
     "simulation": {"program": {...}, "c": 4, "t0": 2, "control": ..., ...},   (optional)
     "claims": {...}}                                                          (optional)

Numbers are exact: integers, "p/q" or decimal strings, or JSON numbers read from their decimal
text. Matrices are dense (list of rows) or sparse ``{"shape": [n, m], "entries": [[i, j, v], ...]}``;
vectors are lists or ``{"shape": [n], "entries": [[i, v], ...]}``. Writing is canonical, so
``write(read(write(f))) == write(f)`` byte for byte.

>>> from certify.constructions.examples import squaring
>>> from certify.compiler.tmnu_to_rnn import compile_program, from_compiled
>>> f = from_compiled(compile_program(squaring()))
>>> text = dumps(f)
>>> dumps(loads(text, "squaring.rnn.json")) == text
True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flint import fmpq

from certify.errors import InputError
from certify.jsonio import array, integer, number, string
from certify.jsonio import dumps as json_dumps
from certify.jsonio import field as jfield
from certify.jsonio import loads as json_loads
from certify.rational import ZERO, number_budget, to_json
from certify.spec.file import InputSpec, RnnFile, Simulation
from certify.spec.network import Network
from certify.spec.simulation import SimulationMap
from certify.spec.sparse import SparseMatrix
from certify.tmnu import serialize
from certify.tmnu.validate import problems as program_problems
from certify.untrusted import check_name, current_limits, quote

FORMAT = "certify.rnn/1"
#: The blocks of ``rnn`` that hold weights (bounded by ``max_weight_bits``); h0 is state (``max_number_bits``).
WEIGHT_BLOCKS = ("W_hh", "W_ih", "b", "W_out", "b_out")


# --- writing ---------------------------------------------------------------------------------------------
def _matrix_json(m: SparseMatrix) -> Any:
    n, k = m.shape
    if n * k and 3 * m.nnz >= n * k:
        return [[to_json(v) for v in row] for row in m.to_dense()]
    return {"shape": [n, k], "entries": [[i, j, to_json(v)] for i, j, v in m.entries()]}


def _vector_json(v: tuple[fmpq, ...]) -> Any:
    nnz = sum(1 for x in v if x != 0)
    if len(v) <= 8 or 3 * nnz >= len(v):
        return [to_json(x) for x in v]
    return {"shape": [len(v)], "entries": [[i, to_json(x)] for i, x in enumerate(v) if x != 0]}


def to_json_doc(f: RnnFile) -> dict[str, Any]:
    net = f.network
    doc: dict[str, Any] = {
        "format": FORMAT,
        "name": f.name,
        "rnn": {
            "activation": net.activation,
            "hidden_dim": net.hidden_dim,
            "input_dim": net.input_dim,
            "output_dim": net.output_dim,
            "W_hh": _matrix_json(net.W_hh),
            "W_ih": _matrix_json(net.W_ih),
            "b": _vector_json(net.b),
            "W_out": _matrix_json(net.W_out),
            "b_out": _vector_json(net.b_out),
            "h0": _vector_json(net.h0),
        },
        "input": {"kind": f.input.kind, "domain": [to_json(f.input.domain[0]), to_json(f.input.domain[1])]},
    }
    if f.simulation is not None:
        doc["simulation"] = {"program": serialize.to_json(f.simulation.program)} | f.simulation.map.to_json()
    if f.claims:
        doc["claims"] = f.claims
    return doc


def dumps(f: RnnFile) -> str:
    return json_dumps(to_json_doc(f))


def write_json(f: RnnFile, path: str | Path) -> None:
    Path(path).write_text(dumps(f))


# --- reading ---------------------------------------------------------------------------------------------
def _entries(n: int, path: str) -> None:
    limit = current_limits().max_entries
    if n > limit:
        raise InputError(f"{path} lists {n} entries, more than the limit max_entries={limit} "
                         "(raise it with --limit max_entries=N)")


def _matrix(v: Any, shape: tuple[int, int], path: str) -> SparseMatrix:
    n, m = shape
    weight = path in WEIGHT_BLOCKS
    if isinstance(v, dict):
        _keys(v, ("shape", "entries"), path)
        declared = array(jfield(v, "shape", path), f"{path}.shape")
        if declared != [n, m] or any(isinstance(d, bool) for d in declared):
            raise InputError(f"{path}.shape={quote(declared)} does not match the expected shape [{n}, {m}]")
        entries = array(jfield(v, "entries", path), f"{path}.entries")
        _entries(len(entries), path)
        rows: list[dict[int, fmpq]] = [{} for _ in range(n)]
        for k, e in enumerate(entries):
            e = array(e, f"{path}.entries[{k}]")
            if len(e) != 3:
                raise InputError(f"{path}.entries[{k}] must be [i, j, value], got {len(e)} items")
            i = integer(e[0], f"{path}.entries[{k}][0]", 0, n - 1)
            j = integer(e[1], f"{path}.entries[{k}][1]", 0, m - 1)
            if j in rows[i]:
                raise InputError(f"{path}: entry [{i}, {j}] is listed twice")
            rows[i][j] = number(e[2], f"{path}[{i}][{j}]", weight)
        return SparseMatrix.from_row_dicts((n, m), rows)
    rows_in = array(v, path)
    if len(rows_in) != n:
        raise InputError(f"{path} has {len(rows_in)} rows, expected {n}")
    _entries(n * m, path)
    dense: list[dict[int, fmpq]] = []
    for i, row in enumerate(rows_in):
        row = array(row, f"{path}[{i}]")
        if len(row) != m:
            raise InputError(f"{path}[{i}] has {len(row)} entries, expected {m}")
        dense.append({j: val for j, x in enumerate(row) if (val := number(x, f"{path}[{i}][{j}]", weight)) != 0})
    return SparseMatrix.from_row_dicts((n, m), dense)


def _vector(v: Any, n: int, path: str) -> tuple[fmpq, ...]:
    weight = path in WEIGHT_BLOCKS
    if isinstance(v, dict):
        _keys(v, ("shape", "entries"), path)
        declared = array(jfield(v, "shape", path), f"{path}.shape")
        if declared != [n] or any(isinstance(d, bool) for d in declared):
            raise InputError(f"{path}.shape={quote(declared)} does not match the expected length [{n}]")
        entries = array(jfield(v, "entries", path), f"{path}.entries")
        _entries(len(entries), path)
        out = [ZERO] * n
        seen = set()
        for k, e in enumerate(entries):
            e = array(e, f"{path}.entries[{k}]")
            if len(e) != 2:
                raise InputError(f"{path}.entries[{k}] must be [i, value], got {len(e)} items")
            i = integer(e[0], f"{path}.entries[{k}][0]", 0, n - 1)
            if i in seen:
                raise InputError(f"{path}: entry [{i}] is listed twice")
            seen.add(i)
            out[i] = number(e[1], f"{path}[{i}]", weight)
        return tuple(out)
    items = array(v, path)
    if len(items) != n:
        raise InputError(f"{path} has length {len(items)}, expected {n}")
    return tuple(number(x, f"{path}[{i}]", weight) for i, x in enumerate(items))


def _keys(v: dict[str, Any], allowed: tuple[str, ...], path: str) -> None:
    extra = sorted(set(v) - set(allowed))
    if extra:
        raise InputError(f"{path}: unknown key {quote(extra[0])} (allowed: {', '.join(allowed)})")


def _infer_dim(rnn: dict[str, Any], key: str, matrix: str, axis: int) -> int:
    limit, lo = current_limits().max_dimension, 1 if key == "hidden_dim" else 0
    if key in rnn:
        return integer(rnn[key], f"rnn.{key}", lo, limit, "max_dimension")
    if matrix not in rnn:
        raise InputError(f'rnn: missing key "{matrix}"')
    m = rnn[matrix]
    if isinstance(m, dict) and isinstance(m.get("shape"), list) and len(m["shape"]) == 2:
        return integer(m["shape"][axis], f"rnn.{matrix}.shape[{axis}]", lo, limit, "max_dimension")
    if isinstance(m, list):
        if axis == 0:
            return integer(len(m), f"rnn.{matrix} (rows)", lo, limit, "max_dimension")
        if m and isinstance(m[0], list):
            return integer(len(m[0]), f"rnn.{matrix}[0] (columns)", lo, limit, "max_dimension")
    raise InputError(f'rnn: missing key "{key}" (and it cannot be read off "{matrix}")')


def network_from_json(rnn: Any, path: str = "rnn") -> Network:
    if not isinstance(rnn, dict):
        raise InputError(f"{path}: expected a JSON object")
    activation = check_name(rnn.get("activation", "relu"), f"{path}.activation")
    n = _infer_dim(rnn, "hidden_dim", "W_hh", 0)
    d_in = _infer_dim(rnn, "input_dim", "W_ih", 1)
    d_out = _infer_dim(rnn, "output_dim", "W_out", 0)
    h0 = rnn.get("h0")
    return Network(
        W_hh=_matrix(jfield(rnn, "W_hh", path), (n, n), "W_hh"),
        W_ih=_matrix(jfield(rnn, "W_ih", path), (n, d_in), "W_ih"),
        b=_vector(jfield(rnn, "b", path), n, "b"),
        W_out=_matrix(jfield(rnn, "W_out", path), (d_out, n), "W_out"),
        b_out=_vector(rnn.get("b_out", [0] * d_out), d_out, "b_out"),
        h0=_vector(h0, n, "h0") if h0 is not None else (ZERO,) * n,
        activation=activation,
    )


def _input_spec(v: Any) -> InputSpec:
    if v is None:
        return InputSpec()
    kind = string(jfield(v, "kind", "input", "constant"), "input.kind")
    if kind != "constant":
        raise InputError(f'input.kind={quote(kind)} is not supported (only "constant": x_t = x for all t)')
    dom = array(jfield(v, "domain", "input", ["-1", "1"]), "input.domain")
    if len(dom) != 2:
        raise InputError(f"input.domain must be [lo, hi], got {len(dom)} values")
    lo, hi = number(dom[0], "input.domain[0]"), number(dom[1], "input.domain[1]")
    if not lo <= hi:
        raise InputError(f"input.domain=[{lo}, {hi}] is empty")
    return InputSpec(kind, (lo, hi))


def _simulation(v: Any, net: Network, spec: InputSpec) -> Simulation:
    program = serialize.from_json(jfield(v, "program", "simulation"), "simulation.program")
    found = program_problems(program)
    if not found and program.input_register is not None:
        reg = program.register(program.input_register)
        lo, hi = spec.domain
        if lo < reg.lo or hi > reg.hi:  # the first configuration would start outside the proof's domain
            found.append(f"input.domain=[{lo}, {hi}] is not within the bounds [{reg.lo}, {reg.hi}] of the "
                         f"input register {reg.name!r}")
    if found:
        raise InputError("simulation.program is invalid: " + "; ".join(found[:5])
                         + (f" (and {len(found) - 5} more)" if len(found) > 5 else ""))
    smap = SimulationMap.from_json(v, net.hidden_dim)
    found = smap.check_against(program)
    if found:
        raise InputError("simulation map does not fit its program: " + "; ".join(found))
    return Simulation(program, smap)


def loads(text: str | bytes, source: str = "<string>") -> RnnFile:
    """Parse a ``certify.rnn/1`` weight file; every number, name and size is bounded (:class:`Limits`)."""
    doc = json_loads(text, source)
    if not isinstance(doc, dict):
        raise InputError(f"{source}: a weight file is a JSON object, got {type(doc).__name__}")
    fmt = doc.get("format", FORMAT)
    if fmt != FORMAT:
        raise InputError(f'{source}: format={quote(fmt)} is not supported (expected "{FORMAT}")')
    try:
        with number_budget(source):
            return _file(doc, source)
    except InputError as err:
        text = str(err)
        raise InputError(text if text.startswith(f"{source}: ") else f"{source}: {text}") from None


def _file(doc: dict[str, Any], source: str) -> RnnFile:
    net = network_from_json(jfield(doc, "rnn", "weight file"))
    claims = doc.get("claims") or {}
    if not isinstance(claims, dict):
        raise InputError("claims: expected a JSON object")
    sim = doc.get("simulation")
    spec = _input_spec(doc.get("input"))
    return RnnFile(
        network=net,
        name=check_name(doc["name"], "name") if "name" in doc else Path(source).stem,
        input=spec,
        simulation=None if sim is None else _simulation(sim, net, spec),
        claims=claims,
        source=source,
    )
