"""OpenID Connect against a real, certified provider (oidc-provider on 127.0.0.1), in Chromium.

The browser signs in end to end — authorization code flow with PKCE (the provider requires it),
state and nonce, the ID token's RS256 signature checked against the provider's JWKS — and logs
out at the provider (RP-initiated logout). A token from another issuer is refused end to end.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth import get_user_model

from egenkontroll.access.models import AccessLog, RoleAssignment
from tests.browser.conftest import browser  # noqa: F401  (Debian's Chromium through Playwright)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tab(browser, live_server):  # noqa: F811
    context = browser.new_context(locale="sv-SE")
    page = context.new_page()
    page.requests = []
    page.on("request", lambda request: page.requests.append(request.url))
    yield page
    context.close()


def sign_in_at_provider(tab, live_server, oidc_provider, username="sara.sso"):
    tab.goto(live_server.url + "/login/")
    tab.get_by_role("link", name="Logga in med kommunens inloggning").click()
    tab.wait_for_url(oidc_provider.issuer + "/**")
    tab.locator("input[name=login]").fill(username)
    tab.locator("input[name=password]").fill("valfritt")
    tab.get_by_role("button", name="Sign-in").click()
    tab.wait_for_url(live_server.url + "/**")
    tab.wait_for_load_state("networkidle")


def test_sign_in_with_pkce_state_and_nonce_then_log_out_at_the_provider(tab, live_server, oidc_provider, oidc_settings):
    sign_in_at_provider(tab, live_server, oidc_provider)
    assert "Inloggad som sara.sso" in tab.inner_text("header")

    authorize = next(u for u in tab.requests if u.startswith(oidc_provider.issuer + "/auth?"))
    params = parse_qs(urlparse(authorize).query)
    assert params["response_type"] == ["code"] and params["code_challenge_method"] == ["S256"]
    assert len(params["code_challenge"][0]) >= 43 and len(params["state"][0]) >= 32 and len(params["nonce"][0]) >= 32
    assert "code_verifier" not in authorize  # the verifier goes only to the token endpoint, server to server

    user = get_user_model().objects.get(username="sara.sso")
    assert user.email == "sara@kommun.example" and not user.has_usable_password()
    assert not RoleAssignment.objects.filter(user=user).exists()  # role mapping is off by default

    tab.get_by_role("button", name="Logga ut").click()
    tab.wait_for_url(oidc_provider.issuer + "/session/end**")
    tab.get_by_role("button", name="Yes, sign me out").click()
    tab.wait_for_url(live_server.url + "/login/**")
    assert tab.get_by_role("heading", level=1).inner_text() == "Logga in"
    end_session = next(u for u in tab.requests if u.startswith(oidc_provider.issuer + "/session/end?"))
    assert "id_token_hint" in parse_qs(urlparse(end_session).query)

    # The provider's session ended too: signing in again asks for the login, not silently through.
    tab.get_by_role("link", name="Logga in med kommunens inloggning").click()
    tab.wait_for_url(oidc_provider.issuer + "/**")
    assert tab.locator("input[name=login]").is_visible()


def test_role_mapping_from_the_groups_claim(tab, live_server, oidc_provider, oidc_settings):
    oidc_settings.EGK_SSO_ROLE_MAPPING = True
    oidc_settings.EGK_SSO_GROUP_ROLES = "sg-egk-enhetschef-e1=enhetschef@E1; sg-egk-inspektor=inspektor"
    sign_in_at_provider(tab, live_server, oidc_provider)
    user = get_user_model().objects.get(username="sara.sso")
    assigned = list(RoleAssignment.objects.filter(user=user).values_list("role", "unit_id", "created_by"))
    assert assigned == [("enhetschef", "E1", "idp-grupp")]
    assert AccessLog.objects.filter(action="admin", detail__contains="rollmappning (oidc): gav enhetschef").exists()


def test_a_token_from_another_issuer_is_refused_end_to_end(tab, live_server, oidc_provider, oidc_settings):
    oidc_settings.OIDC_OP_ISSUER = "https://annan-idp.example"
    sign_in_at_provider(tab, live_server, oidc_provider)
    assert "/login/" in tab.url
    assert "misslyckades" in tab.get_by_role("alert").inner_text()
    assert not get_user_model().objects.filter(username="sara.sso").exists()
