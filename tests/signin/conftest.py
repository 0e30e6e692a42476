"""Sign-in tests: a fast password hasher, and the real identity providers (one per session)."""

from __future__ import annotations

import pytest
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string

from egenkontroll.signin.saml import sp_config_dict
from tests.signin import providers
from tests.webfixtures import fast_password_hasher  # noqa: F401  (autouse fixtures)

OIDC_BACKEND = "egenkontroll.signin.oidc.MunicipalOIDCBackend"
SAML_BACKEND = "egenkontroll.signin.saml.MunicipalSaml2Backend"
SP_ENTITY_ID = "https://egenkontroll.kommun.example/saml2/metadata/"


@pytest.fixture(scope="session")
def oidc_provider(live_server):
    yield from providers.start_oidc_provider(live_server.url)


@pytest.fixture
def oidc_settings(settings, oidc_provider):
    """Egenkontroll configured for the provider, as EGK_OIDC_* would configure it."""
    for name, value in oidc_provider.settings().items():
        setattr(settings, name, value)
    settings.AUTHENTICATION_BACKENDS = [OIDC_BACKEND, *settings.AUTHENTICATION_BACKENDS]
    return settings


@pytest.fixture(scope="session")
def saml_idp(live_server, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("saml")
    config = SPConfig()
    config.load(sp_config_dict(live_server.url, SP_ENTITY_ID))
    sp_metadata = workdir / "sp-metadata.xml"
    sp_metadata.write_bytes(create_metadata_string(None, config=config, sign=False))
    yield from providers.start_saml_idp(sp_metadata, workdir)


@pytest.fixture
def saml_settings(settings, saml_idp, live_server):
    """Egenkontroll configured for the IdP, as EGK_SAML_* would configure it."""
    settings.SAML_ENABLED = True
    settings.SAML_IDP_METADATA_FILE = str(saml_idp.metadata_file)
    settings.SAML_IDP_METADATA_URL = ""
    settings.SAML_SP_BASE_URL = live_server.url
    settings.SAML_SP_ENTITY_ID = SP_ENTITY_ID
    settings.AUTHENTICATION_BACKENDS = [SAML_BACKEND, *settings.AUTHENTICATION_BACKENDS]
    return settings
