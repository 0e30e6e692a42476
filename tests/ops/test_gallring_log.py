"""Gallring of the access log: rows older than five years go only after the chain is verified, its
new base recorded and a fresh anchor written outside the database; the rest still verifies."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction

from egenkontroll.access import anchor, hashchain
from egenkontroll.access.models import AccessLog, AccessLogBase
from egenkontroll.retention.steps import Gallring

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 6)  # atkomstlogg: 5 years → rows before 2021-12-06 go


class Clock:
    """Stands in for hashchain's datetime so rows can be written as if in the past."""

    at = dt.datetime(2020, 3, 1, 12, tzinfo=dt.UTC)

    @classmethod
    def now(cls, tz=None):
        return cls.at


def write(n: int, detail: str) -> None:
    for i in range(n):
        hashchain.append(user_id=None, username="test", roles="", action="view", page="test",
                         case_ids=[f"C{i}"], detail=detail, client="test")


@pytest.fixture
def log(monkeypatch, tmp_path):
    monkeypatch.setattr(hashchain, "datetime", Clock)
    write(3, "gammal")
    monkeypatch.undo()
    write(2, "ny")
    path = tmp_path / "logankare.jsonl"
    anchor.append_to_file(anchor.signed_line(anchor.current()), path)
    return path


def test_without_an_anchor_outside_the_database_the_log_is_kept_whole(log, monkeypatch):
    monkeypatch.delenv(anchor.FILE_ENV, raising=False)
    monkeypatch.delenv(anchor.SYSLOG_ENV, raising=False)
    step = {r.kind: r for r in Gallring("default", TODAY, key=b"k").carry_out()}["atkomstlogg"]
    assert step.counts == {"rader": 0} and "behålls hel" in step.note
    assert AccessLog.objects.count() == 5 and not AccessLogBase.objects.exists()


def test_old_rows_go_and_what_remains_verifies_against_the_new_anchor(log, monkeypatch):
    monkeypatch.setenv(anchor.FILE_ENV, str(log))
    planned = {r.kind: r for r in Gallring("default", TODAY, key=b"k").plan()}["atkomstlogg"]
    assert planned.counts == {"rader": 3} and AccessLog.objects.count() == 5
    Gallring("default", TODAY, key=b"k", ran_by="kommandorad (test)").carry_out()
    assert list(AccessLog.objects.order_by("seq").values_list("detail", flat=True)) == [
        "ny", "ny", "gallrade 3 loggrader t.o.m. seq=3"]
    base = AccessLogBase.objects.get()
    assert (base.seq, base.removed) == (3, 3)
    result = hashchain.verify()
    assert result.ok, result.problems
    assert anchor.check(anchor.latest(log), result) == []


def test_a_row_removed_after_the_gallring_is_still_caught(log, monkeypatch):
    monkeypatch.setenv(anchor.FILE_ENV, str(log))
    Gallring("default", TODAY, key=b"k").carry_out()
    victim = AccessLog.objects.order_by("seq").first()
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic():
            AccessLog.objects.filter(pk=victim.pk)._raw_delete("default")
        return
    AccessLog.objects.filter(pk=victim.pk)._raw_delete("default")  # SQLite has no DELETE trigger
    result = hashchain.verify()
    assert not result.ok and "seq" in str(result.problems[0])
    assert anchor.check(anchor.latest(log), result)  # fewer rows than anchored


def test_a_broken_chain_is_not_gallrad(log, monkeypatch):
    monkeypatch.setenv(anchor.FILE_ENV, str(log))
    if connection.vendor == "postgresql":
        pytest.skip("the rows cannot be changed on PostgreSQL: the break is made on SQLite")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS access_accesslog_no_update")
        cursor.execute("UPDATE access_accesslog SET detail = 'ändrad' WHERE seq = 2")
    with pytest.raises(ValueError, match="inte hel"):
        Gallring("default", TODAY, key=b"k").carry_out()
    assert AccessLog.objects.count() == 5
