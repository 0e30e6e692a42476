"""Read an interchange v1 dataset (CSV directory, XLSX workbook or ZIP) into validated tables.

This is the one door case data comes through (spec: interchange-v1.md). It accepts what
Swedish spreadsheets and case-system exports actually write (semicolons, Windows-1252,
BOMs, CRLF, shuffled or upper-case headers), checks every row against the contract and
turns each bad row into a reject with a plain Swedish reason, so one typo never stops the
thousands of good rows. Personnummer are validated and pseudonymised here and never leave
this module in clear: events carry `person_key` and `birth_date`, rejects a masked value.

Validation is vectorised with polars expressions; the only Python loops run over distinct
identity numbers (HMAC) and over org units (a small tree). Linking events to each other
(`ref`, ambiguity) is the obligations engine's job: `ref` is kept as given.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path, PurePosixPath

import polars as pl

from egenkontroll.core import csv_stream, import_limits, schema
from egenkontroll.core.bounded_input import (
    Budget,
    InterchangeError,
    file_chunks,
    member_chunks,
    open_zip,
    printable,
)
from egenkontroll.core.csv_stream import CsvText, scan_csv
from egenkontroll.core.identity import Pseudonymizer, identify, load_key, mask_expr, mask_identity_expr
from egenkontroll.core.import_limits import ImportLimits
from egenkontroll.core.screening import CONTROL_CHARACTERS, SCREENED, screen
from egenkontroll.core.xlsx_guard import bounded_sheets, scan_workbook

ROW = "_row"  # 1-based row number in the source file or sheet (header = 1)
MAX_REJECT_VALUE_CHARS = 200

MISSING = "obligatoriskt värde saknas"
BAD_DATE_FORMAT = "ogiltigt datum (ska vara ÅÅÅÅ-MM-DD)"
BAD_DATE_DAY = "ogiltigt datum (dagen finns inte)"
UNKNOWN_UNIT = "enheten finns inte i org_units.csv"

ORG_COLUMNS = tuple(schema.ORG_UNITS)
CASEWORKER_COLUMNS = tuple(schema.CASEWORKERS)
EVENT_COLUMNS = (
    "event_id", "case_id", "person", "gender", "event_type", "date", "unit_id", "caseworker_id",
    "ref", "outcome", "intervention", "legal_basis", "until", "source", "unaccompanied", "kind",
    "regi",
)
TABLES = {  # table -> (known columns, required columns)
    "org_units": (ORG_COLUMNS, ("unit_id", "name", "level")),
    "caseworkers": (CASEWORKER_COLUMNS, ("caseworker_id", "name", "unit_id")),
    "events": (EVENT_COLUMNS, ("event_id", "case_id", "person", "event_type", "date", "unit_id")),
}
# Tables a dataset may hold or leave out (issue 16): read and validated when present.
STAFFING_COLUMNS = tuple(schema.STAFFING)
OPTIONAL_TABLES = {
    "staffing": (STAFFING_COLUMNS, ("unit_id", "start_date", "posts")),
}
MAX_POSTS = 10_000  # posts of one unit and period: more is a typing error, not a unit
ENCODING_NAMES = {"cp1252": "Windows-1252", "latin-1": "ISO-8859-1"}


@dataclass
class Tables:
    """Raw string tables as read, before any v1 validation (also for import profiles).

    `tables` maps the table name as written (file name without `.csv`, or sheet name) to a
    frame of Utf8 columns named by the trimmed, lower-cased header, values trimmed with
    empty as null, fully empty rows dropped, and the source row number in `_row`.
    """

    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    encodings: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    cut_rows: dict[str, int] = field(default_factory=dict)  # table -> its last row, cut off mid-row


@dataclass
class Dataset:
    """A validated v1 dataset: frames conform to the schema contracts."""

    org_units: pl.DataFrame
    caseworkers: pl.DataFrame
    events: pl.DataFrame
    rejects: pl.DataFrame
    warnings: list[str]
    encodings: dict[str, str]
    files: dict[str, str]
    rows_read: int
    rejected_unit_ids: set[str] = field(default_factory=set)  # in org_units.csv, but not accepted
    staffing: pl.DataFrame | None = None  # the optional staffing.csv (schema.STAFFING); None: not given
    # children per area, year and age (optional population.csv, issue 16), schema.POPULATION
    population: pl.DataFrame = field(default_factory=lambda: schema.empty(schema.POPULATION))


# ---------------------------------------------------------------------------------------------
# Reading containers


def read_tables(path: str | Path, limits: ImportLimits | None = None) -> Tables:
    """Read every table of a CSV directory, a single CSV file, an XLSX workbook or a ZIP.

    Everything is read in chunks within `limits` (default: the configured ones, see
    core/import_limits.py); passing one raises InterchangeError naming the file and the limit.
    """
    path = Path(path)
    budget = Budget(limits or import_limits.from_env())
    tables = Tables()
    if path.is_dir():
        _add_csvs(tables, path, budget)
    elif not path.is_file():
        raise InterchangeError(f"hittar inte datasetet {printable(path.name)}")
    elif path.suffix.lower() == ".csv":
        _add_csv(tables, path.name, scan_csv(file_chunks(path, budget), printable(path.name), budget.limits))
    elif path.suffix.lower() == ".xlsx":
        _add_workbook(tables, path, budget)
    elif path.suffix.lower() == ".zip":
        _add_csvs(tables, path, budget)
    else:
        raise InterchangeError(
            f"{printable(path.name)}: okänt filformat (använd en mapp med CSV-filer, .xlsx eller .zip)"
        )
    return tables


def _add_csvs(tables: Tables, path: Path, budget: Budget) -> None:
    for name, label, chunks in _csv_sources(path, budget):
        _add_csv(tables, name, scan_csv(chunks, label, budget.limits))


def _csv_sources(path: Path, budget: Budget) -> Iterator[tuple[str, str, Iterator[bytes]]]:
    """(file name, label for messages, its bytes chunk by chunk) of every CSV file of a folder or ZIP.

    A folder's files in name order; a ZIP's members in the archive's order (hidden files and
    macOS resource forks left out), the archive open until the last member has been read.
    """
    if path.is_dir():
        for p in sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".csv"):
            yield p.name, printable(p.name), file_chunks(p, budget)
        return
    with open_zip(path, budget.limits) as archive:
        members = [
            info for info in archive.infolist()
            if not info.is_dir()
            and info.filename.lower().endswith(".csv")
            and "__MACOSX" not in info.filename
            and not PurePosixPath(info.filename).name.startswith(".")
        ]
        for info in members:
            label = f"{printable(path.name)}: {printable(info.filename)}"
            yield PurePosixPath(info.filename).name, label, member_chunks(archive, info, budget, printable(path.name))


def _add_workbook(tables: Tables, path: Path, budget: Budget) -> None:
    with open_zip(path, budget.limits, what="arbetsboken") as archive:
        scan = scan_workbook(archive, budget, printable(path.name))
    raw = path.read_bytes()
    tables.files[printable(path.name)] = hashlib.sha256(raw).hexdigest()
    if scan.fits_calamine(budget.limits):
        for title, rows in _worksheets(raw, path.name):
            _add_table(tables, title, f"{title}.csv", _frame_from_cells(rows))
        return
    del raw
    for title, rows, numbers in bounded_sheets(path, scan, budget.limits, tables.warnings):
        _add_table(tables, title, f"{title}.csv", _frame_from_cells(rows), pl.Series(numbers, dtype=pl.Int64))


def _worksheets(raw: bytes, file_name: str) -> Iterator[tuple[str, list[Sequence[object]]]]:
    """(title, the cell values of every row from A1) of each worksheet, one sheet at a time.

    calamine (Rust, package python-calamine) reads a workbook about ten times faster than
    openpyxl and gives the same cell values: numbers, booleans, dates, times, durations, text,
    formulas' cached results. It is only given workbooks whose scan (core/xlsx_guard.py) found
    a small extent and no error values (#N/A …, which it reads as empty cells); the rest, and
    an installation without python-calamine, are read by openpyxl row by row.
    """
    try:
        import python_calamine
    except ImportError:
        python_calamine = None
    if python_calamine is None:
        yield from _openpyxl_worksheets(raw, file_name)
        return
    unreadable = f"{printable(file_name)}: arbetsboken kan inte läsas"
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(raw))
    except Exception as exc:  # calamine raises several types for damaged files
        raise InterchangeError(unreadable) from exc
    try:
        for sheet in workbook.sheets_metadata:
            if sheet.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            try:
                rows = workbook.get_sheet_by_name(sheet.name).to_python(skip_empty_area=False)
            except Exception as exc:
                raise InterchangeError(unreadable) from exc
            yield sheet.name, rows
    finally:
        workbook.close()


def _openpyxl_worksheets(raw: bytes, file_name: str) -> Iterator[tuple[str, list[Sequence[object]]]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise InterchangeError(f"{printable(file_name)}: arbetsboken kan inte läsas") from exc
    try:
        for sheet in workbook.worksheets:
            sheet.reset_dimensions()
            yield sheet.title, list(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()


def _cell_text(value: object) -> str | None:
    """A workbook cell as the text a CSV export would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _frame_from_cells(rows: list[Sequence[object]]) -> pl.DataFrame:
    """A sheet's cell values as a headerless all-string frame (short rows padded with nulls)."""
    columns = {
        f"column_{i}": [v if type(v) is str else _cell_text(v) for v in column]
        for i, column in enumerate(zip_longest(*rows))
    }
    return pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.Utf8))


