"""Fixtures every web-page test package uses; each conftest imports the ones it wants.

Why not tests/conftest.py: these need Django's settings and the overview snapshot, which the
pure core tests neither need nor should pay for.
"""

from __future__ import annotations

import pytest

from egenkontroll.cases import status
from egenkontroll.pages import snapshot


@pytest.fixture(autouse=True)
def fresh_snapshot(monkeypatch):
    """Each test reads its own database: no frames kept in memory or on disk between tests."""
    monkeypatch.delenv("EGK_WEB_CACHE_DIR", raising=False)
    snapshot.forget()
    status.forget()
    yield
    snapshot.forget()
    status.forget()


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Logins in tests need not resist brute force: MD5 instead of PBKDF2 saves seconds per login."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
