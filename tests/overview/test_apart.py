"""The helper that computes new periods apart from the server (pages/apart.py, issue 19): it forks
per job, which is safe only while polars' thread pool has not started in it."""

from __future__ import annotations

import subprocess
import sys

from egenkontroll.pages import apart


def test_polars_worker_threads_are_seen_once_the_pool_has_started():
    import polars as pl

    assert pl.DataFrame({"a": range(200_000)}).select(pl.col("a").sum()).item() == sum(range(200_000))
    assert apart._pool_started()


def test_importing_polars_and_every_module_starts_no_pool():
    """What the helper does before it forks: import, never compute (pages/apart.py `_prepare`)."""
    code = ("import polars, egenkontroll.core.kpis, egenkontroll.core.obligations\n"
            "from egenkontroll.pages import apart\nprint(apart._pool_started())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "False"
