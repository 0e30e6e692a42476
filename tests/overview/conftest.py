"""Fixtures for the page tests: the hand-computed municipality imported, users per role, a fixed day."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from egenkontroll.access.models import RoleAssignment
from egenkontroll.cases.importer import run_import
from egenkontroll.pages import periods
from tests.cases.factory import write_dataset
from tests.overview import municipality as M
from tests.webfixtures import fast_password_hasher, fresh_snapshot  # noqa: F401  (autouse fixtures)

KEY = "test-pseudonym-key-0123456789abcdef"
PASSWORD = "Testlösen-för-sidorna-2026"  # noqa: S105

# username -> (role, unit_id, caseworker_id)
USERS = {
    "anna": ("handlaggare", "G1", "anna"),
    "bo": ("handlaggare", "G2", "bo"),
    "ledare": ("arbetsledare", "G1", None),
    "chef": ("enhetschef", "E", None),
    "inspektor": ("inspektor", None, None),
    "namnd": ("namnd", None, None),
    "admin": ("admin", None, None),
}


@pytest.fixture(autouse=True)
def fixed_day(monkeypatch):
    monkeypatch.setattr(periods, "today", lambda: M.TODAY)
    return M.TODAY


@pytest.fixture
def municipality(db, tmp_path, monkeypatch):
    """The municipality of municipality.py imported into the test database, with one user per role."""
    monkeypatch.setenv("EGK_PSEUDONYM_KEY", KEY)
    monkeypatch.delenv("EGK_PSEUDONYM_KEY_FILE", raising=False)
    path = write_dataset(tmp_path / "data", M.events(), org_units=M.ORG_UNITS, caseworkers=M.CASEWORKERS)
    summary = run_import(path)
    assert summary.rejected == 0
    users = get_user_model()
    for username, (role, unit_id, caseworker_id) in USERS.items():
        user = users.objects.create_user(username, password=PASSWORD)
        RoleAssignment.objects.create(user=user, role=role, unit_id=unit_id, caseworker_id=caseworker_id)
    return summary


@pytest.fixture
def login(client, municipality):
    """login('chef') → the test client logged in as that user."""

    def as_user(username: str):
        client.logout()
        assert client.login(username=username, password=PASSWORD)
        return client

    return as_user
