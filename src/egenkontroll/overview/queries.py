"""The database queries of the person-level pages: work list, case timeline, visible cases.

Why it exists: a caseworker opens the work list many times a day, so it must be an index
scan over the materialised obligations (the deadline lives in a column, partial index on open
rows), never a recomputation. Every query here starts from a queryset the access layer has
already narrowed (`request.scope`), adds the page's filters, and fetches what the page shows
in a fixed, small number of queries (joins, no per-row lookups).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial

import polars as pl
from django.db import models
from django.db.models import CharField, Count, Exists, F, OuterRef, Q, QuerySet, Value, When

from egenkontroll.cases.models import (
    LEVEL_FIELDS,
    Case,
    Event,
    Obligation,
    ObligationMark,
    ObligationMarkEvent,
    OrgUnit,
    Person,
)
from egenkontroll.core.rules import load_catalogue

# Work-list urgency on a day: overdue, soon due (within the rule's warning_days), later.
URGENCIES = {"forsenad": "Försenad", "snart": "Snart förfallen", "kommande": "Kommande"}
# How far back the default work list shows overdue obligations (days; None = all). Older ones
# are the "tail": counted and one click away, never hidden silently.
HORIZONS = {"30": 30, "90": 90, "365": 365, "alla": None}
DEFAULT_HORIZON = "90"
# "atgard": what can still be saved first — soon due (soonest first), then overdue (most
# recently broken first), then later ones (soonest first).
DEFAULT_SORT = "atgard"
SORTS = {
    "atgard": (),  # ACTION_SEGMENTS
    "frist": ("due_date", "case_id", "rule"),
    "-frist": ("-due_date", "case_id", "rule"),
    "regel": ("rule", "due_date", "case_id"),
    "arende": ("case_id", "due_date", "rule"),
    "handlaggare": ("caseworker__name", "due_date", "case_id"),
    "enhet": ("unit__name", "due_date", "case_id"),
}
VISIBLE_CHUNK = 2000


@lru_cache(maxsize=1)
def rule_titles() -> dict[str, str]:
    """Rule id → Swedish title (the first row of a rule with several validity periods)."""
    titles: dict[str, str] = {}
    for rule in load_catalogue().rules:
        titles.setdefault(rule.id, rule.title)
    return titles


def reference_shown(rule_id: str, trigger_date) -> str:
    """The paragraph an obligation reports: the one in force on its trigger date ("ej verifierad" if so)."""
    ref = load_catalogue().reference_for(rule_id, trigger_date) if trigger_date else None
    return ref.shown if ref else ""


@lru_cache(maxsize=1)
def warning_days() -> dict[str, int]:
    """Rule id → days before its due date that an open obligation counts as soon due."""
    days: dict[str, int] = {}
    for rule in load_catalogue().rules:
        days[rule.id] = max(days.get(rule.id, 0), rule.warning_days)
    return days


def subtree_q(unit_id: str, field: str = "unit_id") -> Q:
    """Rows whose `field` names `unit_id` or a unit below it (one subquery on the level columns)."""
    levels = Q(unit_id=unit_id)
    for name in LEVEL_FIELDS:
        levels |= Q(**{name: unit_id})
    return Q(**{f"{field}__in": OrgUnit.objects.filter(levels).values("unit_id")})


def urgency(today: dt.date) -> models.Case:
    """Annotation: forsenad / snart / kommande for an open obligation on `today`."""
    soon = [
        When(rule=rule, due_date__lte=today + dt.timedelta(days=days), then=Value("snart"))
        for rule, days in sorted(warning_days().items())
        if days > 0
    ]
    return models.Case(
        When(due_date__lt=today, then=Value("forsenad")),
        *soon,
        default=Value("kommande"),
        output_field=CharField(),
    )


def active_mark() -> Exists:
    """Annotation: the obligation has an active mark that still matches it (core/marks.py)."""
    return Exists(
        ObligationMark.objects.filter(
            active=True, case_id=OuterRef("case_id"), rule=OuterRef("rule"),
            trigger_event_id=OuterRef("trigger_event_id"), trigger_date=OuterRef("trigger_date"),
            due_date=OuterRef("due_date"),
        )
    )


@dataclass(frozen=True)
class WorkListFilter:
    unit_id: str | None = None
    caseworker_id: str | None = None
    rules: tuple[str, ...] = ()
    urgencies: tuple[str, ...] = ()
    sort: str = DEFAULT_SORT
    include_closed: bool = False  # obligations of closed cases can no longer be acted on
    horizon: str = DEFAULT_HORIZON  # a key of HORIZONS


# The `atgard` order as segments, each an index range read in due-date order: soon due, then
# overdue (most recently broken first), then later. One ORDER BY over a CASE would make the
# database join and sort every open obligation of the scope before the first page.
ACTION_SEGMENTS = (("snart", "due_date"), ("forsenad", "-due_date"), ("kommande", "due_date"))


class SegmentedRows:
    """The rows in `atgard` order, sliced like a queryset: each segment is queried only for its
    part of the slice (sizes from the urgency counts, so no extra COUNT)."""

    def __init__(self, qs: QuerySet, today: dt.date, sizes: dict[str, int], values: dict):
        self.segments = []
        for key, order in ACTION_SEGMENTS:
            part = qs.filter(urgency=key)
            part = part.filter(due_date__lt=today) if key == "forsenad" else part.filter(due_date__gte=today)
            if key == "snart":  # within the longest warning: an index range, not every later obligation
                part = part.filter(due_date__lte=today + dt.timedelta(days=max(warning_days().values(), default=0)))
            self.segments.append((sizes.get(key, 0), part.order_by(order, "case_id", "rule").values(*values["fields"], **values["named"])))

    def __getitem__(self, wanted: slice) -> list[dict]:
        start, stop = wanted.start or 0, wanted.stop
        out: list[dict] = []
        offset = 0
        for size, rows in self.segments:
            lo, hi = max(start - offset, 0), size if stop is None else min(stop - offset, size)
            if lo < hi:
                out += list(rows[lo:hi])
            offset += size
        return out


def work_list(
    visible: QuerySet, today: dt.date, f: WorkListFilter, keep_counts: bool = False
) -> tuple[QuerySet, dict[str, int]]:
    """Open, unmarked obligations (already narrowed to what the user may see), filtered and sorted.

    `keep_counts` (a scope over the whole organisation, whose counts take seconds for a country):
    the counts are kept (`kept_counts`). A narrower scope counts at once; kept, each caseworker's
    own list would crowd the figures out of the kept frames.

    Returns the rows (a values() queryset, lazily evaluated) and, over the same filters except
    the urgency filter itself, in one aggregate query: the count per urgency (overdue within the
    horizon only), `aldre` (overdue before the horizon, not shown) and `markerade` (marked,
    not shown).
    """
    qs = visible.filter(status="open")
    if not f.include_closed:
        qs = qs.filter(case__closed_date__isnull=True)
    if f.unit_id:
        qs = qs.filter(subtree_q(f.unit_id))
    if f.caseworker_id:
        qs = qs.filter(caseworker_id=f.caseworker_id)
    if f.rules:
        qs = qs.filter(rule__in=f.rules)
    qs = qs.annotate(urgency=urgency(today), marked=active_mark())
    days = HORIZONS.get(f.horizon, HORIZONS[DEFAULT_HORIZON])
    shown = Q(marked=False)
    figures = {"markerade": Count("id", filter=Q(marked=True))}
    if days is not None:
        tail = Q(due_date__lt=today - dt.timedelta(days=days))
        figures["aldre"] = Count("id", filter=shown & tail)
        shown &= ~tail
    count = partial(qs.aggregate, **{key: Count("id", filter=Q(urgency=key) & shown) for key in URGENCIES}, **figures)
    counts = {"aldre": 0, **(kept_counts(qs, (today, days), count) if keep_counts else count())}
    qs = qs.filter(shown)
    if f.urgencies:
        qs = qs.filter(urgency__in=f.urgencies)
    values = {
        "fields": ("case_id", "rule", "trigger_event_id", "trigger_date", "due_date", "urgency", "extended",
                   "unit_id", "caseworker_id"),
        "named": {"unit_name": F("unit__name"), "caseworker_name": F("caseworker__name")},
    }
    if f.sort == "atgard":
        sizes = {key: counts[key] for key in URGENCIES if not f.urgencies or key in f.urgencies}
        return SegmentedRows(qs, today, sizes, values), counts
    rows = qs.order_by(*SORTS.get(f.sort, SORTS["frist"])).values(*values["fields"], **values["named"])
    return rows, counts


def kept_counts(qs: QuerySet, key: tuple, count: Callable[[], dict[str, int]]) -> dict[str, int]:
    """`count()`, the aggregate of `qs`, kept with the import's frames (`Snapshot.frame`: in memory,
    then in the disk cache every server process shares) under `qs`'s own SQL, `key` and the marks'
    version; a queryset that selects nothing is counted at once.

    Why: an inspektör's Arbetslista counts every open obligation of a whole country by urgency, 1.9 s
    in PostgreSQL on each visit (issue 19). The obligations change only with an import or a gallring
    (the snapshot's version, which names the cache) and the marks (their version is in the key);
    `key` holds what the aggregate adds to `qs` (the day, the horizon)."""
    from egenkontroll.pages import snapshot

    if qs.query.is_empty():
        return count()
    snap = snapshot.current(qs.db)
    sql, params = qs.query.sql_with_params()
    kept = snap.frame("worklist-counts", (sql, repr(params), *key, snap.marks_version()), lambda: pl.DataFrame([count()]))
    return kept.row(0, named=True)


def case_timeline(case: Case, today: dt.date) -> tuple[Person | None, list[dict], list[dict]]:
    """The person (gender, birth year/month), events and obligations of one case: three queries."""
    person = Person.objects.filter(person_key=case.person_id).first() if case.person_id else None
    events = list(
        Event.objects.filter(case_id=case.case_id)
        .order_by("date", "event_id")
        .values(
            "event_id", "event_type", "date", "outcome", "intervention", "legal_basis", "until", "ref", "kind", "source",
            "unit_id", "caseworker_id", unit_name=F("unit__name"), caseworker_name=F("caseworker__name"),
        )
    )
    obligations = list(
        Obligation.objects.filter(case_id=case.case_id)
        .with_current_status(today)
        .order_by("due_date", "rule", "trigger_date")
        .values(
            "rule", "trigger_event_id", "trigger_date", "due_date", "fulfilled_date", "current_status", "extended",
            "days_late", "unit_id", "caseworker_id", unit_name=F("unit__name"), caseworker_name=F("caseworker__name"),
        )
    )
    return person, events, obligations


def case_marks(case_id: str) -> list[ObligationMarkEvent]:
    """Every step of every mark on the case's obligations, oldest first, with its mark (one query)."""
    return list(ObligationMarkEvent.objects.filter(mark__case_id=case_id).select_related("mark").order_by("at", "id"))


def age_on(person: Person | None, day: dt.date) -> int | None:
    """Whole years on `day` from the stored birth year and month (the day is not stored)."""
    if person is None or person.birth_year is None:
        return None
    months = (day.year - person.birth_year) * 12 + (day.month - (person.birth_month or 1))
    return months // 12


def visible_cases(scope, case_ids: list[str]) -> set[str]:
    """The case ids among `case_ids` the user may open (person-level scope), in a few queries."""
    if scope.sees_every_case:
        return set(case_ids)
    seen: set[str] = set()
    unique = sorted(set(case_ids))
    for i in range(0, len(unique), VISIBLE_CHUNK):
        chunk = unique[i : i + VISIBLE_CHUNK]
        seen |= set(scope.cases(Case.objects.filter(case_id__in=chunk)).values_list("case_id", flat=True))
    return seen
