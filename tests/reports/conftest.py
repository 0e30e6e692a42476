"""The page tests' municipality (tests/overview/municipality.py) with a second förvaltning, and one user per role.

    S Teststad
    ├── F  Norra förvaltningen   (all the cases; January 2026: four figures miss their target)
    └── F2 Södra förvaltningen   (no cases)
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from egenkontroll.access.models import RoleAssignment
from egenkontroll.cases.importer import run_import
from egenkontroll.pages import periods
from tests.cases.factory import write_dataset
from tests.overview import municipality as M
from tests.webfixtures import fast_password_hasher, fresh_snapshot  # noqa: F401  (autouse fixtures)

KEY = "test-pseudonym-key-0123456789abcdef"
PASSWORD = "Testlösen-för-rapporten-2026"  # noqa: S105
JANUARY = dt.date(2026, 1, 1)
# What January 2026 misses in F: C2's förhandsbedömning was decided on 01-30, due 01-26; C3's
# investigation took 104 days (10-08 – 01-20), within the law's four months but over the
# median target of 90 days (issue 16: not the legal maximum).
JANUARY_TARGET_MISSES = ["fb_inom_14d_andel", "fb_inom_10ad_andel", "fb_dagar_median", "utr_dagar_median"]
JANUARY_TARGET_MISS_TITLES = [
    "Förhandsbedömningar inom 14 dagar", "Förhandsbedömningar inom 10 arbetsdagar",
    "Dagar från anmälan till förhandsbedömning (median)", "Utredningstid i dagar (median)",
]

ORG_UNITS = [*M.ORG_UNITS, ("F2", "S", "Södra förvaltningen", "forvaltning"), ("E2", "F2", "Barn syd", "enhet")]

# username -> (role, unit_id, caseworker_id)
USERS = {
    "anna": ("handlaggare", "G1", "anna"),
    "ledare": ("arbetsledare", "G1", None),
    "chef": ("enhetschef", "E", None),
    "controller": ("verksamhetscontroller", "F", None),
    "avdchef": ("avdelningschef", "F", None),
    "controller_syd": ("verksamhetscontroller", "F2", None),
    "inspektor": ("inspektor", None, None),
    "namnd": ("namnd", None, None),
    "admin": ("admin", None, None),
}


@pytest.fixture(autouse=True)
def fixed_day(monkeypatch):
    monkeypatch.setattr(periods, "today", lambda: M.TODAY)
    return M.TODAY


@pytest.fixture
def city_events() -> list[dict]:
    """The events imported (a test module overrides this fixture to add some)."""
    return M.events()


@pytest.fixture
def city_caseworkers() -> list[tuple]:
    return M.CASEWORKERS


@pytest.fixture
def municipality(db, tmp_path, monkeypatch, city_events, city_caseworkers):
    monkeypatch.setenv("EGK_PSEUDONYM_KEY", KEY)
    monkeypatch.delenv("EGK_PSEUDONYM_KEY_FILE", raising=False)
    path = write_dataset(tmp_path / "data", city_events, org_units=ORG_UNITS, caseworkers=city_caseworkers)
    summary = run_import(path)
    assert summary.rejected == 0
    users = {}
    for username, (role, unit_id, caseworker_id) in USERS.items():
        user = get_user_model().objects.create_user(username, password=PASSWORD)
        RoleAssignment.objects.create(user=user, role=role, unit_id=unit_id, caseworker_id=caseworker_id)
        users[username] = user
    return users


@pytest.fixture
def login(client, municipality):
    """login('chef') → the test client logged in as that user."""

    def as_user(username: str):
        client.logout()
        client.force_login(municipality[username])
        return client

    return as_user
