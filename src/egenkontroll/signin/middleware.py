"""Second factor required: a local sign-in whose roles reach person-level data (or administer
users) must pass TOTP, a passkey or a recovery code before any other page opens.

Single sign-on sessions (OIDC, SAML) are exempt: the municipality's identity provider is
where their second factor is required (docs/security.md#mfa). Switched off only with
EGK_MFA_REQUIRED=0 (a demo on localhost, never with real data).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.shortcuts import redirect
from django.urls import reverse

from egenkontroll.access.scoping import request_scope

SSO_BACKENDS = frozenset({"egenkontroll.signin.oidc.MunicipalOIDCBackend", "egenkontroll.signin.saml.MunicipalSaml2Backend"})
# Pages a signed-in user reaches before the second factor: the factor pages, logging out, static files.
OPEN_PREFIXES = ("/mfa/", "/logout/", "/static/", "/halsa/")


def is_sso_session(request) -> bool:
    return request.session.get(BACKEND_SESSION_KEY) in SSO_BACKENDS


def needs_second_factor(request) -> bool:
    user = request.user
    if not getattr(settings, "EGK_MFA_REQUIRED", True) or not user.is_authenticated or is_sso_session(request):
        return False
    if user.is_verified():
        return False
    scope = request_scope(request)
    return scope.person_level or scope.is_admin


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(OPEN_PREFIXES) and needs_second_factor(request):
            return redirect(f"{reverse('signin:mfa')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
