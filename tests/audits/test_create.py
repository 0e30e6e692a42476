"""Starting an audit: the sample is drawn per district, stored, and reproducible from its seed."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from egenkontroll.audits.models import Audit, AuditCase
from egenkontroll.cases.models import Case, Event, ImportRun
from egenkontroll.cases.store import load_events, load_org_units
from egenkontroll.core.audits import draw_sample, eligible_cases, load_templates
from tests.audits.conftest import DISTRICT, new_audit

pytestmark = pytest.mark.django_db


def stored(audit: Audit) -> list[tuple[str, int, str]]:
    return list(AuditCase.objects.filter(audit=audit).order_by("district_id", "position").values_list(
        "district_id", "position", "case_id"))


def expected_sample(seed: int, per_district: int, districts=None) -> list[tuple[str, int, str]]:
    population = load_templates()["barnavardsutredning"].population
    eligible = eligible_cases(load_events(), population, date(2024, 1, 1), date(2024, 12, 31))
    sample = draw_sample(eligible, load_org_units(), "avdelning", per_district, seed, districts)
    return list(sample.select("district_id", "position", "case_id").iter_rows())


def test_creating_an_audit_draws_the_sample_per_district_and_stores_it(as_user):
    response = new_audit(as_user("inspektor"))
    audit = Audit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("audits:detalj", kwargs={"audit_id": audit.pk})
    rows = stored(audit)
    per_district = {d: sum(1 for r in rows if r[0] == d) for d in ("A1", "A2")}
    # A1 has eight closed investigations (five drawn), A2 three (all drawn).
    assert per_district == {"A1": 5, "A2": 3}
    assert all(DISTRICT[AuditCase.objects.get(audit=audit, case_id=c).unit_id] == d for d, _, c in rows)
    assert [p for d, p, _ in rows if d == "A1"] == [1, 2, 3, 4, 5]
    assert rows == expected_sample(42, 5)
    assert (audit.seed, audit.level, audit.per_district, audit.district_ids) == (42, "avdelning", 5, ["A1", "A2"])
    assert audit.created_by.username == "inspektor"


def test_the_same_seed_draws_the_same_sample_and_another_seed_may_not(as_user):
    client = as_user("inspektor")
    new_audit(client, seed="42")
    new_audit(client, seed="42")
    first, second = Audit.objects.order_by("id")
    assert stored(first) == stored(second)
    # Another seed draws another five of A1's eight (the hash order of 7 differs from 42's).
    assert expected_sample(7, 5) != stored(first)


def test_without_a_seed_a_random_one_is_stored_and_reproduces_the_sample(as_user):
    new_audit(as_user("inspektor"), seed="")
    audit = Audit.objects.get()
    assert audit.seed is not None
    assert stored(audit) == expected_sample(audit.seed, 5)


def test_chosen_districts_limit_the_sample(as_user):
    new_audit(as_user("inspektor"), districts="A2")
    audit = Audit.objects.get()
    assert audit.district_ids == ["A2"]
    assert {d for d, _, _ in stored(audit)} == {"A2"}


def test_no_eligible_cases_saves_nothing_and_says_so(as_user):
    client = as_user("inspektor")
    response = new_audit(client, period_from="2020-01-01", period_to="2020-12-31")
    assert response.status_code == 302
    assert not Audit.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "Ingen granskning skapades" in page


def test_a_controller_cannot_audit_a_district_outside_their_department(as_user):
    client = as_user("controller")  # verksamhetscontroller of A1
    response = new_audit(client, districts="A2")
    assert response.status_code == 400
    assert not Audit.objects.exists()
    # Without a choice: every district of the level in reach — only A1.
    new_audit(client)
    audit = Audit.objects.get()
    assert audit.district_ids == ["A1"]
    assert {d for d, _, _ in stored(audit)} == {"A1"}


def test_only_auditors_may_start_an_audit_and_only_by_post(as_user):
    assert new_audit(as_user("chef")).status_code == 403
    assert new_audit(as_user("namnd")).status_code == 403
    assert as_user("inspektor").get(reverse("audits:ny")).status_code == 405
    assert not Audit.objects.exists()
    # The list offers the form to auditors only.
    assert "Ny granskning" in as_user("controller").get(reverse("audits:lista")).content.decode()
    assert "Ny granskning" not in as_user("ledare").get(reverse("audits:lista")).content.decode()


@pytest.mark.parametrize("per_district", ["0", "201"])
def test_per_district_is_between_1_and_200(as_user, per_district):
    assert new_audit(as_user("inspektor"), per_district=per_district).status_code == 400
    assert not Audit.objects.exists()


def test_a_controller_reaching_the_district_draws_the_inspectors_sample(as_user):
    """D1 was in G1 (A1) at the end of 2024 and has moved to G3 (A2) since: it is A1's case for 2024."""
    run = ImportRun.objects.get()
    Event.objects.create(event_id="UD1-flytt", case_id="D1", person_id="PD1", event_type="anmalan",
                         date=date(2025, 2, 1), unit_id="G3", content_hash="x", import_run=run)
    Case.objects.filter(case_id="D1").update(unit_id="G3")
    new_audit(as_user("inspektor"), districts="A1", per_district="10", seed="42")
    new_audit(as_user("controller"), districts="A1", per_district="10", seed="42")  # verksamhetscontroller of A1
    inspectors, controllers = Audit.objects.order_by("id")
    assert "D1" in {c for _, _, c in stored(inspectors)}
    assert stored(controllers) == stored(inspectors) == expected_sample(42, 10, ["A1"])
