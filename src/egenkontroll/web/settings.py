"""Django settings, read from the environment only (documented in docs/configuration.md).

The embedded default is SQLite in EGK_DATA_DIR (./var); production sets DATABASE_URL to
PostgreSQL. The pseudonym key never lives in the database: EGK_PSEUDONYM_KEY or
EGK_PSEUDONYM_KEY_FILE.
"""

from __future__ import annotations

from egenkontroll.web.env import data_dir, database_from_url, envbool, envint, envstr

DATA_DIR = data_dir()
DEBUG = envbool("EGK_DEBUG", False)
# The built-in key is public: nothing that writes the access log may run on it outside tests and
# the demo (the CLI refuses, `check --deploy` fails: docs/security.md).
EGK_DEVELOPMENT_SECRET_KEY = "insecure-development-key-set-EGK_SECRET_KEY-in-production"  # noqa: S105
SECRET_KEY = envstr("EGK_SECRET_KEY") or EGK_DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = [h for h in envstr("EGK_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

DATABASES = {"default": database_from_url(envstr("DATABASE_URL", f"sqlite:///{DATA_DIR / 'egenkontroll.sqlite3'}"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "egenkontroll.cases",
    "egenkontroll.access",
    "egenkontroll.pages",
    "egenkontroll.overview",
    "egenkontroll.audits",
    "egenkontroll.reports",
    "egenkontroll.planning",
    "egenkontroll.deviations",
    "egenkontroll.retention",
    "egenkontroll.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "egenkontroll.access.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "egenkontroll.access.middleware.ContentSecurityPolicyMiddleware",
    "egenkontroll.access.middleware.PersonLevelNoStoreMiddleware",
]

ROOT_URLCONF = "egenkontroll.web.urls"
WSGI_APPLICATION = "egenkontroll.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "egenkontroll.cases.status.context",
            ]
        },
    }
]

LANGUAGE_CODE = "sv"
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# Files come from STATIC_ROOT (collectstatic, run by demo and serve: gzipped copies under content-hashed
# names, cached by browsers for a year); finders only in DEBUG.
WHITENOISE_USE_FINDERS = DEBUG
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "egenkontroll.pages.staticstorage.GzipManifestStaticFilesStorage"},
}

