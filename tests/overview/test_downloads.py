"""Downloads: every table of every page as CSV and XLSX, formula injection neutralised, logged."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from openpyxl import load_workbook

from egenkontroll.access.models import AccessLog
from egenkontroll.pages.downloads import PLAIN_CSV, neutralise, to_csv, to_xlsx
from egenkontroll.pages.tables import Column, Table
from tests.overview.municipality import DAN

PAGES = {
    "/oversikt/?enhet=G2": ("/oversikt/ladda-ner/", ["nyckeltal", "underlag"]),
    "/oversikt/underlag/?nyckeltal=oppna_arenden&enhet=E": ("/oversikt/underlag/ladda-ner/", ["arenden"]),
    "/arbetslista/": ("/arbetslista/ladda-ner/", ["frister"]),
    "/arende/C3/": ("/arende/C3/ladda-ner/", ["frister", "handelser", "avslutade"]),
    "/flode/": ("/flode/ladda-ner/", ["flode", "ko", "inflode"]),
    "/handlaggare/": ("/handlaggare/ladda-ner/", ["handlaggare", "grupper", "fordelning", "personalrorlighet"]),
    "/nyckeltal/": ("/nyckeltal/ladda-ner/", ["katalog"]),
    "/nyckeltal/anmalningar/": (
        "/nyckeltal/anmalningar/ladda-ner/",
        ["trend", "per-gender", "per-age_band", "per-unaccompanied", "per-source"],  # source: issue 11
    ),
}


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark: Excel reads å, ä, ö
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


@pytest.mark.django_db
@pytest.mark.parametrize("page", list(PAGES))
def test_every_table_of_every_page_downloads(login, page):
    client = login("chef")
    response = client.get(page)
    base, tables = PAGES[page]
    query = page.split("?", 1)[1] if "?" in page else ""
    shown = [t.id for t in response.context["tables"]] + [c.table.id for c in response.context["charts"]]
    assert sorted(shown) == sorted(tables)
    for table in tables:
        suffix = f"?{query}" if query else ""
        as_csv = client.get(f"{base}{table}.csv{suffix}")
        assert as_csv.status_code == 200, table
        assert as_csv["Content-Type"] == "text/csv; charset=utf-8"
        assert as_csv["Content-Disposition"].startswith("attachment; filename=")
        page_table = next(t for t in [*response.context["tables"], *(c.table for c in response.context["charts"])] if t.id == table)
        rows = read_csv(as_csv.content)
        assert rows[0] == [neutralise(c.header) for c in page_table.columns if c.key not in page_table.page_only]
        assert len(rows) == 1 + len(page_table.rows)
        as_xlsx = client.get(f"{base}{table}.xlsx{suffix}")
        assert as_xlsx.status_code == 200
        sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
        assert sheet.max_row == 1 + len(page_table.rows)
        assert f'href="{base}{table}.csv' in response.content.decode()
    assert client.get(f"{base}nosuch.csv").status_code == 404
    assert client.get(f"{base}{tables[0]}.pdf").status_code == 404


@pytest.mark.django_db
def test_a_formula_like_name_is_neutralised_in_both_formats(login):
    client = login("chef")
    body = client.get("/oversikt/ladda-ner/nyckeltal.csv?enhet=G2").content
    header = read_csv(body)[0]
    assert "'" + DAN in header and DAN not in header
    sheet = load_workbook(io.BytesIO(client.get("/oversikt/ladda-ner/nyckeltal.xlsx?enhet=G2").content)).active
    cells = [c.value for c in sheet[1]]
    assert "'" + DAN in cells
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


@pytest.mark.django_db
def test_person_level_downloads_are_logged_as_exports(login):
    login("chef").get("/arbetslista/ladda-ner/frister.csv?enhet=G2")
    entry = AccessLog.objects.filter(action="export").latest("id")
    assert (entry.page, sorted(json.loads(entry.case_ids))) == ("arbetslista", ["C1", "C3"])


@pytest.mark.django_db
def test_downloads_need_a_login(client, municipality):
    response = client.get("/arbetslista/ladda-ner/frister.csv")
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_neutralise():
    assert [neutralise(v) for v in ("=1+1", "+46", "-2", "@SUM(A1)", "\tx", "\rx", "Anna", 5, -2.5, None)] == [
        "'=1+1", "'+46", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "Anna", 5, -2.5, None,
    ]


def test_raw_values_not_display_text():
    table = Table("t", "Test", [Column("name", "Namn"), Column("share", "Andel", "share"), Column("day", "Dag", "date")])
    table.add({"name": "=cmd", "share": 0.875, "day": dt.date(2026, 3, 10)})
    assert read_csv(to_csv(table)) == [["Namn", "Andel", "Dag"], ["'=cmd", "0,875", "2026-03-10"]]
    sheet = load_workbook(io.BytesIO(to_xlsx(table))).active
    assert [c.value for c in sheet[2]][:2] == ["'=cmd", 0.875]
    assert sheet["B2"].number_format == "0%"


def _signed_table() -> Table:
    table = Table("t", "Test", [Column("name", "Namn"), Column("days", "Dagar kvar", "int"),
                                Column("ratio", "Kvot", "ratio")])
    table.add({"name": "-tecken", "days": -3, "ratio": -0.5})
    table.add({"name": "@anna", "days": 1131, "ratio": 2.25})
    return table


def test_csv_for_swedish_excel_semicolons_decimal_comma_and_a_byte_order_mark():
    body = to_csv(_signed_table())
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.decode("utf-8-sig").splitlines() == ["Namn;Dagar kvar;Kvot", "'-tecken;-3;-0,5", "'@anna;1131;2,25"]


def test_machine_csv_commas_decimal_point_no_byte_order_mark():
    body = to_csv(_signed_table(), PLAIN_CSV)
    assert not body.startswith(b"\xef\xbb\xbf")
    assert body.decode("utf-8").splitlines() == ["Namn,Dagar kvar,Kvot", "'-tecken,-3,-0.5", "'@anna,1131,2.25"]


def test_negative_numbers_stay_numbers_in_the_workbook_text_is_neutralised():
    sheet = load_workbook(io.BytesIO(to_xlsx(_signed_table()))).active
    assert [c.value for c in sheet[2]] == ["'-tecken", -3, -0.5]
    assert sheet["B2"].data_type == "n" and sheet["A3"].value == "'@anna"


@pytest.mark.django_db
def test_page_download_in_both_csv_variants(login):
    client = login("chef")
    excel = client.get("/oversikt/ladda-ner/underlag.csv?enhet=G2")
    machine = client.get("/oversikt/ladda-ner/underlag.csv?enhet=G2&format=csv-maskin")
    assert excel.content.startswith(b"\xef\xbb\xbf") and not machine.content.startswith(b"\xef\xbb\xbf")
    excel_rows = read_csv(excel.content)
    machine_rows = list(csv.reader(io.StringIO(machine.content.decode("utf-8"))))
    assert len(excel_rows) == len(machine_rows) > 1 and excel_rows[0] == machine_rows[0]
    decimal_comma, decimal_point = re.compile(r"-?\d+,\d+"), re.compile(r"-?\d+\.\d+")
    assert any(decimal_comma.fullmatch(cell) for row in excel_rows[1:] for cell in row)
    assert not any(decimal_point.fullmatch(cell) for row in excel_rows[1:] for cell in row)
    assert any(decimal_point.fullmatch(cell) for row in machine_rows[1:] for cell in row)
    assert not any(decimal_comma.fullmatch(cell) for row in machine_rows[1:] for cell in row)
