"""Saved, named scenarios of Planering: a name, the unit and the scenario's query string.

Why it exists: a planner who has worked out "2015 again, +6 caseworkers from week 8" wants it
back next month on fresh data, and the nämnd wants the same scenario in the next report. Only
the form's own fields are kept (validated again by the form whenever the scenario is opened):
no person, no free text beyond the name the planner gives.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

NAME_MAX = 80
QUERY_MAX = 1000


class SavedScenario(models.Model):
    name = models.CharField("namn", max_length=NAME_MAX)
    unit_id = models.CharField("enhet", max_length=64)
    query = models.CharField("scenario", max_length=QUERY_MAX)  # the page's query string, urlencoded
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit_id", "name"], name="planning_scenario_unique_name")]
        ordering = ["unit_id", "name"]

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.name}"
