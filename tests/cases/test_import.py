"""The import run against the test database (SQLite, then PostgreSQL in the second pass)."""

from __future__ import annotations

import csv
import datetime as dt

import polars as pl
import pytest
from django.db import connection

from egenkontroll.cases.importer import ImportFailed, run_import
from egenkontroll.cases.models import (
    Case,
    Event,
    EventRevision,
    ImportRun,
    Obligation,
    OrgUnit,
    Person,
    RejectedRow,
)
from egenkontroll.cases.store import load_dataset
from egenkontroll.core.interchange import read_dataset
from egenkontroll.core.obligations import evaluate
from tests.cases.factory import city, city_size, event, personnummer, write_dataset

pytestmark = pytest.mark.django_db

# 6 cases: 6 events each, 4 more in the placement cases C3 and C6; 4 obligations per case,
# 6 more per placement (overvagande, vardnadsoverflyttning, 2 besok, genomforandeplan, vardplan).
EVENTS_6, OBLIGATIONS_6 = 44, 36


def test_first_import_stores_events_cases_persons_and_obligations(tmp_path):
    summary = run_import(write_dataset(tmp_path / "d", city(6)))
    assert city_size(6) == EVENTS_6
    assert (summary.rows_read, summary.imported, summary.updated, summary.unchanged, summary.rejected) == (
        44, 44, 0, 0, 0,
    )
    assert (summary.affected_cases, summary.obligations, summary.exit_code, summary.status) == (6, 36, 0, "ok")
    assert (Event.objects.count(), Case.objects.count(), Person.objects.count()) == (44, 6, 6)
    assert Obligation.objects.count() == OBLIGATIONS_6
    c1 = Obligation.objects.get(case_id="C1", rule="forhandsbedomning_14d")
    # anmalan 2023-01-03 + 14 days = Tuesday 2023-01-17; decided 2023-01-13.
    assert (c1.due_date, c1.fulfilled_date, c1.status, c1.unit_id) == (
        dt.date(2023, 1, 17), dt.date(2023, 1, 13), "fulfilled_on_time", "G1",
    )
    # placed 2023-04-16 + 1 month, no genomförandeplan: owed, stored as open.
    plan = Obligation.objects.get(case_id="C3", rule="genomforandeplan_1m")
    assert (plan.due_date, plan.status, plan.days_late) == (dt.date(2023, 5, 16), "open", None)
    case = Case.objects.get(case_id="C3")
    assert (case.first_date, case.closed_date, case.event_count, case.unit_id) == (
        dt.date(2023, 1, 5), dt.date(2023, 11, 1), 10, "G1",
    )
    g2 = OrgUnit.objects.get(unit_id="G2")
    assert (g2.stad_id, g2.forvaltning_id, g2.avdelning_id, g2.enhet_id, g2.grupp_id, g2.depth) == (
        "S", "F1", "A1", "E1", "G2", 4,
    )
    run = ImportRun.objects.get()
    assert (run.rows_read, run.imported, run.status, sorted(run.files)) == (
        44, 44, "ok", ["caseworkers.csv", "events.csv", "org_units.csv"],
    )
    assert len(run.files["events.csv"]) == 64


