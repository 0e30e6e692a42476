"""The report's workbook through the shared download writer, and the import run the document names."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from egenkontroll.cases.models import ImportRun
from egenkontroll.pages import downloads
from egenkontroll.pages.tables import Column, Table
from egenkontroll.reports import document as docs
from egenkontroll.reports import exports
from egenkontroll.reports.models import MonthlyReport
from tests.reports.conftest import JANUARY


def table(caption: str, rows: list[dict]) -> Table:
    out = Table(id="t", caption=caption, columns=[Column("title", "Nyckeltal"), Column("value", "Värde", "value")])
    for row in rows:
        out.add(row, kind="share")
    return out


def test_the_workbook_has_one_sheet_per_table_written_like_every_download():
    analysis = "=HYPERLINK(\"http://exempel.invalid\") " + "lång analys " * 5
    body = exports.to_xlsx([table("a", [{"title": "Andel", "value": 0.75}]), table("b", [{"title": analysis}])])
    book = load_workbook(io.BytesIO(body))
    assert book.sheetnames == list(exports.SHEETS)
    share = book["Nyckeltal"]["B2"]
    assert (share.value, share.number_format) == (0.75, "0%")
    text = book["Avvikelser"]["A2"]
    assert text.value == "'" + analysis and text.data_type == "s"  # neutralised, never a formula
    assert text.alignment.wrap_text  # long texts (the analyses) wrapped


def test_a_single_table_download_is_unchanged_one_sheet_named_after_its_caption():
    book = load_workbook(io.BytesIO(downloads.to_xlsx(table("Nyckeltal: januari/2026", [{"title": "x" * 60}]))))
    assert book.sheetnames == ["Nyckeltal  januari 2026"]
    assert not book.active["A2"].alignment.wrap_text


def test_the_document_names_the_import_run_its_figures_come_from(municipality):
    run = ImportRun.objects.exclude(status="failed").latest("id")
    doc = docs.build(MonthlyReport(month=JANUARY, unit_id="F"))
    assert doc["import_run"] == {"id": run.pk, "started_at": str(run.started_at)}
