"""The committee report pages on the test municipality: draft, analyses, fastställ, the nämnd, downloads, scope."""

from __future__ import annotations

import io
import json
import re
import subprocess

import polars as pl
import pytest
from openpyxl import load_workbook

from egenkontroll.core.kpi_catalogue import KPI_IDS
from egenkontroll.pages import snapshot
from egenkontroll.reports import document as docs
from egenkontroll.reports.models import FINAL, MonthlyReport, ReportFrozenError, TargetMissAnalysis
from tests.overview import municipality as M
from tests.reports.conftest import JANUARY, JANUARY_TARGET_MISS_TITLES, JANUARY_TARGET_MISSES
from tests.reports.html import column, table

CONFIRM = {"bekraftat": "ja"}


def open_draft(client, unit: str = "F", month: str = "2026-01-01") -> MonthlyReport:
    response = client.post("/rapport/ny/", {"month": month, "unit": unit})
    assert response.status_code == 302, response.content[:500]
    return MonthlyReport.objects.get(month=month, unit_id=unit)


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def write_all_analyses(client, report: MonthlyReport, skip: str | None = None) -> None:
    data = {}
    for kpi_id in JANUARY_TARGET_MISSES:
        if kpi_id == skip:
            continue
        data |= {f"{kpi_id}-cause": "Hög arbetsbelastning i mottagningen.", f"{kpi_id}-actions": "Ny rutin för fördelning."}
    response = client.post(f"/rapport/{report.pk}/analyser/", data)
    assert response.status_code == 302


