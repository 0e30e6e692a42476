"""A script's own section of RESULTS.md, between its markers: written in place, or appended.

Why: the backtest, the delta import and the national obligations scripts each keep their figures
in RESULTS.md beside bench/run.py's; run.py keeps every marked section when it renders anew
(`KEPT_SECTION` there), and each script replaces only its own.
"""

from __future__ import annotations

import re
from pathlib import Path


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def write_section(path: Path, name: str, section: str) -> None:
    """Put `section` (which starts and ends with the markers of `name`) into the file at `path`."""
    begin, end = markers(name)
    text = path.read_text(encoding="utf-8")
    if begin in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end) + "\n", lambda _: section, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")
