"""A workbook judged before a reader allocates for it, and a bounded reader for the odd ones.

calamine (the fast XLSX reader) allocates the rectangle from A1 to the farthest cell before it
reads a value: one cell at XFD1048576 asks for 512 GiB and the process aborts (SIGABRT, no
exception to catch). So every part of the workbook is first unpacked through the bounded
stream (which also proves sizes, checksums and deflate data sound) and its cell references
scanned: only a sheet whose real extent is small goes to calamine. Anything else — a far
cell, cells without a position, error cells (#N/A, which calamine reads as empty) — is read
row by row with openpyxl in read-only mode, skipping empty rows as they pass, within the
row and column limits.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from egenkontroll.core.bounded_input import Budget, InterchangeError, member_chunks, printable
from egenkontroll.core.import_limits import ImportLimits

# The cells calamine may allocate (32 bytes each): about a city's events as one sheet, twice over.
CALAMINE_MAX_CELLS = 25_000_000
# calamine fills the whole rectangle; a sheet mostly empty (a stray far cell) is read row by row.
SPARSE_FACTOR, SPARSE_SLACK = 8, 100_000
BATCH_ROWS = 100_000
_PREFIX = rb"(?:[A-Za-z_][\w.-]*:)?"
_CELL = re.compile(rb"<" + _PREFIX + rb"c[\s/>]")
_CELL_ROW = re.compile(rb"<" + _PREFIX + rb"c\s[^>]*?\br=[\"'][A-Z]{1,3}([0-9]{1,9})[\"']")
_WIDE_COLUMN = re.compile(rb"<" + _PREFIX + rb"c\s[^>]*?\br=[\"']([A-Z]{2,3})[0-9]")
_ROW = re.compile(rb"<" + _PREFIX + rb"row\s[^>]*?\br=[\"']([0-9]{1,9})[\"']")
# The type attribute of a cell holding an error value (#N/A …). Loose on purpose: an attribute
# like it elsewhere only costs the slower reader.
_ERROR_CELL = re.compile(rb"""t\s*=\s*["']e["']""")
_CARRY_LIMIT = 1 << 20


@dataclass
class WorkbookScan:
    """The farthest cell of any sheet, and what sends the workbook to the bounded reader."""

    max_row: int = 0
    max_column: int = 0  # columns A–Z count as 26: only wider ones are looked at one by one
    cells: int = 0
    unplaced_cells: bool = False  # cells without an `r` position: calamine places them by counting
    error_cells: bool = False

    def fits_calamine(self, limits: ImportLimits) -> bool:
        return (
            not self.unplaced_cells and not self.error_cells
            and self.max_row <= limits.max_rows + 1 and self.max_column <= limits.max_columns
            and self.max_row * self.max_column <= min(CALAMINE_MAX_CELLS, SPARSE_FACTOR * self.cells + SPARSE_SLACK)
        )


def scan_workbook(archive: zipfile.ZipFile, budget: Budget, label: str) -> WorkbookScan:
    """Unpack every part through the bounded stream; scan the XML parts' cells."""
    scan = WorkbookScan()
    for info in archive.infolist():
        carry = b""
        xml = info.filename.lower().endswith(".xml")
        for chunk in member_chunks(archive, info, budget, label):
            if not xml:
                continue
            data = carry + chunk
            cut = data.rfind(b"<")
            if cut < 0 or len(data) - cut > _CARRY_LIMIT:
                cut = len(data)
            carry = data[cut:]
            _scan_xml(data[:cut], scan)
        if carry:
            _scan_xml(carry, scan)
    return scan


def _scan_xml(data: bytes, scan: WorkbookScan) -> None:
    rows = _CELL_ROW.findall(data)
    cells = len(_CELL.findall(data))
    scan.cells += cells
    if cells != len(rows):
        scan.unplaced_cells = True
    rows += _ROW.findall(data)
    if rows:
        scan.max_row = max(scan.max_row, int(max(rows, key=lambda r: (len(r), r))))
        scan.max_column = max(scan.max_column, 26)
    for letters in _WIDE_COLUMN.findall(data):
        scan.max_column = max(scan.max_column, _column_number(letters))
    if not scan.error_cells and _ERROR_CELL.search(data):
        scan.error_cells = True


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def bounded_sheets(
    path: Path, scan: WorkbookScan, limits: ImportLimits, warnings: list[str]
) -> Iterator[tuple[str, list[Sequence[object]], list[int]]]:
    """(title, header and kept rows, their row numbers) of each worksheet, read row by row.

    Empty rows are counted and dropped as they pass; values right of the header's last name
    are dropped with the warning a column without a name gets.
    """
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise InterchangeError(f"{printable(path.name)}: arbetsboken kan inte läsas") from exc
    cap = min(max(scan.max_column, 1), limits.max_columns)
    if scan.max_column > limits.max_columns:
        warnings.append(
            f"{printable(path.name)}: celler bortom kolumn {limits.max_columns} ignoreras (gränsen EGK_IMPORT_MAX_COLUMNS)"
        )
    try:
        for sheet in workbook.worksheets:
            sheet.reset_dimensions()
            yield (sheet.title, *_kept_rows(sheet.iter_rows(max_col=cap, values_only=True), sheet.title, limits, warnings))
    except InterchangeError:
        raise
    except Exception as exc:
        raise InterchangeError(f"{printable(path.name)}: arbetsboken kan inte läsas") from exc
    finally:
        workbook.close()


def _kept_rows(
    rows: Iterator[Sequence[object]], title: str, limits: ImportLimits, warnings: list[str]
) -> tuple[list[Sequence[object]], list[int]]:
    header = next(rows, ())
    width = max((i + 1 for i, v in enumerate(header) if not _empty(v)), default=0)
    kept: list[Sequence[object]] = [tuple(header[:width])]
    numbers: list[int] = []
    last_blank: object = None
    unnamed = False
    for number, row in enumerate(rows, start=2):
        if row is last_blank:
            continue
        values = row[:width]
        if not unnamed and any(not _empty(v) for v in row[width:]):
            unnamed = True
        if all(_empty(v) for v in values):
            last_blank = row
            continue
        kept.append(values)
        numbers.append(number)
        if len(numbers) > limits.max_rows:
            raise InterchangeError(
                f"{printable(title)}: arbetsbladet har fler än {limits.max_rows} rader (gränsen EGK_IMPORT_MAX_ROWS)"
            )
    if unnamed:
        warnings.append(f"{printable(title)}.csv: en kolumn utan namn ignoreras")
    return kept, numbers


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
