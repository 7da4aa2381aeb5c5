"""Planted bugs: single-weight mutants of every bundled construction.

Each mutant is REFUTED (with a witness that an independent exact replay reproduces), UNKNOWN, or
PROVED. A PROVED mutant must really be equivalent: we test that claim by exact differential runs
on random configurations of the whole declared box (reachable or not) and along trajectories
from the start, for several inputs. Counts are printed.
"""

from __future__ import annotations

import math
import random
import zlib
from collections import Counter
from collections.abc import Iterator

import pytest
from cases import compiled
from flint import fmpq

from certify import recheck as independent
from certify.compiler.tmnu_to_rnn import from_compiled
from certify.prove.checker import Options, check
from certify.recheck.read import _load_json
from certify.recheck.weights import _weights
from certify.spec import io
from certify.spec.network import Network
from certify.tmnu.interpret import Interpreter, initial_config, output
from certify.tmnu.program import Config
from certify.verdict import Verdict

MUTANTS = 210
BUNDLED = ["counter", "squaring", "stack_copy"]


def _float_neighbour(v: fmpq, up: bool) -> fmpq:
    f = float(v)  # the weight's float64 export (tests only: this builds a mutant)
    g = math.nextafter(f, math.inf if up else -math.inf)
    return fmpq(*g.as_integer_ratio())


def mutants(net: Network, seed: int) -> Iterator[tuple[str, Network]]:
    """Single-weight mutants of eight kinds, round robin, deterministic; no-op mutants are skipped."""
    rng = random.Random(seed)
    entries = net.W_hh.entries()
    kinds = ["sign flip", "±2^-k", "set to zero", "bias shift", "swap", "±1 ulp", "h0 entry", "readout entry"]
    made = 0
    while made < MUTANTS:
        kind = kinds[made % len(kinds)]
        i, j, v = entries[rng.randrange(len(entries))]
        if kind == "sign flip":
            m, what = net.replace(W_hh=net.W_hh.with_entry(i, j, -v)), f"W_hh[{i}][{j}] *= -1"
        elif kind == "±2^-k":
            e = fmpq(rng.choice([1, -1]), 2 ** rng.randrange(0, 16))
            m, what = net.replace(W_hh=net.W_hh.with_entry(i, j, v + e)), f"W_hh[{i}][{j}] += {e}"
        elif kind == "set to zero":
            m, what = net.replace(W_hh=net.W_hh.with_entry(i, j, fmpq(0))), f"W_hh[{i}][{j}] = 0"
        elif kind == "bias shift":
            u, e = rng.randrange(net.hidden_dim), fmpq(rng.choice([1, -1]), 2 ** rng.randrange(0, 16))
            b = list(net.b)
            b[u] += e
            m, what = net.replace(b=tuple(b)), f"b[{u}] += {e}"
        elif kind == "swap":
            i2, j2, v2 = entries[rng.randrange(len(entries))]
            m = net.replace(W_hh=net.W_hh.with_entry(i, j, v2).with_entry(i2, j2, v))
            what = f"swap W_hh[{i}][{j}], W_hh[{i2}][{j2}]"
        elif kind == "±1 ulp":
            up = rng.random() < 0.5
            m, what = net.replace(W_hh=net.W_hh.with_entry(i, j, _float_neighbour(v, up))), \
                f"W_hh[{i}][{j}] -> float64 neighbour {'above' if up else 'below'}"
        elif kind == "readout entry":  # W_out on any unit, e.g. the start state's control unit (issue 9)
            u = rng.randrange(net.hidden_dim)
            e = fmpq(rng.choice([1, -1]), 2 ** rng.randrange(0, 4))
            old = dict(net.W_out.rows[0]).get(u, fmpq(0))
            m, what = net.replace(W_out=net.W_out.with_entry(0, u, old + e)), f"W_out[0][{u}] += {e}"
        else:
            u = rng.randrange(net.hidden_dim)
            h0 = list(net.h0)
            h0[u] += fmpq(rng.choice([1, -1]), 2 ** rng.randrange(0, 12))
            m, what = net.replace(h0=tuple(h0)), f"h0[{u}] changed"
        if m == net:
            continue
        made += 1
        yield f"{kind}: {what}", m


