"""What an audit stores: how its sample was drawn, the sampled cases, the answers and the findings.

The sample is computed by `core.audits` and stored as rows (`AuditCase`), so the cases to
review do not change when a later import adds events; the template is stored as JSON
(`frozen_template`), so its questions do not change when the templates file does. The
parameters of the draw (template, period, level, per_district, seed, districts) are kept with
the audit, so the same sample can be drawn again from the same data to show how it was made. Free text (comments, findings) is
masked for anything looking like a personnummer before it is saved (see `views`).
"""
# ruff: noqa: DJ001

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from egenkontroll.core.audits import ANSWERS, DISTRICT_LEVELS, QUALITY_AREAS

ID = 128
LEVEL_LABELS = {"forvaltning": "Förvaltning", "avdelning": "Avdelning", "enhet": "Enhet"}
FINDING_STATUSES = {"oppen": "Öppen", "atgardad": "Åtgärdad"}
# Who answers for an action when no named user does: a role at the responsible unit.
OWNER_ROLES = {
    "enhetschef": "Enhetschef", "avdelningschef": "Avdelningschef", "verksamhetscontroller": "Verksamhetscontroller",
    "forvaltningschef": "Förvaltningschef", "kvalitetssamordnare": "Kvalitetssamordnare",
}
ANSWER_SOURCES = {"protokoll": "Protokoll", "import": "Importerad svarsfil"}


class Audit(models.Model):
    """One kvalitetsgranskning: a template applied to a stratified sample of cases of one period."""

    template_id = models.CharField(max_length=64)
    title = models.CharField(max_length=300)
    # The whole template as it was when the audit was created (frozen_template.template_json).
    template_snapshot = models.JSONField()
    period_from = models.DateField()
    period_to = models.DateField()
    level = models.CharField(max_length=16, choices=[(lvl, LEVEL_LABELS[lvl]) for lvl in DISTRICT_LEVELS])
    per_district = models.PositiveSmallIntegerField()
    seed = models.BigIntegerField()
    # The districts chosen when the sample was drawn (with the seed, enough to draw it again).
    district_ids = models.JSONField(default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "granskning"
        verbose_name_plural = "granskningar"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title} {self.period_from}–{self.period_to}"


class AuditCase(models.Model):
    """One sampled case, in the order to review it within its district; reviewed_by/at: the last save."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="cases")
    position = models.PositiveIntegerField()
    case_id = models.CharField(max_length=ID)
    district_id = models.CharField(max_length=ID)
    unit_id = models.CharField(max_length=ID, null=True, blank=True)
    gender = models.CharField(max_length=1, null=True, blank=True)
    qualifying_date = models.DateField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # Every question of the template has an answer (set when the protocol is saved).
    complete = models.BooleanField(default=False)

    class Meta:
        verbose_name = "granskat ärende"
        verbose_name_plural = "granskade ärenden"
        ordering = ["district_id", "position"]
        constraints = [models.UniqueConstraint(fields=["audit", "case_id"], name="audit_case_unique")]

    def __str__(self) -> str:
        return f"{self.audit_id}:{self.case_id}"


class AuditAnswer(models.Model):
    """The reviewer's answer to one question for one sampled case (no row = not answered yet)."""

    audit_case = models.ForeignKey(AuditCase, on_delete=models.CASCADE, related_name="answers")
    question_id = models.CharField(max_length=64)
    answer = models.CharField(max_length=16, choices=list(ANSWERS.items()))
    comment = models.TextField(blank=True, default="")
    # Where the answer came from: the protocol page, or a file of an audit done elsewhere.
    source = models.CharField(max_length=16, choices=list(ANSWER_SOURCES.items()), default="protokoll")

    class Meta:
        verbose_name = "svar"
        verbose_name_plural = "svar"
        constraints = [
            models.UniqueConstraint(fields=["audit_case", "question_id"], name="audit_answer_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.audit_case_id}:{self.question_id}={self.answer}"


class AuditFinding(models.Model):
    """A finding (brist) of the audit, the action decided, who is responsible and by when."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="findings")
    area = models.CharField(max_length=64, choices=list(QUALITY_AREAS.items()))
    district_id = models.CharField(max_length=ID, null=True, blank=True)
    text = models.TextField()
    action = models.TextField(blank=True, default="")
    responsible_unit_id = models.CharField(max_length=ID, null=True, blank=True)
    # The owner of the action: a named user, or else a role at the responsible unit.
    owner_role = models.CharField(max_length=32, choices=list(OWNER_ROLES.items()), blank=True, default="")
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The question the finding is about (a criterion id of the template): next year's audit is compared on it.
    question_id = models.CharField(max_length=64, blank=True, default="")
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=list(FINDING_STATUSES.items()), default="oppen")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "fynd"
        verbose_name_plural = "fynd"
        ordering = ["-status", "due_date", "id"]  # open first

    def __str__(self) -> str:
        return f"{self.audit_id}:{self.area}:{self.status}"
