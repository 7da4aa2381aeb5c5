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
from certify.rational import ZERO, number_budget, to_json, to_string
from certify.spec.activation import ACTIVATIONS
from certify.spec.file import InputSpec, RnnFile, Simulation
from certify.spec.network import CELLS, INPUT_KINDS, Layer, Network
from certify.spec.simulation import SimulationMap
from certify.spec.sparse import SparseMatrix
from certify.tmnu import serialize
from certify.tmnu.validate import problems as program_problems
from certify.untrusted import check_name, current_limits, quote

FORMAT = "certify.rnn/1"
#: Stacked layers, P and Q, other activations, impulse and sequence inputs, one interval per input.
FORMAT_V2 = "certify.rnn/2"
FORMATS = (FORMAT, FORMAT_V2)
#: The blocks of ``rnn`` that hold weights (bounded by ``max_weight_bits``); h0 is state (``max_number_bits``).
WEIGHT_BLOCKS = ("W_hh", "W_ih", "b", "W_out", "b_out", "P", "Q")


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


def _cell_json(layer: Layer) -> dict[str, Any]:
    """``{"cell": "residual", "dt": "1/10"}`` for a residual layer; nothing for an Elman one (the default)."""
    return {"cell": layer.cell, "dt": to_json(layer.dt)} if layer.dt is not None else {}


def _layer_json(layer: Layer) -> dict[str, Any]:
    return _cell_json(layer) | {
        "activation": layer.activation,
        "hidden_dim": layer.hidden_dim,
        "input_dim": layer.input_dim,
        "W_hh": _matrix_json(layer.W_hh),
        "W_ih": _matrix_json(layer.W_ih),
        "b": _vector_json(layer.b),
        "h0": _vector_json(layer.h0),
    }


def _rnn_json(net: Network) -> dict[str, Any]:
    if net.depth == 1 and net.P is None and net.Q is None:  # the flat form of certify.rnn/1
        layer = net.layers[0]
        return _cell_json(layer) | {
                "activation": layer.activation, "hidden_dim": layer.hidden_dim, "input_dim": layer.input_dim,
                "output_dim": net.output_dim, "W_hh": _matrix_json(layer.W_hh), "W_ih": _matrix_json(layer.W_ih),
                "b": _vector_json(layer.b), "W_out": _matrix_json(net.W_out), "b_out": _vector_json(net.b_out),
                "h0": _vector_json(layer.h0)}
    doc: dict[str, Any] = {"layers": [_layer_json(layer) for layer in net.layers]}
    for name, mat in (("P", net.P), ("Q", net.Q)):
        if mat is not None:
            doc[name] = _matrix_json(mat)
    return doc | {"output_dim": net.output_dim, "W_out": _matrix_json(net.W_out), "b_out": _vector_json(net.b_out)}


def _input_json(spec: InputSpec) -> dict[str, Any]:
    domains = [[to_json(lo), to_json(hi)] for lo, hi in spec.domains]
    doc: dict[str, Any] = {"kind": spec.kind, "domain": domains[0] if len(domains) == 1 else domains}
    if spec.length is not None:
        doc["length"] = spec.length
    return doc


def format_of(f: RnnFile) -> str:
    """``certify.rnn/1`` when the file fits it (one ReLU layer, constant input, one interval), else ``/2``."""
    return FORMAT if f.network.is_single_relu and f.input.is_v1 else FORMAT_V2


def to_json_doc(f: RnnFile) -> dict[str, Any]:
    doc: dict[str, Any] = {"format": format_of(f)}
    if f.name:  # an unnamed file is read back named after its path (the reader refuses name "")
        doc["name"] = f.name
    doc |= {"rnn": _rnn_json(f.network), "input": _input_json(f.input)}
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
    weight = path.rsplit(".", 1)[-1] in WEIGHT_BLOCKS
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
    weight = path.rsplit(".", 1)[-1] in WEIGHT_BLOCKS
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


def _infer_dim(rnn: dict[str, Any], key: str, matrix: str, axis: int, path: str = "rnn") -> int:
    limit, lo = current_limits().max_dimension, 1 if key == "hidden_dim" else 0
    if key in rnn:
        return integer(rnn[key], f"{path}.{key}", lo, limit, "max_dimension")
    if matrix not in rnn:
        raise InputError(f'{path}: missing key "{matrix}"')
    m = rnn[matrix]
    if isinstance(m, dict) and isinstance(m.get("shape"), list) and len(m["shape"]) == 2:
        return integer(m["shape"][axis], f"{path}.{matrix}.shape[{axis}]", lo, limit, "max_dimension")
    if isinstance(m, list):
        if axis == 0:
            return integer(len(m), f"{path}.{matrix} (rows)", lo, limit, "max_dimension")
        if m and isinstance(m[0], list):
            return integer(len(m[0]), f"{path}.{matrix}[0] (columns)", lo, limit, "max_dimension")
    raise InputError(f'{path}: missing key "{key}" (and it cannot be read off "{matrix}")')