def _random_config(prog, smap, rng: random.Random) -> Config:
    regs = tuple(r.lo + (r.hi - r.lo) * fmpq(rng.randrange(0, 65), 64) for r in prog.registers)
    stacks = tuple(tuple(rng.choice(s.alphabet) for _ in range(rng.randrange(0, 6))) for s in prog.stacks)
    return Config(rng.choice(prog.states), stacks, regs)


def _simulates_on(net: Network, prog, smap, config: Config, x: fmpq) -> bool:
    """Exact: one TMNU step from ``config`` equals c RNN steps from its encoding, readouts included."""
    h = smap.encode(prog, config)
    old = output(prog, config)
    nxt = Interpreter(prog).step(config)
    for j in range(1, smap.c + 1):
        h = net.step(h, [x])
        if net.output(h)[0] != (old if j < smap.c else output(prog, nxt)):
            return False
    return h == smap.encode(prog, nxt)


def _equivalent(net: Network, prog, smap, rng: random.Random) -> bool:
    """The exact argument behind a PROVED mutant, tested: the mutant simulates the TMNU on random
    configurations of the whole box and along runs from the start."""
    for _ in range(40):
        x = fmpq(rng.randrange(-64, 65), 64)
        if not _simulates_on(net, prog, smap, _random_config(prog, smap, rng), x):
            return False
    lo_out = prog.register(prog.output_register).lo
    for x in (fmpq(-1), fmpq(1, 3), fmpq(7, 8)):
        h = list(net.h0)
        for _ in range(smap.t0):  # the readout is lo_out before t0
            if net.output(h)[0] != lo_out:
                return False
            h = net.step(h, [x])
        conf, interp = initial_config(prog, x), Interpreter(prog)
        for _ in range(150):
            if h != smap.encode(prog, conf) or net.output(h)[0] != output(prog, conf):
                return False
            for j in range(1, smap.c + 1):
                h = net.step(h, [x])
                if j < smap.c and net.output(h)[0] != output(prog, conf):
                    return False
            conf = interp.step(conf)
    return True


@pytest.mark.parametrize("name", BUNDLED)
def test_no_mutant_that_changes_behaviour_is_proved(name: str, tmp_path) -> None:
    c = compiled(name)
    f = from_compiled(c)
    io.write(f, tmp_path / "original.rnn.json")
    model = independent.Model.of(independent.File.load(_load_json(tmp_path / "original.rnn.json")))
    required = model.required()
    rng = random.Random(7)
    counts: Counter[str] = Counter()
    for what, net in mutants(f.network, seed=zlib.crc32(name.encode())):
        mf = io.RnnFile(network=net, name=f.name, simulation=f.simulation, claims={}, source="mutant")
        cert = check(mf, Options(timeout=10, fail_fast=True))
        if cert.verdict is Verdict.PROVED:
            assert _equivalent(net, c.program, c.simulation, rng), f"{name}: PROVED but not equivalent: {what}"
            counts["proved-equivalent"] += 1
        elif cert.verdict is Verdict.REFUTED:
            bad = next(r for r in cert.results if r.verdict is Verdict.REFUTED)
            w = bad.evidence["witness"]
            model.w = _weights(io.to_json_doc(mf))  # the mutant's weights, read independently
            why = independent.replay_witness(model, required[bad.id], w)
            assert why is None, f"{name}: witness does not replay: {what}: {why}"
            counts["refuted"] += 1
        else:
            counts["unknown"] += 1
    print(f"\n{name}: {sum(counts.values())} mutants: {counts['refuted']} refuted (witness replayed), "
          f"{counts['unknown']} unknown, {counts['proved-equivalent']} proved-equivalent (equivalence tested)")
    assert sum(counts.values()) >= 200
    assert counts["refuted"] >= 100
