"""The architecture, kept: certify's modules import only their own layer or lower ones, nothing is in an
import cycle, imports sit at module level (outside the CLI), and the independent re-checker imports nothing
from certify but the number parser and the trust boundary. ``docs/architecture.md`` draws the same layers (a test
compares its table with :data:`LAYERS`).

Run as a script (``python tests/architecture/test_layers.py``) it prints the numbers the issue tracks:
modules, internal imports, function-level imports outside the CLI, cycles, the largest modules.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "certify"

#: Layers, lowest first: a module may import its own layer or lower ones (docs/architecture.md).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("certify", "certify.errors", "certify.verdict", "certify.rational", "certify.untrusted", "certify.jsonio",
     "certify.canonical", "certify.expr", "certify.display", "certify.schemas"),
    ("certify.tmnu",),
    ("certify.spec",),
    ("certify.compiler",),
    ("certify.execute",),
    ("certify.prove", "certify.recheck"),
    ("certify.bounds", "certify.memory"),
    ("certify.constructions", "certify.universal", "certify.deep", "certify.plugins"),
    ("certify.report",),
    ("certify.gate", "certify.config"),
    ("certify.cli",),
)
#: The independent re-checker shares no code with the prover: it may import only the number parser.
RECHECK = "certify.recheck"
RECHECK_ALLOWED = ("certify.rational", "certify.untrusted")
#: Where importing inside a function is allowed: the CLI (start-up time) and the one place plug-ins are loaded.
FUNCTION_LEVEL_OK = ("certify.cli", "certify.plugins")


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    in_function: bool


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(package: Path = PACKAGE, root: Path = ROOT) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted(package.rglob("*.py"))}


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def imports(known: dict[str, Path]) -> list[Import]:
    """Every import of a certify module by a certify module (module level and inside functions)."""
    out = []
    for name, path in known.items():
        tree = ast.parse(path.read_text())
        _walk(tree, name, known, out, in_function=False)
    return out


def _walk(node: ast.AST, name: str, known: dict[str, Path], out: list[Import], in_function: bool) -> None:
    for child in ast.iter_child_nodes(node):
        inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        targets: list[str] = []
        if isinstance(child, ast.Import):
            targets = [a.name for a in child.names]
        elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
            targets = [f"{child.module}.{a.name}" for a in child.names]
        for t in targets:
            resolved = _resolve(t, known)
            if resolved and resolved != name:
                out.append(Import(name, resolved, child.lineno, in_function))
        _walk(child, name, known, out, inner)


def layer(name: str) -> int:
    best, depth = -1, -1
    for i, prefixes in enumerate(LAYERS):
        for p in prefixes:
            if (name == p or name.startswith(p + ".")) and p.count(".") > depth:
                best, depth = i, p.count(".")
    if best < 0:
        raise AssertionError(f"{name} is in no layer: add it to LAYERS and docs/architecture.md")
    return best


def upward(found: list[Import]) -> list[str]:
    return sorted({f"{i.importer}:{i.line} imports {i.imported} (layer {layer(i.imported)} > {layer(i.importer)})"
                   for i in found if layer(i.imported) > layer(i.importer)})


def cycles(found: list[Import]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    graph: dict[str, set[str]] = {}
    for i in found:
        graph.setdefault(i.importer, set()).add(i.imported)
        graph.setdefault(i.imported, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, children = work[-1]
            w = next(children, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    x = stack.pop()
                    on.discard(x)
                    comp.append(x)
                    if x == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def function_level(found: list[Import]) -> list[str]:
    return sorted({f"{i.importer}:{i.line} imports {i.imported} inside a function" for i in found
                   if i.in_function and not any(i.importer == p or i.importer.startswith(p + ".")
                                                for p in FUNCTION_LEVEL_OK)})


def recheck_imports(found: list[Import]) -> list[str]:
    def inside(name: str) -> bool:
        return name == RECHECK or name.startswith(RECHECK + ".")

    return [f"{i.importer}:{i.line} imports {i.imported}" for i in found
            if (inside(i.importer))
            and not inside(i.imported) and i.imported not in RECHECK_ALLOWED]


# --- the tests ---------------------------------------------------------------------------------------------
KNOWN = modules()
FOUND = imports(KNOWN)


def test_every_module_has_a_layer() -> None:
    for name in KNOWN:
        layer(name)


#: The ratchet the re-layering (issue 10) landed through: the violations still there, by importer and imported
#: module (no line numbers), e.g. ``"up certify.spec.a -> certify.prove.b"``, ``"fn ..."``, ``"cycle ..."``. A new
#: violation fails; so does one that is gone but still listed. Empty now: keep it so.
KNOWN_VIOLATIONS: set[str] = set()


def _ratchet(found: list[str], kind: str) -> set[str]:
    import re

    pattern = re.compile(r"(\S+):\d+ imports (\S+)")
    return {f"{kind} {m.group(1)} -> {m.group(2)}" for m in map(pattern.match, found) if m}


def test_no_import_goes_up_a_layer() -> None:
    got = _ratchet(upward(FOUND), "up")
    listed = {v for v in KNOWN_VIOLATIONS if v.startswith("up ")}
    assert got - listed == set(), "new upward imports"
    assert listed - got == set(), "fixed: remove them from KNOWN_VIOLATIONS"


def test_no_import_cycles() -> None:
    got = {f"cycle {c[0]}" for c in cycles(FOUND)}
    listed = {v for v in KNOWN_VIOLATIONS if v.startswith("cycle ")}
    assert got == listed


def test_imports_sit_at_module_level_outside_the_cli() -> None:
    got = _ratchet(function_level(FOUND), "fn")
    listed = {v for v in KNOWN_VIOLATIONS if v.startswith("fn ")}
    assert got - listed == set(), "new function-level imports"
    assert listed - got == set(), "fixed: remove them from KNOWN_VIOLATIONS"


def test_recheck_imports_only_the_number_parser() -> None:
    assert recheck_imports(FOUND) == []


def test_docs_architecture_draws_these_layers() -> None:
    """The layer table of docs/architecture.md is :data:`LAYERS` (the package root aside), and every
    ``certify/...`` path the document or the README's Layout section names exists."""
    import re

    doc = (ROOT / "docs" / "architecture.md").read_text()
    table: dict[int, set[str]] = {}
    for m in re.finditer(r"^\| (\d+) \| ([^|]*) \|", doc, re.MULTILINE):
        names = {"certify." + n.rstrip("/").removesuffix(".py") for n in re.findall(r"`([^`]+)`", m.group(2))}
        table.setdefault(int(m.group(1)), set()).update(names)
    assert table == {i: set(row) - {"certify"} for i, row in enumerate(LAYERS)}
    readme = (ROOT / "README.md").read_text().partition("## Layout")[2]
    paths = {p.rstrip(".,") for text in (doc, readme) for p in re.findall(r"certify/[\w./-]*", text)}
    assert paths and [p for p in sorted(paths) if not (ROOT / p).exists()] == []


