"""The independent re-checker shares no code with the prover: no module of the package ``certify/recheck/``
imports anything from certify beyond its own modules, the number parser ``certify.rational`` and the trust
boundary ``certify.untrusted`` (limits, bounded file reading, name grammar); those two import only
``certify.errors`` and each other (the parser imports the trust boundary, never the reverse)."""

from __future__ import annotations

import ast
from pathlib import Path

import certify

PACKAGE = Path(certify.__file__).parent
RECHECK = PACKAGE / "recheck"
ALLOWED = {"certify.rational", "certify.untrusted"}


def _certify_imports(path: Path, package: str = "") -> set[str]:
    """Every certify module a file imports, at any depth of its syntax tree (functions included); a relative
    import is resolved against ``package``, the dotted name of the file's package."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "certify"}
        elif isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if package else ["<relative>"]
            module = ".".join(base + ([node.module] if node.module else []))
            found |= {f"{module}.{a.name}" if not node.module else module for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "certify":
            found |= {f"{node.module}.{a.name}" if node.module == "certify" else node.module for a in node.names}
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__"):
            found.add("<dynamic import>")
    return found


def _outside_the_package(imports: set[str]) -> set[str]:
    return {m for m in imports if m != "certify.recheck" and not m.startswith("certify.recheck.")}


def test_the_recheck_package_has_its_modules() -> None:
    modules = sorted(p.name for p in RECHECK.glob("*.py"))
    assert "__init__.py" in modules and "driver.py" in modules and len(modules) >= 8
    assert not (PACKAGE / "prove" / "recheck.py").exists()


def test_recheck_imports_only_the_number_parser() -> None:
    for path in sorted(RECHECK.rglob("*.py")):  # every module, subpackages included
        package = ".".join(("certify", *path.relative_to(PACKAGE).parent.parts))
        assert _outside_the_package(_certify_imports(path, package)) <= ALLOWED, path.relative_to(PACKAGE)


def test_the_number_parser_imports_only_errors_and_the_trust_boundary() -> None:
    assert _certify_imports(PACKAGE / "rational.py") <= {"certify.errors", "certify.untrusted"}
    assert _certify_imports(PACKAGE / "untrusted.py") <= {"certify.errors"}


def test_the_import_check_sees_a_planted_import(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text("def f():\n    from certify.prove.checker import check\n    return check\n")
    assert _certify_imports(planted) == {"certify.prove.checker"}


def test_the_import_check_sees_a_planted_relative_import(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text("def f():\n    from ..prove import checker\n    from . import read\n    from .smt import x\n")
    found = _certify_imports(planted, "certify.recheck")
    assert found == {"certify.prove", "certify.recheck.read", "certify.recheck.smt"}
    assert _outside_the_package(found) == {"certify.prove"}
