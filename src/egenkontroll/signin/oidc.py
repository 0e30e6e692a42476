"""Single sign-on with the municipality's OpenID Connect provider (mozilla-django-oidc, made strict).

Switched on by EGK_OIDC_CLIENT_ID (docs/security.md#openid-connect). The authorization code
flow always sends PKCE (S256), state and nonce. mozilla-django-oidc checks the ID token's
signature against the provider's JWKS and the nonce, but not its audience or issuer; this
backend does: the token must be signed with the configured algorithm by a key of the JWKS, name
this client in `aud` (and as `azp` when there are several audiences), come from the configured
issuer, and carry `exp` and `iat` that are not past (60 s leeway for clock skew).

The provider says who the user is, never what they may see: a first sign-in creates an account
with no role and no password; role mapping from groups is optional (`signin.roles`). Users are
matched on the username claim, not on e-mail, which can be shared or reassigned; an account
that has a password of its own is never signed into by the provider.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import jwt
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from egenkontroll.signin.roles import sync_roles

LEEWAY_SECONDS = 60
BACKEND_PATH = "egenkontroll.signin.oidc.MunicipalOIDCBackend"


def validate_id_token(token: str, key, *, algorithm: str, client_id: str, issuer: str) -> dict:
    """The claims of a signed ID token, or SuspiciousOperation saying which check failed."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        raise SuspiciousOperation("ID-token: ogiltigt format") from exc
    if header.get("alg") != algorithm:
        raise SuspiciousOperation(f"ID-token: algoritmen {header.get('alg')!r} är inte {algorithm}")
    try:
        claims = jwt.decode(
            token, key, algorithms=[algorithm], audience=client_id, issuer=issuer or None, leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "aud", "sub"], "verify_iss": bool(issuer)},
        )
    except jwt.ExpiredSignatureError as exc:
        raise SuspiciousOperation("ID-token: giltighetstiden har gått ut") from exc
    except jwt.InvalidAudienceError as exc:
        raise SuspiciousOperation("ID-token: utfärdad för en annan mottagare (aud)") from exc
    except jwt.InvalidIssuerError as exc:
        raise SuspiciousOperation("ID-token: fel utfärdare (iss)") from exc
    except jwt.InvalidSignatureError as exc:
        raise SuspiciousOperation("ID-token: signaturen stämmer inte") from exc
    except jwt.InvalidTokenError as exc:
        raise SuspiciousOperation(f"ID-token: {exc}") from exc
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise SuspiciousOperation("ID-token: flera mottagare men azp är inte denna klient")
    return claims


def merge_claims(id_token_claims: dict, userinfo: dict) -> dict:
    """The verified ID token's claims, completed by the userinfo response (OIDC Core 5.3.2: its
    `sub` must be the token's). Entra ID's userinfo lacks `preferred_username` and `groups`,
    which its ID token carries; other providers put them in userinfo."""
    if str(userinfo.get("sub", "")) != str(id_token_claims.get("sub", "")):
        raise SuspiciousOperation("userinfo: sub är inte ID-tokenets")
    return {**id_token_claims, **userinfo}


def is_local_account(user_model, username: str) -> bool:
    """An account with a password of its own (such as the first administrator) is never taken
    over by single sign-on, even when the provider names a user the same."""
    user = user_model.objects.filter(username=username).only("password").first()
    return user is not None and user.has_usable_password()


class MunicipalOIDCBackend(OIDCAuthenticationBackend):
    def _verify_jws(self, payload, key):
        return validate_id_token(
            payload, key, algorithm=self.OIDC_RP_SIGN_ALGO, client_id=self.OIDC_RP_CLIENT_ID,
            issuer=getattr(settings, "OIDC_OP_ISSUER", ""),
        )

    def get_payload_data(self, token, key):
        # Never accept unsigned tokens, whatever OIDC_ALLOW_UNSECURED_JWT says.
        return self._verify_jws(token, key)

    def get_userinfo(self, access_token, id_token, payload):
        return merge_claims(payload, super().get_userinfo(access_token, id_token, payload))

    def _claimed_username(self, claims) -> str:
        return str(claims.get(getattr(settings, "OIDC_USERNAME_CLAIM", "preferred_username")) or "")[:150]

    def verify_claims(self, claims) -> bool:
        username = self._claimed_username(claims)
        return bool(username) and not is_local_account(self.UserModel, username)

    def filter_users_by_claims(self, claims):
        username = self._claimed_username(claims)
        if not username:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(username=username, is_active=True)

    def get_username(self, claims) -> str:
        return self._claimed_username(claims)

    def create_user(self, claims):
        user = self.UserModel.objects.create_user(self._claimed_username(claims), email=claims.get("email", ""))
        user.set_unusable_password()
        user.save(update_fields=["password"])
        sync_roles(getattr(self, "request", None), user, claims.get(settings.OIDC_GROUPS_CLAIM), "oidc")
        return user

    def update_user(self, user, claims):
        email = claims.get("email", "")
        if email and email != user.email:
            user.email = email
            user.save(update_fields=["email"])
        sync_roles(getattr(self, "request", None), user, claims.get(settings.OIDC_GROUPS_CLAIM), "oidc")
        return user


def sso_logout_origin() -> str:
    """scheme://host[:port] of the provider's end_session_endpoint, when OIDC sign-in is on."""
    endpoint = getattr(settings, "OIDC_OP_END_SESSION_ENDPOINT", "") if getattr(settings, "OIDC_ENABLED", False) else ""
    parts = urlsplit(endpoint)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def provider_logout_url(request) -> str:
    """RP-initiated logout: the provider's end_session_endpoint with the ID token as hint."""
    endpoint = getattr(settings, "OIDC_OP_END_SESSION_ENDPOINT", "")
    if not endpoint:
        return settings.LOGIN_URL
    params = {
        "client_id": settings.OIDC_RP_CLIENT_ID,
        "post_logout_redirect_uri": request.build_absolute_uri(settings.LOGIN_URL),
    }
    id_token = request.session.get("oidc_id_token")
    if id_token:
        params["id_token_hint"] = id_token
    return f"{endpoint}?{urlencode(params)}"
