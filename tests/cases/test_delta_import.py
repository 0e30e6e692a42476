"""A nightly delta import gives exactly what a full import of the same export into a fresh database
gives (issue 19): stored tables, obligations and every frame the pages' warm-up computes, while
the warm-up takes over the previous run's figures that the new rows cannot change and carries
the previous run's evaluation forward (only the changed cases evaluated again).

The synthetic municipality (small, seeded) is exported twice: yesterday's export lacks the last
days' events and has a few rows that today's export corrects; today's is the whole data set.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from django.db import transaction

from egenkontroll.cases.bulk import read_frame
from egenkontroll.cases.importer import run_import
from egenkontroll.cases.models import ImportRun
from egenkontroll.cases.store import load_events
from egenkontroll.core.obligations import carry_forward
from egenkontroll.core.synth import generate
from egenkontroll.overview.warmup import warm_up
from egenkontroll.pages import snapshot

pytestmark = pytest.mark.django_db

NEW_DAYS = 3  # yesterday's export lacks the events of the last NEW_DAYS days
CORRECTED = 4  # and has this many förhandsbedömningar of the last weeks dated ten days late


def previous_export(full: Path, out: Path) -> dt.date:
    """Write yesterday's export of `full` to `out`; returns the earliest date a row differs on."""
    out.mkdir()
    for source in full.glob("*.csv"):  # every table as it was (posts and population too), but the events
        if source.name != "events.csv":
            (out / source.name).write_bytes(source.read_bytes())
    with open(full / "events.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    end = max(dt.date.fromisoformat(r["date"]) for r in rows)
    cut = end - dt.timedelta(days=NEW_DAYS - 1)
    kept = [r for r in rows if dt.date.fromisoformat(r["date"]) < cut]
    month_ago = end - dt.timedelta(days=45)
    corrected = [r for r in kept if r["event_type"] == "forhandsbedomning"
                 and month_ago <= dt.date.fromisoformat(r["date"]) < cut - dt.timedelta(days=12)][:CORRECTED]
    assert len(corrected) == CORRECTED
    earliest = min(dt.date.fromisoformat(r["date"]) for r in corrected)
    for row in corrected:  # yesterday's export had the decision ten days late
        row["date"] = (dt.date.fromisoformat(row["date"]) + dt.timedelta(days=10)).isoformat()
    with open(out / "events.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(kept)
    return earliest


def tables() -> dict[str, pl.DataFrame]:
    """The stored events, cases, persons and obligations, in one order."""
    out = {"events": load_events("default")}
    for table, key in (("cases_case", "case_id"), ("cases_person", "person_key"),
                       ("cases_obligation", "case_id, rule, trigger_event_id, due_date")):
        columns = {"cases_case": ["case_id", "person_key", "unit_id", "caseworker_id", "first_date", "last_date",
                                  "closed_date", "event_count"],
                   "cases_person": ["person_key", "gender", "birth_year", "birth_month", "unaccompanied"],
                   "cases_obligation": ["case_id", "rule", "trigger_event_id", "trigger_date", "due_date",
                                        "fulfilled_date", "fulfilled_event_id", "status", "unit_id",
                                        "caseworker_id", "extended"]}[table]
        out[table] = read_frame("default", f"SELECT {', '.join(columns)} FROM {table} ORDER BY {key}",  # noqa: S608
                                dict.fromkeys(columns, pl.Utf8))
    return out


def warmed(day: dt.date) -> dict[tuple, pl.DataFrame]:
    """Run the warm-up for the newest run and return every frame it computed or took over."""
    snapshot.forget()
    warm_up("default", day)
    snap = snapshot.current("default")
    frames = dict(snap._frames.items)
    frames[("events",)] = snap.events
    frames[("evaluation",)] = snap.evaluation(day).obligations
    return frames


def canonical(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, nulls_last=True)


def test_delta_import_and_refresh_equal_a_full_import_into_a_fresh_database(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot, "FRAMES_KEPT", 10_000)
    monkeypatch.setattr(snapshot.Snapshot, "drop_frames", lambda self: None)  # every frame compared below
    summary = generate("small", 5, tmp_path / "today", size_factor=0.3)
    earliest = previous_export(summary.path, tmp_path / "yesterday")
    day = summary.end

    carried = []  # the delta's warm-up carries yesterday's evaluation forward, not evaluates anew
    monkeypatch.setattr(snapshot, "carry_forward", lambda *a: carried.append((a[1], a[4])) or carry_forward(*a))
    monkeypatch.setenv("EGK_WEB_CACHE_DIR", str(tmp_path / "cache-delta"))
    with transaction.atomic():
        run_import(tmp_path / "yesterday")
        warmed(day)
        delta = run_import(summary.path)
        run = ImportRun.objects.get(pk=delta.run_id)
        carry = snapshot._carried_over("default", snapshot.data_version("default"))
        carried.clear()
        delta_frames, delta_tables = warmed(day), tables()
        transaction.set_rollback(True)

    assert delta.updated == CORRECTED and delta.imported > 0 and delta.unchanged > 0
    assert run.changed_from == earliest and 0 < len(run.changed_cases) < delta.affected_cases + 1
    assert carry is not None and carry.changed_from == earliest
    reused = [k for k in delta_frames if k[0] == "figures" and k[3] < earliest]
    assert reused, "the delta took over no month's figures"
    assert carried[:1] == [(day, day)], "the delta evaluated the day in full"

    monkeypatch.setenv("EGK_WEB_CACHE_DIR", str(tmp_path / "cache-full"))
    with transaction.atomic():
        run_import(summary.path)
        full_frames, full_tables = warmed(day), tables()
        transaction.set_rollback(True)

    for name, frame in full_tables.items():
        assert canonical(delta_tables[name]).equals(canonical(frame)), name
    assert set(delta_frames) == set(full_frames)
    for key, frame in full_frames.items():
        assert canonical(delta_frames[key]).equals(canonical(frame)), key


@pytest.mark.parametrize("table", ["population.csv", "staffing.csv"])
def test_a_changed_population_or_post_refreshes_every_figure(tmp_path, table):
    """Per-1,000 figures rest on the population and vacancies on the posts: a night that changes
    either (and no event) may move figures of any month, so the run claims no narrow change."""
    summary = generate("small", 5, tmp_path / "today", size_factor=0.3)
    with transaction.atomic():
        run_import(summary.path)
        lines = (summary.path / table).read_text(encoding="utf-8").splitlines()
        header, last = lines[0].split(","), lines[-1].split(",")
        column = header.index("count" if table == "population.csv" else "posts")
        last[column] = str(int(last[column]) + 1)
        (summary.path / table).write_text("\n".join([*lines[:-1], ",".join(last)]) + "\n", encoding="utf-8")
        again = ImportRun.objects.get(pk=run_import(summary.path).run_id)
        transaction.set_rollback(True)
    assert again.changed_from is None and again.changed_cases is None
