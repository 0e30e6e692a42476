"""Results: andel ja per district and quality area from known answers; the nämnd's view masked; downloads."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from egenkontroll.audits.models import Audit, AuditAnswer, AuditCase
from tests.audits.conftest import new_audit

pytestmark = pytest.mark.django_db

# Trygghet och säkerhet has two questions. A1: ja 3, nej 2, ej aktuellt 1; A2: ja 2.
KNOWN = {
    "C1": {"skyddsbedomning_dokumenterad": "ja", "riskbedomning": "ja"},
    "C2": {"skyddsbedomning_dokumenterad": "ja", "riskbedomning": "nej"},
    "C3": {"skyddsbedomning_dokumenterad": "nej", "riskbedomning": "ej_aktuellt"},
    "C5": {"skyddsbedomning_dokumenterad": "ja", "riskbedomning": "ja"},
}
CASE_IDS = ("C1", "C2", "C3", "C4", "C5", "C6", "D1", "D2", "D3", "D4", "D5")


@pytest.fixture
def audit(as_user):
    new_audit(as_user("inspektor"), per_district="10")
    audit = Audit.objects.get()
    for case_id, given in KNOWN.items():
        case = AuditCase.objects.get(audit=audit, case_id=case_id)
        AuditAnswer.objects.bulk_create(
            AuditAnswer(audit_case=case, question_id=q, answer=a) for q, a in given.items()
        )
    return audit


def detail(client, audit):
    response = client.get(reverse("audits:detalj", kwargs={"audit_id": audit.pk}))
    assert response.status_code == 200
    return response


def rows_by(table, key: str) -> dict:
    return {row[key]: row for row in table.rows}


def test_shares_of_ja_per_district_and_area(as_user, audit):
    context = detail(as_user("inspektor"), audit).context
    assert context["exact"]
    areas = rows_by(context["areas"], "district")
    assert areas["Enhet A1"]["trygghet_sakerhet"] == "60\u00a0% (ja 3, nej 2)"
    assert areas["Enhet A2"]["trygghet_sakerhet"] == "100\u00a0% (ja 2, nej 0)"
    assert areas["Alla distrikt"]["trygghet_sakerhet"] == "71\u00a0% (ja 5, nej 2)"
    assert areas["Alla distrikt"]["effektivitet"] == "– (ja 0, nej 0)"
    results = [r for r in context["results"].rows if r["key"] == "trygghet_sakerhet" and r["gender"] == "Alla"]
    a1 = next(r for r in results if r["district_id"] == "A1")
    # 8 cases × 2 questions = 16 answers expected, 6 given.
    assert (a1["ja"], a1["nej"], a1["ej_aktuellt"], a1["obesvarade"], a1["andel_ja"]) == (3, 2, 1, 10, 0.6)
    question = rows_by(context["questions"], "question")["Finns en skyddsbedömning dokumenterad samma dag som anmälan kom in?"]
    assert (question["ja"], question["nej"], question["andel_ja"]) == (3, 1, 0.75)
    # Girls: C1, C3, C5 (ja 4, nej 1); boys: C2 (ja 1, nej 1).
    genders = rows_by(context["genders"], "area")["Trygghet och säkerhet"]
    assert genders["flicka"] == "80\u00a0% (ja 4, nej 1)"
    assert genders["pojke"] == "50\u00a0% (ja 1, nej 1)"


def test_progress_counts_complete_started_and_untouched_cases(as_user, audit):
    AuditCase.objects.filter(audit=audit, case_id="C1").update(complete=True, reviewed_at="2024-05-01T10:00:00Z")
    AuditCase.objects.filter(audit=audit, case_id="C2").update(reviewed_at="2024-05-01T10:00:00Z")
    progress = rows_by(detail(as_user("inspektor"), audit).context["progress"], "district")
    assert {k: progress["Enhet A1"][k] for k in ("klara", "paborjade", "ej_paborjade", "urval")} == {
        "klara": 1, "paborjade": 1, "ej_paborjade": 6, "urval": 8,
    }
    assert progress["Alla distrikt"]["urval"] == 11


def test_the_namnd_sees_masked_counts_and_no_case_ids(as_user, audit):
    response = detail(as_user("namnd"), audit)
    context = response.context
    assert not context["exact"]
    assert context["sample"] is None
    html = response.content.decode()
    assert "/arende/" not in html
    assert not any(f">{case_id}<" in html for case_id in CASE_IDS)
    results = [r for r in context["results"].rows if r["key"] == "trygghet_sakerhet" and r["gender"] == "Alla"]
    a1 = next(r for r in results if r["district_id"] == "A1")
    # ja 3 and nej 2 are small numbers: hidden, and so is the share that would give them away.
    assert (a1["ja"], a1["nej"], a1["andel_ja"]) == ("<5", "<5", None)
    assert rows_by(context["areas"], "district")["Enhet A1"]["trygghet_sakerhet"] == "– (ja <5, nej <5)"
    assert "Små tal" in html


def test_a_figure_scope_short_of_every_district_sees_masked_counts(as_user, audit):
    assert not detail(as_user("controller"), audit).context["exact"]  # A1 only; the audit covers A2 too
    new_audit(as_user("controller"))  # their own audit of A1
    own = Audit.objects.latest("id")
    assert detail(as_user("controller"), own).context["exact"]


def test_person_level_roles_see_the_sampled_cases_they_may_open(as_user, audit):
    sample = detail(as_user("chef"), audit).context["sample"]  # enhetschef of E1: the cases in G1 and G2
    assert sorted(r["case_id"] for r in sample.rows) == ["C1", "C2", "C3", "C4", "D1", "D2", "D3", "D4"]
    assert sample.links[(0, "case_id")].startswith(f"/granskning/{audit.pk}/arende/")


def test_export_csv_has_the_header_and_the_rows_of_the_page(as_user, audit):
    response = as_user("inspektor").get(
        reverse("audits:export", kwargs={"audit_id": audit.pk, "table": "resultat", "fmt": "csv"})
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Distrikt-id", "Distrikt", "Nivå", "Id", "Område eller fråga", "Kön", "Ja", "Nej", "Ej aktuellt",
        "Obesvarade", "Andel ja",
    ]
    assert ["A1", "Enhet A1", "Område", "trygghet_sakerhet", "Trygghet och säkerhet", "Alla", "3", "2", "1", "10",
            "0,6"] in rows
    assert ["ALLA", "Alla distrikt", "Fråga", "skyddsbedomning_dokumenterad",
            "Finns en skyddsbedömning dokumenterad samma dag som anmälan kom in?", "Alla", "3", "1", "0", "7",
            "0,75"] in rows


def test_the_namnds_xlsx_download_has_the_small_counts_masked(as_user, audit):
    xlsx = as_user("namnd").get(reverse("audits:export", kwargs={"audit_id": audit.pk, "table": "resultat", "fmt": "xlsx"}))
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header[:7] == ["Distrikt-id", "Distrikt", "Nivå", "Id", "Område eller fråga", "Kön", "Ja"]
    a1 = next(r for r in rows if r[0] == "A1" and r[3] == "trygghet_sakerhet" and r[5] == "Alla")
    # ja 3, nej 2: small numbers, hidden; so is the share.
    assert (a1[6], a1[7], a1[10]) == ("<5", "<5", None)
    counts = [v for r in rows for v in r[6:10]]
    assert not any(isinstance(v, int) and 1 <= v <= 4 for v in counts)


def test_an_unknown_table_or_format_is_not_found(as_user, audit):
    client = as_user("inspektor")
    for table, fmt in (("urval", "csv"), ("resultat", "pdf")):
        assert client.get(reverse("audits:export", kwargs={"audit_id": audit.pk, "table": table, "fmt": fmt})).status_code == 404


def test_the_list_shows_the_audit_with_its_progress(as_user, audit):
    AuditCase.objects.filter(audit=audit, case_id="C1").update(complete=True, reviewed_at="2024-05-01T10:00:00Z")
    html = as_user("inspektor").get(reverse("audits:lista")).content.decode()
    assert audit.title in html
    assert "1 av 11" in html
    assert ">Granskning</a>" in html  # the navigation link
    for user in ("namnd", "ledare"):  # the ledare's figure scope (G1) does not cover the audit's districts
        masked = as_user(user).get(reverse("audits:lista")).content.decode()
        assert "&lt;5 av 11" in masked


def progress_total(client, audit) -> tuple:
    row = rows_by(detail(client, audit).context["progress"], "district")["Alla distrikt"]
    return row["klara"], row["urval"]


def test_the_list_shows_progress_exactly_as_the_audit_page_masks_it(as_user, audit):
    # A1: all eight complete; A2: one of three. The page hides A2's 1 ("<5"), and so the total
    # klara 9 ("x"), which would give it away (9 - 8); the list must not show 9 either.
    AuditCase.objects.filter(audit=audit, district_id="A1").update(complete=True, reviewed_at="2024-05-01T10:00:00Z")
    AuditCase.objects.filter(audit=audit, case_id="C5").update(complete=True, reviewed_at="2024-05-01T10:00:00Z")
    for user in ("namnd", "controller"):  # the controller reaches A1 only: masked as well
        client = as_user(user)
        klara, urval = progress_total(client, audit)
        assert klara == "x"
        html = client.get(reverse("audits:lista")).content.decode()
        assert f"{klara} av {urval}" in html
        assert "9 av" not in html
    inspector = as_user("inspektor")
    assert progress_total(inspector, audit) == (9, 11)
    assert "9 av 11" in inspector.get(reverse("audits:lista")).content.decode()
