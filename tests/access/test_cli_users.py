"""`egenkontroll users …` manages accounts and roles from the command line, each change in the access log."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from typer.testing import CliRunner

from egenkontroll.access.demo import create_demo_users
from egenkontroll.access.hashchain import verify
from egenkontroll.access.models import AccessLog, RoleAssignment
from egenkontroll.access.scoping import scope_for
from egenkontroll.cli import access_commands  # noqa: F401  (registers the commands)
from egenkontroll.cli.app import app
from tests.access.cityfixture import build_city

runner = CliRunner()


@pytest.fixture
def city(db, monkeypatch):
    monkeypatch.setenv("EGK_ACCESS_LOG_KEY", "test-chain-key-" + "q8Zr" * 12)
    build_city()


def run(*args, input=None):
    return runner.invoke(app, ["users", *args], input=input)


def test_add_grant_list_revoke(city):
    added = run("add", "kalle", "--password-stdin", input="Ett-bra-lösenord-2024\n")
    assert added.exit_code == 0, added.output
    assert get_user_model().objects.get(username="kalle").check_password("Ett-bra-lösenord-2024")
    assert run("grant", "kalle", "handlaggare", "--caseworker", "bo").exit_code == 0
    assert run("grant", "kalle", "enhetschef", "--unit", "E2").exit_code == 0
    listed = run("list")
    assert "kalle: enhetschef:E2, handlaggare:G1 (bo)" in listed.output
    scope = scope_for(get_user_model().objects.get(username="kalle"))
    assert (scope.caseworker_id, scope.person_unit_ids) == ("bo", frozenset({"E2"}))
    assert run("revoke", "kalle", "enhetschef").exit_code == 0
    assert list(RoleAssignment.objects.values_list("role", flat=True)) == ["handlaggare"]
    operator = f"kommandorad ({getpass.getuser()})"
    assert list(AccessLog.objects.order_by("seq").values_list("username", "detail")) == [
        (operator, "skapade användaren kalle"),
        (operator, "gav kalle rollen handlaggare för G1 (handläggare bo)"),
        (operator, "gav kalle rollen enhetschef för E2"),
        (operator, "tog bort rollen enhetschef för alla enheter från kalle"),
    ]
    assert verify().ok


@pytest.mark.parametrize("args,message", [
    (("grant", "nisse", "enhetschef"), "ingen användare heter 'nisse'"),
    (("grant", "olle", "chef"), "okänd roll 'chef'"),
    (("grant", "olle", "handlaggare"), "rollen handlaggare kräver --caseworker"),
    (("grant", "olle", "enhetschef", "--unit", "X9"), "ingen enhet har id 'X9'"),
    (("revoke", "olle", "namnd"), "olle har inte rollen namnd"),
])
def test_mistakes_exit_1_with_a_reason(city, args, message):
    get_user_model().objects.create_user("olle")
    result = run(*args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert not RoleAssignment.objects.exists()


def test_a_weak_password_is_refused(city):
    result = run("add", "svag", "--password-stdin", input="password\n")
    assert result.exit_code == 1
    assert "lösenordet duger inte" in result.stderr
    assert not get_user_model().objects.filter(username="svag").exists()


def test_demo_users_one_per_role_on_the_busiest_caseworker(city):
    demo = {role: (user, unit) for user, _, role, unit in create_demo_users("Demo-lösenord-2024")}
    assert demo == {
        "handlaggare": ("handlaggare", "G1"),  # anna has three cases
        "arbetsledare": ("arbetsledare", "G1"),
        "enhetschef": ("enhetschef", "E1"),
        "verksamhetscontroller": ("verksamhetscontroller", "A1"),
        "avdelningschef": ("avdelningschef", "A1"),
        "inspektor": ("inspektor", None),
        "namnd": ("namnd", None),
        "admin": ("admin", None),
    }
    assert RoleAssignment.objects.get(user__username="handlaggare").caseworker_id == "anna"
    again = create_demo_users()
    assert len(again) == 8 and RoleAssignment.objects.count() == 8
    user, password, _, _ = again[0]
    assert get_user_model().objects.get(username=user).check_password(password)


@pytest.mark.parametrize("args", [
    ("add", "kalle", "--no-password"),
    ("grant", "olle", "namnd"),
    ("revoke", "olle", "namnd"),
    ("deactivate", "olle"),
    ("demo", "--password", "Demo-lösenord-2024"),
])
def test_commands_that_write_the_log_refuse_the_development_key(city, monkeypatch, args):
    monkeypatch.delenv("EGK_ACCESS_LOG_KEY")
    monkeypatch.delenv("EGK_SECRET_KEY", raising=False)
    olle = get_user_model().objects.create_user("olle")
    RoleAssignment.objects.create(user=olle, role="namnd")
    result = run(*args)
    assert result.exit_code == 1
    assert "EGK_SECRET_KEY (eller EGK_ACCESS_LOG_KEY) är inte satt" in result.stderr
    assert not AccessLog.objects.exists()
    assert sorted(get_user_model().objects.values_list("username", flat=True)) == ["olle"]
    assert get_user_model().objects.get(username="olle").is_active
    assert RoleAssignment.objects.count() == 1


def test_users_demo_logs_every_account_it_creates_or_resets(city):
    first = run("demo", "--password", "Demo-lösenord-2024")
    assert first.exit_code == 0, first.output
    details = list(AccessLog.objects.order_by("seq").values_list("action", "detail"))
    assert len(details) == 8 and {action for action, _ in details} == {"admin"}
    assert ("admin", "skapade demoanvändaren handlaggare: nytt lösenord, rollen handlaggare för G1 (handläggare anna)") \
        in details
    assert ("admin", "skapade demoanvändaren namnd: nytt lösenord, rollen namnd för hela staden") in details
    assert run("demo").exit_code == 0
    again = list(AccessLog.objects.filter(seq__gt=8).values_list("detail", flat=True))
    assert len(again) == 8 and all(d.startswith("återställde demoanvändaren ") for d in again)
    assert verify().ok


def test_serve_refuses_the_development_key(tmp_path):
    """The web server writes the access log on every look at a case: not with the public key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EGK_", "DATABASE_URL", "DJANGO_"))}
    env["EGK_DATA_DIR"] = str(tmp_path)
    command = str(Path(sys.executable).parent / "egenkontroll")
    database = f"sqlite:///{tmp_path / 'egk.sqlite3'}"
    migrated = subprocess.run([command, "migrate", "--db", database], capture_output=True, text=True, env=env,
                              timeout=300)
    assert migrated.returncode == 0, migrated.stderr
    served = subprocess.run([command, "serve", "--db", database, "--no-warm-up"], capture_output=True, text=True,
                            env=env, timeout=300)
    assert served.returncode == 1
    assert "offentliga utvecklingsnyckeln" in " ".join(served.stderr.split())


def test_the_wsgi_application_refuses_the_development_key():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EGK_", "DATABASE_URL", "DJANGO_"))}
    load = [sys.executable, "-c", "import egenkontroll.web.wsgi"]
    refused = subprocess.run(load, capture_output=True, text=True, env=env, timeout=120)
    assert refused.returncode == 1
    assert "offentliga utvecklingsnyckeln" in refused.stderr
    started = subprocess.run(load, capture_output=True, text=True, timeout=120,
                             env={**env, "EGK_SECRET_KEY": "k3y-" + "x7Qp2LmZ9vR4tW8yB1nC6dF0gH5jK3sA" * 2})
    assert started.returncode == 0, started.stderr
