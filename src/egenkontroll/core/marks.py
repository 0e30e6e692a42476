"""Marks on obligations: staff say an open obligation is a registreringsfel or ej tillämplig.

Why it exists: the rules engine only knows what the case system exported. When the event
happened but was never registered (registreringsfel), or the obligation does not apply to this
child (ej tillämplig), the responsible staff mark it with a reason. A marked obligation is
neither fulfilled nor overdue: its status becomes `marked`, so every key figure that counts
`overdue` or `pending` leaves it out and the figure `markerade_skyldigheter` counts it instead
(docs/key-figures.md). Nothing is ever silently counted as fulfilled.

An obligation is identified across re-imports by (case_id, rule, trigger_event_id): the case
system's ids of the case and of the event that triggered it, and the rule id. A mark only
applies while the obligation is still open with the trigger and due dates it was marked with;
anything else means a later import contradicts it, and the mark lapses (`contradiction`).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from egenkontroll.core.schema import MARKS, conform

KINDS = {"registreringsfel": "Registreringsfel", "ej_tillamplig": "Ej tillämplig"}
IDENTITY = ("case_id", "rule", "trigger_event_id")
OPEN_STATUSES = ("pending", "overdue", "open")  # `open`: as stored in the database
REASON_MAX = 500


def apply_marks(obligations: pl.DataFrame, marks: pl.DataFrame) -> pl.DataFrame:
    """Obligations with status `marked` (and no days_late) where an active mark still matches.

    A mark matches an obligation with the same identity, trigger date and due date that is open
    (pending or overdue) on the evaluated day; a fulfilled or void obligation keeps its status.
    """
    if marks.is_empty() or obligations.is_empty():
        return obligations
    keys = (
        conform(marks, MARKS)
        .select(*IDENTITY, "trigger_date", "due_date")
        .unique()
        .with_columns(_marked=pl.lit(True))
    )
    joined = obligations.join(keys, on=[*IDENTITY, "trigger_date", "due_date"], how="left")
    hit = pl.col("_marked").fill_null(False) & pl.col("status").is_in(OPEN_STATUSES)
    return joined.with_columns(
        status=pl.when(hit).then(pl.lit("marked")).otherwise(pl.col("status")),
        days_late=pl.when(hit).then(None).otherwise(pl.col("days_late")),
    ).select(obligations.columns)


def contradiction(
    marked_trigger: dt.date, marked_due: dt.date, current: dict | None
) -> str | None:
    """Why an import contradicts a mark (Swedish, for the mark's history), or None if it still holds.

    `current` is the obligation as now stored (`status`, `trigger_date`, `due_date`), or None
    when the import no longer produces it.
    """
    if current is None:
        return "skyldigheten finns inte längre efter importen"
    if current["status"] not in OPEN_STATUSES:
        return {
            "fulfilled_on_time": "skyldigheten är uppfylld enligt importen",
            "fulfilled_late": "skyldigheten är uppfylld enligt importen",
            "void": "skyldigheten har bortfallit enligt importen",
        }.get(current["status"], f"skyldighetens status är {current['status']} efter importen")
    if current["trigger_date"] != marked_trigger:
        return f"utlösande datum har ändrats från {marked_trigger.isoformat()} till {current['trigger_date'].isoformat()}"
    if current["due_date"] != marked_due:
        return f"fristen har ändrats från {marked_due.isoformat()} till {current['due_date'].isoformat()}"
    return None
