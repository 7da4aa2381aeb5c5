"""TMNU programs to and from JSON (the ``simulation.program`` block and ``*.tmnu.json`` files).

>>> from certify.constructions.examples import squaring
>>> p = squaring()
>>> from_json(to_json(p)) == p
True
"""

from __future__ import annotations

from typing import Any

from certify.errors import InputError
from certify.jsonio import array, field, number, type_name
from certify.rational import to_json as num_json
from certify.tmnu.program import (
    EMPTY,
    Affine,
    NeuralOp,
    Program,
    Register,
    Stack,
    StackAction,
    Transition,
    Update,
)
from certify.untrusted import SYMBOL, check_name, check_symbol, check_text, current_limits, quote

#: The keys of a program object (``*.tmnu.json`` or ``simulation.program``).
PROGRAM_KEYS = ("name", "description", "states", "start", "stacks", "registers", "input", "output", "ops",
                "transitions")


def _affine_json(a: Affine) -> dict[str, Any]:
    return {"coeffs": {k: num_json(v) for k, v in a.coeffs}, "const": num_json(a.const)}


def _content_json(stack: Stack) -> str | list[str]:
    if all(len(s) == 1 for s in stack.alphabet):
        return "".join(stack.initial)
    return list(stack.initial)


def to_json(p: Program) -> dict[str, Any]:
    """A JSON-ready dict; numbers are exact strings or integers."""
    return {
        "name": p.name,
        "description": p.description,
        "states": list(p.states),
        "start": p.start,
        "stacks": [
            {"name": s.name, "alphabet": list(s.alphabet), "initial": _content_json(s)} for s in p.stacks
        ],
        "registers": [
            {"name": r.name, "bounds": [num_json(r.lo), num_json(r.hi)]}
            | ({"input": True} if r.initial is None else {"initial": num_json(r.initial)})
            for r in p.registers
        ],
        "input": p.input_register,
        "output": p.output_register,
        "ops": [
            {
                "name": o.name,
                "hidden": [_affine_json(h) for h in o.hidden],
                "updates": [
                    {"register": u.register, "relu": [[j, num_json(c)] for j, c in u.relu]} | _affine_json(u.affine)
                    for u in o.updates
                ],
            }
            for o in p.ops
        ],
        "transitions": [
            {
                "state": t.state,
                "reads": dict(t.reads),
                "goto": t.goto,
                "actions": {k: ("pop" if a.kind == "pop" else {"push": a.symbol}) for k, a in t.actions},
                "op": t.op,
            }
            for t in p.transitions
        ],
    }


def _list(v: Any, path: str) -> list[Any]:
    items = array(v, path)
    limit = current_limits().max_states
    if len(items) > limit:
        raise InputError(f"{path} has {len(items)} entries, more than the limit max_states={limit} "
                         "(raise it with --limit max_states=N)")
    return items


