"""Django settings, read from the environment only (documented in docs/configuration.md).

The embedded default is SQLite in EGK_DATA_DIR (./var); production sets DATABASE_URL to
PostgreSQL. The pseudonym key never lives in the database: EGK_PSEUDONYM_KEY or
EGK_PSEUDONYM_KEY_FILE.
"""

from __future__ import annotations

from egenkontroll.web.env import data_dir, database_from_url, envbool, envint, envstr

DATA_DIR = data_dir()
DEBUG = envbool("EGK_DEBUG", False)
SECRET_KEY = envstr("EGK_SECRET_KEY") or "insecure-development-key-set-EGK_SECRET_KEY-in-production"  # noqa: S105
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
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_AGE = envint("EGK_SESSION_SECONDS", 30 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = True

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("EGK_LOG_LEVEL", "WARNING")},
}
