"""Static validation of TMNU programs: every problem found is reported, not only the first.

Checked: names are declared and unique; δ is deterministic and total on every (state, tops) case;
transitions read stacks only (registers never feed control); pops happen only on a known, nonempty
top; ops name declared registers only; bounds are declared and contain the initial values and the
input domain [-1, 1].
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator

from certify.errors import ProgramError
from certify.rational import ONE
from certify.tmnu.program import EMPTY, Program, Transition, symbol_name
from certify.untrusted import current_limits

#: Every check here is linear in the program's size, except the (state, tops) cases: at most
#: ``Limits.max_cases`` of them, each looked up once per distinct read pattern of its state, and at most
#: ``PATTERN_WORK`` times ``max_cases`` lookups in all.
PATTERN_WORK = 32


def tops_combinations(program: Program) -> Iterator[dict[str, str | None]]:
    """Every combination of top symbols (``EMPTY`` included), in a fixed order."""
    names = [s.name for s in program.stacks]
    choices = [[EMPTY, *s.alphabet] for s in program.stacks]
    for combo in itertools.product(*choices):
        yield dict(zip(names, combo, strict=True))


def case_count(program: Program) -> int:
    n = len(program.states)
    for s in program.stacks:
        n *= len(s.alphabet) + 1
    return n


def problems(program: Program) -> list[str]:
    """All problems of ``program`` as sentences; empty when it is valid."""
    out: list[str] = []
    _check_names(program, out)
    structural = len(out)
    _check_registers(program, out)
    _check_stacks(program, out)
    _check_ops(program, out)
    before = len(out)
    _check_transitions(program, out)
    if structural == 0 and len(out) == before:  # cases are only meaningful over well-formed transitions
        _check_cases(program, out)
    return out


def validate(program: Program) -> Program:
    """Return ``program`` if it is valid, else raise :class:`ProgramError` listing every problem."""
    found = problems(program)
    if found:
        raise ProgramError(program.name, found)
    return program


def _duplicates(names: list[str]) -> set[str]:
    """Names listed more than once (linear: a program may have 10^5 states).

    >>> sorted(_duplicates(["a", "b", "a", "c", "b"]))
    ['a', 'b']
    """
    return {n for n, k in Counter(names).items() if k > 1}


def _check_names(p: Program, out: list[str]) -> None:
    for kind, names in (
        ("state", list(p.states)),
        ("stack", [s.name for s in p.stacks]),
        ("register", [r.name for r in p.registers]),
        ("op", [o.name for o in p.ops]),
    ):
        for d in sorted(_duplicates(names)):
            out.append(f"{kind} {d!r} is declared twice")
        for n in names:
            if not isinstance(n, str) or not n:
                out.append(f"{kind} name {n!r} must be a nonempty string")
    clash = {s.name for s in p.stacks} & {r.name for r in p.registers}
    for n in sorted(clash):
        out.append(f"{n!r} is both a stack and a register")
    if not p.states:
        out.append("the program declares no control states")
    elif p.start not in p.states:
        out.append(f"start state {p.start!r} is not a declared state")


def _check_registers(p: Program, out: list[str]) -> None:
    names = {r.name for r in p.registers}
    if p.output_register not in names:
        out.append(f"output register {p.output_register!r} is not a declared register")
    if p.input_register is not None and p.input_register not in names:
        out.append(f"input register {p.input_register!r} is not a declared register")
    for r in p.registers:
        if not r.lo < r.hi:
            out.append(f"register {r.name!r} has bounds [{r.lo}, {r.hi}]: need lo < hi")
            continue
        if r.name == p.input_register:
            if r.initial is not None:
                out.append(f"input register {r.name!r} must not have an initial value (it is loaded with x)")
            if r.lo > -ONE or r.hi < ONE:
                out.append(f"input register {r.name!r} has bounds [{r.lo}, {r.hi}], which must contain "
                           "the input domain [-1, 1]")
        elif r.initial is None:
            out.append(f"register {r.name!r} has no initial value (only the input register is loaded with x)")
        elif not r.lo <= r.initial <= r.hi:
            out.append(f"register {r.name!r} starts at {r.initial}, outside its bounds [{r.lo}, {r.hi}]")


def _check_stacks(p: Program, out: list[str]) -> None:
    for s in p.stacks:
        if not s.alphabet:
            out.append(f"stack {s.name!r} has an empty alphabet")
        for d in sorted(_duplicates(list(s.alphabet))):
            out.append(f"stack {s.name!r} lists symbol {d!r} twice")
        for sym in s.alphabet:
            if not isinstance(sym, str) or not sym:
                out.append(f"stack {s.name!r} has symbol {sym!r}: symbols are nonempty strings")
        alphabet = set(s.alphabet)
        bad = sorted({c for c in set(s.initial) if c not in alphabet})
        if bad:
            out.append(f"stack {s.name!r} starts with symbols {bad} that are not in its alphabet")


def _check_ops(p: Program, out: list[str]) -> None:
    names = {r.name for r in p.registers}
    for o in p.ops:
        for reg in sorted(o.read() - names):
            out.append(f"op {o.name!r} reads undeclared register {reg!r}")
        written = list(o.written())
        for reg in sorted(set(written) - names):
            out.append(f"op {o.name!r} writes undeclared register {reg!r}")
        for d in sorted(_duplicates(written)):
            out.append(f"op {o.name!r} writes register {d!r} twice")
        if p.input_register in written:
            out.append(f"op {o.name!r} writes the input register {p.input_register!r}")
        for u in o.updates:
            for j, _ in u.relu:
                if not 0 <= j < len(o.hidden):
                    out.append(f"op {o.name!r} update of {u.register!r} uses hidden unit {j}, "
                               f"but the op has {len(o.hidden)}")


def _check_transitions(p: Program, out: list[str]) -> None:
    states = set(p.states)
    stacks = {s.name: s for s in p.stacks}
    alphabets = {s.name: set(s.alphabet) for s in p.stacks}
    registers = {r.name for r in p.registers}
    ops = {o.name for o in p.ops}
    for t in p.transitions:
        where = f"transition {t.describe()!r}"
        if t.state not in states:
            out.append(f"{where} leaves undeclared state {t.state!r}")
        if t.goto not in states:
            out.append(f"{where} goes to undeclared state {t.goto!r}")
        reads = dict(t.reads)
        if len(reads) != len(t.reads):
            out.append(f"{where} reads a stack twice")
        for name, sym in t.reads:
            if name in registers:
                out.append(f"{where} reads register {name!r}: registers never influence control "
                           "(branch on stack symbols instead)")
            elif name not in stacks:
                out.append(f"{where} reads undeclared stack {name!r}")
            elif sym is not EMPTY and sym not in alphabets[name]:
                out.append(f"{where} reads symbol {sym!r}, not in the alphabet of stack {name!r}")
        for name, act in t.actions:
            if name not in stacks:
                out.append(f"{where} acts on undeclared stack {name!r}")
                continue
            if act.kind == "push":
                if act.symbol not in alphabets[name]:
                    out.append(f"{where} pushes {act.symbol!r}, not in the alphabet of stack {name!r}")
            elif act.kind == "pop":
                if name not in reads:
                    out.append(f"{where} pops stack {name!r} without reading its top")
                elif reads[name] is EMPTY:
                    out.append(f"{where} pops stack {name!r} when it is empty")
            else:
                out.append(f"{where} has unknown stack action {act.kind!r} (use pop or push)")
        if len({n for n, _ in t.actions}) != len(t.actions):
            out.append(f"{where} acts twice on one stack")
        if t.op is not None and t.op not in ops:
            out.append(f"{where} uses undeclared op {t.op!r}")


def _check_cases(p: Program, out: list[str]) -> None:
    """δ is deterministic and total: exactly one transition matches every (state, tops) case.

    Transitions of a state are indexed by their read pattern (the stacks they read), so each case costs
    one dictionary lookup per distinct pattern, not one test per transition.
    """
    limit = current_limits().max_cases
    n = case_count(p)
    if n > limit:
        out.append(f"the program has {n} (state, tops) cases, more than the limit max_cases={limit} "
                   "(raise it with --limit max_cases=N)")
        return
    index: dict[str, dict[tuple[str, ...], dict[tuple, list[Transition]]]] = {q: {} for q in p.states}
    for t in p.transitions:
        pattern = tuple(k for k, _ in t.reads)
        index[t.state].setdefault(pattern, {}).setdefault(tuple(v for _, v in t.reads), []).append(t)
    per_state = n // len(p.states) if p.states else 0
    work = sum(len(patterns) for patterns in index.values()) * per_state
    if work > PATTERN_WORK * limit:
        out.append(f"the program's transitions read {work // max(per_state, 1)} distinct stack patterns over "
                   f"{n} cases, more than {PATTERN_WORK} x max_cases={limit} lookups "
                   "(raise it with --limit max_cases=N)")
        return
    missing: list[str] = []
    clashes: list[str] = []
    for q in p.states:
        patterns = index[q]
        for tops in tops_combinations(p):
            hits = [t for pattern, by_symbols in patterns.items()
                    for t in by_symbols.get(tuple(tops.get(k, _NOWHERE) for k in pattern), ())]
            if len(hits) == 1:
                continue
            case = ", ".join(f"{k}={symbol_name(v)}" for k, v in tops.items())
            case = f"state {q!r}" + (f" with tops {case}" if case else "")
            if not hits:
                missing.append(f"no transition for {case}")
            else:
                clashes.append(f"nondeterministic: {len(hits)} transitions match {case}: "
                               + " | ".join(t.describe() for t in hits[:5]) + (" | ..." if len(hits) > 5 else ""))
    for found, what in ((clashes, "nondeterministic"), (missing, "missing")):
        out.extend(found[:10])
        if len(found) > 10:
            out.append(f"... and {len(found) - 10} more {what} cases")


_NOWHERE = object()  # a read of a stack that does not exist matches no case
