"""Hypothesis strategies that turn real committed files into malformed ones (shared by test_fuzz_*.py).

Mutations: byte flips, truncations, inserted bytes; at the JSON level, deleted keys, duplicated keys,
values replaced by hostile ones (huge numbers, unicode digits, NaN/Infinity, deep nesting, wrong types,
names that try to escape into solver text) and wrong shapes. The tests in this file check the
mutators themselves: a mutator that returned its input unchanged would make the campaign vacuous.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]

#: CI runs a fixed, reproducible campaign. ``CERTIFY_FUZZ_SCALE=20 pytest tests/security`` runs a deeper,
#: randomized one (20 times the cases, a fresh seed each run) to hunt for new bugs.
SCALE = int(os.environ.get("CERTIFY_FUZZ_SCALE", "1"))


def fuzz(max_examples: int) -> settings:
    """Settings of one fuzz test: ``max_examples`` cases, derandomized, no deadline (the machine is shared)."""
    return settings(max_examples=max_examples * SCALE, deadline=None, derandomize=SCALE == 1, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])

#: Raw JSON texts spliced into documents: things a hostile pull request would write.
HOSTILE_JSON = [
    '"\\u0663"', '"\\uff11"', '"1\\u0663/2"', '"1e99999"', '"1e100000"', '"-1e-99999"', '"1e999999999999999"',
    '"1/0"', "NaN", "-Infinity", "1e400", "-0.0", "18446744073709551616", '"' + "9" * 5000 + '"', "9" * 5000,
    "[]", "{}", "null", "true", '""', '"' + "x" * 300 + '"', "[" * 200 + "]" * 200, '{"a":' * 80 + "1" + "}" * 80,
    '"\\u0000"', '"\\ud800"', '"x|) (assert false) (echo |"', '"a b"', '"\\u00e4"', "-1", "1000000000000",
    "0.5", '"0x10"', '"1_000"', '" 1/3 "', '"+-1"', "[1, 2, 3]", '{"shape": [3], "entries": []}',
    '{"shape": [100000, 100000], "entries": []}', '[[0, 0, "1"], [0, 0, "2"]]', '"pop"', '{"push": "a"}',
]


def json_paths(doc: Any, limit: int = 4000) -> list[tuple[Any, ...]]:
    """Paths (keys and indices) of the nodes of ``doc``, breadth first, at most ``limit``."""
    out: list[tuple[Any, ...]] = []
    todo: list[tuple[tuple[Any, ...], Any]] = [((), doc)]
    while todo and len(out) < limit:
        path, node = todo.pop(0)
        out.append(path)
        if isinstance(node, dict):
            todo.extend((path + (k,), v) for k, v in node.items())
        elif isinstance(node, list):
            todo.extend((path + (i,), v) for i, v in enumerate(node[:50]))
    return out


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        doc = doc[p]
    return doc


_MARK = "__CERTIFY_FUZZ_SPLICE__"


@st.composite
def mutated_json_text(draw: st.DrawFn, doc: Any, paths: list[tuple[Any, ...]]) -> str:
    """One to three structural mutations of ``doc``, serialized (with raw hostile splices)."""
    original = json.dumps(doc)
    doc = json.loads(original)
    splices: list[str] = []
    duplicate: tuple[str, str] | None = None
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths[1:] if len(paths) > 1 else paths))
        try:
            parent, key = _get(doc, path[:-1]), path[-1]
            value = parent[key]
        except (KeyError, IndexError, TypeError):
            continue
        if not isinstance(parent, (dict, list)):
            continue
        op = draw(st.sampled_from(["delete", "hostile", "hostile", "type", "shape", "duplicate", "string"]))
        if op == "delete":
            del parent[key]
        elif op == "type":
            parent[key] = draw(st.sampled_from([None, True, 0, "0", [], {}, [value], {"v": value}]))
        elif op == "shape" and isinstance(value, list):
            parent[key] = draw(st.sampled_from([value[:-1], value + value[-1:], [value], value + ["1e99999"]]))
        elif op == "duplicate" and isinstance(parent, dict):
            duplicate = (str(key), json.dumps(draw(st.sampled_from([0, "1", [], "dup"]))))
        elif op == "string":
            parent[key] = draw(st.text(max_size=12)) + "\u0663"
        else:
            splices.append(draw(st.sampled_from(HOSTILE_JSON)))
            parent[key] = f"{_MARK}{len(splices) - 1}"
    text = json.dumps(doc)
    for i, raw in enumerate(splices):
        text = text.replace(json.dumps(f"{_MARK}{i}"), raw, 1)
    if duplicate is not None:
        key, value = duplicate
        at = text.find(json.dumps(key) + ":")
        if at >= 0:
            text = text[:at] + f"{json.dumps(key)}: {value}, " + text[at:]
    if text == original:  # the mutations cancelled out
        text = f"[{draw(st.sampled_from(HOSTILE_JSON))}, {text}]"
    return text


@st.composite
def mutated_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    """Byte flips, a truncation, inserted or deleted runs of ``data``."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "flip", "truncate", "insert", "delete", "overwrite"]))
        if not out:
            out.extend(draw(st.binary(min_size=1, max_size=8)))
            continue
        i = draw(st.integers(0, len(out) - 1))
        if op == "flip":
            out[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "truncate":
            del out[i:]
        elif op == "insert":
            out[i:i] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del out[i : i + draw(st.integers(1, 64))]
        else:
            run = draw(st.sampled_from([b"\xff" * 8, b"\x00" * 8, b"9" * 8, b'"', b"{", b"]", b"\xd9\xa3"]))
            out[i : i + len(run)] = run
    if bytes(out) == data:  # the mutations cancelled out
        out.append(0xFF)
    return bytes(out)


def one_of_files(texts: dict[str, str]) -> Callable[[], st.SearchStrategy[tuple[str, str]]]:
    """A strategy over ``(name, mutated text)`` for several JSON documents given as text."""
    docs = {name: json.loads(t) for name, t in texts.items()}
    paths = {name: json_paths(d) for name, d in docs.items()}

    def strategy() -> st.SearchStrategy[tuple[str, str]]:
        return st.sampled_from(sorted(docs)).flatmap(
            lambda n: st.tuples(st.just(n), st.one_of(
                mutated_json_text(docs[n], paths[n]),
                mutated_bytes(texts[n].encode()).map(lambda b: b.decode("utf-8", "surrogateescape")))))
    return strategy


# --- the mutators themselves ---------------------------------------------------------------------------------
SAMPLE = {"rnn": {"W_hh": [[0, 1], [0, 0]], "b": ["1/2", 0]}, "name": "demo"}


@fuzz(60)
@given(mutated_json_text(SAMPLE, json_paths(SAMPLE)))
def test_json_mutations_change_the_document(text: str) -> None:
    assert text != json.dumps(SAMPLE)


@fuzz(60)
@given(mutated_bytes(json.dumps(SAMPLE).encode()))
def test_byte_mutations_change_the_bytes(data: bytes) -> None:
    assert data != json.dumps(SAMPLE).encode()


def test_hostile_splices_are_what_they_claim() -> None:
    parsed = [t for t in HOSTILE_JSON if t not in ("NaN", "-Infinity")]
    for t in parsed:
        json.loads(t, parse_int=str)  # each splice is valid JSON text on its own (NaN/Infinity are Python's extension)
