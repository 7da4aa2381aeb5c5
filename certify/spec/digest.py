"""The content hash of a weight file: one sha256 over everything a certificate's theorem depends on.

The canonical text (format ``certify.content/1``, spelled out in ``docs/security.md``) is

    certify.content/1
    <the network's canonical text: activations, layers, dimensions, every nonzero weight, P, Q, b, b_out, h0>
    input <kind> <lo> <hi> [<lo> <hi> … dims <d>] [length <N>]
    simulation <canonical JSON of the program and the simulation map, or null>
    claims <canonical JSON of the claims block>

The program is normalised (names, states, start, stacks with alphabets and initial contents,
registers with bounds and initial values, input and output registers, ops with their exact
coefficients, transitions) and so is the map (c, t0, control units, stack units/bases/digits,
register units/offsets); descriptions and unit labels are presentation and are left out. Numbers
are exact rationals. A certificate records this hash, so changing a weight, h0, the input domain,
one transition, the timing or a claim makes it stale. The independent re-checker computes the same
text from the file's JSON with its own reader: if the two readings of a file differ, the hashes
differ and the certificate is refused.

>>> from certify.compiler.tmnu_to_rnn import compile_program, from_compiled
>>> from certify.constructions.examples import squaring
>>> f = from_compiled(compile_program(squaring()))
>>> content_text(f).splitlines()[0], len(content_sha256(f))
('certify.content/1', 64)
>>> content_sha256(f) != content_sha256(from_compiled(compile_program(squaring()), claims={"rate_until": 9}))
True
"""

from __future__ import annotations

from typing import Any

from certify.canonical import canonical, sha256
from certify.rational import to_string
from certify.tmnu.program import Affine, Program

FORMAT = "certify.content/1"


def _affine(a: Affine) -> dict[str, Any]:
    return {"coeffs": {k: v for k, v in a.coeffs if v != 0}, "const": a.const}


def program_json(p: Program) -> dict[str, Any]:
    """The normalised program (what the theorem depends on, nothing presentational)."""
    return {
        "name": p.name,
        "states": list(p.states),
        "start": p.start,
        "stacks": [{"name": s.name, "alphabet": list(s.alphabet), "initial": list(s.initial)} for s in p.stacks],
        "registers": [{"name": r.name, "lo": r.lo, "hi": r.hi, "initial": r.initial} for r in p.registers],
        "input": p.input_register,
        "output": p.output_register,
        "ops": [{"name": o.name, "hidden": [_affine(h) for h in o.hidden],
                 "updates": [{"register": u.register, "relu": [[j, c] for j, c in u.relu]} | _affine(u.affine)
                             for u in o.updates]} for o in p.ops],
        "transitions": [{"state": t.state, "reads": dict(t.reads), "goto": t.goto,
                         "actions": {k: ("pop" if a.kind == "pop" else {"push": a.symbol}) for k, a in t.actions},
                         "op": t.op} for t in p.transitions],
    }


def content_text(f: Any) -> str:
    """The canonical text of an :class:`~certify.spec.io.RnnFile` (see the module docstring)."""
    net, spec = f.network, f.input
    domains = " ".join(f"{to_string(lo)} {to_string(hi)}" for lo, hi in spec.domains)
    shape = "" if len(spec.domains) == 1 else f" dims {len(spec.domains)}"
    length = "" if spec.length is None else f" length {spec.length}"
    lines = [FORMAT, net.canonical_text().rstrip("\n"), f"input {spec.kind} {domains}{shape}{length}"]
    sim = None
    if f.simulation is not None:
        m = f.simulation.map
        sim = {"program": program_json(f.simulation.program), "c": m.c, "t0": m.t0, "control": dict(m.control),
               "stacks": {s.stack: {"unit": s.unit, "base": s.base, "digits": dict(s.digits)} for s in m.stacks},
               "registers": {r.register: {"unit": r.unit, "offset": r.offset} for r in m.registers}}
    lines.append("simulation " + canonical(sim))
    lines.append("claims " + canonical(dict(f.claims)))
    return "\n".join(lines) + "\n"


def content_sha256(f: Any) -> str:
    """sha256 of :func:`content_text`: the hash a certificate of ``f`` records."""
    return sha256(content_text(f))
