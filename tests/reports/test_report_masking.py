"""The nämnd's reports of one month cannot be subtracted from each other and show what Översikt shows.

The test municipality (conftest.py) with six anmälningar in Södra förvaltningen in January 2026:

    S  Teststad              7 anmälningar
    ├── F  Norra förvaltningen   1 (C2)   → "<5"
    └── F2 Södra förvaltningen   6        → must be hidden too ("x"), or 7 − 6 gives Norra's 1
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from egenkontroll.reports import document as docs
from egenkontroll.reports.models import MonthlyReport
from tests.cases.factory import event, personnummer
from tests.overview import municipality as M
from tests.reports.conftest import JANUARY
from tests.reports.html import column

SOUTH_ANMALNINGAR = 6


@pytest.fixture
def city_events() -> list[dict]:
    south = [
        event(f"s{i}a", f"S{i}", personnummer(dt.date(2014, 3, i + 1), 100 + i), "anmalan", dt.date(2026, 1, 5 + i),
              "E2", "eva", source="skola")
        for i in range(SOUTH_ANMALNINGAR)
    ]
    return [*M.events(), *south]


@pytest.fixture
def city_caseworkers() -> list[tuple]:
    return [*M.CASEWORKERS, ("eva", "Eva Ek", "E2", "socialsekreterare", "2020-01-01", "")]


def fastställd(unit_id: str, user) -> MonthlyReport:
    report = MonthlyReport.objects.create(month=JANUARY, unit_id=unit_id)
    for miss in docs.build(report)["target_misses"]:
        docs.save_analysis(report, miss["kpi"], "Orsak.", "Åtgärd.", user)
    return docs.finalize(report, user)


def report_cells(client, report: MonthlyReport) -> dict[str, object]:
    """Nyckeltal title → the value cell of the report's workbook, as this client gets it."""
    book = load_workbook(io.BytesIO(client.get(f"/rapport/{report.pk}/ladda-ner/rapport.xlsx").content))
    rows = list(book["Nyckeltal"].iter_rows(values_only=True))
    value = rows[0].index("Värde")
    return {row[0]: row[value] for row in rows[1:]}


def oversikt_cells(client, month: dt.date) -> dict[str, dict[str, str]]:
    """Column header → Nyckeltal title → cell of the Översikt table of the month, as this client gets it."""
    end = docs.TM.month_end(month)
    body = client.get(f"/oversikt/ladda-ner/nyckeltal.csv?fran={month}&till={end}").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    header = rows[0]
    return {col: {row[0]: row[i] for row in rows[1:]} for i, col in enumerate(header)}


def same_cell(report_value, oversikt_text: str) -> bool:
    if report_value is None:
        return oversikt_text == ""
    number = oversikt_text.replace(",", ".", 1)  # the Swedish CSV writes a decimal comma (0,142857)
    if isinstance(report_value, str) or not number.replace(".", "", 1).isdigit():
        return str(report_value) == oversikt_text
    return abs(float(number) - report_value) < 1e-6


def test_a_small_district_count_cannot_be_worked_out_from_the_city_and_the_other_district(municipality, login):
    reports = {unit: fastställd(unit, municipality["avdchef"]) for unit in ("S", "F", "F2")}
    client = login("namnd")
    cells = {unit: report_cells(client, report) for unit, report in reports.items()}
    assert cells["S"]["Anmälningar"] == 1 + SOUTH_ANMALNINGAR
    assert cells["F"]["Anmälningar"] == "<5"
    assert cells["F2"]["Anmälningar"] == "x"  # with 6 shown, 7 − 6 would give Norra's 1
    # the same in the page the nämnd reads
    page = client.get(f"/rapport/{reports['F2'].pk}/").content.decode()
    assert column(page, "Alla nyckeltal", "Värde")["Anmälningar"].text == "x"


def test_the_nämnds_report_shows_exactly_the_cells_of_oversikt(municipality, login):
    reports = {unit: fastställd(unit, municipality["avdchef"]) for unit in ("S", "F", "F2")}
    client = login("namnd")
    oversikt = oversikt_cells(client, JANUARY)
    columns = {"S": "Teststad (totalt)", "F": "Norra förvaltningen", "F2": "Södra förvaltningen"}
    for unit, report in reports.items():
        cells = report_cells(client, report)
        assert cells.keys() == oversikt[columns[unit]].keys()
        differ = {k: (v, oversikt[columns[unit]][k]) for k, v in cells.items() if not same_cell(v, oversikt[columns[unit]][k])}
        assert not differ, (unit, differ)


def test_the_masked_view_is_frozen_with_the_report(municipality, login):
    report = fastställd("F2", municipality["avdchef"])
    anmalningar = next(f for f in report.frozen["figures"] if f["kpi"] == "anmalningar")
    assert anmalningar["masked_value"] == "x" and anmalningar["numerator"] == SOUTH_ANMALNINGAR
    for miss in report.frozen["target_misses"]:
        assert all("masked_value" in point for point in miss["trend"])
