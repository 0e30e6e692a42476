"""Single sign-on says who the user is, never what they may see: new users get no role."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from egenkontroll.access.models import RoleAssignment
from egenkontroll.access.scoping import scope_for


@pytest.fixture
def backend(settings):
    settings.OIDC_OP_TOKEN_ENDPOINT = "https://idp.example/token"
    settings.OIDC_OP_USER_ENDPOINT = "https://idp.example/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = "https://idp.example/jwks"
    settings.OIDC_RP_CLIENT_ID = "egenkontroll"
    settings.OIDC_RP_CLIENT_SECRET = "hemligt"
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    settings.OIDC_USERNAME_CLAIM = "preferred_username"
    from egenkontroll.signin.oidc import MunicipalOIDCBackend

    return MunicipalOIDCBackend()


def test_a_new_sso_user_has_no_role_and_no_password(db, backend):
    claims = {"preferred_username": "anna.a", "email": "anna@kommun.example"}
    assert backend.verify_claims(claims)
    user = backend.create_user(claims)
    assert (user.username, user.email, user.has_usable_password()) == ("anna.a", "anna@kommun.example", False)
    assert not RoleAssignment.objects.exists()
    assert scope_for(user).person_level is False and scope_for(user).has_figures is False


def test_users_are_matched_on_the_username_claim_not_on_email(db, backend):
    get_user_model().objects.create_user("bo.b", email="delad@kommun.example")
    get_user_model().objects.create_user("cilla.c", email="delad@kommun.example")
    found = backend.filter_users_by_claims({"preferred_username": "bo.b", "email": "delad@kommun.example"})
    assert [u.username for u in found] == ["bo.b"]
    assert not backend.verify_claims({"email": "delad@kommun.example"})


def test_a_local_account_with_a_password_is_never_signed_into_by_the_provider(db, backend):
    get_user_model().objects.create_user("it-admin", password="ett-langt-eget-losenord")
    assert not backend.verify_claims({"preferred_username": "it-admin"})
    assert backend.verify_claims({"preferred_username": "ny.person"})
