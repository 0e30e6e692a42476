"""Downloads: a page's table as CSV or XLSX, safe to open in a spreadsheet.

Why it exists: managers today count by hand in Excel (seed 003). Every table and every
chart's data can be taken there instead — but a cell a spreadsheet reads as a formula
(`=HYPERLINK(...)`, `+`, `-`, `@`) in a name or an id could run when the file is opened
(CSV/formula injection). Every text cell that starts like a formula is neutralised with a
leading apostrophe, in both formats. Numbers stay numbers, dates stay dates: a value the table
holds as a number (-3, -0,5) is written as a number, never neutralised; only text is.

CSV comes in two variants (docs/web.md): for Swedish Excel (the default: `;` between cells,
decimal comma, a UTF-8 byte order mark) and, with `?format=csv-maskin`, for machines (`,`,
decimal point, no byte order mark). This module is the one writer every download goes through.
PDFs (the nämndrapport, the audit tables) are rendered with every URL fetch refused (`to_pdf`),
so a printed page never reaches out to a network.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from egenkontroll.pages.tables import Table

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"
FORMATS = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_TYPE}
# A text cell starting with one of these is read as a formula by Excel, LibreOffice or Sheets
# (tab and carriage return as well, OWASP's list).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER_FORMATS = {"share": "0%", "ratio": "0.0", "days": "0.0", "int": "0", "date": "yyyy-mm-dd"}
# `?format=csv-maskin` on a CSV download: the plain variant for programs.
MACHINE_CSV = "csv-maskin"


@dataclass(frozen=True)
class CsvDialect:
    delimiter: str
    decimal: str
    bom: bool


EXCEL_CSV = CsvDialect(delimiter=";", decimal=",", bom=True)
PLAIN_CSV = CsvDialect(delimiter=",", decimal=".", bom=False)


def csv_dialect(request: HttpRequest | None) -> CsvDialect:
    """Swedish Excel unless the query string asks for the machine variant."""
    if request is not None and request.GET.get("format") == MACHINE_CSV:
        return PLAIN_CSV
    return EXCEL_CSV


def neutralise(value):
    """A text value that a spreadsheet would run as a formula, made inert; others unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(table: Table, dialect: CsvDialect = EXCEL_CSV) -> bytes:
    """UTF-8 (with a byte order mark for Excel, so it reads å, ä, ö), a header row, CRLF lines."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=dialect.delimiter, lineterminator="\r\n")
    writer.writerow([neutralise(c.header) for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_value(row.get(c.key), dialect) for c in table.columns])
    return buffer.getvalue().encode("utf-8-sig" if dialect.bom else "utf-8")


def _csv_value(value, dialect: CsvDialect):
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return neutralise(str(value))
    if isinstance(value, float):
        return repr(round(value, 6)).replace(".", dialect.decimal)
    if isinstance(value, int):
        return str(value)
    return neutralise(value)


def to_xlsx(table: Table) -> bytes:
    """A workbook with the table as its one sheet, named after the caption."""
    return to_xlsx_sheets([(table.caption, table)])


def to_xlsx_sheets(sheets: Sequence[tuple[str, Table]], wrap_over: int | None = None) -> bytes:
    """A workbook with one sheet per (title, table): a bold header row, numbers in their formats.

    Text longer than `wrap_over` characters is wrapped (long texts such as analyses stay readable).
    """
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for title, table in sheets:
        sheet = workbook.create_sheet(title=_sheet_title(title))
        header = []
        for col in table.columns:
            cell = _xlsx_cell(sheet, neutralise(col.header))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for i, row in enumerate(table.rows):
            cells = []
            for col in table.columns:
                value = row.get(col.key)
                kind = table.kind(i, col)
                cell = _xlsx_cell(sheet, neutralise(value))
                if isinstance(value, int | float | dt.date) and kind in NUMBER_FORMATS:
                    cell.number_format = _number_format(kind, table.decimals(i, col))
                if wrap_over is not None and isinstance(value, str) and len(value) > wrap_over:
                    cell.alignment = wrap
                cells.append(cell)
            sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _number_format(kind: str, decimals: int | None) -> str:
    """The kind's format; a value judged against a target with the decimals the page shows."""
    if decimals is None or kind not in ("share", "ratio", "days"):
        return NUMBER_FORMATS[kind]
    digits = "0." + "0" * decimals if decimals else "0"
    return digits + ("%" if kind == "share" else "")


def _xlsx_cell(sheet, value):
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        # Stored as a string, never parsed: openpyxl would otherwise treat "=…" as a formula.
        cell.data_type = "s"
    return cell


def _sheet_title(caption: str) -> str:
    """Excel allows 31 characters and none of []:*?/\\ in a sheet name."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in caption).strip()
    return (cleaned or "Tabell")[:31]


def response(table: Table, fmt: str, filename: str, request: HttpRequest | None = None) -> HttpResponse:
    """The table as an attachment named `<filename>.<fmt>` (CSV in the variant the request asks for)."""
    if fmt not in FORMATS:
        raise Http404("okänt format")
    body = to_csv(table, csv_dialect(request)) if fmt == "csv" else to_xlsx(table)
    out = HttpResponse(body, content_type=FORMATS[fmt])
    out["Content-Disposition"] = f'attachment; filename="{ascii_filename(filename)}.{fmt}"'
    out["X-Content-Type-Options"] = "nosniff"
    return out


def ascii_filename(name: str) -> str:
    """A file name safe in a header: Swedish letters folded, anything else a dash."""
    folded = name.translate(str.maketrans("åäöÅÄÖé", "aaoAAOe"))
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "-" for ch in folded)


def to_pdf(html: str) -> bytes:
    """HTML (stylesheet inline) as a PDF by WeasyPrint, fetching nothing but inline data: URLs."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols=("data",), timeout=1)
    return HTML(string=html, base_url="data:,", url_fetcher=fetcher).write_pdf()
