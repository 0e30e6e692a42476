"""The second factor in Chromium: sign in with a password and a TOTP code computed from the
secret the page shows, register a passkey with Chromium's virtual authenticator (CDP
WebAuthn.addVirtualAuthenticator) and sign in with it; the pages run under the strict CSP."""

from __future__ import annotations

import base64
import re
import time

import pytest
from django.contrib.auth import get_user_model
from django_otp.oath import TOTP

from egenkontroll.access.models import RoleAssignment
from egenkontroll.signin.models import WebAuthnCredential
from tests.browser.conftest import axe_script, browser  # noqa: F401  (Chromium through Playwright; axe-core)
from tests.browser.test_pages import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "ett-langt-testlosenord-2026"  # noqa: S105


@pytest.fixture
def chef(settings, transactional_db):
    settings.EGK_MFA_REQUIRED = True
    user = get_user_model().objects.create_user("chef", password=PASSWORD)
    RoleAssignment.objects.create(user=user, role="enhetschef", unit_id="E1")
    return user


@pytest.fixture
def tab(browser, live_server):  # noqa: F811
    context = browser.new_context(locale="sv-SE")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()


def totp_code(secret: bytes, offset: int = 0) -> str:
    totp = TOTP(secret)
    totp.time = time.time() + offset
    return f"{totp.token():06d}"


def password_step(tab, base: str) -> None:
    tab.goto(base + "/login/?next=/sok/")
    tab.get_by_label("Användarnamn").fill("chef")
    tab.get_by_label("Lösenord").fill(PASSWORD)
    tab.get_by_role("button", name="Logga in").click()
    tab.wait_for_load_state("networkidle")


def log_out(tab) -> None:
    tab.get_by_role("button", name="Logga ut").click()
    tab.wait_for_load_state("networkidle")


def test_totp_then_passkey(tab, live_server, chef):
    base = live_server.url
    password_step(tab, base)
    assert "/mfa/totp/" in tab.url  # first time: set up the app
    secret = base64.b32decode(tab.locator("#totp-nyckel").inner_text().replace(" ", ""))
    tab.get_by_label("Kod från appen").fill(totp_code(secret))
    tab.get_by_role("button", name="Koppla appen").click()
    assert tab.get_by_role("heading", level=1).inner_text() == "Reservkoder"
    assert tab.locator("ul.reservkoder li").count() == 10
    log_out(tab)

    password_step(tab, base)
    assert "/mfa/" in tab.url and tab.get_by_role("heading", level=1).inner_text() == "Tvåstegsverifiering"
    tab.get_by_label("Kod från appen eller reservkod").fill(totp_code(secret, offset=30))
    tab.get_by_role("button", name="Fortsätt").click()
    tab.wait_for_load_state("networkidle")
    assert tab.url == base + "/sok/"

    # A passkey, on Chromium's virtual authenticator (a platform authenticator with user verification).
    cdp = tab.context.new_cdp_session(tab)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True}})
    tab.goto(base + "/mfa/konto/")
    tab.get_by_label("Namn på nyckeln").fill("Arbetsdatorn")
    tab.get_by_role("button", name="Lägg till passkey").click()
    tab.wait_for_load_state("networkidle")
    tab.get_by_text("Arbetsdatorn").wait_for()
    assert WebAuthnCredential.objects.filter(user=chef, name="Arbetsdatorn").count() == 1
    log_out(tab)

    password_step(tab, base)
    tab.get_by_role("button", name="Använd passkey").click()
    tab.wait_for_url(base + "/sok/")
    assert WebAuthnCredential.objects.get(user=chef).last_used_at is not None
    assert not [e for e in tab.errors if re.search(r"Content Security Policy|Refused", e)], tab.errors


def test_the_sign_in_pages_have_no_serious_accessibility_violations(browser, live_server, chef, axe_script):  # noqa: F811
    context = browser.new_context(locale="sv-SE", bypass_csp=True)  # axe is injected inline
    tab = context.new_page()
    found = {}

    def check(name):
        tab.wait_for_load_state("networkidle")
        violations = axe_violations(tab, axe_script)
        if violations:
            found[name] = violations

    password_step(tab, live_server.url)
    check("totp")
    secret = base64.b32decode(tab.locator("#totp-nyckel").inner_text().replace(" ", ""))
    tab.get_by_label("Kod från appen").fill(totp_code(secret))
    tab.get_by_role("button", name="Koppla appen").click()
    check("reservkoder")
    for path in ("/mfa/konto/", "/konto/losenord/"):
        tab.goto(live_server.url + path)
        check(path)
    log_out(tab)
    password_step(tab, live_server.url)
    check("mfa")
    context.close()
    assert not found, found
