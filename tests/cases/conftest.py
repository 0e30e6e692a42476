"""Fixtures for the import tests: a fixed pseudonym key and throwaway databases by URL.

Tests that run the real command in a subprocess need a database of their own: a SQLite
file in tmp_path, or a fresh PostgreSQL database on the test server (dropped afterwards).
PostgreSQL tests are skipped with a reason when no server answers, except under CI=true,
where that is a failure.
"""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest
from psycopg import sql

KEY = "test-pseudonym-key-0123456789abcdef"


def server_url() -> str:
    configured = os.environ.get("DATABASE_URL", "")
    if configured.startswith("postgres"):
        return configured
    return os.environ.get("EGK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(autouse=True)
def pseudonym_key(monkeypatch):
    monkeypatch.setenv("EGK_PSEUDONYM_KEY", KEY)
    monkeypatch.delenv("EGK_PSEUDONYM_KEY_FILE", raising=False)
    return KEY.encode()


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL database; dropped after the test."""
    base = server_url()
    try:
        admin = psycopg.connect(base, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL must be reachable under CI: {exc}")
        pytest.skip(f"no PostgreSQL server at {base}: {str(exc).strip().splitlines()[0]}")
    name = f"egk_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield base.rsplit("/", 1)[0] + "/" + name
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """A URL to an empty database of each kind, for commands run in a subprocess."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'egk.sqlite3'}"
    return request.getfixturevalue("postgres_url")
