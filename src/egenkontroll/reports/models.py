"""What a committee report stores: its month and unit, its status, the analyses, and once fastställd, a frozen copy.

A draft (`utkast`) is computed afresh from the stored figures every time it is shown, so a
nightly import that corrects a figure corrects the draft. When the report is fastställd, the
whole document — every figure, every target miss with its trend, every analysis, the targets
and titles in force — is written into `frozen` and from then on the report is read from there
only: what the nämnd was told never changes under its feet after a re-import or a new target
(the DHIS2 habit of locking approved data). Analysis text is masked for anything looking like
a personnummer before it is saved (`core.identity.mask`). The user accounts (`created_by`,
`finalized_by`, `author`) stay in these rows for accountability; the document the nämnd reads
names roles only ("verksamhetscontroller, Norra förvaltningen", `rights.role_title`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

ID = 128
DRAFT, FINAL = "utkast", "faststalld"
STATUS_LABELS = {DRAFT: "Utkast", FINAL: "Fastställd"}


class ReportFrozenError(RuntimeError):
    """Raised when code tries to change a fastställd report or its analyses."""


class MonthlyReport(models.Model):
    """The report of one month for one stadsdelsförvaltning or the whole city."""

    month = models.DateField(help_text="Månadens första dag.")
    unit_id = models.CharField(max_length=ID)
    status = models.CharField(max_length=16, choices=list(STATUS_LABELS.items()), default=DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    finalized_at = models.DateTimeField(null=True, blank=True)
    finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The whole document as it was fastställd (see document.py); null while a draft.
    frozen = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = "nämndrapport"
        verbose_name_plural = "nämndrapporter"
        ordering = ["-month", "unit_id"]
        constraints = [
            models.UniqueConstraint(fields=["month", "unit_id"], name="report_month_unit_unique"),
            models.CheckConstraint(
                condition=models.Q(status=DRAFT, frozen__isnull=True, finalized_at__isnull=True)
                | models.Q(status=FINAL, frozen__isnull=False, finalized_at__isnull=False),
                name="report_final_is_frozen",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m} {self.status}"

    @property
    def is_final(self) -> bool:
        return self.status == FINAL

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


class TargetMissAnalysis(models.Model):
    """The written analysis of one figure that misses its target: why it missed (orsak) and what is done (åtgärder)."""

    report = models.ForeignKey(MonthlyReport, on_delete=models.CASCADE, related_name="analyses")
    kpi_id = models.CharField(max_length=64)
    cause = models.TextField(blank=True, default="")
    actions = models.TextField(blank=True, default="")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    # The author's role and its unit when writing, as the report shows it (never the user name).
    author_role = models.CharField(max_length=300, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "avvikelseanalys"
        verbose_name_plural = "avvikelseanalyser"
        constraints = [models.UniqueConstraint(fields=["report", "kpi_id"], name="analysis_report_kpi_unique")]

    def __str__(self) -> str:
        return f"{self.report_id}:{self.kpi_id}"

    def save(self, *args, **kwargs):
        if MonthlyReport.objects.filter(pk=self.report_id, status=FINAL).exists():
            raise ReportFrozenError("rapporten är fastställd och kan inte ändras")
        super().save(*args, **kwargs)
