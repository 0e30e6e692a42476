"""WSGI entry point for gunicorn (`egenkontroll serve`).

The server writes the access log on every look at a case, so it refuses to start on the public
development key unless EGK_DEBUG is on (docs/security.md); `egenkontroll demo` sets its own key.
"""

import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "egenkontroll.web.settings")
application = get_wsgi_application()


def _refuse_the_development_key() -> None:
    from django.conf import settings

    from egenkontroll.access.hashchain import uses_development_key

    if uses_development_key() and not settings.DEBUG:
        raise ImproperlyConfigured(
            "EGK_SECRET_KEY (eller EGK_ACCESS_LOG_KEY) är inte satt: åtkomstloggen skulle signeras med den "
            "offentliga utvecklingsnyckeln. Sätt en hemlig nyckel (docs/security.md)."
        )


_refuse_the_development_key()
