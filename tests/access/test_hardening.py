"""Production settings pass `check --deploy`; the development defaults are flagged by it."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

PRODUCTION = {
    "EGK_DEBUG": "0",
    "EGK_SECRET_KEY": "k3y-" + "x7Qp2LmZ9vR4tW8yB1nC6dF0gH5jK3sA" * 2,
    "EGK_HTTPS": "1",
    "EGK_PSEUDONYM_KEY": "00112233445566778899aabbccddeeff",
}


def check_deploy(tmp_path, **env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("EGK_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING",
         "--settings", "egenkontroll.web.settings"],
        env={**base, "EGK_DATA_DIR": str(tmp_path), **env}, capture_output=True, text=True, timeout=120,
    )


def test_production_settings_pass_check_deploy(tmp_path):
    result = check_deploy(tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_development_defaults_fail_check_deploy(tmp_path):
    result = check_deploy(tmp_path, EGK_DEBUG="0")
    assert result.returncode == 1
    for check in ("egenkontroll.E001", "egenkontroll.W001", "security.W004", "security.W008",
                  "security.W012", "security.W016"):
        assert check in result.stderr


def test_sessions_expire_and_passwords_are_validated():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_HTTPONLY
    names = [v["NAME"].rsplit(".", 1)[1] for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert names == ["UserAttributeSimilarityValidator", "MinimumLengthValidator", "CommonPasswordValidator",
                     "NumericPasswordValidator"]
    assert settings.AUTHENTICATION_BACKENDS[-1] == "egenkontroll.access.throttle.ThrottledModelBackend"
