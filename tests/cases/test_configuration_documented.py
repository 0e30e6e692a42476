"""Every environment variable the code reads is documented in docs/configuration.md."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READ = re.compile(
    r"""(?:envstr|envint|envbool|environ\.get|environ\.setdefault|getenv|environ\[)\(?\s*["']((?:EGK_|DATABASE_URL)\w*)["']"""
    r"""|_ENV\s*=\s*["'](EGK_\w+)["']"""
)


def variables_read() -> set[str]:
    found = set()
    for path in [*(ROOT / "src").rglob("*.py"), ROOT / "run.py"]:
        for match in READ.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group(1) or match.group(2))
    return found


def test_every_variable_read_is_documented():
    documented = set(re.findall(r"`((?:EGK_|DATABASE_URL)\w*)`", (ROOT / "docs" / "configuration.md").read_text("utf-8")))
    read = variables_read()
    assert {"DATABASE_URL", "EGK_PSEUDONYM_KEY", "EGK_PSEUDONYM_KEY_FILE", "EGK_IMPORT_BATCH_ROWS"} <= read
    assert sorted(read - documented) == []
