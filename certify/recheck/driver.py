"""The re-check: a certificate against its weight file, every result recomputed, every disagreement reported.

:func:`recheck` reads both files with the re-checker's own readers, compares the content hash, requires
exactly the static claims and obligations that the file's theorem has, and re-proves each one
(activation-pattern replay, its own SMT-LIB queries, every cited SMT-LIB file, witness replays).
"""

from __future__ import annotations

import contextlib
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

from certify import rational
from certify.recheck.algebra import _key_of, bounds, const, plus
from certify.recheck.model import File, Model
from certify.recheck.pattern import _dot, replay
from certify.recheck.read import (
    MAX_TIMING,
    RecheckError,
    _key,
    _list,
    _load_json,
    _Num,
    _num,
    _obj,
    _read_bytes,
    _relative,
    _str,
)
from certify.recheck.report import Report
from certify.recheck.smt import smt_query
from certify.recheck.solvers import _not_vacuous, _smt_checks
from certify.recheck.witness import replay_witness

F = Fraction


CERT_FORMAT = "certify.certificate/2"
STATIC_KEYS = ("distinct_weights_max", "hidden_dim_max", "nonzeros_max", "weight_abs_max", "weight_bits_max",
               "width_max")


def _static(f: File, r: dict) -> str | None:
    w = f.w
    vals = [v for row in w.W_hh + w.W_ih + w.W_out for v in row.values()] + [v for v in w.b + w.b_out if v]
    measured = {
        "hidden_dim_max": F(w.n),
        "weight_abs_max": max((abs(v) for v in vals), default=F(0)),
        "weight_bits_max": F(max((max(abs(v.numerator).bit_length(), v.denominator.bit_length()) for v in vals),
                                 default=0)),
        "distinct_weights_max": F(len(set(vals))),
        "nonzeros_max": F(len(vals)),
        "width_max": F(w.n),  # the re-checker reads one-layer files: the width is the hidden dimension
    }
    key = r["id"][len("static["):-1]
    claimed = _num(f.claims[key], f"claims.{key}")
    holds = measured[key] <= claimed
    ev = r.get("evidence", {})
    if ev.get("claimed") != str(claimed) or str(ev.get("measured", "")).split(" ")[0] != str(measured[key]):
        return f"{r['id']}: the evidence does not show the claimed {claimed} and the measured {measured[key]}"
    if r["verdict"] not in ("PROVED", "REFUTED") or holds != (r["verdict"] == "PROVED"):
        return f"{r['id']}: the claim {'holds' if holds else 'fails'} (measured {measured[key]}), certificate says " \
               f"{r['verdict']}"
    return None


@contextlib.contextmanager
def _long_integers():
    """Stack values have tens of thousands of digits; Python's int<->str guard (4300 digits by default)
    would refuse them. Lift it while re-checking only (file sizes are bounded by the reader)."""
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(old)


def recheck(cert_path: str | Path, timeout: float = 60.0, weights: str | Path | None = None) -> Report:
    """Re-check a certificate against its weight file (``weights``, else the file the certificate names, which
    must lie in the certificate's folder). Never raises on a wrong certificate: it reports. A malformed
    certificate or weight file raises :class:`RecheckError`."""
    with _long_integers():
        try:
            return _recheck(Path(cert_path), timeout, None if weights is None else Path(weights))
        except (KeyError, TypeError, IndexError, AttributeError) as err:  # a shape the typed readers missed
            raise RecheckError(f"{cert_path}: malformed certificate ({type(err).__name__}: {str(err)[:80]})") from None


_VERDICTS = ("PROVED", "UNKNOWN", "REFUTED")
_KINDS = ("static", "invariant", "prologue", "readout", "step")
_METHODS = {"static": ("measure",), "invariant": ("interval", "smt"), "prologue": ("affine", "symbolic", "smt"),
            "readout": ("affine", "symbolic", "smt"), "step": ("affine", "symbolic", "smt")}


def _results(cert: dict) -> list[dict]:
    out, seen = [], set()
    for i, r in enumerate(_list(_key(cert, "results", "certificate"), "results", 10**7)):
        r = _obj(r, f"results[{i}]")
        rid, kind, verdict = (_str(_key(r, k, f"results[{i}]"), f"results[{i}].{k}") for k in ("id", "kind", "verdict"))
        method = _str(_key(r, "method", f"results[{i}]"), f"results[{i}].method")
        if kind not in _KINDS or verdict not in _VERDICTS or method not in _METHODS.get(kind, ()):
            raise RecheckError(f"results[{i}]: kind {kind[:20]!r}, verdict {verdict[:20]!r} or method "
                               f"{method[:20]!r} is not known")
        if rid in seen:
            raise RecheckError(f"results: {rid[:60]!r} is listed twice")
        seen.add(rid)
        if not isinstance(r.get("evidence", {}), dict) or not isinstance(r.get("domain", {}), dict):
            raise RecheckError(f"results[{i}]: evidence and domain must be objects")
        out.append(r)
    return out


