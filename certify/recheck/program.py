"""The TMNU program, the simulation map and the input spec, validated with the re-checker's own rules.

Every name follows the trust boundary's grammar; every reference (state, stack, symbol, register, op)
is declared; registers start inside their bounds; the transition function is deterministic and total;
every state, stack and register has its own unit. The result is plain data with exact numbers and
defaults filled in, which the content hash covers.

>>> _input({"input": {"kind": "constant", "domain": ["-1/2", "1/2"]}})
('constant', Fraction(-1, 2), Fraction(1, 2))
>>> _input({"input": {"domain": ["1", "0"]}})
Traceback (most recent call last):
...
certify.recheck.read.RecheckError: input.domain=[1, 0] is empty
"""

from __future__ import annotations

import itertools
import json
from fractions import Fraction
from typing import Any

from certify import untrusted
from certify.recheck.read import (
    MAX_CASES,
    MAX_TIMING,
    RecheckError,
    _int,
    _key,
    _list,
    _name,
    _Num,
    _num,
    _obj,
    _str,
)

F = Fraction


def _coeffs(v: Any, where: str, regs: set[str]) -> dict[str, Fraction]:
    out = {}
    for k, c in _obj(v, where).items():
        if k not in regs:
            raise RecheckError(f"{where} names undeclared register {k[:40]!r}")
        x = _num(c, f"{where}.{k}")
        if x:
            out[k] = x
    return out


