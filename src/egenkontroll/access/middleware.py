"""Request-wide protection: nothing is public without a login, and a Content-Security-Policy header.

`LoginRequiredMiddleware` builds on Django's: every view needs a logged-in user unless it is
marked `django.contrib.auth.decorators.login_not_required` (the login page, the health check;
static files are served by WhiteNoise before any view). It also puts the user's `Scope` on
`request.scope`, computed once per request on first use.

`ContentSecurityPolicyMiddleware` forbids inline and foreign scripts: the pages load their small
scripts from /static/ only. The policy can be replaced with EGK_CSP (settings.EGK_CSP).

`PersonLevelNoStoreMiddleware` keeps person-level pages and downloads out of every cache (the
browser's, a shared proxy's): a response the access log recorded, or one from a `person_level`
view, gets `Cache-Control: no-store`. With OIDC sign-in, `form-action` also names the provider's
origin, for the logout there.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
from django.utils.cache import add_never_cache_headers
from django.utils.functional import SimpleLazyObject

from egenkontroll.access.scoping import scope_for
from egenkontroll.signin.oidc import sso_logout_origin

DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Django's login-required middleware, plus `request.scope` (after AuthenticationMiddleware)."""

    def process_request(self, request):
        request.scope = SimpleLazyObject(lambda: scope_for(request.user))


class ContentSecurityPolicyMiddleware:
    """Sets Content-Security-Policy on every response that does not set its own."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "EGK_CSP", "") or DEFAULT_CSP

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", with_logout_target(self.policy))
        return response


class PersonLevelNoStoreMiddleware:
    """`Cache-Control: no-store` on every response marked by `scoping.mark_no_store` (logged views)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "egk_no_store", False):
            add_never_cache_headers(response)
        return response
def with_logout_target(policy: str) -> str:
    """Let the logout form continue to the OIDC provider's end_session_endpoint (form-action
    covers the redirect after a form post); nothing else leaves 'self'."""
    origin = sso_logout_origin()
    if not origin or "form-action 'self'" not in policy:
        return policy
    return policy.replace("form-action 'self'", f"form-action 'self' {origin}", 1)
