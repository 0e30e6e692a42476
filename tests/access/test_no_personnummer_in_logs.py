"""A demo import and a browse by every demo user leave no personnummer in any log.

Checked: what the configured logging handlers write (Django's request warnings included, which
quote URLs), the access log table, and the failed-login table.
"""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pytest
from django.urls import reverse

from egenkontroll.access.demo import create_demo_users
from egenkontroll.access.logfilter import MaskIdentityFilter
from egenkontroll.access.models import AccessLog, LoginFailure
from egenkontroll.cases.importer import run_import
from egenkontroll.cases.models import Case

MINIMAL = Path(__file__).parents[1] / "core" / "fixtures" / "interchange" / "minimal"
PNR = "20150312-9825"  # the child of case C1 in the minimal fixture
LOOKS_LIKE_PNR = re.compile(r"(?<![0-9])(?:[0-9]{2})?[0-9]{6}[-+]?[0-9]{4}(?![0-9])")


def test_the_filter_masks_message_arguments_and_tracebacks():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "sökte %s", (PNR,), None)
    try:
        raise ValueError(f"ogiltigt: {PNR}")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert MaskIdentityFilter().filter(record)
    assert record.getMessage() == "sökte 20150312-****"
    assert "ogiltigt: 20150312-****" in record.exc_text and PNR not in record.exc_text


@pytest.fixture
def configured_output():
    """Point every masking handler of the configured logging at one buffer."""
    buffer = io.StringIO()
    handlers = {h for name in ("", "django", "django.server") for h in logging.getLogger(name).handlers
                if any(isinstance(f, MaskIdentityFilter) for f in h.filters)}
    assert handlers, "settings.LOGGING has no handler with MaskIdentityFilter"
    old = {h: h.setStream(buffer) for h in handlers}
    previous = logging.getLogger("django").level
    logging.getLogger("django").setLevel(logging.INFO)
    yield buffer
    logging.getLogger("django").setLevel(previous)
    for handler, stream in old.items():
        handler.setStream(stream)


def test_demo_import_and_browse_leave_no_personnummer(db, client, monkeypatch, configured_output, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setenv("EGK_PSEUDONYM_KEY", "no-personnummer-test-key-0123456789")
    run_import(MINIMAL, user="test")
    demo = create_demo_users("Demo-lösenord-2024")
    assert {role for _, _, role, _ in demo} == {"handlaggare", "arbetsledare", "enhetschef", "verksamhetscontroller",
                                                "avdelningschef", "inspektor", "namnd", "admin"}
    case_ids = list(Case.objects.values_list("case_id", flat=True))
    client.post(reverse("login"), {"username": PNR, "password": "fel"})
    for username, password, _, _ in demo:
        client.post(reverse("login"), {"username": username, "password": password})
        for name in ("access:sok", "access:logguppfoljning", "overview:arbetslista", "overview:oversikt"):
            client.get(reverse(name))
        for case_id in case_ids:
            client.get(reverse("overview:arende", kwargs={"case_id": case_id}))
        client.post(reverse("access:sok"), {"personnummer": PNR})
        client.get(f"/arende/{PNR}/")  # a personnummer typed into the URL: logged as Not Found
        client.post(reverse("logout"))
    written = configured_output.getvalue()
    assert "20150312-****" in written  # the 404 warning was written, masked
    assert not LOOKS_LIKE_PNR.findall(written)
    stored = [*AccessLog.objects.values_list("detail", "case_ids", "page", "username"),
              *LoginFailure.objects.values_list("username", "client")]
    assert AccessLog.objects.filter(action="search").count() == 6  # every person-level demo role searched
    assert not [row for row in stored if LOOKS_LIKE_PNR.search(" ".join(row))]
    assert LoginFailure.objects.get().username == "20150312-****"
