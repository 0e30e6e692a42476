"""The program under test, as every bench process starts it: its console script and the bench's key.

Why a module of its own: the import benchmark (databases.py), the page benchmark (web.py) and the
child steps (steps.py) all need these two things; kept here, at the bottom of the package, they
import nothing of the bench, so the modules that use them never import one another in a circle.
"""

from __future__ import annotations

import sys
from pathlib import Path

from egkbench.measure import StepFailed

# A fixed pseudonym key: benchmark data is synthetic, and a fixed key keeps runs comparable.
BENCH_KEY_HEX = "6567656e6b6f6e74726f6c6c2d62656e63686d61726b2d6b65792d3332627974"


def cli() -> list[str]:
    """The egenkontroll console script beside this interpreter (the .venv's)."""
    script = Path(sys.executable).with_name("egenkontroll")
    if not script.is_file():
        raise StepFailed(f"{script} not found: install the package into the environment (pip install -e .)")
    return [str(script)]
