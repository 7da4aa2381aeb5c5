"""The certifier proves every case in the table, deterministically, and catches planted bugs."""

from __future__ import annotations

from pathlib import Path

import pytest
from cases import CASES, compiled, halver, sawtooth
from flint import fmpq

from certify.compiler.tmnu_to_rnn import compile_program, from_compiled
from certify.jsonio import dumps
from certify.prove.checker import Options, check
from certify.recheck import recheck
from certify.spec import io
from certify.tmnu.build import Builder, relu
from certify.verdict import Verdict


def _file(name: str) -> io.RnnFile:
    return from_compiled(compiled(name))


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_case_is_proved_and_rechecks(name: str, tmp_path: Path) -> None:
    f = _file(name)
    io.write(f, tmp_path / "f.rnn.json")
    cert = check(io.read(tmp_path / "f.rnn.json"), Options(smt_dir=tmp_path / "smt", weights_name="f.rnn.json"))
    assert cert.verdict is Verdict.PROVED, [(r.id, r.reason) for r in cert.results if r.verdict is not Verdict.PROVED]
    cert.write(tmp_path / "certificate.json")
    rep = recheck(tmp_path / "certificate.json")
    assert rep.ok, rep.problems
    assert rep.confirmed == len(cert.results)


def test_certificates_are_deterministic_and_jobs_do_not_matter() -> None:
    f = _file("counter")
    a, b = check(f), check(f, Options(jobs=2))
    assert dumps(a.to_json()) == dumps(b.to_json())


def test_file_without_simulation_checks_static_claims_only() -> None:
    f = _file("halver")
    bare = io.RnnFile(network=f.network, name="bare", claims={"hidden_dim_max": 3})
    cert = check(bare)
    assert not cert.simulation_checked
    assert "NOT checked" in cert.note
    assert cert.verdict is Verdict.REFUTED  # hidden_dim 29 > claimed 3
    assert "hidden dimension is" in cert.results[0].reason


def _with_network(f: io.RnnFile, net) -> io.RnnFile:
    return io.RnnFile(network=net, name=f.name, simulation=f.simulation, claims={}, source="mutant")


def test_planted_wrong_op_weight_is_refuted_with_replayed_witness() -> None:
    f = _file("squaring")
    net = f.network
    # register t's new value sums the op units with weight -1 somewhere: change one by 1/64
    unit = next(i for i, u in enumerate(f.simulation.map.units) if u.label == "register t" and u.stage == 0)
    j, v = next((j, v) for j, v in net.W_hh.rows[unit] if v == -1)
    bad = _with_network(f, net.replace(W_hh=net.W_hh.with_entry(unit, j, v - fmpq(1, 64))))
    cert = check(bad)
    refuted = [r for r in cert.results if r.verdict is Verdict.REFUTED]
    assert cert.verdict is Verdict.REFUTED and refuted
    w = refuted[0].evidence["witness"]
    assert refuted[0].id.startswith("step[") and "config" in w
    assert "unit" in refuted[0].reason  # names the unit that differs


def test_planted_h0_bug_is_refuted_in_the_prologue() -> None:
    f = _file("stack_copy")
    h0 = list(f.network.h0)
    i = next(i for i, v in enumerate(h0) if v not in (0, 1))  # the stack's initial value
    h0[i] += fmpq(1, 6**300)  # one extra base-6 digit deep in the 300-symbol stack
    cert = check(_with_network(f, f.network.replace(h0=tuple(h0))))
    prologue = next(r for r in cert.results if r.id == "prologue")
    assert prologue.verdict is Verdict.REFUTED


def test_non_inductive_bounds_are_refuted_naming_the_op() -> None:
    b = Builder("leaky")
    x = b.register("x", bound=1, input=True)
    r = b.register("r", bounds=(0, 1))
    b.output(r)
    b.op("grow", r=r + relu(x) / 2)  # r + x/2 can leave [0, 1]
    b.forever("go", "grow")
    cert = check(from_compiled(compile_program(b.build())))
    inv = next(r for r in cert.results if r.id == "invariant[grow.r.hi]")
    assert inv.verdict is Verdict.REFUTED
    assert "op 'grow'" in inv.reason and "outside its declared bounds" in inv.reason
    assert cert.verdict is Verdict.REFUTED


def test_forced_timeout_is_unknown_never_proved() -> None:
    f = from_compiled(compile_program(sawtooth(32)))
    cert = check(f, Options(rlimit=1))
    assert cert.verdict is Verdict.UNKNOWN
    unknown = [r for r in cert.results if r.verdict is Verdict.UNKNOWN]
    assert all("z3" in r.reason for r in unknown)
    assert check(f).verdict is Verdict.PROVED  # with time, the same file is proved


def test_refuted_certificate_rechecks_its_witness(tmp_path: Path) -> None:
    f = from_compiled(compile_program(halver()))
    net = f.network
    i, j, v = net.W_hh.entries()[-1]
    bad = _with_network(f, net.replace(W_hh=net.W_hh.with_entry(i, j, v * 2)))
    io.write(bad, tmp_path / "bad.rnn.json")
    cert = check(io.read(tmp_path / "bad.rnn.json"), Options(smt_dir=tmp_path / "smt", weights_name="bad.rnn.json"))
    assert cert.verdict is Verdict.REFUTED
    cert.write(tmp_path / "certificate.json")
    rep = recheck(tmp_path / "certificate.json")
    assert rep.ok, rep.problems
