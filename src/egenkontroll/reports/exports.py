"""The report as a PDF (WeasyPrint) and as a workbook (openpyxl), from the same tables as the page.

Why it exists: the nämnd's papers are PDFs, and controllers keep figures in Excel. The PDF is
rendered from a print template with its stylesheet inline and every URL fetch refused, so it
never reaches out to a network (a page about children's services must not) and looks the same
on any server. The workbook has one sheet with every figure and one with the deviations and
their analyses; text cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import datetime as dt
import io

from django.template.loader import render_to_string
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from egenkontroll.overview.downloads import NUMBER_FORMATS, neutralise
from egenkontroll.overview.tables import Table

PDF_TYPE = "application/pdf"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEETS = ("Nyckeltal", "Avvikelser")


def _no_fetching():
    """A URL fetcher that fetches nothing but inline data: URLs."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("data",), timeout=1)


def to_pdf(context: dict) -> bytes:
    from weasyprint import HTML

    html = render_to_string("reports/rapport_pdf.html", context)
    return HTML(string=html, base_url="data:,", url_fetcher=_no_fetching()).write_pdf()


def to_xlsx(tables: list[Table]) -> bytes:
    """One sheet per table (SHEETS names them), header bold, numbers in their formats, text wrapped."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for title, table in zip(SHEETS, tables, strict=True):
        sheet = workbook.create_sheet(title=title)
        sheet.append([_cell(sheet, c.header, font=bold) for c in table.columns])
        for i, row in enumerate(table.rows):
            cells = []
            for col in table.columns:
                value = row.get(col.key)
                cell = _cell(sheet, value)
                kind = table.kind(i, col)
                if isinstance(value, int | float | dt.date) and kind in NUMBER_FORMATS:
                    cell.number_format = NUMBER_FORMATS[kind]
                if isinstance(value, str) and len(value) > 40:
                    cell.alignment = wrap
                cells.append(cell)
            sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(sheet, value, font=None):
    cell = WriteOnlyCell(sheet, value=neutralise(value))
    if isinstance(value, str):
        cell.data_type = "s"  # stored as text, never parsed as a formula
    if font is not None:
        cell.font = font
    return cell
