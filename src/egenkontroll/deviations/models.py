"""What the deviation register stores: the deviation, its improvement actions and its history.

No personal data about clients by design: a deviation names the unit where it happened, never
a case or a person. Title and description are free text, so anything looking like a personnummer
is masked (`core.identity.mask`) before it is saved, and the form warns not to write personal
data. Categories, statuses and severities are ids from the rules file (`core.deviation_rules`),
checked by the forms, not database choices, so a municipality's own file needs no migration.
The history (`DeviationEvent`) is append-only: rows are added, never changed or removed.
"""
# ruff: noqa: DJ001

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

ID = 128
# The bedömning of a lex Sarah report (SoL 2025:400 27 kap. 6 §): the two serious outcomes are
# both to be reported to IVO "snarast". "" = not yet judged.
NOT_SERIOUS = "ej_allvarligt"
SERIOUS = "allvarligt"
SERIOUS_RISK = "risk_allvarligt"
OUTCOMES = {
    NOT_SERIOUS: "Inte ett allvarligt missförhållande",
    SERIOUS: "Ett allvarligt missförhållande",
    SERIOUS_RISK: "En påtaglig risk för ett allvarligt missförhållande",
}
SERIOUS_OUTCOMES = frozenset({SERIOUS, SERIOUS_RISK})
ACTION_STATUSES = {"oppen": "Öppen", "klar": "Klar"}
EVENT_KINDS = {
    "rapport": "Rapporterad",
    "status": "Status ändrad",
    "utredning": "Utredning och bedömning sparad",
    "ivo": "Anmälan till IVO registrerad",
    "atgard": "Åtgärd tillagd",
    "atgard_klar": "Åtgärd klar",
    "atgard_oppen": "Åtgärd öppnad igen",
}


class Deviation(models.Model):
    """One avvikelse or lex Sarah report, numbered per year ("2026-0001") by the year it was reported."""

    year = models.PositiveSmallIntegerField()
    seq = models.PositiveIntegerField()
    category = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    description = models.TextField()
    unit_id = models.CharField(max_length=ID, db_index=True)
    occurred_on = models.DateField(null=True, blank=True)
    reported_on = models.DateField()
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=32, db_index=True)
    severity = models.CharField(max_length=32)
    investigation_summary = models.TextField(blank=True, default="")
    conclusion = models.TextField(blank=True, default="")
    # Allvarligt missförhållande (or påtaglig risk för ett): null = not yet judged. Kept in step
    # with `outcome`, which says which of the two serious outcomes it is.
    is_serious = models.BooleanField(null=True, blank=True)
    outcome = models.CharField(max_length=32, blank=True, default="")  # OUTCOMES key, "" = not judged
    # Who judged, by role (an access.models.ROLES id, never a username: the role is what the
    # delegation names), and on which day; the IVO time limit runs from that day.
    judged_on = models.DateField(null=True, blank=True)
    judged_by_role = models.CharField(max_length=32, blank=True, default="")
    ivo_reported_on = models.DateField(null=True, blank=True)
    ivo_reference = models.CharField(max_length=100, blank=True, default="")
    closed_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "avvikelse"
        verbose_name_plural = "avvikelser"
        ordering = ["-year", "-seq"]
        constraints = [models.UniqueConstraint(fields=["year", "seq"], name="deviation_number_unique")]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"{self.year}-{self.seq:04d}"

    @property
    def serious_judged_on(self):
        """The day the case was judged allvarligt (or a påtaglig risk for it); None otherwise."""
        return self.judged_on if self.outcome in SERIOUS_OUTCOMES else None


class DeviationAction(models.Model):
    """An improvement action decided for a deviation: what, which unit is responsible, by when."""

    deviation = models.ForeignKey(Deviation, on_delete=models.PROTECT, related_name="actions")
    text = models.TextField()
    responsible_unit_id = models.CharField(max_length=ID)
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=list(ACTION_STATUSES.items()), default="oppen")
    done_on = models.DateField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "åtgärd"
        verbose_name_plural = "åtgärder"
        ordering = ["-status", "due_date", "id"]  # open first

    def __str__(self) -> str:
        return f"{self.deviation_id}:{self.status}"


class HistoryChangeError(RuntimeError):
    """Raised when code tries to change or remove a row of a deviation's history."""


class HistoryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise HistoryChangeError("avvikelsens historik kan inte ändras")

    def delete(self):
        raise HistoryChangeError("avvikelsens historik kan inte raderas")


class DeviationEvent(models.Model):
    """One step in a deviation's history: who did what, when; a status change keeps old and new."""

    deviation = models.ForeignKey(Deviation, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=16, choices=list(EVENT_KINDS.items()))
    old_status = models.CharField(max_length=32, blank=True, default="")
    new_status = models.CharField(max_length=32, blank=True, default="")
    note = models.TextField(blank=True, default="")
    on = models.DateField()
    at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = HistoryQuerySet.as_manager()

    class Meta:
        verbose_name = "händelse"
        verbose_name_plural = "händelser"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["deviation", "kind", "new_status"], name="deviation_event_status")]

    def __str__(self) -> str:
        return f"{self.deviation_id}:{self.kind}:{self.new_status}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise HistoryChangeError("avvikelsens historik kan inte ändras")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise HistoryChangeError("avvikelsens historik kan inte raderas")
