"""Closing and reopening an audit: only the two statuses, who closed it, and no protocol save after a close."""

from __future__ import annotations

import pytest
from django.urls import reverse

from egenkontroll.audits.models import Audit, AuditAnswer
from egenkontroll.audits.views import protokoll
from tests.audits.conftest import new_audit

pytestmark = pytest.mark.django_db


@pytest.fixture
def audit(as_user):
    new_audit(as_user("inspektor"))
    return Audit.objects.get()


def set_status(client, audit, status):
    return client.post(reverse("audits:status", kwargs={"audit_id": audit.pk}), {"status": status, "bekraftat": "ja"})


@pytest.mark.parametrize("status", ["", "Avslutad", "stangd", None])
def test_an_unknown_status_is_refused_and_changes_nothing(as_user, audit, status):
    inspector = as_user("inspektor")
    set_status(inspector, audit, "avslutad")
    response = inspector.post(reverse("audits:status", kwargs={"audit_id": audit.pk}),
                              {} if status is None else {"status": status})
    assert response.status_code == 400
    assert "avslutad" in response.content.decode()
    audit.refresh_from_db()
    assert audit.closed_at is not None  # still closed: a stray POST does not reopen it


def test_closing_stores_who_closed_it_and_reopening_clears_it(as_user, audit):
    inspector = as_user("inspektor")
    assert set_status(inspector, audit, "avslutad").status_code == 302
    audit.refresh_from_db()
    assert audit.closed_by.username == "inspektor" and audit.closed_at is not None
    page = inspector.get(reverse("audits:detalj", kwargs={"audit_id": audit.pk})).content.decode()
    assert "av inspektor" in page
    first = audit.closed_at
    set_status(inspector, audit, "avslutad")  # closing again keeps the first close
    audit.refresh_from_db()
    assert audit.closed_at == first
    assert set_status(inspector, audit, "pagaende").status_code == 302
    audit.refresh_from_db()
    assert (audit.closed_at, audit.closed_by) == (None, None)


def test_a_protocol_save_racing_a_close_does_not_land(as_user, audit, monkeypatch):
    """The page read the audit while it was open; it was closed before the save's transaction."""
    stale = Audit.objects.get(pk=audit.pk)
    inspector = as_user("inspektor")
    set_status(inspector, audit, "avslutad")
    monkeypatch.setattr(protokoll, "audit_or_404", lambda audit_id: stale)
    case_id = audit.cases.first().case_id
    response = inspector.post(reverse("audits:protokoll", kwargs={"audit_id": audit.pk, "case_id": case_id}),
                              {"svar_riskbedomning": "ja"})
    assert response.status_code == 409
    assert "Granskningen avslutades innan protokollet sparades" in response.content.decode()
    assert not AuditAnswer.objects.exists()
    assert audit.cases.get(case_id=case_id).reviewed_at is None


def test_closing_asks_first_and_says_what_is_frozen(as_user, audit):
    inspector = as_user("inspektor")
    response = inspector.post(reverse("audits:status", kwargs={"audit_id": audit.pk}), {"status": "avslutad"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Avsluta granskningen" in page and "protokoll" in page and "kan inte längre ändras" in page
    assert 'name="bekraftat" value="ja"' in page and 'name="status" value="avslutad"' in page
    assert "Avbryt" in page
    audit.refresh_from_db()
    assert audit.closed_at is None  # nothing frozen until the user confirms
    assert set_status(inspector, audit, "avslutad").status_code == 302
    audit.refresh_from_db()
    assert audit.closed_at is not None