SESSION_COOKIE_AGE = envint("EGK_SESSION_SECONDS", 30 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = True

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

# Access hardening (docs/security.md). EGK_HTTPS=1 behind TLS turns on secure cookies, HTTPS
# redirect and HSTS; without it the plain-HTTP localhost demo works.
AUTHENTICATION_BACKENDS = ["egenkontroll.access.throttle.ThrottledModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": envint("EGK_PASSWORD_MIN_LENGTH", 12)}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
EGK_LOGIN_MAX_FAILURES = envint("EGK_LOGIN_MAX_FAILURES", 5)
EGK_LOGIN_LOCK_MINUTES = envint("EGK_LOGIN_LOCK_MINUTES", 15)
EGK_TRUST_PROXY = envbool("EGK_TRUST_PROXY", False)
EGK_CSP = envstr("EGK_CSP")
HTTPS = envbool("EGK_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "egk_session"
SECURE_HSTS_SECONDS = envint("EGK_HSTS_SECONDS", 31_536_000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("EGK_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = envbool("EGK_HSTS_PRELOAD", False)
# Preloading binds the municipality's whole domain to HTTPS in browsers: its decision, not ours.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if EGK_TRUST_PROXY else None
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = [o for o in envstr("EGK_CSRF_TRUSTED_ORIGINS").split(",") if o]

# Sign-in (docs/security.md#sign-in): local accounts with a second factor, and optional single
# sign-on with the municipality's OpenID Connect or SAML 2.0 identity provider. The sign-in URLs
# always exist and answer 404 while their method is not configured (egenkontroll.signin).
INSTALLED_APPS += ["django_otp", "django_otp.plugins.otp_totp", "egenkontroll.signin"]
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
                  "django_otp.middleware.OTPMiddleware")
MIDDLEWARE.insert(MIDDLEWARE.index("egenkontroll.access.middleware.LoginRequiredMiddleware") + 1,
                  "egenkontroll.signin.middleware.SecondFactorRequiredMiddleware")
# A local account whose roles reach person-level data (or administer users) must pass a second factor.
EGK_MFA_REQUIRED = envbool("EGK_MFA_REQUIRED", True)
EGK_MFA_ISSUER = envstr("EGK_MFA_ISSUER", "Egenkontroll")
OTP_TOTP_ISSUER = EGK_MFA_ISSUER
EGK_WEBAUTHN_RP_ID = envstr("EGK_WEBAUTHN_RP_ID")  # default: the host name of the request
EGK_WEBAUTHN_ORIGIN = envstr("EGK_WEBAUTHN_ORIGIN")  # default: scheme and host of the request

# Role mapping from the identity provider's groups (off: roles are granted in Egenkontroll only).
EGK_SSO_ROLE_MAPPING = envbool("EGK_SSO_ROLE_MAPPING", False)
EGK_SSO_GROUP_ROLES = envstr("EGK_SSO_GROUP_ROLES")

OIDC_ENABLED = bool(envstr("EGK_OIDC_CLIENT_ID"))
OIDC_RP_CLIENT_ID = envstr("EGK_OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = envstr("EGK_OIDC_CLIENT_SECRET")
OIDC_RP_SIGN_ALGO = envstr("EGK_OIDC_SIGN_ALGO", "RS256")
OIDC_OP_ISSUER = envstr("EGK_OIDC_ISSUER")
OIDC_OP_AUTHORIZATION_ENDPOINT = envstr("EGK_OIDC_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = envstr("EGK_OIDC_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = envstr("EGK_OIDC_USER_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = envstr("EGK_OIDC_JWKS_ENDPOINT")
OIDC_OP_END_SESSION_ENDPOINT = envstr("EGK_OIDC_END_SESSION_ENDPOINT")
OIDC_RP_SCOPES = envstr("EGK_OIDC_SCOPES", "openid email profile")
OIDC_CREATE_USER = envbool("EGK_OIDC_CREATE_USER", True)
OIDC_USERNAME_CLAIM = envstr("EGK_OIDC_USERNAME_CLAIM", "preferred_username")
OIDC_GROUPS_CLAIM = envstr("EGK_OIDC_GROUPS_CLAIM", "groups")
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_STORE_ID_TOKEN = True  # the id_token_hint of the logout at the provider
OIDC_TIMEOUT = 10
LOGIN_REDIRECT_URL_FAILURE = "/login/?sso=misslyckades"

SAML_IDP_METADATA_URL = envstr("EGK_SAML_IDP_METADATA_URL")
SAML_IDP_METADATA_FILE = envstr("EGK_SAML_IDP_METADATA_FILE")
SAML_ENABLED = bool(SAML_IDP_METADATA_URL or SAML_IDP_METADATA_FILE)
SAML_IDP_ENTITY_ID = envstr("EGK_SAML_IDP_ENTITY_ID")  # required when the metadata names several IdPs
SAML_SP_BASE_URL = envstr("EGK_SAML_BASE_URL").rstrip("/")
SAML_SP_ENTITY_ID = envstr("EGK_SAML_ENTITY_ID")
SAML_SP_KEY_FILE = envstr("EGK_SAML_KEY_FILE")
SAML_SP_CERT_FILE = envstr("EGK_SAML_CERT_FILE")
SAML_USERNAME_ATTRIBUTE = envstr("EGK_SAML_USERNAME_ATTRIBUTE", "uid")
SAML_GROUPS_ATTRIBUTE = envstr("EGK_SAML_GROUPS_ATTRIBUTE", "groups")
SAML_CREATE_UNKNOWN_USER = envbool("EGK_SAML_CREATE_USER", True)
SAML_CONFIG_LOADER = "egenkontroll.signin.saml.sp_config"
SAML_DJANGO_USER_MAIN_ATTRIBUTE = "username"
SAML_ATTRIBUTE_MAPPING = {SAML_USERNAME_ATTRIBUTE: ("username",), "mail": ("email",)}
SAML_SESSION_COOKIE_NAME = "egk_saml_session"
# The IdP posts the assertion from another site: behind TLS the SAML cookie must be SameSite=None.
SAML_SESSION_COOKIE_SAMESITE = "None" if envbool("EGK_HTTPS", False) else "Lax"
SAML_DEFAULT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
SAML_ACS_FAILURE_RESPONSE_FUNCTION = "egenkontroll.signin.saml.acs_failure"
SAML_IGNORE_LOGOUT_ERRORS = True
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware") + 1,
                  "djangosaml2.middleware.SamlSessionMiddleware")
if OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.insert(0, "egenkontroll.signin.oidc.MunicipalOIDCBackend")
if SAML_ENABLED:
    AUTHENTICATION_BACKENDS.insert(0, "egenkontroll.signin.saml.MunicipalSaml2Backend")

# Every handler masks anything that looks like a personnummer (egenkontroll.access.logfilter)
# and writes a 403/404 as one line, without a traceback;
# Django's request and runserver loggers write through the same handler.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "client_error": {"()": "egenkontroll.access.logfilter.ClientErrorWithoutTracebackFilter"},
        "mask_identity": {"()": "egenkontroll.access.logfilter.MaskIdentityFilter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["client_error", "mask_identity"]}},
    "root": {"handlers": ["console"], "level": envstr("EGK_LOG_LEVEL", "WARNING")},
    "loggers": {
        "django": {"handlers": ["console"], "level": envstr("EGK_LOG_LEVEL", "WARNING"), "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
