"""Build event tables for tests in a few lines: only the columns a test cares about."""

from __future__ import annotations

import datetime as dt

import polars as pl

from egenkontroll.core.schema import EVENTS, conform


def d(s: str | None) -> dt.date | None:
    return dt.date.fromisoformat(s) if s else None


def events(*rows: tuple, unit: str = "G1", caseworker: str | None = "H1") -> pl.DataFrame:
    """Rows are (event_id, case_id, event_type, date, {extra columns}) — extras optional."""
    records = []
    for i, row in enumerate(rows):
        event_id, case_id, event_type, date, *rest = row
        extra = rest[0] if rest else {}
        rec = {
            "event_id": event_id,
            "case_id": case_id,
            "person_key": extra.pop("person_key", f"p-{case_id}"),
            "gender": extra.pop("gender", "F"),
            "birth_date": d(extra.pop("birth_date", "2015-03-12")),
            "event_type": event_type,
            "date": d(date),
            "unit_id": extra.pop("unit_id", unit),
            "caseworker_id": extra.pop("caseworker_id", caseworker),
            "unaccompanied": extra.pop("unaccompanied", False),
            "row": i + 2,
        }
        if "until" in extra:
            extra["until"] = d(extra["until"])
        rec.update(extra)
        records.append(rec)
    frame = pl.DataFrame(records, infer_schema_length=None) if records else pl.DataFrame()
    return conform(frame, EVENTS)
