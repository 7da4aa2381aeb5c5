"""The independent re-checker shares no code with the prover: ``certify/prove/recheck.py`` imports nothing
from certify beyond the number parser ``certify.rational`` (which itself imports only ``certify.errors``)."""

from __future__ import annotations

import ast
from pathlib import Path

import certify

PACKAGE = Path(certify.__file__).parent
ALLOWED = {"certify.rational"}


def _certify_imports(path: Path) -> set[str]:
    """Every certify module a file imports, at any depth of its syntax tree (functions included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "certify"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "certify":
            found |= {f"{node.module}.{a.name}" if node.module == "certify" else node.module for a in node.names}
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__"):
            found.add("<dynamic import>")
    return found


def test_recheck_imports_only_the_number_parser() -> None:
    assert _certify_imports(PACKAGE / "prove" / "recheck.py") <= ALLOWED


def test_the_number_parser_imports_only_errors() -> None:
    assert _certify_imports(PACKAGE / "rational.py") <= {"certify.errors"}


def test_the_import_check_sees_a_planted_import(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text("def f():\n    from certify.prove.checker import check\n    return check\n")
    assert _certify_imports(planted) == {"certify.prove.checker"}
