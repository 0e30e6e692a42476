"""The README's layout section names the tree as it is: no path that is gone, no module left out.

Why: the layout is how a newcomer finds their way, and it drifted (modules moved, apps added)
while nobody read it again (issue 18). Each line of its code block starts with one or more
names (`schema.py`, `import_limits.py, bounded_input.py`, `core/`), nested by indentation;
whatever follows is the description.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "egenkontroll"
NAME = r"[\w.\-]+(?:/[\w.\-]+)*(?:/|\.(?:py|yaml))"
LINE = re.compile(rf"^( *)({NAME}(?:, {NAME})*)(?=\s|$)")
# Django's and Python's own furniture, not the project's layout.
NOT_NAMED = {"__init__.py", "apps.py", "migrations", "templates", "static", "__pycache__"}


def layout_block() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```\n", 2)[1].splitlines()


def named_paths() -> set[Path]:
    """Every path the block names, resolved against the repository root through its parents."""
    parents: list[tuple[int, Path]] = []
    named: set[Path] = set()
    for line in layout_block():
        match = LINE.match(line)
        if not match:
            continue  # a description running on from the line above
        indent, names = len(match.group(1)), match.group(2).split(", ")
        while parents and parents[-1][0] >= indent:
            parents.pop()
        base = parents[-1][1] if parents else ROOT
        paths = [base / name.rstrip("/") for name in names]
        named.update(paths)
        if len(names) == 1 and names[0].endswith("/"):
            parents.append((indent, paths[0]))
    return named


def layout_members(folder: Path) -> set[Path]:
    """What the layout must name in a package: its modules, data files and sub-packages."""
    return {
        p for p in folder.iterdir()
        if p.name not in NOT_NAMED and (p.is_dir() or p.suffix in (".py", ".yaml"))
    }


def test_every_path_the_layout_names_exists():
    named = named_paths()
    assert PACKAGE / "core" / "kpis.py" in named  # the parser reads the block at all
    missing = sorted(str(p.relative_to(ROOT)) for p in named if not p.exists())
    assert missing == []


def test_every_app_and_every_module_of_core_and_the_apps_is_named():
    named = named_paths()
    apps = {p for p in PACKAGE.iterdir() if p.is_dir() and p.name not in NOT_NAMED}
    required = apps | {p for app in apps for p in layout_members(app)} | layout_members(PACKAGE / "core" / "synth")
    unnamed = sorted(str(p.relative_to(ROOT)) for p in required - named)
    assert unnamed == []