def _add_csv(tables: Tables, file_name: str, text: CsvText) -> None:
    """A scanned CSV file parsed (UTF-8, else Windows-1252, else ISO-8859-1) into a named table."""
    label = printable(file_name)
    if label in tables.files:
        raise InterchangeError(f"filen {label} finns två gånger i datasetet")
    tables.files[label] = text.sha256
    data, encoding = _to_utf8(text)
    tables.encodings[label] = encoding
    if encoding in ENCODING_NAMES:
        tables.warnings.append(f"{label}: filen är inte UTF-8; den lästes som {ENCODING_NAMES[encoding]}")
    try:
        frame = pl.read_csv(
            io.BytesIO(data), has_header=False, separator=text.separator, infer_schema=False,
            truncate_ragged_lines=True, quote_char='"',
        )
    except pl.exceptions.NoDataError:
        frame = pl.DataFrame()
    except pl.exceptions.PolarsError as exc:  # the message may quote cell values: not passed on
        raise InterchangeError(
            f"{label}: filen kan inte läsas som CSV (till exempel ett citattecken som inte avslutas)"
        ) from exc
    del data
    text.data = b""  # the parsed frame holds the values now; free the raw bytes before the copies
    try:
        rows = text.row_numbers(max(frame.height - 1, 0))
    except InterchangeError as exc:
        raise InterchangeError(f"{label}: filen kan inte läsas som CSV ({exc})") from exc
    name = file_name.rsplit(".", 1)[0]
    _note_cut_row(tables, name, label, text.cut_row)
    _add_table(tables, name, file_name, frame, rows)


def _note_cut_row(tables: Tables, name: str, label: str, cut_row: int | None) -> None:
    """A last row cut off mid-row: remembered for screening (rejected there) and warned about."""
    if cut_row is not None:
        tables.cut_rows[name] = cut_row
        tables.warnings.append(f"{label}: sista raden (rad {cut_row}) är avbruten: filen slutar mitt i raden")


def _to_utf8(text: CsvText) -> tuple[bytes, str]:
    """UTF-8 (BOM stripped) as is; otherwise Windows-1252, or ISO-8859-1 as the last resort."""
    if text.utf8:
        return text.data, "utf-8-sig" if text.bom else "utf-8"
    for encoding in ("cp1252", "latin-1"):
        try:
            return text.data.decode(encoding).encode("utf-8"), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte string")


