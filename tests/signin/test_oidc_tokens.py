"""The ID token checks, with tokens signed here by a test key: only a token for this client, from
the configured issuer, unexpired and signed by the provider's key with RS256 is accepted."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import SuspiciousOperation

from egenkontroll.signin.oidc import MunicipalOIDCBackend, validate_id_token

ISSUER = "https://idp.kommun.example"
CLIENT = "egenkontroll"
PROVIDER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def token(key=PROVIDER_KEY, alg="RS256", **changes) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": CLIENT, "sub": "u1", "iat": now, "exp": now + 300, "nonce": "n1", **changes}
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": "k1"})


def check(tok: str) -> dict:
    return validate_id_token(tok, PROVIDER_KEY.public_key(), algorithm="RS256", client_id=CLIENT, issuer=ISSUER)


def test_a_good_token_is_accepted():
    assert check(token())["sub"] == "u1"


@pytest.mark.parametrize(("tok", "reason"), [
    (lambda: token(aud="annan-tjanst"), "annan mottagare"),
    (lambda: token(exp=int(time.time()) - 120), "giltighetstiden"),
    (lambda: token(key=OTHER_KEY), "signaturen"),
    (lambda: token(iss="https://annan-idp.example"), "utfärdare"),
    (lambda: token(exp=None), "exp"),
    (lambda: token(aud=[CLIENT, "annan-tjanst"]), "azp"),
    (lambda: token(key="delad-hemlighet-som-angripare-kan-gissa-32b", alg="HS256"), "algoritmen"),
])
def test_a_bad_token_is_refused(tok, reason):
    with pytest.raises(SuspiciousOperation, match=reason):
        check(tok())


def test_an_unsigned_token_is_refused_even_when_the_library_would_allow_it(settings):
    settings.OIDC_ALLOW_UNSECURED_JWT = True
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_SIGN_ALGO, settings.OIDC_OP_ISSUER = CLIENT, "RS256", ISSUER
    settings.OIDC_OP_TOKEN_ENDPOINT = settings.OIDC_OP_USER_ENDPOINT = f"{ISSUER}/x"
    unsigned = jwt.encode({"iss": ISSUER, "aud": CLIENT, "sub": "u1"}, None, algorithm="none")
    with pytest.raises(SuspiciousOperation, match="algoritmen"):
        MunicipalOIDCBackend().get_payload_data(unsigned, PROVIDER_KEY.public_key())


def test_the_backend_checks_audience_where_the_library_does_not(settings):
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_SIGN_ALGO, settings.OIDC_OP_ISSUER = CLIENT, "RS256", ISSUER
    settings.OIDC_OP_TOKEN_ENDPOINT = settings.OIDC_OP_USER_ENDPOINT = f"{ISSUER}/x"
    settings.OIDC_RP_IDP_SIGN_KEY = PROVIDER_KEY.public_key()
    backend = MunicipalOIDCBackend()
    assert backend.verify_token(token(), nonce="n1")["sub"] == "u1"
    with pytest.raises(SuspiciousOperation, match="annan mottagare"):
        backend.verify_token(token(aud="annan-tjanst"), nonce="n1")
    with pytest.raises(SuspiciousOperation, match="Nonce"):
        backend.verify_token(token(nonce="ett-annat"), nonce="n1")


def test_userinfo_completes_the_id_token_only_for_the_same_subject():
    from egenkontroll.signin.oidc import merge_claims

    merged = merge_claims({"sub": "u1", "preferred_username": "anna", "groups": ["g"]}, {"sub": "u1", "email": "a@x"})
    assert merged == {"sub": "u1", "preferred_username": "anna", "groups": ["g"], "email": "a@x"}
    with pytest.raises(SuspiciousOperation, match="sub"):
        merge_claims({"sub": "u1"}, {"sub": "u2", "preferred_username": "admin"})


def test_a_callback_with_a_state_this_browser_never_sent_is_refused(db, client, settings):
    """Login CSRF: a code and state from someone else's sign-in do not sign this browser in."""
    settings.OIDC_ENABLED, settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = True, CLIENT, "s"
    settings.OIDC_OP_TOKEN_ENDPOINT = settings.OIDC_OP_USER_ENDPOINT = "http://127.0.0.1:9/unreachable"
    settings.AUTHENTICATION_BACKENDS = ["egenkontroll.signin.oidc.MunicipalOIDCBackend",
                                        *settings.AUTHENTICATION_BACKENDS]
    response = client.get("/oidc/callback/?code=stulen-kod&state=annans-state")
    assert response.status_code == 302 and response["Location"] == "/login/?sso=misslyckades"
    assert "_auth_user_id" not in client.session


def test_the_sso_endpoints_are_404_while_not_configured(db, client):
    for path in ("/oidc/authenticate/", "/oidc/callback/", "/saml2/login/", "/saml2/acs/", "/saml2/metadata/"):
        assert client.get(path).status_code == 404, path
