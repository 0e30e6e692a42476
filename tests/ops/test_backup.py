"""`egenkontroll backup` and `restore` give back a database with identical pages and a verifying log."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import psycopg
import pytest
from psycopg import sql

from tests.cases.cli import egenkontroll, environment, snapshot
from tests.cases.conftest import server_url
from tests.cases.factory import city, write_dataset

KEYS = {"EGK_SECRET_KEY": "backup-test-secret-key-0123456789", "EGK_ACCESS_LOG_KEY": "backup-test-log-key-0123"}
PAGES = ["/oversikt/", "/arbetslista/", "/flode/", "/handlaggare/", "/nyckeltal/", "/arende/C3/"]


@pytest.fixture
def empty_twin(request, database_url, tmp_path):
    """A second, empty database of the same kind as `database_url`."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    base = server_url()
    name = f"egk_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield base.rsplit("/", 1)[0] + "/" + name
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def cli(*args, cwd, stdin=None):
    if stdin is None:
        return egenkontroll(*args, cwd=cwd, **KEYS)
    return subprocess.run([sys.executable, "-c", "from egenkontroll.cli import main; main()", *map(str, args)],
                          cwd=cwd, env=environment(**KEYS), input=stdin, capture_output=True, text=True, timeout=120)


def page_digests(url: str, cwd) -> dict:
    done = subprocess.run([sys.executable, "-m", "tests.ops.pages", "chef", *PAGES], cwd=cwd,
                          env=environment(DATABASE_URL=url, **KEYS), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_restore_gives_identical_pages_tables_and_a_verifying_log(database_url, empty_twin, tmp_path, request):
    data = write_dataset(tmp_path / "d", city(12))
    assert cli("import", data, "--db", database_url, "--no-warm-up", cwd=tmp_path).returncode == 0
    assert cli("users", "add", "chef", "--password-stdin", "--db", database_url, cwd=tmp_path,
               stdin="Ett-bra-lösenord-2026\n").returncode == 0
    assert cli("users", "grant", "chef", "enhetschef", "--unit", "E1", "--db", database_url, cwd=tmp_path).returncode == 0
    root = request.config.rootpath
    before = page_digests(database_url, root)
    assert all(v.startswith("200:") for v in before.values()), before

    backup_file = tmp_path / "kopior" / "egk.backup"
    made = cli("backup", "--db", database_url, "--out", backup_file, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert backup_file.stat().st_mode & 0o077 == 0
    assert json.loads((tmp_path / "kopior" / "egk.backup.json").read_text())["sha256"] in made.stdout

    original = json.loads(cli("log", "verify", "--db", database_url, "--format", "json", cwd=tmp_path).stdout)
    restored = cli("restore", backup_file, "--db", empty_twin, cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    verified = cli("log", "verify", "--db", empty_twin, "--format", "json", cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    log = json.loads(verified.stdout)
    assert log["ok"] and log["rows"] == original["rows"] >= 3  # two user changes and at least the case page
    assert log["head_hash"] == original["head_hash"]
    assert snapshot(empty_twin) == snapshot(database_url)
    assert page_digests(empty_twin, root) == before
    assert cli("log", "verify", "--db", empty_twin, cwd=tmp_path).returncode == 0

def test_a_backup_is_never_overwritten_and_restores_only_into_an_empty_database(database_url, empty_twin, tmp_path):
    data = write_dataset(tmp_path / "d", city(3))
    assert cli("import", data, "--db", database_url, "--no-warm-up", cwd=tmp_path).returncode == 0
    target = tmp_path / "egk.backup"
    assert cli("backup", "--db", database_url, "--out", target, cwd=tmp_path).returncode == 0
    again = cli("backup", "--db", database_url, "--out", target, cwd=tmp_path)
    assert again.returncode == 1 and "skrivs aldrig över" in again.stderr
    into_itself = cli("restore", target, "--db", database_url, cwd=tmp_path)
    assert into_itself.returncode == 1
    assert "finns redan" in into_itself.stderr or "inte tom" in into_itself.stderr


def test_a_damaged_or_foreign_file_is_refused_before_anything_is_written(database_url, empty_twin, tmp_path):
    data = write_dataset(tmp_path / "d", city(3))
    assert cli("import", data, "--db", database_url, "--no-warm-up", cwd=tmp_path).returncode == 0
    target = tmp_path / "egk.backup"
    assert cli("backup", "--db", database_url, "--out", target, cwd=tmp_path).returncode == 0
    other_kind = "postgresql://postgres@127.0.0.1:5432/x" if database_url.startswith("sqlite") else \
        f"sqlite:///{tmp_path / 'x.sqlite3'}"
    wrong = cli("restore", target, "--db", other_kind, cwd=tmp_path)
    assert wrong.returncode == 1 and "måldatabasen är" in wrong.stderr
    with target.open("r+b") as handle:
        handle.seek(200)
        handle.write(b"\x00garbage\x00")
    damaged = cli("restore", target, "--db", empty_twin, cwd=tmp_path)
    assert damaged.returncode == 1 and "skadad" in damaged.stderr
    foreign = tmp_path / "annat.backup"
    foreign.write_text("hej")
    refused = cli("restore", foreign, "--db", empty_twin, cwd=tmp_path)
    assert refused.returncode == 1 and "okänt filformat" in refused.stderr
