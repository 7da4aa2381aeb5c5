"""Fuzz campaign over certificates: a mutated certificate is either re-checked (a report, confirmed or with
problems) or refused as malformed (``RecheckError``, exit 2) — never a traceback, never a false "confirmed".

Mutations walk into the certificate's JSON and replace a value with another JSON value (wrong types, huge or
unicode numbers, deep nesting), delete a key or duplicate a result. A confirmed mutant must claim exactly what
the original claims: the same results (id, kind, verdict, domain), the same overall verdict, the same weights
and hash. Other fields (tools, note, evidence the re-checker re-derives) may change without harm.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certify import recheck as independent

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"

_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-10**30, 10**30), st.text(max_size=12),
    st.sampled_from(["1e99999", "١", "１/２", "NaN", "-0", "1/0", "0x10", "PROVED", "REFUTED", "smt", "affine",
                     "../x", "/etc/hostname", "static[hidden_dim_max]", "+" * 39, "a" * 300]),
)
_json = st.recursive(_leaf, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                    st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                     max_leaves=8)


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:6]):
            out += _paths(v, (*prefix, i))
    return out


def _setup(tmp: Path, name: str) -> tuple[Path, dict]:
    if name == "counter":
        src = ROOT / "proofs" / "counter"
        shutil.copytree(src, tmp, dirs_exist_ok=True)
        cert = tmp / "certificate.json"
    else:  # a REFUTED certificate with a witness
        from certify.prove.checker import Options, check
        from certify.spec import io

        shutil.copy(GOLDEN / "refuted" / "halver_bug.rnn.json", tmp / "w.rnn.json")
        cert = check(io.read(tmp / "w.rnn.json"), Options(weights_name="w.rnn.json", smt_dir=tmp / "smt")).write(
            tmp / "certificate.json")
    return cert, json.loads(cert.read_text())


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    out = {}
    for name in ("counter", "halver_bug"):
        tmp = tmp_path_factory.mktemp(name)
        out[name] = _setup(tmp, name)
        assert independent.recheck(out[name][0]).ok
    return out


def _mutate(doc: dict, data) -> tuple[dict, tuple, str]:
    doc = copy.deepcopy(doc)
    paths = _paths(doc)[1:]
    path = data.draw(st.sampled_from(paths), label="path")
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    how = data.draw(st.sampled_from(["replace", "delete", "duplicate"]), label="how")
    if how == "delete" and isinstance(parent, dict):
        del parent[path[-1]]
    elif how == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[path[-1]]))
    else:
        how = "replace"
        parent[path[-1]] = data.draw(_json, label="value")
    return doc, path, how


def _check(cert_path: Path, original: dict, doc: dict, path: tuple, how: str) -> None:
    cert_path.write_text(json.dumps(doc))
    try:
        rep = independent.recheck(cert_path, timeout=5)
    except independent.RecheckError:
        return
    finally:
        cert_path.write_text(json.dumps(original))
    if rep.ok:
        assert _claims(doc) == _claims(original), f"a mutation at {path} ({how}) changed a claim and was confirmed"


def _claims(doc: dict) -> str:
    """What a certificate claims: its verdict, weights and hash, and each result's id, kind, verdict and domain."""
    results = sorted((r["id"], r["kind"], r["verdict"], json.dumps(r.get("domain"), sort_keys=True))
                     for r in doc["results"])
    return json.dumps([doc["verdict"], doc["weights"], doc["simulation_checked"], results], sort_keys=True)


@settings(max_examples=700, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_mutated_proved_certificates_fail_closed(certificates, data) -> None:
    cert_path, original = certificates["counter"]
    doc, path, how = _mutate(original, data)
    _check(cert_path, original, doc, path, how)


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_mutated_refuted_certificates_fail_closed(certificates, data) -> None:
    cert_path, original = certificates["halver_bug"]
    doc, path, how = _mutate(original, data)
    _check(cert_path, original, doc, path, how)


@pytest.mark.parametrize("text", ["", "[]", "null", '{"format": "certify.certificate/2"}', "{" * 100000,
                                  '{"format": "certify.certificate/2", "format": "certify.certificate/2"}',
                                  '{"format": "certify.certificate/1"}', "\xff\xfe"])
def test_malformed_certificates_exit_2_with_one_line(tmp_path: Path, run_cli, text: str) -> None:
    (tmp_path / "c.json").write_bytes(text.encode("latin-1"))
    code, _, err = run_cli("recheck", str(tmp_path / "c.json"))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def test_recheck_refuses_a_device_and_a_folder(tmp_path: Path, run_cli) -> None:
    for target in ("/dev/zero", str(tmp_path)):
        code, _, err = run_cli("recheck", target)
        assert code == 2 and "Traceback" not in err