#: Keys of a flat (one-layer) ``rnn`` block and of a layered one.
FLAT_KEYS = ("cell", "dt", "activation", "hidden_dim", "input_dim", "output_dim", "W_hh", "W_ih", "b", "W_out",
             "b_out", "h0")
LAYERED_KEYS = ("layers", "P", "Q", "output_dim", "W_out", "b_out")
LAYER_KEYS = ("cell", "dt", "activation", "hidden_dim", "input_dim", "W_hh", "W_ih", "b", "h0")


def _activation(block: dict[str, Any], path: str, fmt: str) -> str:
    if "activation" not in block:
        if fmt == FORMAT:  # certify.rnn/1 defines its one layer as ReLU
            return "relu"
        raise InputError(f'{path}: missing key "activation" ({", ".join(ACTIVATIONS)}): a {fmt} file must name '
                         "every layer's nonlinearity")
    name = check_name(block["activation"], f"{path}.activation")
    if name not in ACTIVATIONS:
        raise InputError(f"{path}.activation={quote(name)} is not supported (known: {', '.join(ACTIVATIONS)})")
    if fmt == FORMAT and name != "relu":
        raise InputError(f"{path}.activation={quote(name)}: a {FORMAT} network is ReLU; write "
                         f'"format": "{FORMAT_V2}" for other activations')
    return name


def _cell(block: dict[str, Any], path: str, fmt: str) -> tuple[str, fmpq | None]:
    """The layer's cell and step: ``elman`` without ``dt``, or ``residual`` with it (each refused without the other)."""
    cell = check_name(block.get("cell", "elman"), f"{path}.cell")
    if cell not in CELLS:
        raise InputError(f"{path}.cell={quote(cell)} is not supported (known: {', '.join(CELLS)})")
    if cell == "elman":
        if "dt" in block:
            raise InputError(f"{path}.dt={quote(block['dt'])} is the step of a residual cell; write "
                             f'"cell": "residual" beside it, or remove it (cell={quote(cell)})')
        return cell, None
    if fmt == FORMAT:
        raise InputError(f'{path}.cell={quote(cell)}: a {FORMAT} network is an Elman ReLU layer; write '
                         f'"format": "{FORMAT_V2}" for residual cells')
    if "dt" not in block:
        raise InputError(f'{path}.cell={quote(cell)} needs its step "dt" (h_t = h_(t-1) + dt·σ(z_t)), '
                         'e.g. "dt": "1/10"')
    dt = number(block["dt"], f"{path}.dt")
    if not dt > 0:
        raise InputError(f"{path}.dt={to_string(dt)} must be positive")
    return cell, dt


def _layer(block: Any, path: str, fmt: str, d_in: int | None, prefix: str) -> Layer:
    """One layer; its blocks are named ``prefix + "W_hh"`` in errors (a flat file's as before: ``W_hh``)."""
    if not isinstance(block, dict):
        raise InputError(f"{path}: expected a JSON object")
    _keys(block, LAYER_KEYS, path)
    n = _infer_dim(block, "hidden_dim", "W_hh", 0, path)
    got_in = _infer_dim(block, "input_dim", "W_ih", 1, path)
    if d_in is not None and got_in != d_in:
        raise InputError(f"{path}.W_ih has {got_in} columns, expected {d_in} (the hidden_dim of the layer below)")
    h0 = block.get("h0")
    cell, dt = _cell(block, path, fmt)
    return Layer(cell=cell, dt=dt, W_hh=_matrix(jfield(block, "W_hh", path), (n, n), f"{prefix}W_hh"),
                 W_ih=_matrix(jfield(block, "W_ih", path), (n, got_in), f"{prefix}W_ih"),
                 b=_vector(jfield(block, "b", path), n, f"{prefix}b"),
                 h0=_vector(h0, n, f"{prefix}h0") if h0 is not None else (ZERO,) * n,
                 activation=_activation(block, path, fmt))


def network_from_json(rnn: Any, path: str = "rnn", fmt: str = FORMAT) -> Network:
    if not isinstance(rnn, dict):
        raise InputError(f"{path}: expected a JSON object")
    if "layers" not in rnn:
        _keys(rnn, FLAT_KEYS, path)
        layer = _layer({k: v for k, v in rnn.items() if k in LAYER_KEYS}, path, fmt, None, "")
        layers = [layer]
        top = layer.hidden_dim
    else:
        if fmt == FORMAT:
            raise InputError(f'{path}.layers: stacked layers need "format": "{FORMAT_V2}"')
        _keys(rnn, LAYERED_KEYS, path)
        blocks = array(rnn["layers"], f"{path}.layers")
        if not blocks:
            raise InputError(f"{path}.layers is empty: a network needs at least one layer")
        limit = current_limits().max_dimension
        if len(blocks) > limit:
            raise InputError(f"{path}.layers lists {len(blocks)} layers, more than max_dimension={limit}")
        layers = []
        for k, block in enumerate(blocks):
            where = f"{path}.layers[{k}]"
            layers.append(_layer(block, where, fmt, layers[-1].hidden_dim if layers else None, where + "."))
        top = layers[-1].hidden_dim
    P = Q = None  # noqa: N806
    if "P" in rnn:
        d_x = _infer_dim(rnn, "input_dim_P", "P", 1, path)
        P = _matrix(rnn["P"], (layers[0].input_dim, d_x), "P")  # noqa: N806
    if "Q" in rnn:
        d_q = _infer_dim(rnn, "rows_Q", "Q", 0, path)
        Q = _matrix(rnn["Q"], (d_q, top), "Q")  # noqa: N806
    readin = Q.shape[0] if Q is not None else top
    if "W_out" not in rnn and Q is not None:  # the deep-narrow convention: y = Q·h
        W_out = SparseMatrix.from_entries((readin, readin), [(i, i, fmpq(1)) for i in range(readin)])  # noqa: N806
    else:
        d_out = _infer_dim(rnn, "output_dim", "W_out", 0, path)
        W_out = _matrix(jfield(rnn, "W_out", path), (d_out, readin), "W_out")  # noqa: N806
    d_out = W_out.shape[0]
    return Network(layers=tuple(layers), W_out=W_out, b_out=_vector(rnn.get("b_out", [0] * d_out), d_out, "b_out"),
                   P=P, Q=Q)


