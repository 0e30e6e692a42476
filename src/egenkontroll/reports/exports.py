"""The report as a PDF (WeasyPrint) and as a workbook (openpyxl), from the same tables as the page.

Why it exists: the nämnd's papers are PDFs, and controllers keep figures in Excel. The PDF is
rendered from a print template with its stylesheet inline and every URL fetch refused, so it
never reaches out to a network (a page about children's services must not) and looks the same
on any server. The workbook has one sheet with every figure and one with the target misses and
their analyses, written like every download (`pages.downloads`): text cells that a
spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

from django.template.loader import render_to_string

from egenkontroll.pages import downloads
from egenkontroll.pages.tables import Table

SHEETS = ("Nyckeltal", "Avvikelser")
# Text cells longer than this are wrapped in the workbook.
WRAP_OVER = 40


def to_pdf(context: dict) -> bytes:
    return downloads.to_pdf(render_to_string("reports/rapport_pdf.html", context))


def to_xlsx(tables: list[Table]) -> bytes:
    """One sheet per table (SHEETS names them); long texts such as the analyses wrapped."""
    return downloads.to_xlsx_sheets(list(zip(SHEETS, tables, strict=True)), wrap_over=WRAP_OVER)
