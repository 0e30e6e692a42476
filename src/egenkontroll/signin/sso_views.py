"""The single sign-on endpoints: always routed, 404 while their method is not configured, so
that the URL table is the same in every installation and nothing answers that is not in use."""

from __future__ import annotations

import functools
import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

logger = logging.getLogger(__name__)


def _when(flag: str):
    def decorate(factory):
        @functools.wraps(factory)
        def view(request, *args, **kwargs):
            if not getattr(settings, flag, False):
                raise Http404("inloggningsmetoden är inte konfigurerad")
            return factory()(request, *args, **kwargs)
        return login_not_required(view)
    return decorate


@_when("OIDC_ENABLED")
def oidc_authenticate():
    from mozilla_django_oidc.views import OIDCAuthenticationRequestView

    return OIDCAuthenticationRequestView.as_view()


@_when("OIDC_ENABLED")
def oidc_callback():
    from mozilla_django_oidc.views import OIDCAuthenticationCallbackView

    class CallbackView(OIDCAuthenticationCallbackView):
        """A token that fails a check ends at the login page with a Swedish message, not a 400."""

        def get(self, request):
            try:
                return super().get(request)
            except SuspiciousOperation as exc:
                logger.warning("OIDC-inloggning avvisad: %s", exc)
                return self.login_failure()

    return CallbackView.as_view()


@_when("SAML_ENABLED")
def saml_login():
    from djangosaml2.utils import available_idps
    from djangosaml2.views import LoginView

    class MunicipalLogin(LoginView):
        """Straight to the municipality's IdP (EGK_SAML_IDP_ENTITY_ID), never a list of a federation's IdPs."""

        def get(self, request, *args, **kwargs):
            if settings.SAML_IDP_ENTITY_ID:
                request.GET = request.GET.copy()
                request.GET["idp"] = settings.SAML_IDP_ENTITY_ID
            elif len(available_idps(self.get_sp_config(request))) > 1:
                logger.error("SAML-metadata med flera IdP:er men EGK_SAML_IDP_ENTITY_ID är inte satt")
                return render(request, "signin/sso_fel.html", {"page_title": "Inloggningen misslyckades"},
                              status=503)
            return super().get(request, *args, **kwargs)

    return MunicipalLogin.as_view()


def _acs():
    from djangosaml2.views import AssertionConsumerServiceView

    return AssertionConsumerServiceView.as_view()


# The IdP posts the assertion from its own site: no CSRF token can come with it (the
# InResponseTo check of the SAML session is the protection against forged posts).
saml_acs = csrf_exempt(_when("SAML_ENABLED")(_acs))


@_when("SAML_ENABLED")
def saml_metadata():
    from djangosaml2.views import MetadataView

    return MetadataView.as_view()
