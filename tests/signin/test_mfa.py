"""The second factor of local accounts: required for roles reaching person-level data (and
administrators), TOTP enrolment and sign-in, single-use hashed recovery codes, no bypass through
the set-up pages, the administrator's reset (logged), self-service password change."""

from __future__ import annotations

import base64
import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from egenkontroll.access.models import AccessLog, RoleAssignment
from egenkontroll.signin.models import RecoveryCode, RecoveryCodeDevice

PASSWORD = "ett-langt-testlosenord-2026"  # noqa: S105


@pytest.fixture
def mfa_on(settings):
    settings.EGK_MFA_REQUIRED = True
    return settings


@pytest.fixture
def users(db):
    made = {}
    for name, role, unit in [("chef", "enhetschef", "E1"), ("namnd", "namnd", None), ("admin", "admin", None)]:
        made[name] = get_user_model().objects.create_user(name, password=PASSWORD)
        RoleAssignment.objects.create(user=made[name], role=role, unit_id=unit)
    return made


def password_login(username: str) -> Client:
    client = Client()
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:400]
    return client


def code(device: TOTPDevice, offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset
    return f"{totp.token():06d}"


def enrol(client: Client) -> tuple[TOTPDevice, list[str]]:
    page = client.get("/mfa/totp/")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert re.search(r'<img src="data:image/svg\+xml[^"]+" alt="QR-kod', page.content.decode())
    secret = re.search(r'id="totp-nyckel">([A-Z2-7 ]+)<', page.content.decode()).group(1).replace(" ", "")
    device = TOTPDevice.objects.get(confirmed=False)
    assert base64.b32decode(secret) == device.bin_key
    shown = client.post("/mfa/totp/", {"kod": code(device)})
    assert shown.status_code == 200 and shown["Cache-Control"] == "no-store"
    codes = re.findall(r"<code>([A-Z0-9]{5}-[A-Z0-9]{5})</code>", shown.content.decode())
    device.refresh_from_db()
    return device, codes


def test_person_level_and_admin_need_the_second_factor_the_namnd_does_not(mfa_on, users):
    chef = password_login("chef")
    response = chef.get("/sok/")
    assert response.status_code == 302 and response["Location"] == "/mfa/?next=%2Fsok%2F"
    assert chef.get("/mfa/?next=/sok/")["Location"].startswith("/mfa/totp/")  # no factor yet: set one up
    assert password_login("admin").get("/admin-anvandare/").status_code == 302
    assert password_login("namnd").get("/sok/").status_code == 403  # no redirect: just not allowed


def test_single_sign_on_sessions_are_not_asked_again(mfa_on, users):
    mfa_on.AUTHENTICATION_BACKENDS = ["egenkontroll.signin.oidc.MunicipalOIDCBackend", *mfa_on.AUTHENTICATION_BACKENDS]
    client = Client()
    client.force_login(users["chef"], backend="egenkontroll.signin.oidc.MunicipalOIDCBackend")
    assert client.get("/sok/").status_code == 200


def test_totp_enrolment_then_sign_in_with_a_code(mfa_on, users):
    chef = password_login("chef")
    device, codes = enrol(chef)
    assert device.confirmed and len(codes) == 10
    assert chef.get("/sok/").status_code == 200

    later = password_login("chef")
    assert later.get("/sok/").status_code == 302
    wrong = later.post("/mfa/", {"kod": "000000", "next": "/sok/"})
    assert "Koden stämmer inte" in wrong.content.decode()
    device.refresh_from_db()
    device.throttling_failure_count = 0  # the wrong code above started django-otp's back-off
    device.save()
    ok = later.post("/mfa/", {"kod": code(device, offset=30), "next": "/sok/"})
    assert ok.status_code == 302 and ok["Location"] == "/sok/"
    assert later.get("/sok/").status_code == 200


def test_a_totp_code_works_once(mfa_on, users):
    device, _ = enrol(password_login("chef"))
    used = code(device)  # the code enrolment used
    again = password_login("chef").post("/mfa/", {"kod": used, "next": "/sok/"})
    assert again.status_code == 200 and "Koden stämmer inte" in again.content.decode()


def test_recovery_codes_are_hashed_and_work_once(mfa_on, users):
    _, codes = enrol(password_login("chef"))
    stored = set(RecoveryCode.objects.values_list("code_hash", flat=True))
    assert len(stored) == 10 and not {c.replace("-", "") for c in codes} & stored
    first = password_login("chef")
    response = first.post("/mfa/", {"kod": codes[0].lower(), "next": "/sok/"}, follow=True)
    assert response.redirect_chain[-1][0] == "/sok/" and "9 koder återstår" in response.content.decode()
    again = password_login("chef").post("/mfa/", {"kod": codes[0], "next": "/sok/"})
    assert again.status_code == 200 and "Koden stämmer inte" in again.content.decode()


def test_no_new_factor_without_the_old_one(mfa_on, users):
    """A stolen password alone cannot add the thief's own app or passkey."""
    enrol(password_login("chef"))
    thief = password_login("chef")
    assert thief.get("/mfa/totp/").status_code == 403
    assert thief.post("/mfa/passkey/registrera/alternativ/").status_code == 403
    assert thief.post("/mfa/reservkoder/").status_code == 403
    assert thief.get("/mfa/konto/")["Location"].startswith("/mfa/?next=")


def test_new_recovery_codes_replace_the_old(mfa_on, users):
    chef = password_login("chef")
    _, old = enrol(chef)
    new = re.findall(r"<code>([A-Z0-9-]{11})</code>", chef.post("/mfa/reservkoder/").content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert RecoveryCode.objects.count() == 10
    assert password_login("chef").post("/mfa/", {"kod": old[1]}).status_code == 200  # refused


def test_the_admin_reset_removes_every_factor_and_is_logged(users):
    enrol(password_login("chef"))
    assert TOTPDevice.objects.filter(user=users["chef"]).exists()
    url = f"/admin-anvandare/{users['chef'].pk}/andra-faktor/nollstall/"
    other = Client()
    other.force_login(users["namnd"])
    assert other.post(url).status_code == 403
    admin = Client()
    admin.force_login(users["admin"])
    assert admin.post(url).status_code == 302
    assert not TOTPDevice.objects.filter(user=users["chef"]).exists()
    assert not RecoveryCodeDevice.objects.filter(user=users["chef"]).exists()
    row = AccessLog.objects.filter(action="admin").latest("seq")
    assert (row.username, row.detail) == ("admin", "nollställde andra faktorn för chef (2 enheter)")


def test_password_change_in_swedish(users):
    client = Client()
    client.force_login(users["chef"])
    page = client.get("/konto/losenord/").content.decode()
    assert "Byt lösenord" in page and "Gammalt lösenord" in page
    bad = client.post("/konto/losenord/", {"old_password": "fel", "new_password1": "x", "new_password2": "x"})
    assert "Ditt gamla lösenord" in bad.content.decode()
    new = "ett-annat-langt-losenord-99"
    ok = client.post("/konto/losenord/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert ok.status_code == 302 and client.get("/mfa/konto/").status_code == 200  # still signed in
    users["chef"].refresh_from_db()
    assert users["chef"].check_password(new)


def test_an_sso_account_has_no_password_to_change(db):
    user = get_user_model().objects.create_user("sara.sso")
    user.set_unusable_password()
    user.save()
    client = Client()
    client.force_login(user)
    assert client.get("/konto/losenord/").status_code == 404
