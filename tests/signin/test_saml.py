"""SAML 2.0 against a real pysaml2 IdP on 127.0.0.1: a good login signs in; an unsigned
assertion, a replayed response and an assertion for another service provider are refused."""

from __future__ import annotations

import re
import subprocess
from html import unescape

import pytest
import requests
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.test import Client

from egenkontroll.access.models import RoleAssignment
from tests.browser.conftest import browser  # noqa: F401  (Debian's Chromium through Playwright)

pytestmark = pytest.mark.django_db(transaction=True)


def idp_answer(client: Client, mode: str = "") -> dict:
    """Start a login at Egenkontroll, take the AuthnRequest to the IdP, return the form it posts back."""
    redirect = client.get("/saml2/login/?next=/mfa/konto/")
    assert redirect.status_code == 302, redirect.content[:300]
    location = redirect["Location"] + (f"&egk={mode}" if mode else "")
    page = requests.get(location, timeout=10)
    assert page.status_code == 200, page.text[:300]
    fields = dict(re.findall(r'name="(SAMLResponse|RelayState)" value="([^"]*)"', page.text))
    return {k: unescape(v) for k, v in fields.items()}


def test_a_good_login_signs_in_without_password_and_no_role(saml_settings):
    client = Client()
    answer = idp_answer(client)
    response = client.post("/saml2/acs/", answer)
    assert response.status_code == 302 and response["Location"] == "/mfa/konto/"
    user = get_user_model().objects.get(username="sara.saml")
    assert user.email == "sara.saml@kommun.example" and not user.has_usable_password()
    assert client.session[BACKEND_SESSION_KEY] == "egenkontroll.signin.saml.MunicipalSaml2Backend"
    assert not RoleAssignment.objects.filter(user=user).exists()
    assert client.get("/mfa/konto/").status_code == 200


def test_role_mapping_from_the_groups_attribute(saml_settings):
    saml_settings.EGK_SSO_ROLE_MAPPING = True
    saml_settings.EGK_SSO_GROUP_ROLES = "sg-egk-enhetschef-e1=enhetschef@E1"
    client = Client()
    client.post("/saml2/acs/", idp_answer(client))
    user = get_user_model().objects.get(username="sara.saml")
    assert list(RoleAssignment.objects.filter(user=user).values_list("role", "unit_id")) == [("enhetschef", "E1")]


def test_a_replayed_response_is_refused(saml_settings):
    client = Client()
    answer = idp_answer(client)
    assert client.post("/saml2/acs/", answer).status_code == 302
    client.logout()
    again = client.post("/saml2/acs/", answer)
    assert again.status_code == 403 and "Inloggningen misslyckades" in again.content.decode()
    assert "_auth_user_id" not in client.session
    # nor from another browser, which never asked for it
    elsewhere = Client()
    assert elsewhere.post("/saml2/acs/", answer).status_code == 403


@pytest.mark.parametrize("mode", ["unsigned", "other-audience"])
def test_unsigned_or_foreign_assertions_are_refused(saml_settings, mode):
    client = Client()
    response = client.post("/saml2/acs/", idp_answer(client, mode))
    assert response.status_code == 403 and "Inloggningen misslyckades" in response.content.decode()
    assert not get_user_model().objects.filter(username="sara.saml").exists()


def test_a_forged_post_without_a_response_is_a_bad_request(saml_settings):
    assert Client().post("/saml2/acs/", {"RelayState": "/"}).status_code == 400


def test_the_sp_metadata_is_published(saml_settings):
    response = Client().get("/saml2/metadata/")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'entityID="https://egenkontroll.kommun.example/saml2/metadata/"' in text
    assert 'WantAssertionsSigned="true"' in text and "/saml2/acs/" in text


