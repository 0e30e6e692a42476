"""Make `egkbench` importable when the benchmark's tests run (`.venv/bin/pytest bench/tests`)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
