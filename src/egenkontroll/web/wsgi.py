"""WSGI entry point for gunicorn (`egenkontroll serve`).

Each worker readies itself (views imported, templates compiled, the current figures read from
the disk cache: overview/warmup.py `warm_worker`) before it takes its first request, so the first
visitor after a restart does not wait (issue 19). EGK_WARM_WORKER=0 turns it off.

The server writes the access log on every look at a case, so it refuses to start on the public
development key unless EGK_DEBUG is on (docs/security.md); `egenkontroll demo` sets its own key.
"""

import logging
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


def _warm_worker() -> None:
    from egenkontroll.web.env import envbool

    if not envbool("EGK_WARM_WORKER", True):
        return
    try:
        from egenkontroll.overview.warmup import warm_worker

        warm_worker()
    except Exception:  # a cold worker is slower, never broken: the pages compute on first use
        logging.getLogger(__name__).warning("the worker could not be readied", exc_info=True)


_warm_worker()