@pytest.mark.browser
def test_sign_in_through_the_idp_in_the_browser(browser, live_server, saml_settings):  # noqa: F811
    # As behind TLS (EGK_HTTPS=1): the IdP (127.0.0.1) is another site than Egenkontroll
    # (localhost), so the SAML session cookie must be SameSite=None, which browsers take only
    # with Secure (Chromium accepts Secure cookies from http://localhost).
    saml_settings.SAML_SESSION_COOKIE_SAMESITE = "None"
    saml_settings.SESSION_COOKIE_SECURE = True
    context = browser.new_context(locale="sv-SE")
    tab = context.new_page()
    tab.goto(live_server.url + "/login/")
    tab.get_by_role("link", name="Logga in med kommunens inloggning (SAML)").click()
    tab.wait_for_url(live_server.url + "/**", wait_until="networkidle")
    for _ in range(20):  # the IdP's page posts its form back by itself
        if "/saml2/acs/" not in tab.url and tab.url.startswith(live_server.url) and "Inloggad som" in tab.content():
            break
        tab.wait_for_timeout(250)
    assert "Inloggad som sara.saml" in tab.inner_text("header")
    context.close()


def test_a_local_account_with_a_password_is_not_taken_over(saml_settings):
    get_user_model().objects.create_user("sara.saml", password="ett-eget-langt-losenord")
    client = Client()
    assert client.post("/saml2/acs/", idp_answer(client)).status_code == 403
    assert "_auth_user_id" not in client.session


def test_only_the_configured_idp_is_accepted(saml_settings, saml_idp):
    saml_settings.SAML_IDP_ENTITY_ID = "https://annan-idp.example/metadata"
    client = Client()
    client.get("/saml2/login/")  # the login goes to the configured (here unknown) IdP: nothing to use
    saml_settings.SAML_IDP_ENTITY_ID = ""
    answer = idp_answer(client)
    saml_settings.SAML_IDP_ENTITY_ID = "https://annan-idp.example/metadata"
    assert client.post("/saml2/acs/", answer).status_code == 403
    saml_settings.SAML_IDP_ENTITY_ID = f"{saml_idp.url}/metadata"
    client = Client()
    assert client.post("/saml2/acs/", idp_answer(client)).status_code == 302


def test_federation_metadata_needs_the_municipalitys_idp_named(saml_settings, saml_idp, tmp_path):
    """A federation's metadata (Sambi) names many IdPs: without EGK_SAML_IDP_ENTITY_ID no login starts."""
    ours = re.sub(r"^<\?xml[^>]*>", "", saml_idp.metadata_file.read_text("utf-8")).strip()
    theirs = ours.replace(f'entityID="{saml_idp.url}/metadata"', 'entityID="https://idp.annan-kommun.example/idp"')
    federation = tmp_path / "federation.xml"
    federation.write_text('<?xml version="1.0" encoding="utf-8"?><md:EntitiesDescriptor '
                          f'xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">{ours}{theirs}</md:EntitiesDescriptor>')
    saml_settings.SAML_IDP_METADATA_FILE = str(federation)
    assert Client().get("/saml2/login/").status_code == 503
    saml_settings.SAML_IDP_ENTITY_ID = f"{saml_idp.url}/metadata"
    client = Client()
    assert client.post("/saml2/acs/", idp_answer(client)).status_code == 302


def test_with_an_sp_key_requests_are_signed_and_the_metadata_carries_the_certificate(saml_settings, tmp_path):
    key_file, cert_file = tmp_path / "sp.key", tmp_path / "sp.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-sha256", "-days", "2", "-nodes",
                    "-subj", "/CN=egenkontroll.kommun.example", "-keyout", key_file, "-out", cert_file],
                   check=True, capture_output=True)
    saml_settings.SAML_SP_KEY_FILE, saml_settings.SAML_SP_CERT_FILE = str(key_file), str(cert_file)
    metadata = Client().get("/saml2/metadata/").content.decode()
    assert 'AuthnRequestsSigned="true"' in metadata and 'use="signing"' in metadata
    location = Client().get("/saml2/login/")["Location"]
    assert "Signature=" in location and "SigAlg=" in location
    client = Client()
    assert client.post("/saml2/acs/", idp_answer(client)).status_code == 302  # the IdP still answers
