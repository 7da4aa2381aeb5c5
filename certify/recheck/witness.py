"""Witnesses of refutations, checked where they live and replayed exactly with the re-checker's own steps.

A witness must lie in its obligation's domain (x in the input domain, registers in their bounds, a
configuration of the obligation's case with symbols of the alphabets); then its own exact RNN step and
its own TMNU step must really differ there.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from certify.recheck.algebra import ONE
from certify.recheck.model import Model, _encode_stack
from certify.recheck.read import _key, _list, _Num, _num, _obj, _str
from certify.recheck.weights import Weights

F = Fraction


def _rnn_step(w: Weights, h: list[Fraction], x: Fraction) -> list[Fraction]:
    out = []
    for i in range(w.n):
        z = w.b[i] + sum((c * h[j] for j, c in w.W_hh[i].items()), F(0)) + sum((c * x for c in w.W_ih[i].values()),
                                                                                  F(0))
        out.append(z if z > 0 else F(0))
    return out


def _at(e: dict, x: Fraction) -> Fraction:
    """The value at x of an affine expression in x alone."""
    return e.get(ONE, F(0)) + e.get("x", F(0)) * x


def _readout(w: Weights, h: list[Fraction]) -> Fraction:
    return w.b_out[0] + sum((c * h[i] for i, c in w.W_out[0].items()), F(0))


def _encode_config(m: Model, state: str, stacks: dict[str, list[str]], regs: dict[str, Fraction]) -> list[Fraction]:
    h = [F(0)] * m.w.n
    h[m.control[state]] = F(1)
    for s, info in m.stacks.items():
        h[info["unit"]] = _encode_stack(info, stacks[s])
    for r, info in m.regs.items():
        h[info["unit"]] = regs[r] + info["offset"]
    return h


def _op_apply(op: dict, regs: dict[str, Fraction]) -> dict[str, Fraction]:
    acts = []
    for hdn in op["hidden"]:
        z = hdn["const"] + sum((v * regs[k] for k, v in hdn["coeffs"].items()), F(0))
        acts.append(max(z, F(0)))
    new = dict(regs)
    for u in op["updates"]:
        new[u["register"]] = (u["const"] + sum((v * regs[k] for k, v in u["coeffs"].items()), F(0))
                              + sum((v * acts[j] for j, v in u["relu"]), F(0)))
    return new


def _witness_registers(m: Model, v: Any) -> dict[str, Fraction]:
    regs = {k: _num(x, f"witness register {k[:40]}") for k, x in _obj(v, "witness registers").items()}
    if set(regs) != {r["name"] for r in m.prog["registers"]}:
        raise _Forged("the witness does not give exactly the program's registers")
    for r in m.prog["registers"]:
        if not r["lo"] <= regs[r["name"]] <= r["hi"]:
            raise _Forged(f"register {r['name']}={regs[r['name']]} lies outside its bounds [{r['lo']}, {r['hi']}]")
    return regs


class _Forged(Exception):
    """A witness that does not lie in its obligation's domain."""


def replay_witness(m: Model, need: dict, wit: Any) -> str | None:
    """None if the witness lies in the obligation's domain and reproduces a difference there exactly; else why not."""
    try:
        return _replay_witness(m, need, _obj(wit, "witness"))
    except _Forged as err:
        return str(err)


def _replay_witness(m: Model, need: dict, wit: dict) -> str | None:
    x = _num(wit.get("x", _Num("0")), "witness x")
    if not m.domain[0] <= x <= m.domain[1]:
        raise _Forged(f"x={x} lies outside the input domain [{m.domain[0]}, {m.domain[1]}]")
    if need["kind"] == "invariant":
        regs = _witness_registers(m, _key(wit, "registers", "witness"))
        val = _op_apply(need["op"], regs)[need["reg"]]
        lo, hi = m.reg_box[f"r:{need['reg']}"]
        broken = val < lo if need["side"] == "lo" else val > hi
        return None if broken else f"op {need['op']['name']} keeps {need['reg']}={val} on that side of [{lo}, {hi}]"
    if need["kind"] in ("prologue", "readout"):
        h = list(m.w.h0)
        steps = m.t0 if need["kind"] == "prologue" else need["t"]
        for _ in range(steps):
            h = _rnn_step(m.w, h, x)
        if need["kind"] == "readout":
            expected = _at(m.expected_readout(need["t"]), x)
            return None if _readout(m.w, h) != expected else f"y_{need['t']} is what the theorem says"
        start = m.encode(m.prog["start"], *m.initial())
        return None if h != [_at(e, x) for e in start] else "the prologue reproduces the start configuration"
    cfg = _obj(_key(wit, "config", "witness"), "witness config")
    if cfg.get("state") != need["state"]:
        raise _Forged(f"the configuration's state is not the obligation's {need['state'][:40]!r}")
    stacks_in = _obj(cfg.get("stacks", {}), "witness stacks")
    if set(stacks_in) != set(m.stack_names()):
        raise _Forged("the witness does not give exactly the program's stacks")
    stacks = {}
    for s in m.stack_names():
        content = [_str(c, f"witness stack {s[:40]}") for c in _list(stacks_in[s], f"witness stack {s[:40]}", 10**6)]
        if not set(content) <= set(m.alphabet(s)):
            raise _Forged(f"stack {s} holds a symbol outside its alphabet")
        if (content[0] if content else None) != need["tops"][s]:
            raise _Forged(f"stack {s} does not have the obligation's top")
        stacks[s] = content
    regs = _witness_registers(m, _key(cfg, "registers", "witness config"))
    t = m.transition(need["state"], need["tops"])
    new_stacks = {s: list(v) for s, v in stacks.items()}
    for s, act in t["actions"].items():
        new_stacks[s] = new_stacks[s][1:] if act == "pop" else [act["push"], *new_stacks[s]]
    new_regs = _op_apply(m.op(t["op"]), regs) if t["op"] is not None else regs
    want = _encode_config(m, t["goto"], new_stacks, new_regs)
    out = m.prog["output"]
    h = _encode_config(m, need["state"], stacks, regs)
    for j in range(1, m.c + 1):
        h = _rnn_step(m.w, h, x)
        if _readout(m.w, h) != (regs[out] if j < m.c else new_regs[out]):
            return None
    return None if h != want else "the RNN step reproduces the TMNU step on this configuration"
