"""The case data the web pages, reports and audits read: what `core` computed, stored.

Every table mirrors a column contract in `core/schema.py`, with string ids as the case
system gives them. Foreign keys point at those string ids (`to_field`) without database
constraints: an import writes whole tables in bulk inside one transaction, and a row naming
an id that arrives in a later export must not stop it. The ORM can still join over them.

No personnummer is stored anywhere: persons are known by their keyed pseudonym
(`person_key`) and their birth year and month only.

A missing value is NULL in every column, as in the polars frames the import writes in bulk
(an empty string never stands for "none"), hence `null=True` on text fields.
"""
# ruff: noqa: DJ001

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import Q

from egenkontroll.core.schema import GENDERS, LEVELS

ID = 128
NAME = 200
TOKEN = 32

# The flattened organisation tree (core.orgtree): the ancestor, or the unit itself, at each
# named level of schema.LEVELS; null where the tree skips that level.
LEVEL_FIELDS = tuple(f"{level}_id" for level in LEVELS)

# Open obligations are stored as `open`; whether one is `pending` or `overdue` depends on the
# day it is looked at (`due_date < today`), so it is decided at query time.
STORED_STATUSES = ("fulfilled_on_time", "fulfilled_late", "open", "void")


def level_field(level: str) -> str:
    """The flattened column holding the ancestor id at `level` ('avdelning' -> 'avdelning_id')."""
    return LEVEL_FIELDS[LEVELS.index(level)]


def _ref(model: str, to_field: str, column: str, related_name: str = "+", **kw) -> models.ForeignKey:
    return models.ForeignKey(
        model,
        to_field=to_field,
        db_column=column,
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name=related_name,
        null=True,
        blank=True,
        **kw,
    )