def _recheck(cp: Path, timeout: float, wpath: Path | None) -> Report:
    cert = _obj(_load_json(cp, "certificate"), "certificate")
    if cert.get("format") != CERT_FORMAT:
        raise RecheckError(f'{cp}: not a {CERT_FORMAT} file (format {str(cert.get("format"))[:40]!r}); '
                           "regenerate it with certify check --certificate")
    rep = Report(str(cp), _str(_key(cert, "verdict", "certificate"), "verdict"))
    wref = _obj(_key(cert, "weights", "certificate"), "weights")
    wpath = wpath or _relative(cp.parent, _key(wref, "file", "weights"), "weights.file", parent_ok=True)
    with rational.number_budget(str(wpath)):  # the per-file bound on the bits of all numbers together
        f = File.load(_load_json(wpath, "weight file"))
    sha = f.content_sha256()
    if sha != wref.get("sha256"):
        rep.problems.append(f"stale: {wpath} has content sha256 {sha[:16]}…, the certificate is for "
                            f"{str(wref.get('sha256'))[:16]}… (weights, h0, input, simulation or claims differ)")
        return rep
    results = _results(cert)
    by_id = {r["id"]: r for r in results}
    # no results: the file claims nothing, and nothing is proved (not even vacuously)
    worst = max((r["verdict"] for r in results), key=_VERDICTS.index, default="UNKNOWN")
    if worst != rep.verdict:
        rep.problems.append(f"the certificate's verdict {rep.verdict} is not the worst of its results ({worst})")
    counts = {v: sum(r["verdict"] == v for r in results) for v in _VERDICTS}
    if "counts" in cert and cert["counts"] != {k: _Num(str(v)) for k, v in counts.items()}:
        rep.problems.append(f"the certificate's counts are not those of its results ({counts})")
    # static claims: exactly one result per static claim in the file
    want_static = {f"static[{k}]" for k in f.claims if k in STATIC_KEYS}
    got_static = {r["id"] for r in results if r["kind"] == "static"}
    if want_static - got_static:
        rep.problems.append(f"missing static claims: {sorted(want_static - got_static)[:5]}")
    if got_static - want_static:
        rep.problems.append(f"static results for claims the file does not make: {sorted(got_static - want_static)[:5]}")
    for rid in sorted(want_static & got_static):
        p = _static(f, by_id[rid])
        rep.problems.append(p) if p else setattr(rep, "confirmed", rep.confirmed + 1)
    checked = cert.get("simulation_checked")
    if not isinstance(checked, bool):
        raise RecheckError("simulation_checked must be true or false")
    others = {r["id"] for r in results if r["kind"] != "static"}
    if f.prog is None:
        if checked or others:
            rep.problems.append("the certificate claims simulation obligations, but the file has no simulation block")
        return rep
    if not checked:
        rep.problems.append("the file has a simulation block but the certificate did not check it")
        return rep
    m = Model.of(f)
    required = m.required()
    if set(required) - others:
        missing = sorted(set(required) - others)
        rep.problems.append(f"missing obligations ({len(missing)}): {missing[:5]}")
    if others - set(required):
        rep.problems.append(f"obligations that the theorem does not have: {sorted(others - set(required))[:5]}")
    lemmas: dict[tuple, str] = {}
    order = sorted(others & set(required), key=lambda i: (0 if i.startswith("invariant") else 1, i))
    for rid in order:
        r, need = by_id[rid], required[rid]
        problem = None if r["kind"] == need["kind"] else f"kind {r['kind']} is not {need['kind']}"
        problem = problem or _recheck_one(m, r, need, lemmas, cp.parent, timeout, rep)
        if problem:
            rep.problems.append(f"{rid}: {problem}")
        else:
            rep.confirmed += 1
            if need["kind"] == "invariant" and need["side"] == "lo" and r["verdict"] == "PROVED":
                lemmas[_key_of(_invariant_expr(m, need))] = rid
    return rep