def _program(doc: Any, domain: tuple[Fraction, Fraction]) -> dict:
    """The program, validated and normalised: numbers exact, defaults filled in, every reference checked."""
    p = _obj(doc, "simulation.program")
    states = [_name(s, f"program.states[{i}]") for i, s in enumerate(_list(_key(p, "states", "program"),
                                                                             "program.states"))]
    if not states or len(set(states)) != len(states):
        raise RecheckError("program.states: empty, or a state is declared twice")
    start = _name(p.get("start", states[0]), "program.start")
    if start not in states:
        raise RecheckError(f"program.start={start[:40]!r} is not a declared state")
    stacks = []
    for i, s in enumerate(_list(p.get("stacks", []), "program.stacks")):
        s = _obj(s, f"program.stacks[{i}]")
        alphabet = [_name(a, f"program.stacks[{i}].alphabet", untrusted.SYMBOL)
                    for a in _list(_key(s, "alphabet", "stack"), "alphabet")]
        init = s.get("initial", [])
        content = list(init) if isinstance(init, str) and not isinstance(init, _Num) else \
            [_str(c, f"program.stacks[{i}].initial") for c in _list(init, f"program.stacks[{i}].initial", 10**8)]
        if not alphabet or len(set(alphabet)) != len(alphabet) or not set(content) <= set(alphabet):
            raise RecheckError(f"program.stacks[{i}]: an empty or repeating alphabet, or an initial symbol outside it")
        stacks.append({"name": _name(_key(s, "name", "stack"), f"program.stacks[{i}].name"), "alphabet": alphabet,
                       "initial": content})
    inp = p.get("input")
    inp = None if inp is None else _name(inp, "program.input")
    registers: list[dict[str, Any]] = []
    for i, r in enumerate(_list(_key(p, "registers", "program"), "program.registers")):
        r = _obj(r, f"program.registers[{i}]")
        name = _name(_key(r, "name", "register"), f"program.registers[{i}].name")
        flag = r.get("input", False)
        if not isinstance(flag, bool):
            raise RecheckError(f"program.registers[{i}].input={json.dumps(flag)[:20]} must be true or false")
        bounds = _list(_key(r, "bounds", name), f"register {name}.bounds")
        if len(bounds) != 2:
            raise RecheckError(f"register {name}: bounds must be [lo, hi]")
        lo, hi = _num(bounds[0], f"register {name}.bounds[0]"), _num(bounds[1], f"register {name}.bounds[1]")
        initial = None if flag else _num(r.get("initial", _Num("0")), f"register {name}.initial")
        if not lo < hi or (initial is not None and not lo <= initial <= hi):
            raise RecheckError(f"register {name}: bounds [{lo}, {hi}] are empty or do not hold its initial value")
        if flag != (name == inp):
            raise RecheckError(f"register {name}: its input flag disagrees with program.input")
        if flag and not (lo <= domain[0] and domain[1] <= hi and lo <= -1 and hi >= 1):
            raise RecheckError(f"the input domain leaves the bounds of input register {name}")
        registers.append({"name": name, "lo": lo, "hi": hi, "initial": initial})
    names = [r["name"] for r in registers]
    regs = set(names)
    stack_names = [s["name"] for s in stacks]
    if len(regs) != len(names) or len(set(stack_names)) != len(stack_names) or regs & set(stack_names):
        raise RecheckError("program: a register or stack is declared twice, or a name is both")
    if inp is not None and inp not in regs:
        raise RecheckError("program.input is not a declared register")
    output = _name(_key(p, "output", "program"), "program.output")
    if output not in regs:
        raise RecheckError(f"program.output={output[:40]!r} is not a declared register")
    ops = []
    for i, o in enumerate(_list(p.get("ops", []), "program.ops")):
        o = _obj(o, f"program.ops[{i}]")
        where = f"program.ops[{i}]"
        hidden = [{"coeffs": _coeffs(_key(_obj(h, where), "coeffs", where), f"{where}.hidden[{j}].coeffs", regs),
                   "const": _num(h.get("const", _Num("0")), f"{where}.hidden[{j}].const")}
                  for j, h in enumerate(_list(o.get("hidden", []), f"{where}.hidden"))]
        updates, written = [], set()
        for j, u in enumerate(_list(_key(o, "updates", where), f"{where}.updates")):
            u = _obj(u, f"{where}.updates[{j}]")
            reg = _name(_key(u, "register", where), f"{where}.updates[{j}].register")
            if reg not in regs or reg == inp or reg in written:
                raise RecheckError(f"{where} writes {reg[:40]!r}: undeclared, the input register, or twice")
            written.add(reg)
            relu = []
            for k, pair in enumerate(_list(u.get("relu", []), f"{where}.updates[{j}].relu")):
                pair = _list(pair, f"{where}.updates[{j}].relu[{k}]")
                if len(pair) != 2:
                    raise RecheckError(f"{where}.updates[{j}].relu[{k}] must be [hidden_index, coefficient]")
                relu.append([_int(pair[0], f"{where}.relu index", 0, len(hidden) - 1), _num(pair[1], f"{where}.relu")])
            updates.append({"register": reg, "relu": relu,
                            "coeffs": _coeffs(_key(u, "coeffs", where), f"{where}.updates[{j}].coeffs", regs),
                            "const": _num(u.get("const", _Num("0")), f"{where}.updates[{j}].const")})
        ops.append({"name": _name(_key(o, "name", where), f"{where}.name"), "hidden": hidden, "updates": updates})
    if len({o["name"] for o in ops}) != len(ops):
        raise RecheckError("program.ops: an op is declared twice")
    alphabets = {s["name"]: s["alphabet"] for s in stacks}
    transitions = []
    for i, t in enumerate(_list(_key(p, "transitions", "program"), "program.transitions")):
        t = _obj(t, f"program.transitions[{i}]")
        where = f"program.transitions[{i}]"
        state, goto = _name(_key(t, "state", where), f"{where}.state"), _name(_key(t, "goto", where), f"{where}.goto")
        reads = {k: (None if v is None else _str(v, f"{where}.reads.{k}")) for k, v in
                 _obj(t.get("reads", {}), f"{where}.reads").items()}
        actions: dict[str, Any] = {}
        for k, a in _obj(t.get("actions", {}), f"{where}.actions").items():
            if a == "pop" and not isinstance(a, _Num):
                if reads.get(k) is None:
                    raise RecheckError(f"{where} pops stack {k[:40]!r} without reading a nonempty top")
                actions[k] = "pop"
            elif isinstance(a, dict) and set(a) == {"push"}:
                actions[k] = {"push": _str(a["push"], f"{where}.actions.{k}.push")}
                if k in alphabets and actions[k]["push"] not in alphabets[k]:
                    raise RecheckError(f"{where} pushes a symbol outside the alphabet of {k[:40]!r}")
            else:
                raise RecheckError(f"{where}.actions.{k[:40]}: not a stack action")
        op = t.get("op")
        op = None if op is None else _name(op, f"{where}.op")
        if (state not in states or goto not in states or not set(reads) <= set(alphabets)
                or not set(actions) <= set(alphabets) or (op is not None and op not in {o["name"] for o in ops})
                or any(v is not None and v not in alphabets[k] for k, v in reads.items())):
            raise RecheckError(f"{where} names an undeclared state, stack, symbol or op")
        transitions.append({"state": state, "reads": reads, "goto": goto, "actions": actions, "op": op})
    cases = len(states)
    for s in stacks:
        cases *= len(s["alphabet"]) + 1
    if cases > MAX_CASES:
        raise RecheckError(f"the program has {cases} (state, tops) cases, more than the limit {MAX_CASES}")
    _deterministic_and_total(states, stacks, transitions)
    return {"name": _str(p.get("name", "unnamed"), "program.name"), "states": states, "start": start,
            "stacks": stacks, "registers": registers, "input": inp, "output": output, "ops": ops,
            "transitions": transitions}