def test_the_checks_catch_planted_violations(tmp_path: Path) -> None:
    pkg = tmp_path / "certify"
    for sub in ("spec", "prove", "recheck", "cli"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "spec" / "a.py").write_text("from certify.prove import b\n")                     # upward
    (pkg / "prove" / "b.py").write_text("def f():\n    from certify.spec import a\n")         # cycle, in a function
    (pkg / "recheck" / "c.py").write_text("import certify.spec.a\n")                       # recheck beyond the parser
    known = modules(pkg, tmp_path)
    found = imports(known)
    assert upward(found) == ["certify.spec.a:1 imports certify.prove.b (layer 5 > 2)"]
    assert cycles(found) == [["certify.prove.b", "certify.spec.a"]]
    assert function_level(found) == ["certify.prove.b:2 imports certify.spec.a inside a function"]
    assert recheck_imports(found) == ["certify.recheck.c:1 imports certify.spec.a"]


def main() -> None:
    sizes = sorted(((len(p.read_text().splitlines()), n) for n, p in KNOWN.items()), reverse=True)
    print(f"modules {len(KNOWN)}, internal imports {len(FOUND)}, function-level imports outside the CLI "
          f"{len(function_level(FOUND))}, upward imports {len(upward(FOUND))}, cycles {len(cycles(FOUND))}")
    for c in cycles(FOUND):
        print("  cycle:", " ".join(c))
    print("largest modules:", ", ".join(f"{n} {k}" for k, n in sizes[:6]))
    print("over 400 lines:", sum(1 for k, _ in sizes if k > 400))


if __name__ == "__main__":
    sys.exit(main())
