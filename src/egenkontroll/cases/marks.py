"""Marks on obligations in the database: make one, make them lapse after an import, read them back.

Why it exists: a mark (core/marks.py) is made by staff on the web and must survive the nightly
import, which rewrites the obligations of every case it touches. The mark is keyed on the
obligation's identity (case_id, rule, trigger_event_id), and the import calls
`lapse_contradicted` for the cases it recomputed, in its own transaction, so a mark the new data
contradicts stops applying at the same moment the new obligations appear. Every change is also
written to the append-only `ObligationMarkEvent`.
"""

from __future__ import annotations

import polars as pl
from django.db import connections, transaction
from django.utils import timezone

from egenkontroll.cases.models import Obligation, ObligationMark, ObligationMarkEvent
from egenkontroll.core import marks as core_marks
from egenkontroll.core.schema import MARKS


def mark_obligation(obligation: Obligation, *, kind: str, reason: str, user, role: str) -> ObligationMark:
    """Mark an open obligation (current state + one history row), replacing an earlier lapsed mark."""
    if kind not in core_marks.KINDS:
        raise ValueError(f"okänd markering {kind!r}")
    now = timezone.now()
    state = {
        "trigger_date": obligation.trigger_date,
        "due_date": obligation.due_date,
        "kind": kind,
        "reason": reason,
        "active": True,
        "unit_id": obligation.unit_id,
        "caseworker_id": obligation.caseworker_id,
        "marked_by_user_id": user.pk,
        "marked_by": user.get_username(),
        "marked_role": role,
        "marked_at": now,
        "lapsed_at": None,
        "lapse_reason": "",
    }
    with transaction.atomic():
        mark, _ = ObligationMark.objects.update_or_create(
            case_id=obligation.case_id, rule=obligation.rule, trigger_event_id=obligation.trigger_event_id,
            defaults=state,
        )
        ObligationMarkEvent.objects.create(
            mark=mark, action="markerad", kind=kind, reason=reason, trigger_date=mark.trigger_date,
            due_date=mark.due_date, at=now, user_id=user.pk, username=user.get_username(), role=role,
        )
    return mark


def lapse_contradicted(using: str, case_ids, run_id: int | None) -> int:
    """Lapse the active marks of `case_ids` that the obligations now stored contradict; returns how many.

    Marks are few, so the active ones are read first and only their obligations looked up.
    """
    affected = set(case_ids)
    active = [m for m in ObligationMark.objects.using(using).filter(active=True) if m.case_id in affected]
    if not active:
        return 0
    stored = {
        (o["case_id"], o["rule"], o["trigger_event_id"]): o
        for o in Obligation.objects.using(using)
        .filter(case_id__in=sorted({m.case_id for m in active}))
        .values("case_id", "rule", "trigger_event_id", "trigger_date", "due_date", "status")
    }
    now = timezone.now()
    lapsed = 0
    for mark in active:
        why = core_marks.contradiction(
            mark.trigger_date, mark.due_date, stored.get((mark.case_id, mark.rule, mark.trigger_event_id))
        )
        if why is None:
            continue
        ObligationMark.objects.using(using).filter(pk=mark.pk, active=True).update(
            active=False, lapsed_at=now, lapse_reason=why
        )
        ObligationMarkEvent.objects.using(using).create(
            mark=mark, action="upphavd", kind=mark.kind, reason=why, trigger_date=mark.trigger_date,
            due_date=mark.due_date, at=now, import_run_id=run_id,
        )
        lapsed += 1
    return lapsed


def active_marks(using: str = "default") -> pl.DataFrame:
    """The active marks in the core.schema.MARKS contract, for `core.marks.apply_marks`."""
    rows = list(
        ObligationMark.objects.using(using)
        .filter(active=True)
        .values_list("case_id", "rule", "trigger_event_id", "trigger_date", "due_date", "kind")
    )
    return pl.DataFrame(rows, schema=MARKS, orient="row")


def marks_version(using: str = "default") -> int:
    """Changes whenever a mark is made or lapses (the latest history row): a cache key for figures.

    One SQL statement on the primary key, not a queryset: a figure page asks for it once per
    table it reads (a trend's months), and the ORM's building of the query cost 0.9 ms a call
    against the index read's few microseconds."""
    table = connections[using].ops.quote_name(ObligationMarkEvent._meta.db_table)
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {table}")  # noqa: S608 - the model's own table name
        latest = cursor.fetchone()[0]
    return latest or 0