def _deterministic_and_total(states: list[str], stacks: list[dict], transitions: list[dict]) -> None:
    """δ is deterministic and total: exactly one transition per (state, tops) case."""
    by_state: dict[str, list[dict]] = {q: [] for q in states}
    for t in transitions:
        by_state[t["state"]].append(t)
    names = [s["name"] for s in stacks]
    for q in states:
        for combo in itertools.product(*[[None, *s["alphabet"]] for s in stacks]):
            tops = dict(zip(names, combo, strict=True))
            hits = [t for t in by_state[q] if all(tops.get(k, "\0") == v for k, v in t["reads"].items())]
            if len(hits) != 1:
                raise RecheckError(f"{len(hits)} transitions match state {q[:40]!r} with tops {tops}")


def _map(sim: dict, prog: dict, n: int) -> dict:
    """The simulation map, validated against the program: every state, stack and register has its own unit."""
    c = _int(_key(sim, "c", "simulation"), "simulation.c", 1, MAX_TIMING)
    t0 = _int(_key(sim, "t0", "simulation"), "simulation.t0", 0, MAX_TIMING)
    control = {q: _int(u, f"simulation.control.{q[:40]}", 0, n - 1)
               for q, u in _obj(_key(sim, "control", "simulation"), "simulation.control").items()}
    stacks: dict[str, dict[str, Any]] = {}
    for s, v in _obj(_key(sim, "stacks", "simulation"), "simulation.stacks").items():
        v = _obj(v, f"simulation.stacks.{s[:40]}")
        base = _int(_key(v, "base", "stack"), f"simulation.stacks.{s[:40]}.base", 2, 1 << 20)
        digits = {k: _int(d, f"simulation.stacks.{s[:40]}.digits", 1, base - 1)
                  for k, d in _obj(_key(v, "digits", "stack"), "digits").items()}
        stacks[s] = {"unit": _int(_key(v, "unit", "stack"), f"simulation.stacks.{s[:40]}.unit", 0, n - 1),
                     "base": base, "digits": digits}
    regs = {r: {"unit": _int(_key(_obj(v, "register"), "unit", "register"), f"simulation.registers.{r[:40]}.unit",
                             0, n - 1),
                "offset": _num(_key(v, "offset", "register"), f"simulation.registers.{r[:40]}.offset")}
            for r, v in _obj(_key(sim, "registers", "simulation"), "simulation.registers").items()}
    if set(control) != set(prog["states"]) or set(stacks) != {s["name"] for s in prog["stacks"]} \
            or set(regs) != {r["name"] for r in prog["registers"]}:
        raise RecheckError("the simulation map does not name exactly the program's states, stacks and registers")
    for s in prog["stacks"]:
        digits = stacks[s["name"]]["digits"]
        if set(digits) != set(s["alphabet"]) or len(set(digits.values())) != len(digits):
            raise RecheckError(f"simulation.stacks.{s['name'][:40]}: digits must map the alphabet to distinct digits")
    units = list(control.values()) + [v["unit"] for v in stacks.values()] + [v["unit"] for v in regs.values()]
    if len(set(units)) != len(units):
        raise RecheckError("the simulation map assigns one unit to two things")
    return {"c": c, "t0": t0, "control": control, "stacks": stacks, "registers": regs}


def _input(doc: dict) -> tuple[str, Fraction, Fraction]:
    v = doc.get("input")
    if v is None:
        return "constant", F(-1), F(1)
    v = _obj(v, "input")
    kind = _str(v.get("kind", "constant"), "input.kind")
    if kind != "constant":
        raise RecheckError(f'input.kind="{kind[:20]}": the re-checker knows "constant" only')
    dom = _list(v.get("domain", ["-1", "1"]), "input.domain")
    if len(dom) != 2:
        raise RecheckError("input.domain must be [lo, hi]")
    lo, hi = _num(dom[0], "input.domain[0]"), _num(dom[1], "input.domain[1]")
    if not lo <= hi:
        raise RecheckError(f"input.domain=[{lo}, {hi}] is empty")
    return kind, lo, hi
