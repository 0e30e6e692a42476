"""Logging in and out: the login page offers the configured single sign-on, logging out of a
single sign-on session also ends it at the provider (OIDC RP-initiated logout)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from egenkontroll.access.forms import ThrottledAuthenticationForm
from egenkontroll.signin.oidc import BACKEND_PATH as OIDC_BACKEND


class MunicipalLoginView(LoginView):
    form_class = ThrottledAuthenticationForm
    template_name = "access/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "page_title": "Logga in",
            "oidc_enabled": settings.OIDC_ENABLED,
            "saml_enabled": settings.SAML_ENABLED,
            "sso_failed": self.request.GET.get("sso") == "misslyckades",
        }


login_view = login_not_required(MunicipalLoginView.as_view())


@require_POST
def logout_view(request):
    """End the session here; for an OIDC session, then at the provider's end_session_endpoint."""
    target = settings.LOGIN_URL
    if settings.OIDC_ENABLED and request.session.get(BACKEND_SESSION_KEY) == OIDC_BACKEND:
        from egenkontroll.signin.oidc import provider_logout_url

        target = provider_logout_url(request)
    auth_logout(request)
    return redirect(target)