def _object(v: Any, path: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    """``v`` as a JSON object with no key outside ``allowed`` (a key one reader ignores and another reads
    is a confusion attack)."""
    if not isinstance(v, dict):
        raise InputError(f"{path}: expected a JSON object, got {type_name(v)}")
    extra = sorted(set(v) - set(allowed))
    if extra:
        raise InputError(f"{path}: unknown key {quote(extra[0])} (allowed: {', '.join(allowed)})")
    return v


def _affine(v: Any, path: str, keys: tuple[str, ...] = ("coeffs", "const")) -> Affine:
    v = _object(v, path, keys)
    coeffs = field(v, "coeffs", path)
    if not isinstance(coeffs, dict):
        raise InputError(f"{path}.coeffs: expected an object mapping register names to numbers")
    _list(list(coeffs), f"{path}.coeffs")
    return Affine.of(
        {check_name(k, f"{path}.coeffs key"): number(c, f"{path}.coeffs.{k}") for k, c in coeffs.items()},
        number(field(v, "const", path, 0), f"{path}.const"),
    )


def _symbol(v: Any, path: str) -> str | None:
    return EMPTY if v is None else check_symbol(v, path)


def _action(v: Any, path: str) -> StackAction:
    if v == "pop":
        return StackAction("pop")
    if isinstance(v, dict) and set(v) == {"push"}:
        return StackAction("push", check_symbol(v["push"], f"{path}.push"))
    raise InputError(f'{path}={quote(v)} is not a stack action (use "pop" or {{"push": "<symbol>"}})')


def _content(init: Any, path: str) -> tuple[str, ...]:
    """A stack's initial content: a string of one-character symbols or a list of symbols, top first."""
    limit = current_limits().max_stack_symbols
    if isinstance(init, str) and type(init) is str:
        if len(init) > limit:
            raise InputError(f"{path} has {len(init)} symbols, more than the limit max_stack_symbols={limit} "
                             "(raise it with --limit max_stack_symbols=N)")
        if init and not SYMBOL.fullmatch(init):
            bad = next(i for i, c in enumerate(init) if not SYMBOL.fullmatch(c))
            check_symbol(init[bad], f"{path}[{bad}]")
        return tuple(init)
    items = array(init, path)
    if len(items) > limit:
        raise InputError(f"{path} has {len(items)} symbols, more than the limit max_stack_symbols={limit} "
                         "(raise it with --limit max_stack_symbols=N)")
    return tuple(check_symbol(c, f"{path}[{j}]") for j, c in enumerate(items))


def _names(v: Any, path: str, check: Any = check_name) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise InputError(f"{path}: expected an object keyed by stack name")
    _list(list(v), path)
    for k in v:
        check(k, f"{path} key")
    return v


def from_json(doc: Any, path: str = "program") -> Program:
    """Read a program (not yet validated: call :func:`certify.tmnu.validate.validate`).

    Sizes are bounded by :class:`~certify.rational.Limits` (``max_states`` items per list,
    ``max_stack_symbols`` per initial content) and every name must match the name grammar.

    >>> from_json({"name": "p", "states": ["a b"], "registers": [], "output": "y", "transitions": []})
    Traceback (most recent call last):
    ...
    certify.errors.InputError: program.states[0]="a b" is not a valid name (a letter or _, then letters, digits, _ . -)
    """
    doc = _object(doc, path, PROGRAM_KEYS)
    stacks = []
    for i, s in enumerate(_list(field(doc, "stacks", path, []), f"{path}.stacks")):
        sp = f"{path}.stacks[{i}]"
        s = _object(s, sp, ("name", "alphabet", "initial"))
        content = _content(field(s, "initial", sp, []), f"{sp}.initial")
        alphabet = tuple(check_symbol(a, f"{sp}.alphabet[{j}]")
                         for j, a in enumerate(_list(field(s, "alphabet", sp), f"{sp}.alphabet")))
        stacks.append(Stack(check_name(field(s, "name", sp), f"{sp}.name"), alphabet, content))
    registers = []
    for i, r in enumerate(_list(field(doc, "registers", path), f"{path}.registers")):
        rp = f"{path}.registers[{i}]"
        r = _object(r, rp, ("name", "bounds", "input", "initial"))
        bounds = array(field(r, "bounds", rp), f"{rp}.bounds")
        if len(bounds) != 2:
            raise InputError(f"{rp}.bounds must be [lo, hi], got {len(bounds)} values")
        is_input = field(r, "input", rp, False)
        if not isinstance(is_input, bool):
            raise InputError(f"{rp}.input={quote(is_input)} must be true or false")
        if is_input and "initial" in r:
            raise InputError(f"{rp}: the input register is loaded with x; it has no initial value")
        initial = None if is_input else number(field(r, "initial", rp, 0), f"{rp}.initial")
        registers.append(Register(check_name(field(r, "name", rp), f"{rp}.name"), number(bounds[0], f"{rp}.bounds[0]"),
                                  number(bounds[1], f"{rp}.bounds[1]"), initial))
    ops = []
    for i, o in enumerate(_list(field(doc, "ops", path, []), f"{path}.ops")):
        op_path = f"{path}.ops[{i}]"
        o = _object(o, op_path, ("name", "hidden", "updates"))
        hidden = tuple(_affine(h, f"{op_path}.hidden[{j}]")
                       for j, h in enumerate(_list(field(o, "hidden", op_path, []), f"{op_path}.hidden")))
        updates = []
        for j, u in enumerate(_list(field(o, "updates", op_path), f"{op_path}.updates")):
            up = f"{op_path}.updates[{j}]"
            u = _object(u, up, ("register", "relu", "coeffs", "const"))
            relu = []
            for k, pair in enumerate(_list(field(u, "relu", up, []), f"{up}.relu")):
                pair = array(pair, f"{up}.relu[{k}]")
                if len(pair) != 2 or not isinstance(pair[0], int) or isinstance(pair[0], bool):
                    raise InputError(f"{up}.relu[{k}] must be [hidden_index, coefficient]")
                relu.append((pair[0], number(pair[1], f"{up}.relu[{k}][1]")))
            updates.append(Update(check_name(field(u, "register", up), f"{up}.register"), tuple(relu),
                                  _affine(u, up, ("register", "relu", "coeffs", "const"))))
        ops.append(NeuralOp(check_name(field(o, "name", op_path), f"{op_path}.name"), hidden, tuple(updates)))
    transitions = []
    for i, t in enumerate(_list(field(doc, "transitions", path), f"{path}.transitions")):
        tp = f"{path}.transitions[{i}]"
        t = _object(t, tp, ("state", "reads", "goto", "actions", "op"))
        reads = _names(field(t, "reads", tp, {}), f"{tp}.reads")
        acts = _names(field(t, "actions", tp, {}), f"{tp}.actions")
        op = field(t, "op", tp, None)
        transitions.append(Transition(
            check_name(field(t, "state", tp), f"{tp}.state"),
            tuple(sorted((k, _symbol(v, f"{tp}.reads.{k}")) for k, v in reads.items())),
            check_name(field(t, "goto", tp), f"{tp}.goto"),
            tuple((k, _action(v, f"{tp}.actions.{k}")) for k, v in acts.items()),
            None if op is None else check_name(op, f"{tp}.op"),
        ))
    inp = field(doc, "input", path, None)
    states = tuple(check_name(s, f"{path}.states[{i}]") for i, s in enumerate(_list(field(doc, "states", path),
                                                                                     f"{path}.states")))
    return Program(
        name=check_name(field(doc, "name", path, "unnamed"), f"{path}.name"),
        states=states,
        start=check_name(field(doc, "start", path, states[0] if states else "start"), f"{path}.start"),
        stacks=tuple(stacks),
        registers=tuple(registers),
        input_register=None if inp is None else check_name(inp, f"{path}.input"),
        output_register=check_name(field(doc, "output", path), f"{path}.output"),
        ops=tuple(ops),
        transitions=tuple(transitions),
        description=check_text(field(doc, "description", path, ""), f"{path}.description"),
    )
