"""The weight file as the re-checker reads it, the simulation model, and the obligations the theorem needs.

:class:`File` holds the weights, the input, the claims and (when present) the validated program and map;
:class:`Model` adds what the proofs need: every (state, tops) case, every obligation (:meth:`Model.required`,
computed from the program, never from the certificate), and each case's start and successor encodings
as exact expressions.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from certify.recheck.algebra import const, plus, relu_of
from certify.recheck.canonical import content_sha256
from certify.recheck.program import _input, _map, _program
from certify.recheck.read import RecheckError, _key, _obj
from certify.recheck.weights import Weights, _weights

F = Fraction


@dataclass
class File:
    """A weight file as the re-checker reads it: weights, input, claims, and (when present) program and map."""

    w: Weights
    kind: str
    domain: tuple[Fraction, Fraction]
    claims: dict
    prog: dict | None
    smap: dict | None

    @staticmethod
    def load(doc: Any) -> File:
        doc = _obj(doc, "weight file")
        fmt = doc.get("format", "certify.rnn/1")
        if fmt != "certify.rnn/1":
            raise RecheckError(f"format={str(fmt)[:40]!r}: the re-checker reads certify.rnn/1 files (one ReLU layer, "
                               "constant input), the only ones a TMNU simulation is written in")
        w = _weights(doc)
        kind, lo, hi = _input(doc)
        claims = doc.get("claims")
        claims = {} if claims is None else _obj(claims, "claims")
        sim = doc.get("simulation")
        if sim is None:
            return File(w, kind, (lo, hi), claims, None, None)
        if w.d_in != 1 or w.d_out != 1:
            raise RecheckError("a simulation needs input_dim = output_dim = 1")
        sim = _obj(sim, "simulation")
        prog = _program(_key(sim, "program", "simulation"), (lo, hi))
        return File(w, kind, (lo, hi), claims, prog, _map(sim, prog, w.n))

    def content_sha256(self) -> str:
        return content_sha256(self.w.canonical_lines(), self.kind, self.domain, self.prog, self.smap, self.claims)


@dataclass
class Model:
    w: Weights
    prog: dict
    c: int
    t0: int
    control: dict[str, int]
    stacks: dict[str, dict]
    regs: dict[str, dict]
    domain: tuple[Fraction, Fraction]
    reg_box: dict[str, tuple[Fraction, Fraction]] = field(default_factory=dict)

    @staticmethod
    def of(f: File) -> Model:
        assert f.prog is not None and f.smap is not None
        m = f.smap
        model = Model(f.w, f.prog, m["c"], m["t0"], m["control"], m["stacks"], m["registers"], f.domain)
        model.reg_box = {f"r:{r['name']}": (r["lo"], r["hi"]) for r in f.prog["registers"]}
        return model

    def stack_names(self) -> list[str]:
        return [s["name"] for s in self.prog["stacks"]]

    def alphabet(self, s: str) -> list[str]:
        return next(st["alphabet"] for st in self.prog["stacks"] if st["name"] == s)

    def op(self, name: str) -> dict:
        return next(o for o in self.prog["ops"] if o["name"] == name)

    def used_ops(self) -> list[dict]:
        names = {t["op"] for t in self.prog["transitions"]} - {None}
        return sorted((o for o in self.prog["ops"] if o["name"] in names), key=lambda o: o["name"])

    def cases(self) -> Iterator[tuple[str, dict]]:
        names = self.stack_names()
        for q in self.prog["states"]:
            for combo in itertools.product(*[[None, *self.alphabet(s)] for s in names]):
                yield q, dict(zip(names, combo, strict=True))

    def required(self) -> dict[str, dict]:
        """Every obligation the theorem needs, computed from the program (not from the certificate)."""
        out: dict[str, dict] = {}
        for op in self.used_ops():
            for reg in sorted(u["register"] for u in op["updates"]):
                for side in ("hi", "lo"):
                    out[f"invariant[{op['name']}.{reg}.{side}]"] = {"kind": "invariant", "op": op, "reg": reg,
                                                                    "side": side}
        out["prologue"] = {"kind": "prologue"}
        for t in range(self.t0 + 1):
            out[f"readout[t={t}]"] = {"kind": "readout", "t": t}
        for q, tops in self.cases():
            inner = ",".join(f"{k}={'empty' if v is None else v}" for k, v in tops.items())
            out[f"step[{q}" + (f"|{inner}" if inner else "") + "]"] = {"kind": "step", "state": q, "tops": tops}
        return out

    # --- TMNU side ---------------------------------------------------------------------------------------
    def op_exprs(self, op: dict, box: dict) -> dict[str, dict]:
        hidden = []
        for h in op["hidden"]:
            arg = const(h["const"])
            for k, v in h["coeffs"].items():
                arg = plus(arg, {f"r:{k}": v})
            hidden.append(relu_of(arg, box))
        out = {}
        for u in op["updates"]:
            e = const(u["const"])
            for k, v in u["coeffs"].items():
                e = plus(e, {f"r:{k}": v})
            for j, v in u["relu"]:
                e = plus(e, hidden[j], v)
            out[u["register"]] = e
        return out

    def encode(self, state: str, stacks: dict[str, dict], regs: dict[str, dict]) -> list[dict]:
        h: list[dict] = [{} for _ in range(self.w.n)]
        h[self.control[state]] = const(F(1))
        for s, info in self.stacks.items():
            h[info["unit"]] = stacks[s]
        for r, info in self.regs.items():
            h[info["unit"]] = plus(regs[r], const(info["offset"]))
        return h

    def transition(self, state: str, tops: dict) -> dict:
        hits = [t for t in self.prog["transitions"] if t["state"] == state
                and all(tops.get(k, "\0") == v for k, v in t["reads"].items())]
        if len(hits) != 1:
            raise RecheckError(f"{len(hits)} transitions match state {state[:40]!r} with tops {tops}")
        return hits[0]

    def initial(self) -> tuple[dict[str, dict], dict[str, dict]]:
        """config_0(x) as expressions: (stack values, register values)."""
        stacks = {}
        for s in self.prog["stacks"]:
            stacks[s["name"]] = const(_encode_stack(self.stacks[s["name"]], s["initial"]))
        regs = {r["name"]: ({"x": F(1)} if r["initial"] is None else const(r["initial"]))
                for r in self.prog["registers"]}
        return stacks, regs

    def expected_readout(self, t: int) -> dict:
        out = next(r for r in self.prog["registers"] if r["name"] == self.prog["output"])
        if t < self.t0:
            return const(out["lo"])
        return self.initial()[1][self.prog["output"]]

    def case(self, state: str, tops: dict, box: dict) -> tuple[list[dict], list[dict], dict, dict]:
        """(start encoding, successor encoding, old output, new output) as expressions."""
        stacks = {s: ({} if tops[s] is None else {f"v:{s}": F(1)}) for s in self.stack_names()}
        regs = {r["name"]: {f"r:{r['name']}": F(1)} for r in self.prog["registers"]}
        t = self.transition(state, tops)
        new_stacks = {}
        for s in self.stack_names():
            info, act, v = self.stacks[s], t["actions"].get(s), stacks[s]
            if act is None:
                new_stacks[s] = v
            elif act == "pop":
                new_stacks[s] = plus({k: x * info["base"] for k, x in v.items()}, const(F(-info["digits"][tops[s]])))
            else:
                new_stacks[s] = plus({k: x / info["base"] for k, x in v.items()},
                                     const(F(info["digits"][act["push"]], info["base"])))
        new_regs = dict(regs)
        if t["op"] is not None:
            new_regs.update(self.op_exprs(self.op(t["op"]), box))
        out = self.prog["output"]
        return (self.encode(state, stacks, regs), self.encode(t["goto"], new_stacks, new_regs), regs[out],
                new_regs[out])


def _encode_stack(info: dict, content: list[str]) -> Fraction:
    """sum_i d(s_i)/B^i (top first) as one integer division: exact, linear in the length."""
    num = 0
    for sym in content:
        num = num * info["base"] + info["digits"][sym]
    return F(num, info["base"] ** len(content)) if content else F(0)
