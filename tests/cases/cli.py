"""Run the real `egenkontroll` command in a subprocess and look into its database directly."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg

COMMAND = [sys.executable, "-c", "from egenkontroll.cli import main; main()"]
TABLES = (
    "cases_orgunit", "cases_caseworker", "cases_person", "cases_case", "cases_event",
    "cases_obligation", "cases_importrun", "cases_rejectedrow", "cases_eventrevision",
)


def environment(**extra: str) -> dict:
    env = {**os.environ, **extra}
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def egenkontroll(*args, cwd: Path, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*COMMAND, *map(str, args)], cwd=cwd, env=environment(**env), capture_output=True, text=True, timeout=120
    )


def start(*args, cwd: Path, **env) -> subprocess.Popen:
    return subprocess.Popen(
        [*COMMAND, *map(str, args)], cwd=cwd, env=environment(**env),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )


def query(url: str, sql: str) -> list[tuple]:
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            return connection.execute(sql).fetchall()
    with psycopg.connect(url) as connection:
        return connection.execute(sql).fetchall()


def snapshot(url: str) -> dict:
    """Row counts of every table and digests of the events' and obligations' content."""
    state = {table: query(url, f"SELECT COUNT(*) FROM {table}")[0][0] for table in TABLES}
    events = query(url, "SELECT event_id, content_hash FROM cases_event ORDER BY event_id")
    obligations = query(
        url, "SELECT case_id, rule, trigger_event_id, due_date, status FROM cases_obligation "
        "ORDER BY case_id, rule, trigger_event_id, due_date",
    )
    state["events"] = hashlib.sha256(repr(events).encode()).hexdigest()
    state["obligations"] = hashlib.sha256(repr([tuple(map(str, r)) for r in obligations]).encode()).hexdigest()
    return state
