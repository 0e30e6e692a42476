"""Committee reports in the access tests' city (tests/access/cityfixture.py), for the URL matrix.

The city has one förvaltning, F; every user with a unit works inside it. January 2024: six
anmälningar on 01-01 without a förhandsbedömning, so `fb_forsenade` misses its target of 0.
`other_district_final` adds a second förvaltning, F2 (no cases, no staff), with a fastställd
report: a district none of the users with a unit works in.
"""

from __future__ import annotations

from datetime import date

from egenkontroll.cases.models import OrgUnit
from egenkontroll.pages import snapshot
from egenkontroll.reports import document as docs
from egenkontroll.reports.models import MonthlyReport

JANUARY_2024 = date(2024, 1, 1)


def city_draft(users: dict) -> dict:
    """A draft for F, January 2024; returns `#report_id`."""
    report = MonthlyReport.objects.create(month=JANUARY_2024, unit_id="F", created_by=users["controller"])
    return {"report_id": report.pk}


def city_final(users: dict) -> dict:
    """The same report with an analysis of every target miss, fastställd by the controller."""
    report = MonthlyReport.objects.create(month=JANUARY_2024, unit_id="F", created_by=users["controller"])
    found = docs.build(report)["target_misses"]
    assert found, "the city fixture should miss at least one target in January 2024"
    for miss in found:
        docs.save_analysis(report, miss["kpi"], "Sjukfrånvaro.", "Inhyrd handläggare.", users["chef"])
    docs.finalize(report, users["controller"])
    return {"report_id": report.pk}


def other_district_final(users: dict) -> dict:
    """Förvaltning F2 beside F, and its January 2024 report fastställd (it has no target misses)."""
    OrgUnit.objects.create(unit_id="F2", parent_id="S", name="Enhet F2", level="forvaltning", depth=1, stad_id="S",
                           forvaltning_id="F2")
    snapshot.forget()  # the organisation changed without an import run
    report = MonthlyReport.objects.create(month=JANUARY_2024, unit_id="F2")
    docs.finalize(report, users["inspektor"])
    return {"report_id": report.pk}
