"""The benchmark package's modules import one another in one direction only.

A circle (databases → steps → web → databases, issue 18) works only as long as every link but
one is imported lazily inside a function; this keeps it from coming back.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "egkbench"


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The egkbench modules a file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "egkbench":
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("egkbench."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("egkbench.")}
    return found & modules


def test_no_module_imports_itself_through_others():
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    graph = {m: imports_of(PACKAGE / f"{m}.py", modules) for m in modules}
    circles = []

    def walk(module: str, path: list[str]) -> None:
        for dep in sorted(graph[module]):
            if dep in path:
                circles.append(" → ".join([*path[path.index(dep):], dep]))
            else:
                walk(dep, [*path, dep])

    for module in sorted(modules):
        walk(module, [module])
    assert graph["databases"] >= {"program"} and graph["web"] >= {"program"}
    assert circles == []
