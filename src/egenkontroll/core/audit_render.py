"""The seed-layout tables as printable rows: one source for the page, the PDF, the workbook and the terminal.

Why it exists: a table the nämnd reads on paper and the same table in Excel or on screen must
hold the same cells. `printed` turns a `Layout` into plain tables (header texts, rows of cell
texts and numbers); the web app wraps them in its Table objects, the command line prints them
as text or writes them to a workbook.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from egenkontroll.core.audit_tables import GENDERS, TOTAL, Cell, Layout, SeedTable


@dataclass
class Printed:
    title: str
    header: list[str]
    rows: list[list[object]]
    notes: list[str] = field(default_factory=list)


def percent(value: float | None) -> str:
    return "–" if value is None else f"{round(value * 100):d} %"


def share_text(cell: Cell) -> str:
    """ "40 % (26–56 %)": the share of ja among ja + nej, with its 95 % Wilson interval."""
    interval = cell.interval
    if interval is None:
        return "–"
    return f"{percent(cell.share)} ({round(interval[0] * 100):d}–{round(interval[1] * 100):d} %)"


def _count_text(table: SeedTable, row, district: str) -> str:
    sub_n = table.row_sub_n(row, district)
    ja = row.cells[district].ja
    return f"{ja} (n={sub_n})" if sub_n is not None else str(ja)


def printed(layout: Layout, names: dict[str, str] | None = None) -> list[Printed]:
    """Each seed table twice over: the counts as the seed prints them, then the shares with intervals."""
    names = names or {}
    columns = [*layout.districts, TOTAL]
    out = []
    for table in layout.tables:
        header = [table.title, *(f"{names.get(d, d)} (n={table.n[d]})" for d in columns)]
        counts = [[row.label, *(_count_text(table, row, d) for d in columns)] for row in table.rows]
        shares = [[row.label, *(share_text(row.cells[d]) for d in columns)] for row in table.rows]
        notes = [f"{row.label}: {row.comparison.sentence}" for row in table.rows if row.comparison]
        if any(table.row_sub_n(r, d) is not None for r in table.rows for d in columns):
            notes.insert(0, "(n=…) vid ett antal: frågan besvarades (ja eller nej) i så många ärenden.")
        out.append(Printed(table.title, header, counts))
        out.append(Printed(f"{table.title}: andel ja (95 % konfidensintervall)", header, shares, notes))
    if layout.gender_rows:
        header = ["Fråga", *(f"{GENDERS[g]} (n={layout.gender[g]})" for g in GENDERS)]
        rows = [[r.label, *(f"{r.cells[g].ja} av {r.cells[g].answered}: {share_text(r.cells[g])}" for g in GENDERS)]
                for r in layout.gender_rows]
        notes = [f"{r.label}: {r.comparison.sentence}" for r in layout.gender_rows
                 if r.comparison and r.comparison.significant]
        if not notes:
            notes = ["Inga skillnader mellan könen som är större än vad slumpen kan ge."]
        out.append(Printed("Jämställdhetsanalys: ja per kön", header, rows, notes))
    return out


def render_text(layouts: dict[str, Layout]) -> str:
    lines: list[str] = []
    for audit, layout in layouts.items():
        lines.append(f"== {audit} ==")
        for table in printed(layout):
            widths = [max(len(str(v)) for v in column) for column in zip(table.header, *table.rows, strict=True)]
            lines.append("")
            lines.append(table.title)
            for values in (table.header, *table.rows):
                lines.append("  ".join(str(v).ljust(w) for v, w in zip(values, widths, strict=True)).rstrip())
            lines.extend(f"  {note}" for note in table.notes)
        lines.append("")
    return "\n".join(lines)


def workbook(layouts: dict[str, Layout]) -> bytes:
    """One sheet per audit, its tables one below the other (text cells that look like formulas neutralised)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for audit, layout in layouts.items():
        sheet = book.create_sheet(_sheet_title(audit, book.sheetnames))
        for table in printed(layout):
            sheet.append([_safe(table.title)])
            sheet.append([_safe(v) for v in table.header])
            for row in table.rows:
                sheet.append([_safe(v) for v in row])
            for note in table.notes:
                sheet.append([_safe(note)])
            sheet.append([])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _safe(value):
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _sheet_title(audit: str, taken: list[str]) -> str:
    base = "".join("_" if c in "[]:*?/\\" else c for c in audit)[:28] or "granskning"
    title, i = base, 2
    while title in taken:
        title, i = f"{base[:25]}-{i}", i + 1
    return title
