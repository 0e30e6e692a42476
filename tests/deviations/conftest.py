"""Fixtures for the deviation pages: the access tests' city and its users, logged in by role."""

from __future__ import annotations

import datetime as dt

import pytest

from egenkontroll.core.deviation_rules import load_rules
from egenkontroll.deviations.workflow import create_deviation
from tests.access.cityfixture import build_city, make_users
from tests.webfixtures import fast_password_hasher, fresh_snapshot  # noqa: F401  (autouse fixtures)

TODAY = dt.date(2026, 6, 26)


@pytest.fixture
def today(monkeypatch):
    """The pages' today: Friday 26 June 2026, the week after midsommar."""
    monkeypatch.setattr("egenkontroll.pages.periods.today", lambda: TODAY)
    return TODAY


@pytest.fixture
def users(db, today):
    build_city()
    return make_users()


@pytest.fixture
def rules():
    return load_rules()


@pytest.fixture
def as_user(client, users):
    """as_user('chef') → the test client logged in as that user of the city."""

    def login(username: str):
        client.logout()
        client.force_login(users[username])
        return client

    return login


def report(rules, user, unit_id: str = "G1", category: str = "avvikelse_handlaggning",
           reported_on: dt.date = dt.date(2026, 6, 18), **fields):
    """A deviation stored through the workflow, as the new-report form stores it."""
    values = {"title": "Beslut skickades inte", "description": "Ett beslut blev liggande i tre veckor.",
              "occurred_on": None, "severity": "medel", **fields}
    return create_deviation(rules, user, category=category, unit_id=unit_id, reported_on=reported_on, **values)
