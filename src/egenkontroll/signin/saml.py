"""Single sign-on with the municipality's SAML 2.0 identity provider (djangosaml2 on pysaml2).

Switched on by EGK_SAML_IDP_METADATA_FILE or EGK_SAML_IDP_METADATA_URL (ADFS, Entra ID, a
Sambi-federated IdP; docs/security.md#saml-20). Egenkontroll is the service provider: it sends
an AuthnRequest (HTTP-Redirect), and takes the Response at /saml2/acs/ (HTTP-POST). pysaml2
checks, and this configuration insists on:

- the assertion is signed by a key in the IdP's metadata (`want_assertions_signed`);
- it answers a request this browser made (`allow_unsolicited` off: InResponseTo must be an
  outstanding request of this SAML session, which is removed once used — a replayed response
  is refused);
- its audience is this SP's entity id, and its time window holds (60 s clock skew).

A refused response shows a Swedish error page (status 403) and logs no personal data. As with
OIDC the IdP says who the user is; roles come from Egenkontroll unless role mapping is on.
"""

from __future__ import annotations

import functools
import logging
import shutil
import time

import saml2
from django.conf import settings
from django.shortcuts import render
from djangosaml2.backends import Saml2Backend
from saml2.config import SPConfig
from saml2.saml import NAMEID_FORMAT_UNSPECIFIED

from egenkontroll.signin.oidc import is_local_account
from egenkontroll.signin.roles import sync_roles

logger = logging.getLogger(__name__)
BACKEND_PATH = "egenkontroll.signin.saml.MunicipalSaml2Backend"
METADATA_CACHE_SECONDS = 3600


def sp_config(request=None) -> SPConfig:
    """The pysaml2 SP configuration from the EGK_SAML_* settings (remote metadata kept an hour)."""
    base = settings.SAML_SP_BASE_URL or (request.build_absolute_uri("/").rstrip("/") if request else "")
    return _sp_config(
        base, settings.SAML_SP_ENTITY_ID or f"{base}/saml2/metadata/", settings.SAML_IDP_METADATA_FILE,
        settings.SAML_IDP_METADATA_URL, settings.SAML_SP_KEY_FILE, settings.SAML_SP_CERT_FILE,
        int(time.time() // METADATA_CACHE_SECONDS),
    )


@functools.lru_cache(maxsize=8)
def _sp_config(base, entity_id, metadata_file, metadata_url, key_file, cert_file, _period) -> SPConfig:
    conf = sp_config_dict(base, entity_id, key_file, cert_file)
    conf["metadata"] = {"local": [metadata_file]} if metadata_file else {"remote": [{"url": metadata_url}]}
    config = SPConfig()
    config.load(conf)
    return config


def sp_config_dict(base: str, entity_id: str, key_file: str = "", cert_file: str = "") -> dict:
    """The SP part of the configuration (what the SP's own metadata says), without the IdP's metadata."""
    signing = {"key_file": key_file, "cert_file": cert_file} if key_file and cert_file else {}
    return {
        "xmlsec_binary": shutil.which("xmlsec1") or "/usr/bin/xmlsec1",
        "entityid": entity_id,
        "allow_unknown_attributes": True,
        "accepted_time_diff": 60,
        "service": {"sp": {
            "name": "Egenkontroll",
            "name_id_format": NAMEID_FORMAT_UNSPECIFIED,
            "endpoints": {
                "assertion_consumer_service": [(f"{base}/saml2/acs/", saml2.BINDING_HTTP_POST)],
            },
            "allow_unsolicited": False,
            "want_assertions_signed": True,
            "want_response_signed": False,
            "authn_requests_signed": bool(signing),
        }},
        **signing,
        **({"encryption_keypairs": [signing]} if signing else {}),
    }


def acs_failure(request, exception=None, status=403, **kwargs):
    """A refused SAML response: a Swedish page, the reason's class only in the log (no personal data)."""
    logger.warning("SAML-svar avvisat: %s", type(exception).__name__ if exception else "okänt fel")
    return render(request, "signin/sso_fel.html", {"page_title": "Inloggningen misslyckades"}, status=status)


class MunicipalSaml2Backend(Saml2Backend):
    """djangosaml2's backend: no password for new users; optional role mapping from the groups attribute."""

    def authenticate(self, request, session_info=None, attribute_mapping=None, create_unknown_user=True,
                     assertion_info=None, **kwargs):
        user = super().authenticate(request, session_info=session_info, attribute_mapping=attribute_mapping,
                                    create_unknown_user=create_unknown_user, assertion_info=assertion_info, **kwargs)
        if user is not None:
            groups = (session_info or {}).get("ava", {}).get(settings.SAML_GROUPS_ATTRIBUTE)
            sync_roles(request, user, groups, "saml")
        return user

    def clean_user_main_attribute(self, main_attribute):
        return str(main_attribute)[:150]

    def is_authorized(self, attributes, attribute_mapping, idp_entityid, assertion_info, **kwargs) -> bool:
        """Only the municipality's IdP, when the metadata (a federation's, e.g. Sambi) names several."""
        wanted = getattr(settings, "SAML_IDP_ENTITY_ID", "")
        if wanted and idp_entityid != wanted:
            logger.warning("SAML-svar från en annan IdP än EGK_SAML_IDP_ENTITY_ID avvisat")
            return False
        return True

    def get_or_create_user(self, user_lookup_key, user_lookup_value, create_unknown_user, idp_entityid,
                           attributes, attribute_mapping, request):
        if is_local_account(self._user_model, str(user_lookup_value)[:150]):
            logger.warning("SAML-inloggning till ett lokalt konto med eget lösenord avvisad")
            return None, False
        return super().get_or_create_user(user_lookup_key, user_lookup_value, create_unknown_user, idp_entityid,
                                          attributes, attribute_mapping, request)