def _invariant_expr(m: Model, need: dict) -> dict:
    e = m.op_exprs(need["op"], m.reg_box)[need["reg"]]
    lo, hi = m.reg_box[f"r:{need['reg']}"]
    return plus(e, const(-lo)) if need["side"] == "lo" else plus({k: -v for k, v in e.items()}, const(hi))


def _box(m: Model, need: dict) -> dict:
    if need["kind"] == "invariant":
        return dict(m.reg_box)
    box = {"x": m.domain}
    if need["kind"] == "step":
        box.update(m.reg_box)
        for s, sym in need["tops"].items():
            if sym is not None:
                d, base = m.stacks[s]["digits"][sym], m.stacks[s]["base"]
                box[f"v:{s}"] = (F(d, base), F(d + 1, base))
    return box


def _recheck_one(m: Model, r: dict, need: dict, lemmas: dict, folder: Path, timeout: float,
                 rep: Report) -> str | None:
    verdict, method, ev = r["verdict"], r.get("method"), r.get("evidence", {})
    box = _box(m, need)
    want: dict[str, Any] = {"variables": {k: [str(a), str(b)] for k, (a, b) in box.items()}}
    if need["kind"] == "step":
        want["state"], want["tops"] = need["state"], dict(need["tops"])
    elif need["kind"] == "invariant":
        want["op"], want["register"], want["side"] = need["op"]["name"], need["reg"], need["side"]
    elif need["kind"] == "readout":
        want["t"] = _Num(str(need["t"]))
    if r.get("domain") != want:
        return "the certificate states a different domain than the theorem needs"
    if verdict == "UNKNOWN":
        return None
    if verdict == "REFUTED":
        if "witness" not in ev:
            return "REFUTED without a witness"
        why = replay_witness(m, need, ev["witness"])
        return None if why is None else f"the witness does not refute the obligation: {why}"
    if "smt" in ev:  # the cited file must itself be unsat for z3 (and cvc5)
        path = _relative(folder, ev["smt"], "evidence.smt")
        if not path.is_file():
            return f"cited SMT file {str(ev['smt'])[:60]} is missing"
        rep.smt_files += 1
        try:
            text = _read_bytes(path, "cited SMT file").decode("ascii")
        except UnicodeDecodeError:
            return f"{ev['smt']}: not ASCII text"
        bad = _smt_checks(text, timeout, rep) or _not_vacuous(text, box, timeout)
        if bad:
            return f"{ev['smt']}: {bad}"
    if need["kind"] == "invariant":
        e = _invariant_expr(m, need)
        if method == "interval":
            return None if bounds(e, box)[0] >= 0 else "interval lower bound is negative"
        if method == "smt":
            bad = _smt_checks(smt_query(box, [e], "negative"), timeout, rep)
            return None if bad is None else f"own query: {bad}"
        return f"unknown method {str(method)[:20]!r}"
    pattern = _list(ev.get("pattern", []), "evidence.pattern", MAX_TIMING)
    steps = {"prologue": m.t0, "readout": need.get("t", 0), "step": m.c}[need["kind"]]
    if len(pattern) != steps:
        return f"the activation pattern covers {len(pattern)} steps, not {steps}"
    if need["kind"] == "prologue":
        h, _, problems = replay(m, [const(v) for v in m.w.h0], box, pattern, lemmas)
        pairs = list(zip(h, m.encode(m.prog["start"], *m.initial()), strict=True))
    elif need["kind"] == "readout":
        h0 = [const(v) for v in m.w.h0]
        h, outs, problems = replay(m, h0, box, pattern, lemmas)
        y = outs[-1][0] if need["t"] else _dot(m.w.W_out[0], h0, m.w.b_out[0])
        pairs = [(y, m.expected_readout(need["t"]))]
    else:
        start, expected, old_out, new_out = m.case(need["state"], need["tops"], box)
        h, outs, problems = replay(m, start, box, pattern, lemmas)
        pairs = list(zip(h, expected, strict=True))
        pairs += [(outs[j][0], old_out) for j in range(m.c - 1)] + [(outs[-1][0], new_out)]
    if problems:
        return problems[0]
    residuals = [plus(a, b, -1) for a, b in pairs if a != b]
    residuals = [e for e in residuals if e]
    if method in ("affine", "symbolic"):
        return None if not residuals else f"{len(residuals)} positions differ after the composition"
    if method == "smt":
        if not residuals:
            return None
        bad = _smt_checks(smt_query(box, residuals, "nonzero"), timeout, rep)
        return None if bad is None else f"own query: {bad}"
    return f"unknown method {str(method)[:20]!r}"
