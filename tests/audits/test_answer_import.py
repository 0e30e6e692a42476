"""Importing answers into an audit on the web, the inspectors' tables of it, pre-filled answers and last year.

The audit: template familjevård over districts A1 and A2 of the access tests' city, its sample
stored directly. The expected tables are written by hand from the answers each test posts.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from egenkontroll.access.models import AccessLog
from egenkontroll.audits.frozen_template import template_json
from egenkontroll.audits.models import Audit, AuditAnswer, AuditCase
from egenkontroll.cases.models import Case, Event, ImportRun, Person
from egenkontroll.core.audits import load_templates

pytestmark = pytest.mark.django_db
TEMPLATE = load_templates()["familjevard"]
HEADER = "audit,case_id,district,gender,criterion,answer\n"


def make_audit(users, cases: dict[str, tuple[str, str]], *, period=(dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
               closed=False) -> Audit:
    """cases: case_id → (district, gender); Case rows are made for ids the city does not have."""
    run = ImportRun.objects.get()
    new = [cid for cid in cases if not Case.objects.filter(case_id=cid).exists()]
    Person.objects.bulk_create(Person(person_key=f"P{cid}", birth_year=2014) for cid in new)
    Case.objects.bulk_create(
        Case(case_id=cid, person_id=f"P{cid}", unit_id={"A1": "G1", "A2": "G3"}[cases[cid][0]],
             first_date=dt.date(2024, 1, 1), last_date=dt.date(2024, 3, 1), event_count=0)
        for cid in new
    )
    assert run is not None
    audit = Audit.objects.create(
        template_id="familjevard", title="Familjevård", template_snapshot=template_json(TEMPLATE),
        period_from=period[0], period_to=period[1], level="avdelning", per_district=100, seed=1,
        district_ids=["A1", "A2"], created_by=users["inspektor"],
        closed_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC) if closed else None,
    )
    AuditCase.objects.bulk_create(
        AuditCase(audit=audit, position=i + 1, case_id=cid, district_id=district, unit_id="G1", gender=gender)
        for i, (cid, (district, gender)) in enumerate(cases.items())
    )
    return audit


def post_file(client, audit, text: str, name="svar.csv"):
    upload = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    return client.post(reverse("audits:importera", kwargs={"audit_id": audit.pk}), {"file": upload})


SMALL = {"K1": ("A1", "F"), "K2": ("A1", "M"), "K3": ("A1", "F"), "K4": ("A2", "M"), "K5": ("A2", "F")}
# Hälsokort: K1 ja, K2 nej, K3 ja, K4 ja, K5 nej. Fysisk hälsa: K1 ja, K2 ja, K3 nej, K4 nej, K5 ej aktuellt.
SMALL_FILE = HEADER + "\n".join([
    "familjevard,K1,Enhet A1,F,Hälsokort utskickat,Ja",
    "familjevard,K2,Enhet A1,M,halsokort_utskickat,NEJ",
    "familjevard,K3,A1,F,hälsokort utskickat,ja",  # the district by its id
    "familjevard,K4,Enhet A2,M,Hälsokort utskickat,JA",
    "familjevard,K5,Enhet A2,F,Hälsokort utskickat,nej",
    "familjevard,K1,Enhet A1,F,fysisk_halsa_overvagande,ja",
    "familjevard,K2,Enhet A1,M,fysisk_halsa_overvagande,Ja",
    "familjevard,K3,A1,F,fysisk_halsa_overvagande,Nej",
    "familjevard,K4,Enhet A2,M,fysisk_halsa_overvagande,nej",
    "familjevard,K5,Enhet A2,F,fysisk_halsa_overvagande,Ej aktuell",
    # rejected, row by row (rows 12–16)
    "familjevard,K9,Enhet A1,F,fysisk_halsa_overvagande,ja",
    "familjevard,K1,Enhet A1,F,Finns inte,ja",
    "familjevard,K6,Enhet A1,M,Barnets vilja belyses,ja",  # K6 was sampled in A2
    "barnavardsutredning,K1,Enhet A1,F,Hälsokort utskickat,ja",
    "familjevard,K1,Enhet A1,F,npf_diagnos,ej aktuellt",
]) + "\n"


def test_an_inspector_imports_answers_and_every_bad_row_is_rejected_with_its_reason(users, as_user):
    audit = make_audit(users, {**SMALL, "K6": ("A2", "M")})
    response = post_file(as_user("inspektor"), audit, SMALL_FILE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "10 svar i 5 ärenden importerades, 5 rader avvisades." in page
    for reason in ("ärendet ingår inte i granskningens urval", "frågan finns inte i granskningens mall",
                   "distriktet stämmer inte med urvalet", "raden gäller en annan granskning",
                   "svaret är inte tillåtet för frågan"):
        assert reason in page
    stored = dict(((a.audit_case.case_id, a.question_id), a.answer) for a in AuditAnswer.objects.select_related("audit_case"))
    assert stored == {
        ("K1", "halsokort_utskickat"): "ja", ("K2", "halsokort_utskickat"): "nej", ("K3", "halsokort_utskickat"): "ja",
        ("K4", "halsokort_utskickat"): "ja", ("K5", "halsokort_utskickat"): "nej",
        ("K1", "fysisk_halsa_overvagande"): "ja", ("K2", "fysisk_halsa_overvagande"): "ja",
        ("K3", "fysisk_halsa_overvagande"): "nej", ("K4", "fysisk_halsa_overvagande"): "nej",
        ("K5", "fysisk_halsa_overvagande"): "ej_aktuellt",
    }
    assert set(AuditAnswer.objects.values_list("source", flat=True)) == {"import"}
    assert not AuditCase.objects.filter(complete=True).exists()  # most questions still unanswered
    entry = AccessLog.objects.filter(page="granskning-import").latest("seq")
    assert entry.action == "list" and sorted(json.loads(entry.case_ids)) == ["K1", "K2", "K3", "K4", "K5"]


def test_the_import_is_for_auditors_in_reach_only(users, as_user):
    audit = make_audit(users, SMALL)
    assert post_file(as_user("namnd"), audit, SMALL_FILE).status_code == 403
    assert post_file(as_user("chef"), audit, SMALL_FILE).status_code == 403
    assert not AuditAnswer.objects.exists()
    # the verksamhetscontroller of A1 reaches K1–K3 only: the A2 rows are rejected as outside reach
    page = post_file(as_user("controller"), audit, SMALL_FILE).content.decode()
    assert "6 svar i 3 ärenden importerades" in page and "du har inte behörighet att granska ärendet" in page
    assert set(AuditAnswer.objects.values_list("audit_case__case_id", flat=True)) == {"K1", "K2", "K3"}


def test_a_closed_audit_takes_no_import_and_a_broken_file_is_refused(users, as_user):
    closed = make_audit(users, SMALL, closed=True)
    post_file(as_user("inspektor"), closed, SMALL_FILE)
    assert not AuditAnswer.objects.exists()
    audit = make_audit(users, {"K6": ("A1", "F")})
    response = post_file(as_user("inspektor"), audit, "audit,case_id\nfamiljevard,K6\n")
    assert response.status_code == 400 and "saknas" in response.content.decode()
    assert post_file(as_user("inspektor"), audit, "x", name="svar.txt").status_code == 400


def test_a_hundred_case_file_is_imported_within_five_seconds(users, as_user):
    cases = {f"H{i:03d}": ("A1" if i < 50 else "A2", "F" if i % 2 else "M") for i in range(100)}
    audit = make_audit(users, cases)
    lines = [
        f"familjevard,{cid},{district},{gender},{q.id},{'ej aktuellt' if q.when else ('ja' if (i + j) % 3 else 'nej')}"
        for i, (cid, (district, gender)) in enumerate(cases.items()) for j, q in enumerate(TEMPLATE.questions)
    ]
    client = as_user("inspektor")
    assert client.get(reverse("audits:importera", kwargs={"audit_id": audit.pk})).status_code == 200  # warm the URLconf
    started = time.perf_counter()
    response = post_file(client, audit, HEADER + "\n".join(lines) + "\n")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.content.decode()[:500]
    assert AuditAnswer.objects.count() == 100 * len(TEMPLATE.questions)
    assert AuditCase.objects.filter(audit=audit, complete=True).count() == 100
    print(f"\nimport of 100 cases × {len(TEMPLATE.questions)} questions: {elapsed:.2f} s")
    assert elapsed < 5


def test_the_inspectors_tables_of_the_audit_every_cell(users, as_user):
    audit = make_audit(users, SMALL)
    post_file(as_user("inspektor"), audit, SMALL_FILE)
    inspector = as_user("inspektor")
    url = reverse("audits:tabeller-fil", kwargs={"audit_id": audit.pk, "fmt": "xlsx"})
    book = openpyxl.load_workbook(io.BytesIO(inspector.get(url).content))
    rows = [list(r) for r in book["familjevard"].iter_rows(values_only=True)]
    # By hand: A1 = K1 K2 K3, A2 = K4 K5. Hälsokort ja: K1 K3 | K4. Fysisk hälsa ja: K1 K2 | none, K5 ej aktuellt.
    assert rows[:4] == [
        ["Hälsa", None, None, None],
        ["Hälsa", "Enhet A1 (n=3)", "Enhet A2 (n=2)", "Total (n=5)"],
        ["Hälsokort utskickat", "2", "1", "3"],
        ["Fysisk hälsa uppföljt i senaste övervägandet", "2", "0 (n=1)", "2 (n=4)"],
    ]
    # shares with 95 % Wilson intervals: 2/3 → 67 % (21–94 %), 1/2 → 50 % (9–91 %), 3/5 → 60 % (23–88 %),
    # 2/3 → 67 % (21–94 %), 0/1 → 0 % (0–79 %), 2/4 → 50 % (15–85 %)
    assert rows[4] == [None] * 4  # a blank row between the tables
    assert rows[5:7] == [
        ["Hälsa: andel ja (95 % konfidensintervall)", None, None, None],
        ["Hälsa", "Enhet A1 (n=3)", "Enhet A2 (n=2)", "Total (n=5)"],
    ]
    assert rows[7:9] == [
        ["Hälsokort utskickat", "67 % (21–94 %)", "50 % (9–91 %)", "60 % (23–88 %)"],
        ["Fysisk hälsa uppföljt i senaste övervägandet", "67 % (21–94 %)", "0 % (0–79 %)", "50 % (15–85 %)"],
    ]
    assert rows[9][0].startswith("(n=…) vid ett antal")
    assert "ryms inom vad slumpen kan ge" in rows[10][0] and "ryms inom vad slumpen kan ge" in rows[11][0]
    gender = rows[rows.index(["Jämställdhetsanalys: ja per kön", None, None, None]) + 1:][:3]
    # girls K1 K3 K5, boys K2 K4: hälsokort ja K1 K3 (2 of 3) | K4 (1 of 2); fysisk ja K1 (1 of 2) | K2 (1 of 2)
    assert gender == [
        ["Fråga", "Flickor/kvinnor (n=3)", "Pojkar/män (n=2)", None],
        ["Hälsokort utskickat", "2 av 3: 67 % (21–94 %)", "1 av 2: 50 % (9–91 %)", None],
        ["Fysisk hälsa uppföljt i senaste övervägandet", "1 av 2: 50 % (9–91 %)", "1 av 2: 50 % (9–91 %)", None],
    ]
    page = inspector.get(reverse("audits:tabeller", kwargs={"audit_id": audit.pk})).content.decode()
    assert "Enhet A1 (n=3)" in page and "0 (n=1)" in page and "2 (n=4)" in page
    pdf = inspector.get(reverse("audits:tabeller-fil", kwargs={"audit_id": audit.pk, "fmt": "pdf"}))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # the nämnd sees why, not the small counts; it cannot download them
    masked = as_user("namnd").get(reverse("audits:tabeller", kwargs={"audit_id": audit.pk})).content.decode()
    assert "(n=3)" not in masked and "visas bara för den som ser exakta antal" in masked
    assert as_user("namnd").get(url).status_code == 403


def test_the_events_answer_beside_the_reviewers_with_the_agreement(users, as_user):
    audit = make_audit(users, SMALL)
    run = ImportRun.objects.get()
    # vårdplan among the events for K1 and K2 only
    Event.objects.bulk_create(
        Event(event_id=f"V{cid}", case_id=cid, person_id=f"P{cid}", event_type="vardplan", date=dt.date(2024, 2, 1),
              unit_id="G1", content_hash="x", import_run=run)
        for cid in ("K1", "K2")
    )
    # reviewer: K1 ja (agrees), K2 nej (disagrees), K3 nej (agrees: no vårdplan event), K4 ja (disagrees)
    answers = {"K1": "ja", "K2": "nej", "K3": "nej", "K4": "ja"}
    text = HEADER + "".join(f"familjevard,{c},{SMALL[c][0]},{SMALL[c][1]},vardplan,{a}\n" for c, a in answers.items())
    post_file(as_user("inspektor"), audit, text)
    page = as_user("inspektor").get(reverse("audits:detalj", kwargs={"audit_id": audit.pk})).content.decode()
    table = page[page.index("Granskarens svar jämfört med vad händelserna visar"):]
    row = table[table.index("Vårdplan finns"):table.index("</tr>", table.index("Vårdplan finns"))]
    assert [c for c in ("4", "2", "50") if c in row] == ["4", "2", "50"]
    protocol = as_user("inspektor").get(reverse("audits:protokoll", kwargs={"audit_id": audit.pk, "case_id": "K2"}))
    text = protocol.content.decode()
    assert "Enligt händelserna: <strong>Ja</strong>" in text
    assert "6 kap. 8 § socialtjänstlagen (2001:453) (till 2025-06-30)" in text  # audited 2024: the old SoL


def test_next_years_audit_is_compared_question_by_question(users, as_user):
    earlier = make_audit(users, SMALL)
    post_file(as_user("inspektor"), earlier, SMALL_FILE)  # hälsokort 3 of 5 = 60 %
    later = make_audit(users, SMALL, period=(dt.date(2025, 1, 1), dt.date(2025, 12, 31)))
    text = HEADER + "".join(f"familjevard,{c},{d},{g},halsokort_utskickat,ja\n" for c, (d, g) in list(SMALL.items())[:4]) \
        + "familjevard,K5,A2,F,halsokort_utskickat,nej\n"  # 4 of 5 = 80 %
    post_file(as_user("inspektor"), later, text)
    page = as_user("inspektor").get(reverse("audits:detalj", kwargs={"audit_id": later.pk})).content.decode()
    table = page[page.index("Jämfört med granskningen 2024-01-01–2024-12-31"):]
    row = table[table.index("Hälsokort utskickat"):table.index("</tr>", table.index("Hälsokort utskickat"))]
    assert "80" in row and "60" in row and "+20 procentenheter" in row


def test_rejects_of_the_cli_and_the_web_agree_on_a_file_error(users, as_user):
    audit = make_audit(users, {"K1": ("A1", "F")})
    response = post_file(as_user("inspektor"), audit, HEADER + "familjevard,K1,A1,F,halsokort_utskickat,kanske\n")
    assert "okänt svar (ska vara ja, nej eller ej aktuellt)" in response.content.decode()
    assert list(csv.reader(io.StringIO(HEADER)))[0][-1] == "answer"


def test_the_command_line_fills_an_audit_with_the_same_checks_and_logs_it(users, tmp_path):
    from typer.testing import CliRunner

    from egenkontroll.cli import audit_commands  # noqa: F401  (registers the commands)
    from egenkontroll.cli.app import app

    audit = make_audit(users, SMALL)
    path = tmp_path / "svar.csv"
    path.write_text(SMALL_FILE, encoding="utf-8")
    rejects = tmp_path / "avvisade.csv"
    base = ["audit", "import", "--answers", str(path), "--audit", str(audit.pk)]
    refused = CliRunner().invoke(app, [*base, "--user", "namnd"])
    assert refused.exit_code == 1 and "får inte fylla i granskningen" in refused.output
    done = CliRunner().invoke(app, [*base, "--user", "controller", "--rejects", str(rejects)])
    assert done.exit_code == 0, done.output
    assert "6 svar i 3 ärenden importerades till granskning" in done.output  # A1 only: the controller's reach
    assert set(AuditAnswer.objects.values_list("audit_case__case_id", flat=True)) == {"K1", "K2", "K3"}
    reasons = [row["reason"] for row in csv.DictReader(rejects.open(encoding="utf-8"))]
    assert reasons.count("du har inte behörighet att granska ärendet") == 4  # K4 and K5, two rows each
    entry = AccessLog.objects.filter(page="granskning-import").latest("seq")
    assert (entry.username, entry.client, sorted(json.loads(entry.case_ids))) == ("controller", "cli", ["K1", "K2", "K3"])


def test_the_tables_come_as_pdf_and_xlsx_only(users, as_user):
    audit = make_audit(users, SMALL)
    url = reverse("audits:tabeller-fil", kwargs={"audit_id": audit.pk, "fmt": "csv"})
    assert as_user("inspektor").get(url).status_code == 404