class OrgUnit(models.Model):
    """A node of the organisation tree, carrying the ids of all its ancestors by level."""

    unit_id = models.CharField(max_length=ID, unique=True)
    parent = _ref("self", "unit_id", "parent_id", related_name="children")
    name = models.TextField()
    level = models.CharField(max_length=16, choices=[(v, v) for v in LEVELS])
    depth = models.SmallIntegerField(default=0)
    stad_id = models.CharField(max_length=ID, null=True, blank=True, db_index=True)
    forvaltning_id = models.CharField(max_length=ID, null=True, blank=True, db_index=True)
    avdelning_id = models.CharField(max_length=ID, null=True, blank=True, db_index=True)
    enhet_id = models.CharField(max_length=ID, null=True, blank=True, db_index=True)
    grupp_id = models.CharField(max_length=ID, null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "organisatorisk enhet"
        verbose_name_plural = "organisatoriska enheter"

    def __str__(self) -> str:
        return self.name


class Caseworker(models.Model):
    """A handläggare in a group, with the dates of employment there."""

    caseworker_id = models.CharField(max_length=ID, unique=True)
    name = models.TextField()
    unit = _ref("OrgUnit", "unit_id", "unit_id")
    title = models.TextField(null=True, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    # tillsvidare | visstid | konsult (schema.EMPLOYMENT_FORMS); optional in caseworkers.csv (issue 16)
    employment = models.CharField(max_length=TOKEN, null=True, blank=True)

    class Meta:
        verbose_name = "handläggare"
        verbose_name_plural = "handläggare"

    def __str__(self) -> str:
        return self.name


class CaseworkerPeriod(models.Model):
    """Every row of caseworkers.csv: one per caseworker, unit and period (issue 16).

    `Caseworker` holds one row per caseworker (their current one) for names and scopes; staff
    turnover needs every period, a move between groups included, as `--data` sees them.
    """

    caseworker_id = models.CharField(max_length=ID, db_index=True)
    unit = _ref("OrgUnit", "unit_id", "unit_id")
    title = models.TextField(null=True, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    employment = models.CharField(max_length=TOKEN, null=True, blank=True)

    class Meta:
        verbose_name = "handläggarperiod"
        verbose_name_plural = "handläggarperioder"

    def __str__(self) -> str:
        return f"{self.caseworker_id} {self.unit_id} {self.start_date}–{self.end_date or ''}"


class Staffing(models.Model):
    """Posts (tjänster) of a unit from start_date to end_date: the optional staffing.csv (issue 16).

    Replaced as a whole by every import that brings the file, so it always says what the last
    such export said; the vacancy and caseload-per-post key figures read it.
    """

    unit = _ref("OrgUnit", "unit_id", "unit_id")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    posts = models.IntegerField()

    class Meta:
        verbose_name = "bemanning"
        verbose_name_plural = "bemanning"

    def __str__(self) -> str:
        return f"{self.unit_id} {self.start_date}: {self.posts}"


class Person(models.Model):
    """A child, known only by the keyed pseudonym of the identity number."""

    person_key = models.CharField(max_length=ID, unique=True)
    gender = models.CharField(max_length=1, choices=[(g, g) for g in GENDERS], null=True, blank=True)
    birth_year = models.SmallIntegerField(null=True, blank=True)
    birth_month = models.SmallIntegerField(null=True, blank=True)
    unaccompanied = models.BooleanField(default=False)

    class Meta:
        verbose_name = "person"
        verbose_name_plural = "personer"

    def __str__(self) -> str:
        return self.person_key[:12]


class Case(models.Model):
    """An ärende, summarised from its events at every import that touched it."""

    case_id = models.CharField(max_length=ID, unique=True)
    person = _ref("Person", "person_key", "person_key")
    unit = _ref("OrgUnit", "unit_id", "unit_id")
    caseworker = _ref("Caseworker", "caseworker_id", "caseworker_id")
    first_date = models.DateField()
    last_date = models.DateField()
    closed_date = models.DateField(null=True, blank=True)
    event_count = models.IntegerField()

    class Meta:
        verbose_name = "ärende"
        verbose_name_plural = "ärenden"

    def __str__(self) -> str:
        return self.case_id


class Event(models.Model):
    """One interchange v1 event row, with the hash of its content for idempotent re-imports."""

    event_id = models.CharField(max_length=ID)  # unique: see Meta (no LIKE index on PostgreSQL)
    # Few indexes on purpose: every one slows the nightly bulk write. Pages reach events
    # through their case; key figures read whole tables.
    case = _ref("Case", "case_id", "case_id", db_index=False)
    person = _ref("Person", "person_key", "person_key", db_index=False)
    gender = models.CharField(max_length=1, null=True, blank=True)
    event_type = models.CharField(max_length=TOKEN)
    date = models.DateField()
    unit = _ref("OrgUnit", "unit_id", "unit_id", db_index=False)
    caseworker = _ref("Caseworker", "caseworker_id", "caseworker_id", db_index=False)
    ref = models.CharField(max_length=ID, null=True, blank=True)
    outcome = models.CharField(max_length=TOKEN, null=True, blank=True)
    intervention = models.CharField(max_length=TOKEN, null=True, blank=True)
    legal_basis = models.CharField(max_length=TOKEN, null=True, blank=True)
    until = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=TOKEN, null=True, blank=True)
    unaccompanied = models.BooleanField(null=True, blank=True)
    # anmalan rows: anmalan | ansokan | information (how the committee learned of the child)
    kind = models.CharField(max_length=TOKEN, null=True, blank=True)
    # insats_start rows: egen | kopt (egen regi or bought), null when the export does not say
    regi = models.CharField(max_length=TOKEN, null=True, blank=True)
    row = models.BigIntegerField(null=True, blank=True)
    content_hash = models.CharField(max_length=64)
    import_run = models.ForeignKey(
        "ImportRun", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )

    class Meta:
        verbose_name = "händelse"
        verbose_name_plural = "händelser"
        constraints = [models.UniqueConstraint(fields=["event_id"], name="event_unique_event_id")]
        indexes = [
            models.Index(fields=["case", "event_type", "date"], name="event_case_type_date"),
            models.Index(fields=["event_type", "date"], name="event_type_date"),
            models.Index(fields=["ref"], name="event_ref"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.event_type} {self.date}"


class ObligationQuerySet(models.QuerySet):
    """Work-list filters: pending and overdue are decided against `today`, never stored."""

    def open(self):
        return self.filter(status="open")

    def overdue(self, today: date):
        return self.filter(status="open", due_date__lt=today)

    def pending(self, today: date):
        return self.filter(status="open", due_date__gte=today)

    def with_current_status(self, today: date):
        """Annotate `current_status`: the schema.STATUSES value on `today`."""
        return self.annotate(
            current_status=models.Case(
                models.When(status="open", due_date__lt=today, then=models.Value("overdue")),
                models.When(status="open", then=models.Value("pending")),
                default=models.F("status"),
                output_field=models.CharField(),
            )
        )


class Obligation(models.Model):
    """What a rule demands of a case, materialised at import so work lists are index scans."""

    case = _ref("Case", "case_id", "case_id", db_index=False)
    rule = models.CharField(max_length=64)
    trigger_event_id = models.CharField(max_length=ID)
    trigger_date = models.DateField()
    due_date = models.DateField()
    fulfilled_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=24, choices=[(s, s) for s in STORED_STATUSES])
    days_late = models.IntegerField(null=True, blank=True)
    extended = models.BooleanField(default=False)
    unit = _ref("OrgUnit", "unit_id", "unit_id", db_index=False)
    caseworker = _ref("Caseworker", "caseworker_id", "caseworker_id", db_index=False)
    fulfilled_event_id = models.CharField(max_length=ID, null=True, blank=True)
    person = _ref("Person", "person_key", "person_key", db_index=False)

    objects = ObligationQuerySet.as_manager()

    class Meta:
        verbose_name = "skyldighet"
        verbose_name_plural = "skyldigheter"
        indexes = [
            models.Index(fields=["case"], name="oblig_case"),
            models.Index(fields=["status", "due_date"], name="oblig_status_due"),
            models.Index(fields=["unit", "due_date"], name="oblig_unit_due"),
            models.Index(fields=["caseworker", "due_date"], name="oblig_caseworker_due"),
            models.Index(
                fields=["unit", "due_date"], name="oblig_open_unit_due", condition=Q(status="open")
            ),
            models.Index(
                fields=["caseworker", "due_date"],
                name="oblig_open_caseworker_due",
                condition=Q(status="open"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.case_id} {self.due_date}"


class ImportRun(models.Model):
    """One run of `egenkontroll import`: who, when, which files, and what came of them."""

    STATUSES = (("ok", "ok"), ("rejects", "med avvisade rader"), ("failed", "misslyckades"))

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    user = models.CharField(max_length=NAME)
    host = models.CharField(max_length=NAME)
    source = models.TextField()
    files = models.JSONField(default=dict)
    profile = models.TextField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=STATUSES)
    message = models.TextField(blank=True, default="")
    rows_read = models.IntegerField(default=0)
    imported = models.IntegerField(default=0)
    updated = models.IntegerField(default=0)
    unchanged = models.IntegerField(default=0)
    rejected = models.IntegerField(default=0)
    link_rejected = models.IntegerField(default=0)
    retired = models.IntegerField(default=0)  # rows of gallrade cases, skipped (docs/retention.md)
    affected_cases = models.IntegerField(default=0)
    obligations = models.IntegerField(default=0)
    checks = models.JSONField(default=dict)
    warnings = models.JSONField(default=list)
    encodings = models.JSONField(default=dict)
    # What the run changed, so the pages' cache can keep what it did not touch (pages/snapshot.py):
    # figures on an as_of before `changed_from` are unchanged, and only the events of
    # `changed_cases` differ. Null: anything may have changed (a first import, org units,
    # caseworkers or persons changed, too many cases to list); nothing changed: 9999-12-31 and [].
    changed_from = models.DateField(null=True, blank=True)
    changed_cases = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = "import"
        verbose_name_plural = "importer"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.status}"


class RejectedRow(models.Model):
    """A row an import could not use, with its reason; identity values are masked."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="rejected_rows")
    stage = models.CharField(max_length=16)
    file = models.TextField(null=True, blank=True)
    row = models.BigIntegerField(null=True, blank=True)
    event_id = models.CharField(max_length=ID, null=True, blank=True)
    column = models.CharField(max_length=64, null=True, blank=True)
    value = models.TextField(null=True, blank=True)
    reason = models.TextField()

    class Meta:
        verbose_name = "avvisad rad"
        verbose_name_plural = "avvisade rader"

    def __str__(self) -> str:
        return f"{self.file}:{self.row} {self.reason}"


class EventRevision(models.Model):
    """The earlier version of an event that a later import replaced (append-only)."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="revisions")
    event_id = models.CharField(max_length=ID, db_index=True)
    previous_hash = models.CharField(max_length=64)
    new_hash = models.CharField(max_length=64)
    previous = models.JSONField()

    class Meta:
        verbose_name = "ändrad händelse"
        verbose_name_plural = "ändrade händelser"

    def __str__(self) -> str:
        return self.event_id


class MarkHistoryError(RuntimeError):
    """Raised when code tries to change or remove a row of a mark's history."""


class ObligationMark(models.Model):
    """Staff's mark on an obligation: registreringsfel or ej tillämplig (core/marks.py).

    One row per obligation identity (case_id, rule, trigger_event_id), which survives
    re-imports (obligation rows are rewritten, their ids are not stable). The row holds the
    current state; every change is also a row of `ObligationMarkEvent` (append-only), so the
    history of a mark — who marked, why, and when an import made it lapse — is never lost.
    `unit_id`/`caseworker_id` are the obligation's when it was marked, for scoping.
    """

    KINDS = (("registreringsfel", "Registreringsfel"), ("ej_tillamplig", "Ej tillämplig"))

    case_id = models.CharField(max_length=ID, db_index=True)
    rule = models.CharField(max_length=64)
    trigger_event_id = models.CharField(max_length=ID)
    trigger_date = models.DateField()
    due_date = models.DateField()
    kind = models.CharField(max_length=24, choices=KINDS)
    reason = models.TextField()
    active = models.BooleanField(default=True)
    unit_id = models.CharField(max_length=ID, null=True, blank=True, db_index=True)
    caseworker_id = models.CharField(max_length=ID, null=True, blank=True)
    marked_by_user_id = models.BigIntegerField(null=True, blank=True)
    marked_by = models.CharField(max_length=150)
    marked_role = models.CharField(max_length=32)
    marked_at = models.DateTimeField()
    lapsed_at = models.DateTimeField(null=True, blank=True)
    lapse_reason = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = "markerad skyldighet"
        verbose_name_plural = "markerade skyldigheter"
        constraints = [
            models.UniqueConstraint(fields=["case_id", "rule", "trigger_event_id"], name="mark_unique_obligation"),
        ]
        indexes = [models.Index(fields=["active", "case_id"], name="mark_active_case")]

    def __str__(self) -> str:
        return f"{self.kind} {self.case_id} {self.rule}"


class ObligationMarkEvent(models.Model):
    """One step in a mark's history (append-only): marked, or lapsed after an import."""

    ACTIONS = (("markerad", "Markerad"), ("upphavd", "Upphävd efter import"))

    mark = models.ForeignKey(ObligationMark, on_delete=models.PROTECT, related_name="history")
    action = models.CharField(max_length=16, choices=ACTIONS)
    kind = models.CharField(max_length=24)
    reason = models.TextField(blank=True, default="")
    trigger_date = models.DateField()
    due_date = models.DateField()
    at = models.DateTimeField()
    user_id = models.BigIntegerField(null=True, blank=True)
    username = models.CharField(max_length=150, blank=True, default="")
    role = models.CharField(max_length=32, blank=True, default="")
    import_run_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = "händelse för markering"
        verbose_name_plural = "händelser för markeringar"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.mark_id} {self.action} {self.at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise MarkHistoryError("en markerings historik kan inte ändras")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise MarkHistoryError("en markerings historik kan inte raderas")


class Population(models.Model):
    """How many people live in an area on 31 December of a year, by age (band) and gender: schema.POPULATION.

    The denominator of the figures per 1,000 children (issue 16), from the optional
    population.csv (docs/interchange.md). An import that carries the table replaces the rows of
    each area and year it gives; one without it leaves the stored population as it is.
    """

    unit_id = models.CharField(max_length=ID)
    year = models.SmallIntegerField()
    age_from = models.SmallIntegerField()
    age_to = models.SmallIntegerField()
    gender = models.CharField(max_length=1, null=True, blank=True, choices=[(g, g) for g in GENDERS])
    count = models.IntegerField()
    run_id = models.IntegerField(null=True, blank=True)  # the import run that wrote the row

    class Meta:
        verbose_name = "befolkning"
        verbose_name_plural = "befolkning"
        indexes = [models.Index(fields=["unit_id", "year"], name="cases_population_unit_year")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.year} {self.age_from}–{self.age_to}: {self.count}"
