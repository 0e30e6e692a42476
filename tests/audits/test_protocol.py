"""The protocol of one sampled case: answers saved, comments masked, scope checked and logged."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from egenkontroll.access.models import AccessLog
from egenkontroll.audits.models import Audit, AuditAnswer, AuditCase
from egenkontroll.core.audits import load_templates
from tests.audits.conftest import new_audit

pytestmark = pytest.mark.django_db

QUESTIONS = [q.id for q in load_templates()["barnavardsutredning"].questions]


@pytest.fixture
def audit(as_user):
    """Every closed investigation sampled (ten per district is more than there are)."""
    new_audit(as_user("inspektor"), per_district="10")
    return Audit.objects.get()


def url(audit: Audit, case_id: str) -> str:
    return reverse("audits:protokoll", kwargs={"audit_id": audit.pk, "case_id": case_id})


def answers(**given) -> dict:
    return {f"svar_{q}": a for q, a in given.items()}


def test_saving_the_protocol_stores_answers_and_masks_a_personnummer(as_user, audit):
    client = as_user("inspektor")
    data = answers(**{**dict.fromkeys(QUESTIONS, "ja"), "barnet_samtal": "nej", "sip_overvagd": "ej_aktuellt"})
    data["kommentar_barnet_samtal"] = "Barnet 20150312-9825 hördes inte, se journal."
    response = client.post(url(audit, "C1"), data)
    assert response.status_code == 302
    saved = dict(AuditAnswer.objects.filter(audit_case__case_id="C1").values_list("question_id", "answer"))
    assert saved == {**dict.fromkeys(QUESTIONS, "ja"), "barnet_samtal": "nej", "sip_overvagd": "ej_aktuellt"}
    comment = AuditAnswer.objects.get(question_id="barnet_samtal").comment
    assert comment == "Barnet 20150312-**** hördes inte, se journal."
    case = AuditCase.objects.get(audit=audit, case_id="C1")
    assert (case.reviewed_by.username, case.complete) == ("inspektor", True)
    assert case.reviewed_at is not None
    page = client.get(url(audit, "C1")).content.decode()
    assert "9825" not in page
    assert "Skriv inga personuppgifter" in page
    assert reverse("overview:arende", kwargs={"case_id": "C1"}) in page


def test_a_partial_protocol_is_started_not_complete_and_an_empty_answer_removes_one(as_user, audit):
    client = as_user("inspektor")
    client.post(url(audit, "C2"), answers(riskbedomning="nej", barnets_asikt="ja"))
    case = AuditCase.objects.get(audit=audit, case_id="C2")
    assert case.reviewed_at is not None and not case.complete
    client.post(url(audit, "C2"), answers(riskbedomning="nej"))
    assert list(AuditAnswer.objects.filter(audit_case=case).values_list("question_id", flat=True)) == ["riskbedomning"]


def test_a_comment_needs_an_answer(as_user, audit):
    response = as_user("inspektor").post(url(audit, "C1"), {"kommentar_riskbedomning": "oklart"})
    assert response.status_code == 400
    assert not AuditAnswer.objects.exists()
    assert AuditCase.objects.get(audit=audit, case_id="C1").reviewed_at is None


def test_viewing_and_saving_are_logged_with_the_case(as_user, audit):
    client = as_user("controller")
    client.get(url(audit, "C3"))
    client.post(url(audit, "C3"), answers(riskbedomning="ja"))
    rows = list(AccessLog.objects.filter(page="granskning-protokoll").order_by("seq").values_list("action", "case_ids"))
    assert rows == [("view", '["C3"]'), ("view", '["C3"]')]


def test_a_controller_cannot_open_a_protocol_outside_their_department(as_user, audit):
    client = as_user("controller")  # verksamhetscontroller of A1; C5 lies in A2
    assert client.get(url(audit, "C5")).status_code == 404
    assert client.post(url(audit, "C5"), answers(riskbedomning="ja")).status_code == 404
    assert not AuditAnswer.objects.exists()
    denied = AccessLog.objects.filter(action="denied").latest("seq")
    assert (denied.page, json.loads(denied.case_ids)) == ("granskning-protokoll", ["C5"])


def test_chefs_and_caseworkers_read_protocols_in_their_scope_but_do_not_fill_them(as_user, audit):
    chef = as_user("chef")  # enhetschef of E1
    page = chef.get(url(audit, "C1"))
    assert page.status_code == 200
    assert "Du kan läsa protokollet men inte ändra det" in page.content.decode()
    assert chef.post(url(audit, "C1"), answers(riskbedomning="ja")).status_code == 403
    anna = as_user("anna")  # her own case C1, not bo's C3
    assert anna.get(url(audit, "C1")).status_code == 200
    assert anna.get(url(audit, "C3")).status_code == 404
    assert anna.post(url(audit, "C1"), answers(riskbedomning="ja")).status_code == 403
    assert as_user("namnd").get(url(audit, "C1")).status_code == 403
    assert not AuditAnswer.objects.exists()


def test_a_case_outside_the_sample_is_not_found(as_user):
    client = as_user("inspektor")
    new_audit(client, districts="A2")
    audit = Audit.objects.get()
    assert client.get(url(audit, "C1")).status_code == 404
