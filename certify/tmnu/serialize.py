"""TMNU programs to and from JSON (the ``simulation.program`` block and ``*.tmnu.json`` files).

>>> from certify.constructions.examples import squaring
>>> p = squaring()
>>> from_json(to_json(p)) == p
True
"""

from __future__ import annotations

from typing import Any

from certify.errors import InputError
from certify.jsonio import array, field, number, string
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

#: Limits on program sizes read from files (they become units and obligations).
MAX_ITEMS = 100_000
MAX_STACK_SYMBOLS = 10_000_000


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
    if len(items) > MAX_ITEMS:
        raise InputError(f"{path} has {len(items)} entries, more than the limit {MAX_ITEMS}")
    return items


def _affine(v: Any, path: str) -> Affine:
    coeffs = field(v, "coeffs", path)
    if not isinstance(coeffs, dict):
        raise InputError(f"{path}.coeffs: expected an object mapping register names to numbers")
    return Affine.of(
        {string(k, f"{path}.coeffs key"): number(c, f"{path}.coeffs.{k}") for k, c in coeffs.items()},
        number(field(v, "const", path, 0), f"{path}.const"),
    )


def _symbol(v: Any, path: str) -> str | None:
    return EMPTY if v is None else string(v, path)


def _action(v: Any, path: str) -> StackAction:
    if v == "pop":
        return StackAction("pop")
    if isinstance(v, dict) and set(v) == {"push"}:
        return StackAction("push", string(v["push"], f"{path}.push"))
    raise InputError(f'{path}={v!r} is not a stack action (use "pop" or {{"push": "<symbol>"}})')


def from_json(doc: Any, path: str = "program") -> Program:
    """Read a program (not yet validated: call :func:`certify.tmnu.validate.validate`)."""
    stacks = []
    for i, s in enumerate(_list(field(doc, "stacks", path, []), f"{path}.stacks")):
        sp = f"{path}.stacks[{i}]"
        init = field(s, "initial", sp, [])
        if isinstance(init, str):
            if len(init) > MAX_STACK_SYMBOLS:
                raise InputError(f"{sp}.initial has {len(init)} symbols, more than the limit {MAX_STACK_SYMBOLS}")
            content = tuple(init)
        else:
            content = tuple(string(c, f"{sp}.initial[{j}]") for j, c in enumerate(array(init, f"{sp}.initial")))
        alphabet = tuple(string(a, f"{sp}.alphabet[{j}]") for j, a in enumerate(_list(field(s, "alphabet", sp),
                                                                                        f"{sp}.alphabet")))
        stacks.append(Stack(string(field(s, "name", sp), f"{sp}.name"), alphabet, content))
    registers = []
    for i, r in enumerate(_list(field(doc, "registers", path), f"{path}.registers")):
        rp = f"{path}.registers[{i}]"
        bounds = array(field(r, "bounds", rp), f"{rp}.bounds")
        if len(bounds) != 2:
            raise InputError(f"{rp}.bounds must be [lo, hi], got {len(bounds)} values")
        is_input = field(r, "input", rp, False) is True
        initial = None if is_input else number(field(r, "initial", rp, 0), f"{rp}.initial")
        registers.append(Register(string(field(r, "name", rp), f"{rp}.name"), number(bounds[0], f"{rp}.bounds[0]"),
                                  number(bounds[1], f"{rp}.bounds[1]"), initial))
    ops = []
    for i, o in enumerate(_list(field(doc, "ops", path, []), f"{path}.ops")):
        op_path = f"{path}.ops[{i}]"
        hidden = tuple(_affine(h, f"{op_path}.hidden[{j}]")
                       for j, h in enumerate(_list(field(o, "hidden", op_path, []), f"{op_path}.hidden")))
        updates = []
        for j, u in enumerate(_list(field(o, "updates", op_path), f"{op_path}.updates")):
            up = f"{op_path}.updates[{j}]"
            relu = []
            for k, pair in enumerate(array(field(u, "relu", up, []), f"{up}.relu")):
                pair = array(pair, f"{up}.relu[{k}]")
                if len(pair) != 2 or not isinstance(pair[0], int) or isinstance(pair[0], bool):
                    raise InputError(f"{up}.relu[{k}] must be [hidden_index, coefficient]")
                relu.append((pair[0], number(pair[1], f"{up}.relu[{k}][1]")))
            updates.append(Update(string(field(u, "register", up), f"{up}.register"), tuple(relu), _affine(u, up)))
        ops.append(NeuralOp(string(field(o, "name", op_path), f"{op_path}.name"), hidden, tuple(updates)))
    transitions = []
    for i, t in enumerate(_list(field(doc, "transitions", path), f"{path}.transitions")):
        tp = f"{path}.transitions[{i}]"
        reads = field(t, "reads", tp, {})
        acts = field(t, "actions", tp, {})
        if not isinstance(reads, dict) or not isinstance(acts, dict):
            raise InputError(f"{tp}: reads and actions must be objects keyed by stack name")
        op = field(t, "op", tp, None)
        transitions.append(Transition(
            string(field(t, "state", tp), f"{tp}.state"),
            tuple(sorted((k, _symbol(v, f"{tp}.reads.{k}")) for k, v in reads.items())),
            string(field(t, "goto", tp), f"{tp}.goto"),
            tuple((k, _action(v, f"{tp}.actions.{k}")) for k, v in acts.items()),
            None if op is None else string(op, f"{tp}.op"),
        ))
    inp = field(doc, "input", path, None)
    states = tuple(string(s, f"{path}.states[{i}]") for i, s in enumerate(_list(field(doc, "states", path),
                                                                                 f"{path}.states")))
    return Program(
        name=string(field(doc, "name", path, "unnamed"), f"{path}.name"),
        states=states,
        start=string(field(doc, "start", path, states[0] if states else ""), f"{path}.start"),
        stacks=tuple(stacks),
        registers=tuple(registers),
        input_register=None if inp is None else string(inp, f"{path}.input"),
        output_register=string(field(doc, "output", path), f"{path}.output"),
        ops=tuple(ops),
        transitions=tuple(transitions),
        description=string(field(doc, "description", path, ""), f"{path}.description"),
    )
