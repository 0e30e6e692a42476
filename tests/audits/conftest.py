"""Fixtures for the audit pages: the access tests' city with closed investigations to sample.

    district A1 (level avdelning): C1–C4 and D1–D4 in groups G1/G2 — eight closed investigations
    district A2: C5, C6 and D5 in group G3 — three

Every closed investigation is dated in 2024 (the template barnavardsutredning samples
"utredning_avslutad" in the period). Odd numbers are girls, even numbers boys.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from egenkontroll.cases.models import Case, Event, ImportRun, Person
from tests.access.cityfixture import CASES, build_city, make_users
from tests.webfixtures import fast_password_hasher, fresh_snapshot  # noqa: F401  (autouse fixtures)

EXTRA = [("D1", "G1"), ("D2", "G1"), ("D3", "G2"), ("D4", "G2"), ("D5", "G3")]
CLOSED = [*[(cid, unit) for cid, unit, _ in CASES], *EXTRA]
DISTRICT = {"G1": "A1", "G2": "A1", "G3": "A2"}
TEMPLATE = "barnavardsutredning"


def gender_of(case_id: str) -> str:
    return "F" if int(case_id[1:]) % 2 else "M"


@pytest.fixture
def users(db):
    build_city()
    run = ImportRun.objects.get()
    Person.objects.bulk_create(Person(person_key=f"P{cid}", birth_year=2014) for cid, _ in EXTRA)
    Case.objects.bulk_create(
        Case(case_id=cid, person_id=f"P{cid}", unit_id=unit, first_date=date(2024, 1, 1), last_date=date(2024, 3, 1),
             event_count=1)
        for cid, unit in EXTRA
    )
    Event.objects.bulk_create(
        Event(event_id=f"U{cid}", case_id=cid, person_id=f"P{cid}", gender=gender_of(cid),
              event_type="utredning_avslutad", date=date(2024, 3, 1 + i), unit_id=unit, outcome="insats",
              content_hash="x", import_run=run)
        for i, (cid, unit) in enumerate(CLOSED)
    )
    return make_users()


@pytest.fixture
def as_user(client, users):
    """as_user('inspektor') → the test client logged in as that user of the city."""

    def login(username: str):
        client.logout()
        client.force_login(users[username])
        return client

    return login


def new_audit(client, **fields):
    """POST the new-audit form (template barnavardsutredning, 2024, level avdelning) with `fields`."""
    data = {
        "template": TEMPLATE, "period_from": "2024-01-01", "period_to": "2024-12-31", "level": "avdelning",
        "per_district": "5", "seed": "42", **fields,
    }
    return client.post(reverse("audits:ny"), {k: v for k, v in data.items() if v is not None})