def analysed_tables() -> set[str]:
    """Tables the query planner has statistics for (SQLite: sqlite_stat1; PostgreSQL: pg_stats)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone() is None:
                return set()
            cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
        else:
            cursor.execute("SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = current_schema()")
        return {row[0] for row in cursor.fetchall()}


def test_an_import_leaves_the_planner_statistics_fresh(tmp_path):
    assert "cases_obligation" not in analysed_tables()
    run_import(write_dataset(tmp_path / "d", city(6)))
    assert {"cases_event", "cases_case", "cases_person", "cases_obligation", "cases_orgunit"} <= analysed_tables()


def test_reimport_is_idempotent_and_a_changed_event_replaces_the_old_one(tmp_path):
    rows = city(6)
    run_import(write_dataset(tmp_path / "d1", rows))
    again = run_import(write_dataset(tmp_path / "d2", rows))
    assert (again.imported, again.updated, again.unchanged, again.affected_cases, again.obligations) == (
        0, 0, 44, 0, 0,
    )
    assert Obligation.objects.count() == OBLIGATIONS_6

    changed = [dict(r, outcome="insats") if r["event_id"] == "C1-x" else r for r in rows]
    third = run_import(write_dataset(tmp_path / "d3", changed))
    assert (third.imported, third.updated, third.unchanged, third.affected_cases) == (0, 1, 43, 1)
    assert Event.objects.get(event_id="C1-x").outcome == "insats"
    revision = EventRevision.objects.get()
    assert (revision.event_id, revision.previous["outcome"], revision.run_id) == ("C1-x", "ingen_insats", third.run_id)
    assert Event.objects.get(event_id="C1-x").import_run_id == third.run_id
    assert Obligation.objects.count() == OBLIGATIONS_6
    assert ImportRun.objects.count() == 3


def test_a_changed_pseudonym_key_is_warned_about(tmp_path):
    data = write_dataset(tmp_path / "d", city(3))
    run_import(data)
    quiet = run_import(data)
    assert quiet.warnings == []
    rekeyed = run_import(data, key=b"another-key-0123456789")
    assert (rekeyed.updated, Person.objects.count()) == (city_size(3), 6)
    assert rekeyed.warnings == [
        f"{city_size(3)} kända händelser fick en ny pseudonym: har pseudonymnyckeln bytts? "
        "Med fel nyckel blir varje barn en ny person (se docs/interchange.md, nyckeln)."
    ]


def test_an_event_moved_to_another_case_recomputes_both(tmp_path):
    rows = city(3)
    run_import(write_dataset(tmp_path / "d1", rows))
    moved = [dict(r, case_id="C2") if r["event_id"] == "C1-z" else r for r in rows]
    summary = run_import(write_dataset(tmp_path / "d2", moved))
    assert (summary.updated, summary.affected_cases) == (1, 2)
    assert Case.objects.get(case_id="C1").closed_date is None
    assert Case.objects.get(case_id="C2").event_count == 7


def test_rejected_rows_are_counted_stored_and_written_masked(tmp_path):
    person = personnummer(dt.date(2015, 3, 12), 982)
    bad_checksum = person[:-1] + str((int(person[-1]) + 1) % 10)
    rows = [
        *city(2),
        event("bad1", "C9", bad_checksum, "anmalan", "2024-01-08"),
        event("bad2", "C9", person, "telefonsamtal", "2024-01-08"),
        event("x" * 200, "C9", person, "anmalan", "2024-01-08"),
    ]
    rejects = tmp_path / "rejects.csv"
    summary = run_import(write_dataset(tmp_path / "d", rows), rejects_path=rejects)
    assert (summary.rows_read, summary.imported, summary.rejected, summary.exit_code, summary.status) == (
        15, 12, 3, 2, "rejects",
    )
    assert summary.rows_read == summary.imported + summary.updated + summary.unchanged + summary.rejected
    stored = {r.row: r for r in RejectedRow.objects.all()}
    assert sorted(stored) == [14, 15, 16]
    assert stored[14].value == "20150312-****" and stored[14].column == "person"
    assert stored[15].reason == "okänd händelsetyp"
    assert stored[16].reason == "värdet är för långt (högst 128 tecken)"
    with rejects.open(encoding="utf-8") as handle:
        written = list(csv.DictReader(handle))
    assert [(r["row"], r["column"], r["stage"]) for r in written] == [
        ("14", "person", "read"), ("15", "event_type", "read"), ("16", "event_id", "read"),
    ]
    assert bad_checksum not in rejects.read_text(encoding="utf-8")


def test_no_identity_number_is_stored_anywhere(tmp_path):
    rows = city(5)
    run_import(write_dataset(tmp_path / "d", rows))
    numbers = {r["person"] for r in rows}
    digits = {n.replace("-", "") for n in numbers} | {n[2:] for n in numbers}
    with connection.cursor() as cursor:
        tables = [t for t in connection.introspection.table_names(cursor) if t.startswith("cases_")]
        cells = []
        for table in tables:
            cursor.execute(f"SELECT * FROM {table}")
            cells += [str(v) for row in cursor.fetchall() for v in row if v is not None]
    assert len(tables) == 14 and cells  # 9 import tables, 2 of obligation marks, 3 of issue 16 (staffing, population)
    assert not [c for c in cells for n in numbers | digits if n in c]


def test_unlinkable_rows_are_stored_and_reported_as_link_rejects(tmp_path):
    person = personnummer(dt.date(2016, 5, 1), 240)
    rows = [
        event("a", "K1", person, "anmalan", "2024-01-08"),
        event("v", "K1", person, "besok", "2024-02-01"),  # no ref and no placement open
    ]
    summary = run_import(write_dataset(tmp_path / "d", rows))
    assert (summary.imported, summary.rejected, summary.link_rejected, summary.exit_code) == (2, 0, 1, 2)
    link = RejectedRow.objects.get(stage="link")
    assert (link.event_id, link.row, link.column) == ("v", 3, "ref")
    assert Event.objects.filter(event_id="v").exists()


def test_work_list_status_is_decided_on_the_day_asked(tmp_path):
    person = personnummer(dt.date(2016, 5, 1), 240)
    run_import(write_dataset(tmp_path / "d", [event("a", "K1", person, "anmalan", "2024-01-08")]))
    fb = Obligation.objects.filter(rule="forhandsbedomning_14d")
    assert fb.get().due_date == dt.date(2024, 1, 22)
    assert fb.pending(dt.date(2024, 1, 22)).count() == 1
    assert fb.overdue(dt.date(2024, 1, 22)).count() == 0
    assert fb.overdue(dt.date(2024, 1, 23)).count() == 1
    statuses = Obligation.objects.with_current_status(dt.date(2024, 1, 23)).order_by("rule")
    assert [(o.rule, o.current_status) for o in statuses] == [
        ("forhandsbedomning_10ad", "overdue"), ("forhandsbedomning_14d", "overdue"), ("skyddsbedomning_1d", "overdue"),
    ]


def test_load_dataset_gives_the_rules_engine_what_the_files_give(tmp_path):
    path = write_dataset(tmp_path / "d", city(9))
    run_import(path)
    events, org_units, caseworkers = load_dataset("default")
    from_files = read_dataset(path)
    assert (events.height, org_units.height, caseworkers.height) == (
        from_files.events.height, from_files.org_units.height, from_files.caseworkers.height,
    )
    as_of = dt.date(2023, 8, 1)
    stored = evaluate(events, as_of).obligations
    direct = evaluate(from_files.events, as_of).obligations
    assert stored.height > 0
    assert stored.equals(direct)
    same_columns = [c for c in from_files.events.columns if c not in ("birth_date",)]
    assert events.sort("event_id").select(same_columns).equals(from_files.events.sort("event_id").select(same_columns))
    assert events.filter(pl.col("event_id") == "C1-a")["birth_date"].item() == dt.date(2012, 1, 1)


def test_a_missing_dataset_fails_with_one_line_and_is_recorded(tmp_path):
    with pytest.raises(ImportFailed, match="hittar inte datasetet saknas") as failure:
        run_import(tmp_path / "saknas")
    assert "\n" not in str(failure.value)
    run = ImportRun.objects.get()
    assert (run.status, run.message) == ("failed", str(failure.value))
