"""Render a few pages of a database in a fresh process, as digests: the same data gives the same digests.

Run as `python -m tests.ops.pages USERNAME URL…` with DATABASE_URL set. CSRF tokens and CSP
nonces differ per request and are blanked before hashing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys

VOLATILE = re.compile(rb'(name="csrfmiddlewaretoken" value=|nonce=|"csrfToken": ?)"[^"]*"')


def digests(username: str, urls: list[str]) -> dict[str, str]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "egenkontroll.web.settings")
    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    result = {}
    for url in urls:
        response = client.get(url)
        body = VOLATILE.sub(rb"\1\"\"", response.content)
        result[url] = f"{response.status_code}:{hashlib.sha256(body).hexdigest()}"
    return result


if __name__ == "__main__":
    print(json.dumps(digests(sys.argv[1], sys.argv[2:])))