def _domain(v: Any, where: str) -> tuple[fmpq, fmpq]:
    dom = array(v, where)
    if len(dom) != 2:
        raise InputError(f"{where} must be [lo, hi], got {len(dom)} values")
    lo, hi = number(dom[0], f"{where}[0]"), number(dom[1], f"{where}[1]")
    if not lo <= hi:
        raise InputError(f"{where}=[{to_string(lo)}, {to_string(hi)}] is empty")
    return lo, hi


def _input_spec(v: Any, fmt: str, net: Network) -> InputSpec:
    if v is None:
        if fmt == FORMAT:
            return InputSpec()
        raise InputError(f'input: missing block (a {fmt} file names its input convention: "kind" '
                         f"{', '.join(INPUT_KINDS)} and a domain)")
    if not isinstance(v, dict):
        raise InputError("input: expected a JSON object")
    _keys(v, ("kind", "domain", "length"), "input")
    if fmt == FORMAT:
        kind = string(jfield(v, "kind", "input", "constant"), "input.kind")
        if kind != "constant":
            raise InputError(f'input.kind={quote(kind)} needs "format": "{FORMAT_V2}" (a {FORMAT} file is driven by '
                             "a constant input)")
    elif "kind" not in v:
        raise InputError(f'input: missing key "kind" ({", ".join(INPUT_KINDS)})')
    kind = string(v.get("kind", "constant"), "input.kind")
    if kind not in INPUT_KINDS:
        raise InputError(f"input.kind={quote(kind)} is not supported (known: {', '.join(INPUT_KINDS)})")
    raw = jfield(v, "domain", "input", ["-1", "1"])
    if isinstance(raw, list) and raw and all(isinstance(d, list) for d in raw):
        if fmt == FORMAT:
            raise InputError(f'input.domain: one interval per input needs "format": "{FORMAT_V2}"')
        domains = tuple(_domain(d, f"input.domain[{k}]") for k, d in enumerate(raw))
    else:
        domains = (_domain(raw, "input.domain"),)
    length = None
    if "length" in v:
        if kind != "sequence":
            raise InputError(f"input.length is the N of a sequence domain K^N; input.kind is {quote(kind)}")
        length = integer(v["length"], "input.length", 1, current_limits().max_dimension, "max_dimension")
    spec = InputSpec(kind, domains, length)
    problems = spec.fits(net.input_dim)
    if problems:
        raise InputError("; ".join(problems))
    return spec


def _simulation(v: Any, net: Network, spec: InputSpec) -> Simulation:
    if not net.is_single_relu:
        raise InputError(f"simulation: a TMNU simulation is a one-layer ReLU network without P and Q; this network "
                         f"is {net.describe()}")
    if spec.kind != "constant" or spec.dim != 1:
        raise InputError(f"simulation: a TMNU simulation reads one constant input; input is {spec.describe()}")
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
    if fmt not in FORMATS:
        raise InputError(f'{source}: format={quote(fmt)} is not supported (expected one of {", ".join(FORMATS)})')
    try:
        with number_budget(source):
            return _file(doc, source, fmt)
    except InputError as err:
        text = str(err)
        raise InputError(text if text.startswith(f"{source}: ") else f"{source}: {text}") from None


def _file(doc: dict[str, Any], source: str, fmt: str) -> RnnFile:
    net = network_from_json(jfield(doc, "rnn", "weight file"), fmt=fmt)
    claims = doc.get("claims") or {}
    if not isinstance(claims, dict):
        raise InputError("claims: expected a JSON object")
    sim = doc.get("simulation")
    spec = _input_spec(doc.get("input"), fmt, net)
    return RnnFile(
        network=net,
        name=check_name(doc["name"], "name") if "name" in doc else Path(source).stem,
        input=spec,
        simulation=None if sim is None else _simulation(sim, net, spec),
        claims=claims,
        source=source,
    )