def _header_names(cells: Sequence[str | None]) -> list[str]:
    """Column names as written in a header row: BOM removed, trimmed, lower case ('' for none)."""
    return [(h or "").replace("\ufeff", "").strip().lower() for h in cells]


def _add_table(
    tables: Tables, name: str, file_name: str, frame: pl.DataFrame, rows: pl.Series | None = None
) -> None:
    """Turn a headerless all-string frame (header in its first row) into a named table.

    `rows` are the body's source row numbers when rows were dropped on the way (else 2, 3, …).
    """
    name, file_name = printable(name), printable(file_name)
    if name in tables.tables:
        raise InterchangeError(f"tabellen {name} finns två gånger i datasetet")
    header = _header_names(frame.row(0) if frame.height else ())
    body = frame.slice(1)
    body = (
        body.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
        if rows is None else body.with_columns(rows.alias(ROW)).select(ROW, *body.columns)
    )
    keep: dict[str, str] = {}
    for source, name_ in zip(frame.columns, header, strict=True):
        if not name_:
            if _has_values(body[source]):
                tables.warnings.append(f"{file_name}: en kolumn utan namn ignoreras")
            continue
        if name_ in keep.values() or name_ == ROW:
            raise InterchangeError(f"{file_name}: kolumnen {printable(name_)} förekommer flera gånger")
        keep[source] = name_
    del frame  # the body shares its buffers; nothing else needs the header row
    # One column at a time, so a national export holds its strings once and one column twice,
    # not the whole table twice (7M events peaked at 6.8 GB before).
    table = body.select(ROW)
    for source, name_ in keep.items():
        table = table.with_columns(_stripped(body.get_column(source)).alias(name_))
        body = body.drop(source)
    del body
    tables.tables[name] = _without_empty_rows(table, list(keep.values()))


def _stripped(column: pl.Series) -> pl.Series:
    """A column's values trimmed, empty as null."""
    return column.str.strip_chars().replace("", None)


def _has_values(column: pl.Series) -> bool:
    """Whether a column holds anything but blanks (a column without a name is ignored, with a warning, if so)."""
    return bool((column.str.strip_chars().fill_null("") != "").any())


