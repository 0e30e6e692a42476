"""Import into SQLite and PostgreSQL exactly as the nightly job does: `egenkontroll import --format json`.

Why through the command: the figure users care about is how long the cron job takes, interpreter
start and Django set-up included. Each database is emptied and migrated first (untimed, as in
production where the schema exists), then the first import loads everything and a second import
of the same export measures the idempotent re-run (every row unchanged).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from egkbench.measure import Measurement, StepFailed, run_command
from egkbench.program import BENCH_KEY_HEX, cli

PG_ADMIN_DB = "postgres"


def sqlite_url(work: Path) -> str:
    return f"sqlite:///{(work / 'bench.sqlite3').resolve()}"


def postgres_url(server: str, name: str) -> str:
    return f"{server.rstrip('/')}/{name}"


def reset_sqlite(work: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        (work / f"bench.sqlite3{suffix}").unlink(missing_ok=True)


def reset_postgres(server: str, name: str) -> None:
    """Drop and create the throwaway benchmark database (never any other)."""
    import psycopg

    if not name.startswith("egk_bench"):
        raise ValueError(f"refusing to drop database {name!r}: only egk_bench* belongs to the benchmark")
    with psycopg.connect(postgres_url(server, PG_ADMIN_DB), autocommit=True, connect_timeout=5) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        con.execute(f'CREATE DATABASE "{name}"')


def _env() -> dict:
    return {"EGK_PSEUDONYM_KEY": BENCH_KEY_HEX, "EGK_PSEUDONYM_KEY_FILE": ""}


def migrate(url: str, work: Path, label: str) -> None:
    status, _, _, _, _ = run_command([*cli(), "migrate", "--db", url], work / f"migrate-{label}.log", env=_env())
    if status != 0:
        err = (work / f"migrate-{label}.err").read_text(encoding="utf-8", errors="replace").strip()
        raise StepFailed(f"migrate {label} failed: {err[-300:]}")


def import_once(url: str, dataset: Path, work: Path, label: str) -> Measurement:
    """One `egenkontroll import` run; exit 2 (some rows rejected) is a successful import."""
    argv = [*cli(), "import", str(dataset), "--db", url, "--format", "json", "--no-progress", "--no-warm-up"]
    status, wall, rss, out, cpu = run_command(argv, work / f"import-{label}.log", env=_env())
    if status not in (0, 2):
        err = (work / f"import-{label}.err").read_text(encoding="utf-8", errors="replace").strip()
        raise StepFailed(f"import {label} failed (status {status}): {out.strip()[-300:]} {err[-300:]}")
    summary = json.loads(out)
    keep = ("rows_read", "imported", "updated", "unchanged", "rejected", "affected_cases", "obligations",
            "duration_seconds")
    info = {**{k: summary.get(k) for k in keep}, "load_1m": os.getloadavg()[0]}
    return Measurement(f"import-{label}", [wall], rss, wall, info, [cpu])


def measure_import(url: str, dataset: Path, work: Path, label: str) -> tuple[Measurement, Measurement]:
    """(first import into an empty schema, re-import of the same export)."""
    migrate(url, work, label)
    first = import_once(url, dataset, work, f"{label}-first")
    again = import_once(url, dataset, work, f"{label}-again")
    return first, again
