"""Deployment checks (`manage.py check --deploy`) that Django's own cannot know about.

The embedded development SECRET_KEY looks strong to Django's check, so a production start without
EGK_SECRET_KEY would pass unnoticed; the access-log chain key would then be public too.
"""

from __future__ import annotations

import os

from django.core.checks import Error, Tags, Warning, register

from egenkontroll.core.identity import KEY_ENV, KEY_FILE_ENV


@register(Tags.security, deploy=True)
def production_secrets(app_configs, **kwargs):
    found = []
    if not os.environ.get("EGK_SECRET_KEY"):
        found.append(Error(
            "EGK_SECRET_KEY är inte satt: utvecklingsnyckeln används.",
            hint="Sätt EGK_SECRET_KEY till minst 50 slumpmässiga tecken (se docs/security.md).",
            id="egenkontroll.E001",
        ))
    if not (os.environ.get(KEY_ENV) or os.environ.get(KEY_FILE_ENV)):
        found.append(Warning(
            "Ingen pseudonymnyckel är satt: utvecklingsnyckeln skyddar inte riktiga personnummer.",
            hint=f"Sätt {KEY_FILE_ENV} (eller {KEY_ENV}) innan riktiga data importeras.",
            id="egenkontroll.W001",
        ))
    return found