def _without_empty_rows(table: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """Rows with no value in any named column dropped (no named column: no rows)."""
    if not names:
        return table.clear()
    empty_rows = ~pl.any_horizontal(pl.col(n).is_not_null() for n in names)
    if table.select(empty_rows.any()).item():  # filter copies every column: only when needed
        table = table.filter(~empty_rows)
    return table


# ---------------------------------------------------------------------------------------------
# Validating v1


@dataclass(frozen=True)
class _Check:
    """One rule: rows where `bad` holds are rejected with `reason` (str or Utf8 expression)."""

    column: str
    bad: pl.Expr
    reason: str | pl.Expr


def read_dataset(
    path: str | Path,
    *,
    key: bytes | None = None,
    reference_date: dt.date | None = None,
    limits: ImportLimits | None = None,
) -> Dataset:
    """Read, validate and pseudonymise a v1 dataset.

    `key` is the pseudonym key (default: `identity.load_key()`); `reference_date` decides the
    century of `YYMMDD` numbers (default: today); `limits` bound what is read and accepted
    (default: the configured ones). Raises `InterchangeError` for file-level problems;
    row-level problems become `Dataset.rejects`.
    """
    limits = limits or import_limits.from_env()
    path = Path(path)
    if path.is_dir() or (path.is_file() and path.suffix.lower() == ".zip"):
        try:
            return _read_in_parts(path, key, reference_date, limits)
        except InterchangeError:
            pass  # read again whole below: the same error, found in the same order as ever
    return validate(read_tables(path, limits), key=key, reference_date=reference_date, limits=limits)


@dataclass
class _InParts:
    """events.csv scanned but not yet parsed: read part by part once the other tables are valid."""

    text: CsvText
    table: str  # the table's name as written (file name without .csv)
    file_name: str  # printable
    width: int  # fields in the header record: every part is parsed to this many columns
    keep: dict[int, str]  # column index -> name
    unnamed: list[int]  # columns without a name
    warnings_at: int  # where in Tables.warnings its warnings about unnamed columns go


def _read_in_parts(path: Path, key: bytes | None, reference_date: dt.date | None, limits: ImportLimits) -> Dataset:
    """`read_dataset` of a CSV folder or a ZIP of CSV files, events.csv checked and typed part by part (issue 19).

    The whole-file path holds a national events.csv (765 MB) as bytes, then as a frame of
    strings, then stripped and checked copies of it: 4.5 GB. Here its bytes are kept as the
    scan left them and each part of about PART_BYTES is parsed, screened, validated and
    typed before the next; only the typed rows are kept, and the checks that span rows (a
    repeated event_id) run on them and the ids of rejected rows at the end. The result is
    the whole-file path's (tests/core/test_read_in_parts.py). An events.csv that is empty,
    not UTF-8 or smaller than PARTS_FROM_BYTES is read whole, as the other files are. An
    InterchangeError makes the caller read the files again the whole-file way, so that errors
    keep their order.
    """
    budget = Budget(limits)
    tables = Tables()
    deferred: _InParts | None = None
    for name, label, chunks in _csv_sources(path, budget):
        events = deferred is None and name.lower() == "events.csv"
        text = scan_csv(chunks, label, budget.limits, csv_stream.PART_BYTES if events else None)
        if events and text.utf8 and text.records and text.size() >= csv_stream.PARTS_FROM_BYTES:
            deferred = _defer_csv(tables, name, text)
            continue
        text.join()
        _add_csv(tables, name, text)
    return _validate(tables, key=key, reference_date=reference_date, limits=limits, deferred=deferred)


def _defer_csv(tables: Tables, file_name: str, text: CsvText) -> _InParts:
    """What `_add_csv` and `_add_table` record of a file before its rows: the header's columns only."""
    label = printable(file_name)
    if label in tables.files:
        raise InterchangeError(f"filen {label} finns två gånger i datasetet")
    tables.files[label] = text.sha256
    tables.encodings[label] = "utf-8-sig" if text.bom else "utf-8"
    try:
        head = pl.read_csv(
            io.BytesIO(text.header()), has_header=False, separator=text.separator, infer_schema=False,
            truncate_ragged_lines=True, quote_char='"',
        )
    except pl.exceptions.PolarsError as exc:
        raise InterchangeError(f"{label}: filen kan inte läsas som CSV") from exc
    name = file_name.rsplit(".", 1)[0]
    _note_cut_row(tables, name, label, text.cut_row)
    table = printable(name)
    if table in tables.tables:
        raise InterchangeError(f"tabellen {table} finns två gånger i datasetet")
    keep: dict[int, str] = {}
    unnamed: list[int] = []
    for i, name_ in enumerate(_header_names(head.row(0))):
        if not name_:
            unnamed.append(i)
        elif name_ in keep.values() or name_ == ROW:
            raise InterchangeError(f"{printable(file_name)}: kolumnen {printable(name_)} förekommer flera gånger")
        else:
            keep[i] = name_
    # the table's columns, without rows: what _v1_tables checks
    tables.tables[table] = pl.DataFrame(schema={ROW: pl.Int64, **dict.fromkeys(keep.values(), pl.Utf8)})
    return _InParts(text, table, printable(file_name), head.width, keep, unnamed, len(tables.warnings))


def validate(
    raw: Tables,
    *,
    key: bytes | None = None,
    reference_date: dt.date | None = None,
    limits: ImportLimits | None = None,
) -> Dataset:
    """Validate and pseudonymise tables already read: a v1 dataset's, or an export's through a profile.

    The same checks whatever the tables came from (core/profiles.py hands its conversion here),
    so a profile can never let through what a v1 file could not. Arguments as `read_dataset`.
    """
    return _validate(raw, key=key, reference_date=reference_date, limits=limits)


def _validate(
    raw: Tables,
    *,
    key: bytes | None,
    reference_date: dt.date | None,
    limits: ImportLimits | None,
    deferred: _InParts | None = None,
) -> Dataset:
    """`validate`; with `deferred`, events.csv is read from it part by part (`_events_in_parts`)."""
    limits = limits or import_limits.from_env()
    warnings = list(raw.warnings)
    tables = _v1_tables(raw, warnings)
    if deferred is None and tables["events"].is_empty():
        warnings.append("events.csv: filen har inga händelser (bara rubrikraden)")
    cut_rows = {name.lower(): row for name, row in raw.cut_rows.items()}
    screened = {
        t: screen(t, frame, limits, cut_rows.get(t)) for t, frame in tables.items()
        if not (deferred and t == "events")
    }
    tables = {t: frame for t, (frame, _) in screened.items()}
    pseudonymizer = Pseudonymizer(load_key() if key is None else key)

    org, org_rejects = _org_units(tables["org_units"])
    units = org["unit_id"]
    caseworkers, cw_rejects = _caseworkers(tables["caseworkers"], units)
    if deferred is None:
        events, ev_rejects = _events(
            tables["events"], units, caseworkers["caseworker_id"], pseudonymizer, reference_date
        )
        rows_read = tables["events"].height
    else:
        events, ev_rejects, rows_read, unnamed = _events_in_parts(
            deferred, units, caseworkers["caseworker_id"], pseudonymizer, reference_date, limits,
            cut_rows.get("events"),
        )
        warnings[deferred.warnings_at:deferred.warnings_at] = unnamed
        if not rows_read:
            warnings.append("events.csv: filen har inga händelser (bara rubrikraden)")
        screened["events"] = (None, ev_rejects)
        ev_rejects = schema.empty(schema.REJECTS)  # all in screened["events"], in the order of rows
    found_rejects = [("org_units", org_rejects), ("caseworkers", cw_rejects), ("events", ev_rejects)]
    staffing = None
    if "staffing" in tables:
        staffing, st_rejects = _staffing(tables["staffing"], units)
        found_rejects.append(("staffing", st_rejects))
    rejects = pl.concat([
        pl.concat([screened[table][1], found]).sort("row", maintain_order=True)
        for table, found in found_rejects
    ])
    population, population_rejects = _population(raw, org, limits)
    rejects = pl.concat([rejects, population_rejects])
    return Dataset(
        org_units=schema.conform(org, schema.ORG_UNITS),
        caseworkers=schema.conform(caseworkers, schema.CASEWORKERS),
        events=schema.conform(events, schema.EVENTS),
        rejects=_masked(rejects),
        warnings=warnings,
        encodings=raw.encodings,
        files=raw.files,
        rows_read=rows_read,
        rejected_unit_ids=set(tables["org_units"]["unit_id"].drop_nulls()) - set(org["unit_id"]),
        staffing=None if staffing is None else schema.conform(staffing, schema.STAFFING),
        population=population,
    )


def _population(raw: Tables, org: pl.DataFrame, limits: ImportLimits) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The optional population table (core/population.py), screened and validated; empty when absent."""
    from egenkontroll.core import population

    name = next((n for n in raw.tables if n.lower() == population.TABLE), None)
    if name is None:
        return schema.empty(schema.POPULATION), schema.empty(schema.REJECTS)
    cut_row = {n.lower(): row for n, row in raw.cut_rows.items()}.get(population.TABLE)
    frame, screened = screen(population.TABLE, population.columns(raw.tables[name]), limits, cut_row)
    good, rejects = population.validate(frame, org)
    return good, pl.concat([screened, rejects]).sort("row", maintain_order=True)


def _v1_tables(raw: Tables, warnings: list[str]) -> dict[str, pl.DataFrame]:
    """Pick the three v1 tables (names case-insensitive), check columns, add missing optional ones."""
    by_name: dict[str, str] = {}
    for name in raw.tables:
        if name.lower() in by_name:
            raise InterchangeError(f"tabellen {name.lower()} finns två gånger i datasetet")
        by_name[name.lower()] = name
    for name in sorted(set(by_name) - set(TABLES) - set(OPTIONAL_TABLES) - {"population"}):  # population: core/population.py
        warnings.append(f"okänd tabell {by_name[name]} ignoreras")
    result = {}
    for table, (known, required) in {**TABLES, **OPTIONAL_TABLES}.items():
        if table not in by_name:
            if table in OPTIONAL_TABLES:
                continue
            raise InterchangeError(f"filen {table}.csv saknas i datasetet")
        frame = raw.tables[by_name[table]]
        for column in required:
            if column not in frame.columns:
                raise InterchangeError(f"{table}.csv: den obligatoriska kolumnen {column} saknas")
        for column in frame.columns:
            if column != ROW and column not in known:
                warnings.append(f"{table}.csv: okänd kolumn {column} ignoreras")
        result[table] = frame.select(
            ROW, *[pl.col(c) if c in frame.columns else pl.lit(None, pl.Utf8).alias(c) for c in known]
        )
    return result


def _apply(
    frame: pl.DataFrame, checks: Sequence[_Check], file: str, event_id: pl.Expr | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a table into good rows and rejects (one reject per failed check, by row).

    Reasons that are expressions are evaluated on the whole table (window functions such as
    the first row of a duplicate must see every row), before the bad rows are picked out.
    """
    flags = [f"_bad{i}" for i in range(len(checks))]
    reasons = [pl.lit(c.reason) if isinstance(c.reason, str) else pl.col(f"_why{i}") for i, c in enumerate(checks)]
    flagged = frame.with_columns(
        *[c.bad.fill_null(False).alias(f) for c, f in zip(checks, flags, strict=True)],
        *[pl.when(c.bad).then(c.reason).alias(f"_why{i}") for i, c in enumerate(checks) if not isinstance(c.reason, str)],
    )
    # Only the checks some row fails are picked out, and the good rows copied only when some
    # row goes: each filter scans (and copies) the whole table, 7M events at national scale.
    found = flagged.select(pl.col(flags).any()).row(0) if flags else ()
    parts = [
        flagged.filter(pl.col(flags[i])).select(
            file=pl.lit(file),
            row=pl.col(ROW),
            event_id=pl.lit(None, pl.Utf8) if event_id is None else event_id,
            column=pl.lit(checks[i].column),
            value=pl.col(checks[i].column).cast(pl.Utf8),
            reason=reasons[i],
            _check=pl.lit(i),
        )
        for i, hit in enumerate(found) if hit
    ]
    rejects = pl.concat(parts).sort(["row", "_check"]).drop("_check") if parts else schema.empty(schema.REJECTS)
    dropped = [pl.col(f) for f, hit in zip(flags, found, strict=True) if hit]
    if SCREENED in flagged.columns and flagged.get_column(SCREENED).any():
        dropped.append(pl.col(SCREENED))
    good = flagged.filter(~pl.any_horizontal(dropped)) if dropped else flagged
    good = good.drop(c for c in good.columns if c.startswith(("_bad", "_why")) or c == SCREENED)
    return good, schema.conform(rejects, schema.REJECTS)


def _masked(rejects: pl.DataFrame) -> pl.DataFrame:
    """Identity numbers never appear in rejects; long values are shortened, control characters shown as `�`.

    A NUL byte cannot be stored in PostgreSQL text, and SQLite must store the same.
    """
    value = pl.col("value")
    masked = pl.when(pl.col("column") == "person").then(mask_identity_expr(value)).otherwise(mask_expr(value))
    shortened = pl.when(masked.str.len_chars() > MAX_REJECT_VALUE_CHARS).then(
        masked.str.slice(0, MAX_REJECT_VALUE_CHARS) + "…"
    ).otherwise(masked)
    return rejects.with_columns(
        value=shortened.str.replace_all(CONTROL_CHARACTERS, "\ufffd"),
        event_id=pl.col("event_id").str.replace_all(CONTROL_CHARACTERS, "\ufffd"),
    )


def _required(columns: Iterable[str]) -> list[_Check]:
    return [_Check(c, pl.col(c).is_null(), MISSING) for c in columns]


def _vocabulary(column: str, values: Sequence[str]) -> pl.Expr:
    """The canonical spelling of a vocabulary value (matched case-insensitively), else null."""
    lower = [v.lower() for v in values]
    return pl.col(column).str.to_lowercase().replace_strict(lower, list(values), default=None, return_dtype=pl.Utf8)


def _vocabulary_check(column: str, values: Sequence[str], what: str) -> _Check:
    return _Check(
        column,
        pl.col(column).is_not_null() & _vocabulary(column, values).is_null(),
        f"{what} (tillåtna: {', '.join(values)})",
    )


def _date(column: str) -> pl.Expr:
    return pl.col(column).str.to_date("%Y-%m-%d", strict=False)


def _date_checks(column: str) -> list[_Check]:
    well_formed = pl.col(column).str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    return [
        _Check(column, pl.col(column).is_not_null() & ~well_formed, BAD_DATE_FORMAT),
        _Check(column, well_formed & _date(column).is_null(), BAD_DATE_DAY),
    ]


def _duplicate_check(column: str) -> _Check:
    first = pl.col(ROW).min().over(column)
    return _Check(
        column,
        pl.col(column).is_not_null() & (pl.col(ROW) != first),
        pl.format(f"{column} förekommer redan på rad {{}}", first),
    )


def _repeats(ids: pl.Series) -> bool:
    """Whether some non-null value occurs twice.

    Asked first of a 64-bit hash of each value (every null has one hash): where no two hashes
    are the same, no two values are, and the values are not counted (1.2 s for 7M national
    event ids as text, 0.16 s as hashes). Where hashes repeat, the values decide.
    """
    nulls = ids.null_count()
    distinct = ids.len() - nulls + (nulls > 0)
    if ids.hash().n_unique() == distinct:
        return False
    return ids.n_unique() < distinct


def _org_units(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Row checks, then the tree: one root, every parent present and valid, no cycles."""
    checks = [
        *_required(("unit_id", "name", "level")),
        _vocabulary_check("level", schema.LEVELS, "ogiltig nivå"),
        _duplicate_check("unit_id"),
    ]
    good, rejects = _apply(frame, checks, "org_units.csv")
    good = good.with_columns(level=_vocabulary("level", schema.LEVELS))
    tree_reasons = _tree_problems(good, set(frame["unit_id"].drop_nulls()))
    tree_rejects = good.filter(pl.col(ROW).is_in(list(tree_reasons))).select(
        file=pl.lit("org_units.csv"),
        row=pl.col(ROW),
        event_id=pl.lit(None, pl.Utf8),
        column=pl.lit("parent_id"),
        value=pl.col("parent_id"),
        reason=pl.col(ROW).replace_strict(tree_reasons, return_dtype=pl.Utf8),
    )
    good = good.filter(~pl.col(ROW).is_in(list(tree_reasons)))
    rejects = pl.concat([rejects, schema.conform(tree_rejects, schema.REJECTS)]).sort("row", maintain_order=True)
    return good, rejects


def _tree_problems(units: pl.DataFrame, all_ids: set[str]) -> dict[int, str]:
    """Row -> reason for every unit not connected to the single root (org trees are small)."""
    rows = units.select(ROW, "unit_id", "parent_id").rows()
    roots = [r for r in rows if r[2] is None]
    if not roots:
        raise InterchangeError("org_units.csv: ingen giltig rotenhet (en enhet utan parent_id)")
    problems = {
        row: f"fler än en rotenhet (enheten saknar parent_id; roten finns på rad {roots[0][0]})"
        for row, _, _ in roots[1:]
    }
    parent_of = {unit: parent for row, unit, parent in rows if row not in problems}
    connected = {roots[0][1]}
    for row, unit, _ in rows:
        if row in problems:
            continue
        chain, current = [], unit
        while current not in connected and current in parent_of and current not in chain:
            chain.append(current)
            current = parent_of[current]
        if current in connected:
            connected.update(chain)
        elif current == unit:
            problems[row] = "enheten ingår i en cykel i organisationsträdet"
        elif parent_of.get(unit) in all_ids:
            problems[row] = "överordnad enhet (parent_id) är ogiltig"
        else:
            problems[row] = "överordnad enhet (parent_id) finns inte i org_units.csv"
    return problems


def _caseworkers(frame: pl.DataFrame, units: pl.Series) -> tuple[pl.DataFrame, pl.DataFrame]:
    checks = [
        *_required(("caseworker_id", "name", "unit_id")),
        _Check("unit_id", pl.col("unit_id").is_not_null() & ~pl.col("unit_id").is_in(units.implode()),
               UNKNOWN_UNIT),
        *_date_checks("start_date"),
        *_date_checks("end_date"),
        _Check("end_date", _date("end_date") < _date("start_date"), "slutdatum (end_date) före startdatum"),
        _vocabulary_check("employment", schema.EMPLOYMENT_FORMS, "okänd anställningsform (employment)"),
    ]
    good, rejects = _apply(frame, checks, "caseworkers.csv")
    return good.with_columns(
        start_date=_date("start_date"), end_date=_date("end_date"),
        employment=_vocabulary("employment", schema.EMPLOYMENT_FORMS),
    ), rejects


def _staffing(frame: pl.DataFrame, units: pl.Series) -> tuple[pl.DataFrame, pl.DataFrame]:
    """staffing.csv (optional, issue 16): posts per unit and period; periods of a unit may not overlap.

    Of two overlapping rows of one unit the earlier (by start_date, then row) is kept and the
    later rejected, naming the row it overlaps: two figures for one day would be a guess.
    """
    posts = pl.col("posts").str.to_integer(strict=False)
    checks = [
        *_required(("unit_id", "start_date", "posts")),
        _Check("unit_id", pl.col("unit_id").is_not_null() & ~pl.col("unit_id").is_in(units.implode()), UNKNOWN_UNIT),
        *_date_checks("start_date"),
        *_date_checks("end_date"),
        _Check("end_date", _date("end_date") < _date("start_date"), "slutdatum (end_date) före startdatum"),
        _Check("posts", pl.col("posts").is_not_null() & (posts.is_null() | (posts < 0) | (posts > MAX_POSTS)),
               f"antal tjänster (posts) ska vara ett heltal 0–{MAX_POSTS}"),
    ]
    good, rejects = _apply(frame, checks, "staffing.csv")
    good = good.with_columns(start_date=_date("start_date"), end_date=_date("end_date"), posts=posts)
    ordered = good.sort(["unit_id", "start_date", ROW])
    # A row overlaps an earlier one (of its unit, by start) when one of those has no end or ends on/after its start.
    open_end = pl.col("end_date").fill_null(dt.date(9999, 12, 31))
    latest_end = open_end.cum_max().shift(1).over("unit_id")
    previous_row = pl.col(ROW).shift(1).over("unit_id")
    overlap = latest_end.is_not_null() & (latest_end >= pl.col("start_date"))
    flagged = ordered.with_columns(_overlap=overlap, _with=previous_row)
    overlapping = flagged.filter(pl.col("_overlap")).select(
        file=pl.lit("staffing.csv"), row=pl.col(ROW), event_id=pl.lit(None, pl.Utf8), column=pl.lit("start_date"),
        value=pl.col("start_date").cast(pl.Utf8),
        reason=pl.format("perioden överlappar raden {} för samma enhet", pl.col("_with")),
    )
    good = flagged.filter(~pl.col("_overlap")).drop("_overlap", "_with").sort(ROW)
    rejects = pl.concat([rejects, schema.conform(overlapping, schema.REJECTS)]).sort("row", maintain_order=True)
    return good, rejects


def _events(
    frame: pl.DataFrame,
    units: pl.Series,
    caseworker_ids: pl.Series,
    pseudonymizer: Pseudonymizer,
    reference_date: dt.date | None,
    duplicates: bool = True,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Good events (schema.EVENTS) and rejects; `duplicates=False` leaves the repeated event_id to the caller."""
    ids = identify(frame["person"], pseudonymizer, reference_date)
    frame = frame.with_columns(
        _person_key=ids["person_key"], _birth_date=ids["birth_date"],
        _derived_gender=ids["gender"], _person_error=ids["error"],
        _event_type=_vocabulary("event_type", schema.EVENT_TYPES),
    )
    event_type = pl.col("_event_type")
    with_outcome = event_type.is_in(list(schema.OUTCOMES))
    outcome = (event_type + ":" + pl.col("outcome").str.to_lowercase()).replace_strict(
        [f"{t}:{o}" for t, values in schema.OUTCOMES.items() for o in values],
        [o for values in schema.OUTCOMES.values() for o in values],
        default=None, return_dtype=pl.Utf8,
    )
    allowed = event_type.replace_strict(
        {t: ", ".join(values) for t, values in schema.OUTCOMES.items()}, default=None, return_dtype=pl.Utf8
    )
    checks = [
        *_required(TABLES["events"][1]),
        _Check("person", pl.col("person").is_not_null() & pl.col("_person_error").is_not_null(),
               pl.col("_person_error")),
        _vocabulary_check("gender", schema.GENDERS, "ogiltigt kön"),
        _Check("event_type", pl.col("event_type").is_not_null() & event_type.is_null(), "okänd händelsetyp"),
        *_date_checks("date"),
        _Check("unit_id", pl.col("unit_id").is_not_null() & ~pl.col("unit_id").is_in(units.implode()),
               UNKNOWN_UNIT),
        _Check("caseworker_id",
               pl.col("caseworker_id").is_not_null() & ~pl.col("caseworker_id").is_in(caseworker_ids.implode()),
               "handläggaren finns inte i caseworkers.csv"),
        _Check("caseworker_id", (event_type == "handlaggare") & pl.col("caseworker_id").is_null(),
               "caseworker_id krävs för händelsetypen handlaggare"),
        _Check("outcome", with_outcome & pl.col("outcome").is_null(),
               pl.format("utfall (outcome) krävs för {}", event_type)),
        _Check("outcome", with_outcome & pl.col("outcome").is_not_null() & outcome.is_null(),
               pl.format("ogiltigt utfall för {} (tillåtna: {})", event_type, allowed)),
        _Check("intervention", (event_type == "insats_start") & pl.col("intervention").is_null(),
               "insats (intervention) krävs för insats_start"),
        _vocabulary_check("intervention", schema.INTERVENTIONS, "okänd insats"),
        _Check("legal_basis", (event_type == "insats_start") & pl.col("legal_basis").is_null(),
               "lagrum (legal_basis) krävs för insats_start"),
        _vocabulary_check("legal_basis", schema.LEGAL_BASES, "okänt lagrum"),
        _Check("until", (event_type == "utredning_forlangd") & pl.col("until").is_null(),
               "datum (until) krävs för utredning_forlangd"),
        *_date_checks("until"),
        _Check("until", (event_type == "utredning_forlangd") & (_date("until") < _date("date")),
               "förlängd till (until) ligger före händelsens datum"),
        _Check("until", (event_type != "utredning_forlangd") & (_date("until") < _date("date")),
               "datum (until) ligger före händelsens datum"),
        _vocabulary_check("source", schema.SOURCES, "okänd källa"),
        _Check("unaccompanied", pl.col("unaccompanied").is_not_null() & ~pl.col("unaccompanied").is_in(["1", "0"]),
               "ogiltigt värde (tillåtna: 1, 0 eller tomt)"),
        _vocabulary_check("kind", schema.REPORT_KINDS, "okänd aktualiseringstyp (kind)"),
        _Check("kind", pl.col("kind").is_not_null() & (event_type != "anmalan"),
               "aktualiseringstyp (kind) anges bara för anmalan"),
        _vocabulary_check("regi", schema.REGI, "okänd regi"),
        _Check("regi", pl.col("regi").is_not_null() & (event_type != "insats_start"),
               "regi anges bara för insats_start"),
    ]
    # The duplicate check is a window over every event id (a grouping of 7M strings at national
    # scale); counting the distinct ids first is a third of that, and an export rarely repeats one.
    if duplicates and _repeats(frame.get_column("event_id")):
        checks.append(_duplicate_check("event_id"))
    good, rejects = _apply(frame, checks, "events.csv", event_id=pl.col("event_id"))
    events = good.select(
        "event_id", "case_id",
        person_key=pl.col("_person_key"),
        gender=pl.coalesce(_vocabulary("gender", schema.GENDERS), pl.col("_derived_gender")),
        birth_date=pl.col("_birth_date"),
        event_type=event_type,
        date=_date("date"),
        unit_id=pl.col("unit_id"),
        caseworker_id=pl.col("caseworker_id"),
        ref=pl.col("ref"),
        outcome=pl.when(with_outcome).then(outcome).otherwise(pl.col("outcome")),
        intervention=_vocabulary("intervention", schema.INTERVENTIONS),
        legal_basis=_vocabulary("legal_basis", schema.LEGAL_BASES),
        until=_date("until"),
        source=_vocabulary("source", schema.SOURCES),
        unaccompanied=pl.col("unaccompanied") == "1",
        kind=pl.when(event_type == "anmalan").then(
            pl.coalesce(_vocabulary("kind", schema.REPORT_KINDS), pl.lit(schema.DEFAULT_REPORT_KIND))
        ),
        regi=_vocabulary("regi", schema.REGI),
        row=pl.col(ROW),
    )
    return events, rejects


READ_THREADS = 2


@dataclass
class _Part:
    """What one part of events.csv gives: its good typed rows, its rejected (ids, reasons), the
    unnamed columns with values in it and its rows read."""

    good: pl.DataFrame
    rejected: tuple[pl.DataFrame, pl.DataFrame] | None
    unnamed: set[int]
    rows_read: int


def _events_in_parts(
    deferred: _InParts,
    units: pl.Series,
    caseworker_ids: pl.Series,
    pseudonymizer: Pseudonymizer,
    reference_date: dt.date | None,
    limits: ImportLimits,
    cut_row: int | None,
) -> tuple[pl.DataFrame, pl.DataFrame, int, list[str]]:
    """events.csv read, screened and validated part by part: (events, rejects, rows read, warnings).

    Each part goes the way the whole table goes in `_add_table`, `_v1_tables`, `screen` and
    `_events` (rows are independent there), and only its good, typed rows are kept. The one
    check across rows, a repeated event_id, runs at the end on the ids of every row (good and
    rejected), with the reason and order the whole-table check gives.
    """
    text = deferred.text
    columns = [f"c{i}" for i in range(deferred.width)]
    names = list(deferred.keep.values())
    rows = text.row_numbers(text.records)

    def read_part(bounds: tuple[int, int, int, int]) -> _Part:
        start, end, first, count = bounds
        data = text.take(start, end)  # held only here, so freed as soon as it is parsed
        try:
            frame = pl.read_csv(
                io.BytesIO(data), has_header=False, separator=text.separator,
                schema=dict.fromkeys(columns, pl.Utf8), missing_columns="insert", extra_columns="ignore",
                truncate_ragged_lines=True, quote_char='"',
            )
        except pl.exceptions.PolarsError as exc:
            raise InterchangeError(f"{deferred.file_name}: filen kan inte läsas som CSV") from exc
        del data
        if first == 0:
            frame = frame.slice(1)
        if frame.height != count:
            raise InterchangeError(f"{deferred.file_name}: raderna kunde inte räknas entydigt")
        unnamed = {i for i in deferred.unnamed if _has_values(frame.get_column(columns[i]))}
        table = pl.DataFrame({ROW: rows.slice(first, count)})
        for i, name in deferred.keep.items():
            table = table.with_columns(_stripped(frame.get_column(columns[i])).alias(name))
            frame = frame.drop(columns[i])
        del frame
        table = _without_empty_rows(table, names)
        read = table.height
        table = table.select(ROW, *[pl.col(c) if c in names else pl.lit(None, pl.Utf8).alias(c) for c in EVENT_COLUMNS])
        table, screened = screen("events", table, limits, cut_row)
        good, found = _events(table, units, caseworker_ids, pseudonymizer, reference_date, duplicates=False)
        rejected = None
        if screened.height or found.height:
            rejected = (
                table.filter(~pl.col(ROW).is_in(good.get_column("row").implode())).select("event_id", row=pl.col(ROW)),
                pl.concat([screened, found]),
            )
        # one chunk per column and part: the parts are then joined by reference (see _concatenated)
        return _Part(good.rechunk(), rejected, unnamed, read)

    goods: list[pl.DataFrame] = []
    rejected_ids: list[pl.DataFrame] = []
    rejects: list[pl.DataFrame] = []
    unnamed_with_values: set[int] = set()
    rows_read = 0
    # Two parts at a time: a part is mostly polars, which lets go of the interpreter, so the
    # second core reads the next part (national read 17–20 s on one). The results are taken in
    # the file's order, and the first failing part in that order raises, as one at a time.
    with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
        for part in pool.map(read_part, text.parts()):
            unnamed_with_values |= part.unnamed
            rows_read += part.rows_read
            if part.rejected is not None:
                rejected_ids.append(part.rejected[0])
                rejects.append(part.rejected[1])
            goods.append(part.good)
    rows = None  # the parts are all in `goods` now: the row numbers are let go
    ids = pl.concat([*(g.select("event_id", "row") for g in goods), *rejected_ids])
    if _repeats(ids.get_column("event_id")):
        check = _duplicate_check("event_id")
        repeated = ids.with_columns(_first=pl.col("row").min().over("event_id")).filter(
            pl.col("event_id").is_not_null() & (pl.col("row") != pl.col("_first"))
        )
        rejects.append(repeated.sort("row").select(
            file=pl.lit("events.csv"), row=pl.col("row"), event_id=pl.col("event_id"), column=pl.lit(check.column),
            value=pl.col("event_id"), reason=pl.format("event_id förekommer redan på rad {}", pl.col("_first")),
        ))
        repeated_rows = repeated.get_column("row").implode()
        goods = [g.filter(~pl.col("row").is_in(repeated_rows)) for g in goods]
    del ids
    rejects = [schema.conform(r, schema.REJECTS) for r in rejects]
    all_rejects = pl.concat(rejects).sort("row", maintain_order=True) if rejects else schema.empty(schema.REJECTS)
    warnings = [f"{deferred.file_name}: en kolumn utan namn ignoreras" for i in deferred.unnamed if i in unnamed_with_values]
    return _concatenated(goods), all_rejects, rows_read, warnings


def _concatenated(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """The parts (emptied as it goes) as one frame of one-chunk columns, built a column at a time.

    The rules engine needs one chunk per column: a frame of many-chunk columns made evaluate
    realign (copy) them, 5.6 GB at national scale. Parts of one chunk each are joined cheaply
    (a string column's new chunk refers to the parts' string buffers), and a column at a time
    holds at most one column twice.
    """
    if len(parts) == 1:
        return parts.pop()
    columns = []
    for name in parts[0].columns:
        columns.append(pl.concat([p.get_column(name) for p in parts], rechunk=True))
        parts[:] = [p.drop(name) for p in parts]
    parts.clear()
    return pl.DataFrame(columns)

