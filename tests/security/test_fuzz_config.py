"""Fuzz campaign: malformed gate configurations (``certify.toml`` / ``[tool.certify]``) end in an
InputError or a parsed configuration, never another exception."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from test_fuzz_mutations import ROOT, fuzz, mutated_bytes

from certify import config
from certify.errors import InputError

_PYPROJECT = (ROOT / "pyproject.toml").read_text()
TOOL = _PYPROJECT[_PYPROJECT.index("[tool.certify]"):]
CERTIFY_TOML = TOOL.replace("[tool.certify.", "[").replace("[tool.certify]\n", "")

HOSTILE_TOML = ["inf", "-inf", "nan", "1e999", "9223372036854775807", "-1", "0", "true", '"\\u0663"', '"1e99999"',
                '"{dir.__class__.__init__.__globals__}"', '"{0}"', '"{name!r}"', '"/dev/zero"', '"../../x"', "[]",
                "[[[[[[[[1]]]]]]]]", "{}", '{T = 1, E = "1/0"}', '[{T = -1, E = 1.5}]', '"' + "x" * 300 + '"',
                "1979-05-27", '"*"', '["*/*/*", 3]', '"' + "9" * 3000 + '"', '{ a = { b = { c = 1 } } }']


@st.composite
def mutated_toml(draw: st.DrawFn, text: str) -> str:
    lines = text.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["value", "value", "value", "delete", "duplicate", "key", "header"]))
        line = lines[i]
        if op == "value" and "=" in line:
            lines[i] = line.split("=", 1)[0] + "= " + draw(st.sampled_from(HOSTILE_TOML))
        elif op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, line)
        elif op == "key" and "=" in line:
            lines[i] = draw(st.sampled_from(['"a b"', '"\\u0663"', "colour", '"x|y"', "tool"])) + " =" + \
                line.split("=", 1)[1]
        else:
            lines.insert(i, draw(st.sampled_from(["[construction.\"a;b\"]", "[thresholds.x]", "[tool]",
                                                   "[[weights]]", "tool = 3", "[construction.ok]"])))
        if not lines:
            lines = [""]
    return "\n".join(lines) + "\n"


CASES = st.one_of(
    st.tuples(st.just("pyproject.toml"), mutated_toml(_PYPROJECT)),
    st.tuples(st.just("certify.toml"), mutated_toml(CERTIFY_TOML)),
    st.tuples(st.just("certify.toml"), mutated_bytes(CERTIFY_TOML.encode()).map(lambda b: b.decode("latin-1"))),
)
_DIR = Path(tempfile.mkdtemp(prefix="certify-fuzz-config-"))


def test_the_unmutated_configuration_parses() -> None:
    (_DIR / "certify.toml").write_text(CERTIFY_TOML)
    try:
        config.load(_DIR / "certify.toml")
    except InputError as err:  # no weight files here: the only complaint is that the globs match nothing
        assert "matches no file" in str(err) or "does not exist" in str(err), err


@fuzz(1000)
@given(CASES)
def test_configurations(case: tuple[str, str]) -> None:
    name, text = case
    path = _DIR / name
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    with contextlib.suppress(InputError):
        config.load(path)
