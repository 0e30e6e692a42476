"""The figures a nämnd compares (issue 16) on the pages: per 1,000 children, exact inside, masked for the nämnd."""

from __future__ import annotations

import pytest

from egenkontroll.cases.models import Population

pytestmark = pytest.mark.django_db
MARCH = "fran=2026-03-01&till=2026-03-10"


@pytest.fixture
def children(municipality):
    """2,000 children 0–17 live in Norra förvaltningen (2025; 2026 is not published on 2026-03-10)."""
    Population.objects.create(unit_id="F", year=2025, age_from=0, age_to=17, count=2000)
    Population.objects.create(unit_id="F", year=2025, age_from=18, age_to=18, count=90)


def test_per_1000_children_for_the_inspector(login, children):
    # the whole year: C1, C2, C3, C4 and C5 were reported, all 0–17 → 5 per 2,000 = 2.5
    response = login("inspektor").get("/nyckeltal/aktualiseringar_per_1000/?enhet=F")
    assert response.status_code == 200
    assert response.context["value"].startswith("2,5")
    # March: only C4 → 0.5
    response = login("inspektor").get(f"/nyckeltal/aktualiseringar_per_1000/?enhet=F&{MARCH}")
    assert response.context["value"].startswith("0,5")


def test_per_1000_resting_on_few_reports_is_masked_for_the_committee(login, children):
    response = login("namnd").get(f"/nyckeltal/aktualiseringar_per_1000/?enhet=F&{MARCH}")
    assert response.status_code == 200
    assert response.context["value"] == "<5"


def test_the_overview_shows_the_new_figures_and_the_population_is_no_list(login, children):
    response = login("inspektor").get("/oversikt/?enhet=F")
    assert response.status_code == 200
    assert "Aktualiseringar per 1 000 barn 0–17 år" in response.content.decode()
    # the denominator is a population, not cases: Underlag lists the numerator
    response = login("inspektor").get("/oversikt/underlag/?nyckeltal=aktualiseringar_per_1000&del=namnare&enhet=F")
    assert response.status_code == 200
    assert response.context["part"] == "num"
