"""core.marks: a mark turns a matching open obligation into `marked`; an import may contradict it."""

from __future__ import annotations

import datetime as dt

import polars as pl

from egenkontroll.core.marks import apply_marks, contradiction
from egenkontroll.core.schema import MARKS, OBLIGATIONS, conform

d = dt.date.fromisoformat


def obligations(*rows) -> pl.DataFrame:
    names = ("case_id", "rule", "trigger_event_id", "trigger_date", "due_date", "status", "days_late")
    frame = pl.DataFrame([dict(zip(names, r, strict=True)) for r in rows])
    return conform(frame.with_columns(pl.col("trigger_date", "due_date").str.to_date()), OBLIGATIONS)


def marks(*rows) -> pl.DataFrame:
    names = ("case_id", "rule", "trigger_event_id", "trigger_date", "due_date", "kind")
    frame = pl.DataFrame([dict(zip(names, r, strict=True)) for r in rows], schema=dict.fromkeys(names, pl.Utf8))
    return conform(frame.with_columns(pl.col("trigger_date", "due_date").str.to_date()), MARKS)


OB = obligations(
    ("c1", "skyddsbedomning_1d", "e1", "2024-01-01", "2024-01-02", "overdue", 30),
    ("c1", "forhandsbedomning_14d", "e1", "2024-01-01", "2024-01-15", "pending", None),
    ("c2", "skyddsbedomning_1d", "e2", "2024-01-01", "2024-01-02", "fulfilled_late", 3),
    ("c3", "utredning_4m", "e3", "2024-01-01", "2024-05-02", "overdue", 10),
)


def test_a_matching_open_obligation_becomes_marked_and_loses_its_days_late():
    out = apply_marks(OB, marks(
        ("c1", "skyddsbedomning_1d", "e1", "2024-01-01", "2024-01-02", "registreringsfel"),
        ("c1", "forhandsbedomning_14d", "e1", "2024-01-01", "2024-01-15", "ej_tillamplig"),
    ))
    assert out["status"].to_list() == ["marked", "marked", "fulfilled_late", "overdue"]
    assert out["days_late"].to_list() == [None, None, 3, 10]
    assert out.columns == OB.columns and out.height == OB.height


def test_a_fulfilled_obligation_or_other_dates_keep_their_status():
    out = apply_marks(OB, marks(
        ("c2", "skyddsbedomning_1d", "e2", "2024-01-01", "2024-01-02", "registreringsfel"),
        ("c3", "utredning_4m", "e3", "2024-01-01", "2024-04-30", "ej_tillamplig"),  # extended since
        ("c1", "skyddsbedomning_1d", "other", "2024-01-01", "2024-01-02", "ej_tillamplig"),
    ))
    assert out["status"].to_list() == OB["status"].to_list()


def test_no_marks_changes_nothing():
    assert apply_marks(OB, marks()).equals(OB)


def test_what_contradicts_a_mark():
    trig, due = d("2024-01-01"), d("2024-01-15")
    same = {"status": "open", "trigger_date": trig, "due_date": due}
    assert contradiction(trig, due, same) is None
    assert contradiction(trig, due, {**same, "status": "overdue"}) is None
    assert contradiction(trig, due, None) == "skyldigheten finns inte längre efter importen"
    assert contradiction(trig, due, {**same, "status": "fulfilled_on_time"}) == "skyldigheten är uppfylld enligt importen"
    assert contradiction(trig, due, {**same, "status": "void"}) == "skyldigheten har bortfallit enligt importen"
    assert contradiction(trig, due, {**same, "due_date": d("2024-02-01")}) == (
        "fristen har ändrats från 2024-01-15 till 2024-02-01"
    )
    assert contradiction(trig, due, {**same, "trigger_date": d("2023-12-31")}).startswith("utlösande datum")