def test_the_draft_lists_januarys_target_misses(login):
    client = login("controller")
    report = open_draft(client)
    response = client.get(f"/rapport/{report.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r'<section class="avvikelse" id="avvikelse-([a-z0-9_]+)"', html) == JANUARY_TARGET_MISSES
    assert "Nämndrapport januari 2026" in html
    # the summary has every figure, the volumes without a target
    assert "Anmälningar" in html and "inget mål" in html
    # a six-month trend per target miss, August to January, and its chart drawn on the server
    assert "augusti 2025" in html and re.search(r'<svg class="diagram-svg"[^>]*aria-label="[^"]+, sex månader"', html)
    assert "återkommande" not in text(response)  # December had no decisions


def test_the_list_shows_status_and_number_of_target_misses(login):
    client = login("controller")
    open_draft(client)
    page = text(client.get("/rapport/"))
    assert "Utkast, 4 avvikelser" in page
    assert "Norra förvaltningen" in page and "Södra förvaltningen" not in page  # outside the controller's reach
    assert "februari 2026" in page  # the last full month is offered


def test_saving_an_analysis_masks_a_personnummer(login):
    client = login("chef")  # the enhetschef of E writes analyses for the district
    report = open_draft(client)
    client.post(
        f"/rapport/{report.pk}/analyser/",
        {"fb_inom_14d_andel-cause": "Ärendet för 20150510-2382 blev sent.", "fb_inom_14d_andel-actions": "Rutin."},
    )
    analysis = TargetMissAnalysis.objects.get(report=report, kpi_id="fb_inom_14d_andel")
    assert analysis.cause == "Ärendet för 20150510-**** blev sent."
    assert analysis.author.get_username() == "chef"


def test_an_analysis_of_a_figure_that_does_not_miss_its_target_is_not_saved(login):
    client = login("controller")
    report = open_draft(client)
    client.post(f"/rapport/{report.pk}/analyser/", {"utr_inom_4m_andel-cause": "x"})
    assert not TargetMissAnalysis.objects.filter(report=report).exists()


def test_fastställ_is_refused_while_an_analysis_is_missing(login):
    client = login("controller")
    report = open_draft(client)
    write_all_analyses(client, report, skip="fb_dagar_median")
    response = client.post(f"/rapport/{report.pk}/faststall/", CONFIRM, follow=True)
    assert "kan inte fastställas" in text(response)
    report.refresh_from_db()
    assert report.status == "utkast" and report.frozen is None


def test_fastställd_report_is_frozen_against_changed_figures(login, monkeypatch):
    client = login("controller")
    report = open_draft(client)
    write_all_analyses(client, report)
    client.post(f"/rapport/{report.pk}/faststall/", CONFIRM)
    report.refresh_from_db()
    assert report.status == FINAL and report.finalized_by.get_username() == "controller"
    assert [d["kpi"] for d in report.frozen["target_misses"]] == JANUARY_TARGET_MISSES
    client.get(f"/rapport/{report.pk}/")  # shows (and so clears) the messages of the steps above
    before = client.get(f"/rapport/{report.pk}/").content.decode()

    # A re-import corrects January: every förhandsbedömning in F on time.
    real = snapshot.Snapshot.figure_rows

    def corrected(self, start, end, as_of, rows, breakdown=None):
        frame = real(self, start, end, as_of, rows, breakdown)
        fixed = (pl.col("node_id") == "F") & pl.col("kpi").is_in(["fb_inom_14d_andel", "fb_inom_10ad_andel"])
        return frame.with_columns(value=pl.when(fixed).then(1.0).otherwise(pl.col("value")))

    monkeypatch.setattr(snapshot.Snapshot, "figure_rows", corrected)
    draft = MonthlyReport(month=JANUARY, unit_id="F")
    # the change is seen live
    assert [d["kpi"] for d in docs.build(draft)["target_misses"]] == ["fb_dagar_median", "utr_dagar_median"]
    after = client.get(f"/rapport/{report.pk}/").content.decode()
    assert re.findall(r'id="avvikelse-([a-z0-9_]+)"', after) == JANUARY_TARGET_MISSES
    assert before.split("<main")[1].split("</main>")[0] == after.split("<main")[1].split("</main>")[0]
    # and nothing writes to it any more
    with pytest.raises(ReportFrozenError):
        TargetMissAnalysis.objects.get(report=report, kpi_id="fb_dagar_median").save()
    response = client.post(f"/rapport/{report.pk}/analyser/", {"fb_dagar_median-cause": "ny"})
    assert response.status_code == 403


def test_the_enhetschef_writes_but_does_not_fastställa(login):
    client = login("chef")
    report = open_draft(client)
    write_all_analyses(client, report)
    assert client.post(f"/rapport/{report.pk}/faststall/", CONFIRM).status_code == 403
    assert ">Fastställ<" not in client.get(f"/rapport/{report.pk}/").content.decode()


def finalized_report(login) -> MonthlyReport:
    client = login("avdchef")
    report = open_draft(client)
    write_all_analyses(client, report)
    client.post(f"/rapport/{report.pk}/faststall/", CONFIRM)
    report.refresh_from_db()
    assert report.is_final
    return report


def test_the_nämnd_sees_only_fastställda_reports_with_small_numbers_masked(login):
    draft = open_draft(login("controller"), month="2025-12-01")
    report = finalized_report(login)
    client = login("namnd")
    assert client.get(f"/rapport/{draft.pk}/").status_code == 404
    listing = client.get("/rapport/").content.decode()
    assert f"/rapport/{report.pk}/" in listing and f"/rapport/{draft.pk}/" not in listing
    assert "Öppna utkastet" not in listing
    response = client.get(f"/rapport/{report.pk}/")
    assert response.status_code == 200
    page = text(response)
    # one report and one förhandsbedömning in January: "<5", never 1, and no numerators at all
    values = column(response.content.decode(), "Alla nyckeltal", "Värde")
    assert values["Anmälningar"].text == "<5"
    assert [values[t].text for t in JANUARY_TARGET_MISS_TITLES] == ["<5"] * 4
    assert "Täljare" not in page and "Nämnare" not in page
    assert "Hög arbetsbelastning i mottagningen." in page  # the analyses are the point of the report
    assert "Spara analysen" not in page
    assert client.post(f"/rapport/{report.pk}/faststall/", CONFIRM).status_code == 403


def test_no_case_or_person_in_the_report(login):
    report = finalized_report(login)
    client = login("inspektor")
    outputs = [
        client.get(f"/rapport/{report.pk}/").content.decode(),
        str(report.frozen),
    ]
    for output in outputs:
        for case_id in ("C1", "C2", "C3", "C4", "C5"):
            assert not re.search(rf"\b{case_id}\b", output)
        for name in ("Anna Andersson", "Bo Berg", "Cia Carlsson"):
            assert name not in output
        for pnr in M.PERSONS.values():
            assert pnr[:8] not in output.replace("-", "")


def test_pdf_and_workbook(login):
    report = finalized_report(login)
    client = login("controller")
    pdf = client.get(f"/rapport/{report.pk}/ladda-ner/rapport.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    xlsx = client.get(f"/rapport/{report.pk}/ladda-ner/rapport.xlsx")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["Nyckeltal", "Avvikelser"]
    figures = list(book["Nyckeltal"].iter_rows(values_only=True))
    assert len(figures) == 1 + len(KPI_IDS)  # header + every figure of the catalogue (16 since issue 11)
    misses = list(book["Avvikelser"].iter_rows(values_only=True))
    assert [row[0] for row in misses[1:]] == [
        "Förhandsbedömningar inom 14 dagar", "Förhandsbedömningar inom 10 arbetsdagar",
        "Dagar från anmälan till förhandsbedömning (median)", "Utredningstid i dagar (median)",
    ]
    assert "Hög arbetsbelastning i mottagningen." in misses[1]
    assert client.get(f"/rapport/{report.pk}/ladda-ner/rapport.csv").status_code == 404


def test_the_nämnds_workbook_is_masked(login):
    report = finalized_report(login)
    xlsx = login("namnd").get(f"/rapport/{report.pk}/ladda-ner/rapport.xlsx")
    rows = list(load_workbook(io.BytesIO(xlsx.content))["Nyckeltal"].iter_rows(values_only=True))
    assert "Täljare" not in rows[0]
    anmalningar = next(r for r in rows if r[0] == "Anmälningar")
    assert anmalningar[2] == "<5"


def test_a_controller_cannot_open_another_districts_report(login):
    report = open_draft(login("controller"))
    client = login("controller_syd")
    assert client.get(f"/rapport/{report.pk}/").status_code == 404
    assert client.get(f"/rapport/{report.pk}/ladda-ner/rapport.pdf").status_code == 404
    assert client.post(f"/rapport/{report.pk}/faststall/", CONFIRM).status_code == 404
    assert client.post("/rapport/ny/", {"month": "2026-01-01", "unit": "F"}).status_code == 400
    # their own district's report they may open
    own = open_draft(client, unit="F2")
    assert client.get(f"/rapport/{own.pk}/").status_code == 200
    assert login("controller").get(f"/rapport/{own.pk}/").status_code == 404


def test_caseworkers_read_their_districts_fastställda_reports_only(login):
    draft = open_draft(login("controller"), month="2025-12-01")
    report = finalized_report(login)
    client = login("anna")
    assert client.get(f"/rapport/{draft.pk}/").status_code == 404
    response = client.get(f"/rapport/{report.pk}/")
    assert response.status_code == 200
    assert "Täljare" not in text(response)  # anna's figures reach her group, not the whole district
    assert client.post("/rapport/ny/", {"month": "2026-01-01", "unit": "F"}).status_code == 403


def test_an_administrator_without_a_role_is_refused(login):
    report = open_draft(login("controller"))
    client = login("admin")
    assert client.get("/rapport/").status_code == 403
    assert client.get(f"/rapport/{report.pk}/").status_code == 403


def pdf_lines(response) -> list[str]:
    """The lines of a downloaded PDF as laid out (poppler's pdftotext): a table row is a line."""
    out = subprocess.run(["/usr/bin/pdftotext", "-layout", "-", "-"], input=response.content, capture_output=True,
                         check=True)
    return out.stdout.decode().splitlines()


def pdf_text(response) -> str:
    """The text of a downloaded PDF, whitespace folded."""
    return re.sub(r"\s+", " ", " ".join(pdf_lines(response)))


def test_the_nämnds_pdf_is_masked(login):
    report = finalized_report(login)
    lines = pdf_lines(login("namnd").get(f"/rapport/{report.pk}/ladda-ner/rapport.pdf"))
    (anmalningar,) = [line.split() for line in lines if line.strip().startswith("Anmälningar")]
    assert anmalningar == ["Anmälningar", "–", "<5", "–"]  # target, value, status: one anmälan is "<5"
    assert not any("Täljare" in line or "Nämnare" in line for line in lines)
    assert any("”x”" in line for line in lines)  # the note explains both marks
    # the controller sees the number itself, and its numerator
    lines = pdf_lines(login("controller").get(f"/rapport/{report.pk}/ladda-ner/rapport.pdf"))
    (anmalningar,) = [line.split() for line in lines if line.strip().startswith("Anmälningar")]
    assert anmalningar[:3] == ["Anmälningar", "–", "1"]


def test_a_masked_value_carries_no_status_colour_or_trend(login):
    report = finalized_report(login)
    client = login("namnd")
    page = client.get(f"/rapport/{report.pk}/").content.decode()
    # January in F: one förhandsbedömning, late; targets 100 % and ≤ 10 days. "avviker" beside
    # its "<5" would say that the one child's assessment was late.
    summary = table(page, "Alla nyckeltal")[1]
    for title in JANUARY_TARGET_MISS_TITLES:
        value, status = summary[title][1], summary[title][2]
        assert (value.text, status.text) == ("<5", "–")
        assert "mal-" not in value.css + status.css
    assert "avviker" not in text(client.get(f"/rapport/{report.pk}/"))
    for kpi_id in JANUARY_TARGET_MISSES:
        section = page.split(f'id="avvikelse-{kpi_id}"')[1].split("</section>")[0]
        assert "Underlag för litet för att redovisas" in section
        assert "når inte målet" not in section and "mal-miss" not in section
        assert f"trend-{kpi_id}" not in section and "augusti 2025" not in section  # no trend
    pdf = pdf_text(client.get(f"/rapport/{report.pk}/ladda-ner/rapport.pdf"))
    assert "underlag för litet för att redovisas" in pdf
    assert "avviker" not in pdf and "augusti 2025" not in pdf
    book = load_workbook(io.BytesIO(client.get(f"/rapport/{report.pk}/ladda-ner/rapport.xlsx").content))
    figures = {row[0]: row for row in book["Nyckeltal"].iter_rows(values_only=True)}
    assert [figures[t][2:] for t in JANUARY_TARGET_MISS_TITLES] == [("<5", "–")] * 4
    misses = list(book["Avvikelser"].iter_rows(values_only=True))
    assert [row[2] for row in misses[1:]] == ["underlag för litet för att redovisas"] * 4


def test_staff_who_see_the_exact_values_see_their_status(login):
    report = finalized_report(login)
    page = login("controller").get(f"/rapport/{report.pk}/").content.decode()
    cells = column(page, "Alla nyckeltal", "Måluppfyllelse")
    assert [cells[t].text for t in JANUARY_TARGET_MISS_TITLES] == ["avviker"] * 4
    assert all("mal-miss" in cells[t].css for t in JANUARY_TARGET_MISS_TITLES)
    assert page.count("(når inte målet)") == 4


def test_the_report_names_roles_never_user_names(login, municipality):
    report = finalized_report(login)  # written and fastställd by the user "avdchef"
    assert report.finalized_by.get_username() == "avdchef"  # the account stays in the database row
    role = "avdelningschef, Norra förvaltningen"
    assert report.frozen["finalized"] == {"at": report.frozen["finalized"]["at"], "by_role": role}
    assert {a["author_role"] for a in report.frozen["analyses"].values()} == {role}
    client = login("namnd")
    html = client.get(f"/rapport/{report.pk}/").content.decode()
    page = re.sub(r"<[^>]+>", " ", html.split("<main")[1].split("</main>")[0])  # the header names the reader
    pdf = pdf_text(client.get(f"/rapport/{report.pk}/ladda-ner/rapport.pdf"))
    book = load_workbook(io.BytesIO(client.get(f"/rapport/{report.pk}/ladda-ner/rapport.xlsx").content))
    workbook = " ".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v)
    assert f"av {role}" in re.sub(r"\s+", " ", page) and f"av {role}" in pdf
    usernames = [u.get_username() for u in municipality.values()]
    for output in (page, pdf, workbook, json.dumps(report.frozen, ensure_ascii=False)):
        found = [name for name in usernames if re.search(rf"\b{name}\b", output)]
        assert not found, found


def test_fastställ_asks_first_and_says_what_is_frozen(login):
    client = login("controller")
    report = open_draft(client)
    write_all_analyses(client, report)
    response = client.post(f"/rapport/{report.pk}/faststall/")
    assert response.status_code == 200
    page = text(response)
    assert "Fastställ går inte att ångra" in page and "4 avvikelser med sina analyser" in page
    assert "visas för nämnden" in page and "Avbryt" in page
    assert 'name="bekraftat" value="ja"' in response.content.decode()
    report.refresh_from_db()
    assert report.status == "utkast" and report.frozen is None
    assert client.post(f"/rapport/{report.pk}/faststall/", CONFIRM).status_code == 302
    report.refresh_from_db()
    assert report.status == FINAL


def test_all_analyses_are_one_form_so_saving_keeps_every_section(login):
    client = login("controller")
    report = open_draft(client)
    html = client.get(f"/rapport/{report.pk}/").content.decode()
    assert html.count('<form method="post" action="/rapport/') == 2  # the analyses, and fastställ
    assert all(f'name="{k}-cause"' in html for k in JANUARY_TARGET_MISSES)
    first, second = JANUARY_TARGET_MISSES[:2]
    client.post(f"/rapport/{report.pk}/analyser/", {f"{first}-cause": "Orsak ett", f"{second}-cause": "Orsak två"})
    saved = dict(TargetMissAnalysis.objects.filter(report=report).values_list("kpi_id", "cause"))
    assert saved == {first: "Orsak ett", second: "Orsak två"}


def test_a_too_long_analysis_keeps_everything_typed(login):
    client = login("controller")
    report = open_draft(client)
    first, second = JANUARY_TARGET_MISSES[:2]
    response = client.post(f"/rapport/{report.pk}/analyser/", {f"{first}-cause": "x" * 5000, f"{second}-cause": "Behåll mig"})
    assert response.status_code == 400
    assert "Behåll mig" in response.content.decode()
    assert not TargetMissAnalysis.objects.filter(report=report).exists()


def test_the_confirmation_offers_no_fastställ_while_an_analysis_is_missing(login):
    client = login("controller")
    report = open_draft(client)
    write_all_analyses(client, report, skip="fb_dagar_median")
    page = client.post(f"/rapport/{report.pk}/faststall/").content.decode()
    assert "Analys saknas för" in page and "Ja, fastställ rapporten" not in page and "Tillbaka" in page


def test_the_pdf_draws_each_target_misss_trend_beside_its_table(login):
    report = finalized_report(login)
    response = login("controller").get(f"/rapport/{report.pk}/ladda-ner/rapport.pdf")
    html = login("controller").get(f"/rapport/{report.pk}/").content.decode()
    misses = re.findall(r'<section class="avvikelse" id="avvikelse-([a-z0-9_]+)"', html)
    pdf = pdf_text(response)
    # the chart's axis writes months short ("aug 2025"), the table in full ("augusti 2025")
    assert "augusti 2025" in pdf and pdf.count("aug 2025") >= len(misses) > 0
