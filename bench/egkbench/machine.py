"""What the figures were measured on: CPU, cores, memory, versions, load and the checkout's state.

Why: a benchmark figure without its machine is not a figure. The load average is recorded
too, because the machine is shared and other work running at the same time slows every step.
"""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGES = ("polars", "duckdb", "pandas", "django", "psycopg", "numpy")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def versions(postgres_url: str | None) -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "missing"
    out["postgresql"] = postgres_version(postgres_url) if postgres_url else "not used"
    return out


def postgres_version(url: str) -> str:
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=5) as con:
            return con.execute("SHOW server_version").fetchone()[0]
    except Exception as exc:  # any failure to reach the server is reported, not raised
        return f"unreachable ({type(exc).__name__})"


def git_state(repo: Path) -> str:
    """HEAD and how many files under src/ differ from it (others' work in progress is measured too)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = [line for line in git("status", "--porcelain", "--", "src").splitlines() if line.strip()]
    return f"{head}" + (f" plus {len(dirty)} uncommitted paths under src/ (others' work in progress)" if dirty else "")


def describe(postgres_url: str | None, repo: Path) -> dict:
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": memory_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "versions": versions(postgres_url),
        "git": git_state(repo),
        "load_before": os.getloadavg(),
    }
