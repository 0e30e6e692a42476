"""What gallring leaves behind: a record of each run, the key figures it archived, and which cases it removed.

Why: after a case's events are removed, the months it belonged to would be counted anew
without it. The committee's history must not change under it, so the figures of every month
before the horizon are archived first (ArchivedFigure), and the pages show earlier months from
the archive only. RetiredCase keeps a keyed hash of each removed case id — never the id — so the
next full export does not bring the case back.
"""

from __future__ import annotations

from django.db import models


class RetentionRun(models.Model):
    """One `egenkontroll retention run` that removed data (dry runs are not stored)."""

    ran_at = models.DateTimeField()
    ran_by = models.CharField(max_length=150)
    today = models.DateField()
    cutoffs = models.JSONField(default=dict)  # kind → ISO date before which data was removed
    counts = models.JSONField(default=dict)  # kind → {what: rows}
    figures_horizon = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-ran_at"]

    def __str__(self) -> str:
        return f"gallring {self.today}"


class ArchivedFigure(models.Model):
    """A unit's key figure for one calendar month, computed before that month's cases were removed."""

    kpi = models.CharField(max_length=64)
    unit_id = models.CharField(max_length=64)
    month = models.DateField()  # the first day of the month
    numerator = models.FloatField(null=True)
    denominator = models.FloatField(null=True)
    value = models.FloatField(null=True)
    as_of = models.DateField()
    run = models.ForeignKey(RetentionRun, on_delete=models.PROTECT, related_name="figures")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kpi", "unit_id", "month"], name="archived_figure_once")]
        indexes = [models.Index(fields=["unit_id", "month"])]

    def __str__(self) -> str:
        return f"{self.kpi}:{self.unit_id}:{self.month:%Y-%m}"


class RetiredCase(models.Model):
    """A removed case, by keyed hash of its id (HMAC with the pseudonym key): import skips it."""

    case_hash = models.CharField(max_length=64, unique=True)
    closed_date = models.DateField()
    run = models.ForeignKey(RetentionRun, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return self.case_hash[:12]
