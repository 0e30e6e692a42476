"""Findings: auditors add them (text masked), the responsible unit's chef marks them åtgärdad or opens them again."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from egenkontroll.audits.models import Audit, AuditFinding
from tests.audits.conftest import new_audit

pytestmark = pytest.mark.django_db

FINDING = {
    "area": "trygghet_sakerhet", "district": "A1", "text": "Skyddsbedömning saknas för 20150312-9825.",
    "action": "Ny rutin för skyddsbedömning.", "responsible_unit": "E1", "due_date": "2024-09-30",
}


@pytest.fixture
def audit(as_user):
    new_audit(as_user("inspektor"))
    return Audit.objects.get()


def add(client, audit, **fields):
    return client.post(reverse("audits:fynd", kwargs={"audit_id": audit.pk}), {**FINDING, **fields})


def set_status(client, finding, status):
    return client.post(
        reverse("audits:fynd-status", kwargs={"audit_id": finding.audit_id, "finding_id": finding.pk}),
        {"status": status},
    )


def test_an_auditor_adds_a_finding_with_the_personnummer_masked(as_user, audit):
    response = add(as_user("controller"), audit)
    assert response.status_code == 302
    finding = AuditFinding.objects.get()
    assert finding.text == "Skyddsbedömning saknas för 20150312-****."
    assert (finding.area, finding.district_id, finding.responsible_unit_id, finding.status) == (
        "trygghet_sakerhet", "A1", "E1", "oppen",
    )
    assert finding.created_by.username == "controller"


def test_a_controller_cannot_add_a_finding_for_a_district_outside_reach(as_user, audit):
    controller = as_user("controller")
    response = add(controller, audit, district="A2", responsible_unit="E2")
    assert response.status_code == 302  # back to the audit page, with the error
    assert "Fyndet sparades inte" in controller.get(response["Location"]).content.decode()
    assert not AuditFinding.objects.exists()
    assert add(as_user("chef"), audit).status_code == 403
    assert add(as_user("namnd"), audit).status_code == 403


def test_a_finding_goes_from_open_to_atgardad_and_back(as_user, audit):
    add(as_user("inspektor"), audit)
    finding = AuditFinding.objects.get()
    assert set_status(as_user("avdchef"), finding, "atgardad").status_code == 403  # E1 is not in A2
    assert set_status(as_user("ledare"), finding, "atgardad").status_code == 403
    assert set_status(as_user("chef"), finding, "atgardad").status_code == 302  # enhetschef of E1
    finding.refresh_from_db()
    assert (finding.status, finding.closed_by.username) == ("atgardad", "chef")
    assert finding.closed_at is not None
    page = as_user("namnd").get(reverse("audits:detalj", kwargs={"audit_id": audit.pk})).content.decode()
    assert "Åtgärdad" in page
    set_status(as_user("inspektor"), finding, "oppen")
    finding.refresh_from_db()
    assert (finding.status, finding.closed_at, finding.closed_by) == ("oppen", None, None)


def test_the_findings_download(as_user, audit):
    """Staff see the finding's text; the nämnd the same rows without the text staff wrote (issue 12.9)."""
    add(as_user("inspektor"), audit, owner_role="enhetschef", question="skyddsbedomning_dokumenterad")
    url = reverse("audits:export", kwargs={"audit_id": audit.pk, "table": "fynd", "fmt": "csv"})

    def rows(role):
        return list(csv.reader(io.StringIO(as_user(role).get(url).content.decode("utf-8-sig")), delimiter=";"))

    assert rows("inspektor") == [
        ["Kvalitetsområde", "Distrikt", "Fynd", "Åtgärd", "Ansvarig enhet", "Ägare", "Fråga", "Klart senast", "Status",
         "Åtgärdad"],
        ["Trygghet och säkerhet", "Enhet A1", "Skyddsbedömning saknas för 20150312-****.", "Ny rutin för skyddsbedömning.",
         "Enhet E1", "Enhetschef", "skyddsbedomning_dokumenterad", "2024-09-30", "Öppen", ""],
    ]
    assert rows("namnd") == [
        ["Kvalitetsområde", "Distrikt", "Ansvarig enhet", "Ägare", "Fråga", "Klart senast", "Status", "Åtgärdad"],
        ["Trygghet och säkerhet", "Enhet A1", "Enhet E1", "Enhetschef", "skyddsbedomning_dokumenterad", "2024-09-30",
         "Öppen", ""],
    ]


def test_a_finding_gets_an_owner_role_and_the_question_it_is_about_and_refuses_unknown_ones(as_user, audit):
    assert add(as_user("inspektor"), audit, owner_role="enhetschef", question="utredning_4m").status_code == 302
    finding = AuditFinding.objects.get()
    assert (finding.owner_role, finding.question_id, finding.due_date.isoformat()) == (
        "enhetschef", "utredning_4m", "2024-09-30")
    add(as_user("inspektor"), audit, owner_role="kung")
    add(as_user("inspektor"), audit, question="finns_inte")
    assert AuditFinding.objects.count() == 1


def test_closing_the_audit_freezes_the_protocols_but_not_the_findings(as_user, audit):
    close_url = reverse("audits:status", kwargs={"audit_id": audit.pk})
    protocol = reverse("audits:protokoll", kwargs={"audit_id": audit.pk, "case_id": audit.cases.first().case_id})
    controller = as_user("controller")  # verksamhetscontroller of A1: does not reach every district
    assert controller.post(close_url, {"status": "avslutad"}).status_code == 403
    inspector = as_user("inspektor")
    page = inspector.get(reverse("audits:detalj", kwargs={"audit_id": audit.pk})).content.decode()
    assert "Avsluta granskningen" in page
    assert inspector.post(close_url, {"status": "avslutad", "bekraftat": "ja"}).status_code == 302
    audit.refresh_from_db()
    assert audit.closed_at is not None
    assert "Öppna granskningen igen" in inspector.get(reverse("audits:detalj", kwargs={"audit_id": audit.pk})).content.decode()
    frozen = inspector.get(protocol).content.decode()
    assert "Du kan läsa protokollet men inte ändra det." in frozen and "Spara protokollet" not in frozen
    assert add(inspector, audit).status_code == 302 and AuditFinding.objects.count() == 1  # follow-up goes on
    assert inspector.post(close_url, {"status": "pagaende"}).status_code == 302
    audit.refresh_from_db()
    assert audit.closed_at is None


def test_only_an_auditor_who_may_close_the_audit_writes_a_finding_for_the_whole_audit(as_user, audit):
    detail = reverse("audits:detalj", kwargs={"audit_id": audit.pk})
    controller = as_user("controller")  # reaches A1 only; the audit covers A1 and A2
    form = controller.get(detail).context["finding_form"]
    assert [value for value, _ in form.fields["district"].choices] == ["A1"]
    response = add(controller, audit, district="")
    assert response.status_code == 302
    assert "Välj ett distrikt" in controller.get(response["Location"]).content.decode()
    assert not AuditFinding.objects.exists()
    inspector = as_user("inspektor")
    assert "Hela granskningen" in inspector.get(detail).content.decode()
    assert add(inspector, audit, district="").status_code == 302
    assert AuditFinding.objects.get().district_id is None
