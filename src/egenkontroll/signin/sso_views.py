"""The single sign-on endpoints: always routed, 404 while their method is not configured, so
that the URL table is the same in every installation and nothing answers that is not in use."""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.views.decorators.csrf import csrf_exempt


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

    return OIDCAuthenticationCallbackView.as_view()


@_when("SAML_ENABLED")
def saml_login():
    from djangosaml2.views import LoginView

    return LoginView.as_view()


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
