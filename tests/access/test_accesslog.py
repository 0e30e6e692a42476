"""The access log is append-only and hash-chained: tampering in the database is detected by `egenkontroll log verify`."""

from __future__ import annotations

import json

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from typer.testing import CliRunner

from egenkontroll.access import hashchain
from egenkontroll.access.models import AccessLog, AccessLogCase, AccessLogHead, AppendOnlyError
from egenkontroll.cli import access_commands  # noqa: F401  (registers the commands)
from egenkontroll.cli.app import app

LOG_TABLES = ("access_accesslog", "access_accesslogcase")


def write_chain(n: int = 5) -> list[AccessLog]:
    return [
        hashchain.append(user_id=7, username="anna", roles="handlaggare", action="view", page="arende",
                         case_ids=[f"C{i}", f"C{i + 1}"], detail="", client="10.0.0.1")
        for i in range(1, n + 1)
    ]


def raw(sql: str, params=()) -> None:
    """Tamper as someone with database access would: first switch the append-only triggers off."""
    with connection.cursor() as cursor:
        for table in LOG_TABLES:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE access_accessloghead DISABLE TRIGGER USER")
        cursor.execute(sql, params)


def problems() -> list[tuple[int | None, str]]:
    return [(p.seq, p.message) for p in hashchain.verify().problems]


def test_a_written_chain_verifies_and_links_each_row_to_the_previous(db):
    rows = write_chain(5)
    result = hashchain.verify()
    assert (result.ok, result.rows, result.head_seq) == (True, 5, 5)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == hashchain.GENESIS
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    assert result.head_hash == rows[-1].hash
    assert sorted(AccessLogCase.objects.filter(entry=rows[2]).values_list("case_id", flat=True)) == ["C3", "C4"]
    assert json.loads(rows[2].case_ids) == ["C3", "C4"]


def test_the_application_cannot_update_or_delete_rows(db):
    row = write_chain(1)[0]
    row.detail = "ändrad"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        AccessLog.objects.filter(pk=row.pk).update(detail="x")
    with pytest.raises(AppendOnlyError):
        AccessLog.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AccessLogCase.objects.all().delete()
    assert hashchain.verify().ok


def test_the_database_refuses_an_update(db):
    write_chain(1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE access_accesslog SET detail = 'x'")
    assert AccessLog.objects.get().detail == ""


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the DELETE trigger exists on PostgreSQL only")
def test_postgresql_refuses_delete_and_moving_the_head_back(db):
    write_chain(2)
    for sql in ("DELETE FROM access_accesslog", "DELETE FROM access_accesslogcase",
                "UPDATE access_accessloghead SET seq = 1", "DELETE FROM access_accessloghead"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AccessLog.objects.count() == 2


def test_an_altered_row_is_named(db):
    write_chain(5)
    raw("UPDATE access_accesslog SET page = 'oversikt' WHERE seq = 3")
    assert problems() == [(3, "innehållet stämmer inte med hashen (raden är ändrad, eller fel nyckel)")]


def test_an_altered_time_or_user_is_detected(db):
    write_chain(3)
    raw("UPDATE access_accesslog SET user_id = 8 WHERE seq = 2")
    assert [seq for seq, _ in problems()] == [2]


def test_a_removed_row_breaks_the_sequence_at_the_next_row(db):
    rows = write_chain(5)
    raw("DELETE FROM access_accesslogcase WHERE entry_id = %s", [rows[2].pk])
    raw("DELETE FROM access_accesslog WHERE seq = 3")
    assert problems() == [
        (4, "väntade seq=3, fann 4 (rad saknas)"),
        (4, "prev_hash pekar inte på föregående rad (rad borttagen eller infogad)"),
    ]


def test_a_removed_tail_is_seen_from_the_head(db):
    rows = write_chain(3)
    raw("DELETE FROM access_accesslogcase WHERE entry_id = %s", [rows[2].pk])
    raw("DELETE FROM access_accesslog WHERE seq = 3")
    assert problems() == [(None, "huvudraden pekar på seq=3, sista raden är seq=2 (rader borttagna i slutet?)")]


def test_an_inserted_row_is_named(db):
    rows = write_chain(3)
    raw(
        "INSERT INTO access_accesslog (seq, at, user_id, username, roles, action, page, case_ids, case_count, "
        "detail, client, prev_hash, hash) VALUES (4, %s, 7, 'anna', '', 'view', 'arende', '[]', 0, '', '', %s, %s)",
        [rows[-1].at, rows[-1].hash, "f" * 64],
    )
    found = problems()
    assert found[0] == (4, "innehållet stämmer inte med hashen (raden är ändrad, eller fel nyckel)")
    assert found[1][0] is None  # and the head still points at seq 3


def test_renumbering_to_hide_an_insertion_is_detected(db):
    write_chain(3)
    raw("UPDATE access_accesslog SET seq = seq + 10 WHERE seq >= 2")
    seqs = {seq for seq, _ in problems()}
    assert {12, 13} <= seqs


def test_a_case_removed_from_the_index_is_detected(db):
    rows = write_chain(2)
    raw("DELETE FROM access_accesslogcase WHERE entry_id = %s AND case_id = 'C2'", [rows[0].pk])
    assert problems() == [(1, "ärendeindexet stämmer inte med raden")]


def test_a_different_key_fails_every_row(db):
    write_chain(2)
    assert len(hashchain.verify(key=b"another key").problems) == 2


def test_verify_log_command_exit_codes(db):
    runner = CliRunner()
    write_chain(3)
    ok = runner.invoke(app, ["log", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "Åtkomstloggen är hel: 3 rader, sista seq=3" in ok.output
    raw("UPDATE access_accesslog SET detail = 'x' WHERE seq = 2")
    broken = runner.invoke(app, ["log", "verify", "--format", "json"])
    assert broken.exit_code == 1
    report = json.loads(broken.stdout)
    assert (report["ok"], report["rows"], [p["seq"] for p in report["problems"]]) == (False, 3, [2])


def test_verify_log_on_a_missing_database_exits_2(db, tmp_path):
    result = CliRunner().invoke(app, ["log", "verify", "--db", f"sqlite:///{tmp_path}/none.sqlite3"])
    assert result.exit_code == 2
    assert not (tmp_path / "none.sqlite3").exists()


def test_the_head_row_is_recreated_after_a_flush(db):
    raw("DELETE FROM access_accessloghead")
    assert not AccessLogHead.objects.exists()
    assert write_chain(1)[0].seq == 1
    assert hashchain.verify().ok
