"""`egenkontroll users token-add | token-list | token-revoke`: keys printed once, stored hashed, logged."""

from __future__ import annotations

import pytest
from django.test import Client
from typer.testing import CliRunner

from egenkontroll.access.models import AccessLog
from egenkontroll.api.models import ApiToken, digest
from egenkontroll.cli import api_commands  # noqa: F401  (registers the commands)
from egenkontroll.cli.app import app
from tests.access.cityfixture import build_city, make_users

runner = CliRunner()
pytestmark = pytest.mark.django_db


def run(*args):
    return runner.invoke(app, ["users", *args])


def test_a_key_is_shown_once_stored_hashed_listed_and_revoked(db):
    build_city()
    make_users()
    made = run("token-add", "namnd", "--name", "Power BI nämnd", "--days", "30")
    assert made.exit_code == 0, made.output
    token = made.output.strip()
    row = ApiToken.objects.get()
    assert token.startswith("egk_") and row.token_hash == digest(token) and token not in row.token_hash
    assert Client().get("/api/v1/enheter", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert "namnd: Power BI nämnd" in run("token-list").output
    again = run("token-add", "namnd", "--name", "Power BI nämnd")
    assert again.exit_code == 1
    assert run("token-add", "namnd", "--name", "x", "--days", "5000").exit_code == 1
    assert run("token-revoke", "namnd", "--name", "Power BI nämnd").exit_code == 0
    assert Client().get("/api/v1/enheter", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    details = list(AccessLog.objects.order_by("seq").values_list("detail", flat=True))
    assert any("skapade API-nyckeln 'Power BI nämnd'" in d for d in details)
    assert any("återkallade API-nyckeln 'Power BI nämnd'" in d for d in details)
    assert not any(token in d for d in details)
