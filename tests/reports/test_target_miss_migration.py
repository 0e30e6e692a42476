"""The rename of deviations to target misses keeps every fastställd report readable, unchanged but for the key."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from egenkontroll.reports.models import FINAL, MonthlyReport, TargetMissAnalysis

BEFORE = [("reports", "0002_deviationanalysis_author_role")]
MISS = {"kpi": "fb_forsenade", "title": "Försenade förhandsbedömningar", "value": 3, "recurring": True, "trend": []}


@pytest.mark.django_db(transaction=True)
def test_the_migration_renames_the_list_of_a_frozen_report_and_keeps_its_analyses():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    report_model = apps.get_model("reports", "MonthlyReport")
    frozen = {"version": 2, "month": "2024-01-01", "figures": [], "deviations": [MISS], "analyses": {}}
    final = report_model.objects.create(month=date(2024, 1, 1), unit_id="F", status=FINAL, frozen=frozen,
                                        finalized_at="2024-02-05T10:00:00Z")
    draft = report_model.objects.create(month=date(2024, 2, 1), unit_id="F")
    apps.get_model("reports", "DeviationAnalysis").objects.create(report=draft, kpi_id="fb_forsenade", cause="Sjuk.")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    after = MonthlyReport.objects.get(pk=final.pk).frozen
    assert after == {"version": 2, "month": "2024-01-01", "figures": [], "target_misses": [MISS], "analyses": {}}
    assert list(TargetMissAnalysis.objects.values_list("report_id", "kpi_id", "cause")) == [
        (draft.pk, "fb_forsenade", "Sjuk."),
    ]
