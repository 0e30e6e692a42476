"""A fuzzing harness for the import: a few hundred malformed exports per run, none may crash or lose a good row.

A seeded generator (the same files every run, so a failure can be replayed by its number)
writes exports the way broken spreadsheets, cut-off transfers and hostile senders do: wrong
encodings, separators and line endings, empty and separator-only lines, cut-off last rows,
control characters, huge fields, formula-looking values, implausible dates, zip bombs,
traversal member names, damaged deflate data, garbage containers, workbooks with far cells,
error cells and formula cells. Each export holds the same good events and a known set of bad
rows; for each one the harness asserts:

- no crash: reading ends in a dataset or an `InterchangeError`, nothing else;
- rows in = imported + rejected, and exactly the planted bad rows are rejected, by row number;
- nothing good lost: every good event is read (a file refused as a whole must be one of the
  hostile kinds, and then nothing is imported and a failed run is stored).

Every 15th export also goes through `run_import` into the test database (SQLite, and
PostgreSQL in the second pass). The counts are printed (`pytest -s`) and recorded as test
properties: files tried, crashes, rows lost, refused.
"""

from __future__ import annotations

import random
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest

from egenkontroll.cases.importer import ImportFailed, run_import
from egenkontroll.cases.models import Case, Event, ImportRun, Obligation, Person, RejectedRow
from egenkontroll.core.interchange import InterchangeError, read_dataset
from tests.cases.factory import CASEWORKERS, EVENT_HEADER, ORG_UNITS, city

SEED = 20261206
FILES = 300
DATABASE_EVERY = 15
KEY = b"fuzz-test-key-0123456789abcdef01"
GOOD = city(2) + [  # values a spreadsheet would run as formulas are plain ids and cases here
    {**city(1)[0], "event_id": "=HYPERLINK(\"http://x\";\"a\")", "case_id": "+C77"},
    {**city(1)[0], "event_id": "@SUM(1)", "case_id": "-C78"},
]
PERSON = GOOD[0]["person"]
CONTROLS = ["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x1f", "\x7f", "\t", "\n", "\r"]


@dataclass
class Export:
    """One generated export and what reading it must give."""

    number: int
    kind: str
    path: Path
    refused: bool = False  # a hostile kind: must be refused as a whole
    bad_rows: set[int] = field(default_factory=set)
    good_ids: set[str] = field(default_factory=set)


def bad_row(rng: random.Random, i: int) -> tuple[str, dict]:
    base = {"event_id": f"bad{i}", "case_id": f"B{i}", "person": PERSON, "event_type": "anmalan",
            "date": "2024-01-08", "unit_id": "G1", "caseworker_id": "cw1"}
    kind = rng.choice([
        "control", "huge_outcome", "huge_id", "far_date", "old_date", "no_day", "bad_format", "until_before",
        "unknown_type", "missing", "bad_person", "short", "unknown_unit", "huge_name_like",
    ])
    if kind == "control":
        column = rng.choice(["event_id", "case_id", "unit_id", "source", "event_type"])
        value = base.get(column) or "skola"
        at = rng.randrange(1, len(value))  # inside: at the edges tab, line breaks … are trimmed like spaces
        return kind, base | {column: value[:at] + rng.choice(CONTROLS) + value[at:]}
    return kind, {
        "huge_outcome": base | {"event_type": "besok", "outcome": "x" * rng.randint(33, 200_000)},
        "huge_id": base | {"event_id": f"bad{i}" + "y" * rng.randint(130, 5000)},
        "far_date": base | {"date": "9999-12-31"},
        "old_date": base | {"date": "1800-01-01"},
        "no_day": base | {"date": "2024-02-30"},
        "bad_format": base | {"date": rng.choice(["8/1/2024", "2024-1-8", "igår", "2024-01-08T10:00"])},
        "until_before": base | {"event_type": "utredning_forlangd", "until": "2023-12-01"},
        "unknown_type": base | {"event_type": rng.choice(["telefon", "ANMÄLAN2", "=1+1"])},
        "missing": base | {rng.choice(["case_id", "person", "date", "unit_id", "event_type"]): ""},
        "bad_person": base | {"person": PERSON[:-1] + str((int(PERSON[-1]) + 1) % 10)},
        "short": {"event_id": f"bad{i}", "case_id": f"B{i}"},
        "unknown_unit": base | {"unit_id": "X9"},
        "huge_name_like": base | {"source": "z" * rng.randint(33, 3000)},
    }[kind]


def field_text(value: str, separator: str) -> str:
    if any(ch in value for ch in (separator, '"', "\r", "\n")):
        return '"' + value.replace('"', '""') + '"'
    return value


def render(records: list[list[str] | None], separator: str, ending: str) -> str:
    """Records (None: an empty line) as CSV text, each line ended with `ending`."""
    lines = []
    for record in records:
        lines.append("" if record is None else separator.join(field_text(v, separator) for v in record))
    return "".join(line + ending for line in lines)


def event_records(rng: random.Random, header: list[str], export: Export, with_blank: bool) -> list[list[str] | None]:
    """Good and bad rows in random order, empty lines between; records the bad rows' numbers."""
    rows: list[tuple[bool, dict]] = [(False, r) for r in GOOD]
    for i in range(rng.randint(0, 6)):
        rows.insert(rng.randrange(len(rows) + 1), (True, bad_row(rng, i)[1]))
    records: list[list[str] | None] = [header]
    for bad, row in rows:
        while with_blank and rng.random() < 0.15:
            records.append(None if rng.random() < 0.5 else [rng.choice(["", " ", "  "]) for _ in header])
        if bad:
            export.bad_rows.add(len(records) + 1)
        values = [row.get(c, "") for c in header]
        if row.keys() == {"event_id", "case_id"}:  # a short row: only its first two fields (the header's first)
            values = values[:2]
        records.append(values)
    export.good_ids = {r["event_id"] for r in GOOD}
    return records


def header_for(rng: random.Random) -> list[str]:
    header = list(EVENT_HEADER)
    if rng.random() < 0.3:
        header.append("kommentar")
    if rng.random() < 0.3:
        rng.shuffle(header)
        header.remove("event_id")
        header.remove("case_id")
        header[:0] = ["event_id", "case_id"]
    return header


def csv_export(rng: random.Random, export: Export) -> dict[str, bytes]:
    separator = rng.choice([",", ";", "\t"])
    ending = rng.choice(["\n", "\r\n", "\r"])
    encoding = rng.choice(["utf-8", "utf-8-sig", "cp1252", "latin-1"])
    header = header_for(rng)
    records = event_records(rng, header, export, with_blank=rng.random() < 0.6)
    text = render(records, separator, ending)
    if rng.random() < 0.2:
        text = text[: -len(ending)]  # no line break after the complete last row
    elif rng.random() < 0.2:
        cut = [f"cut{export.number}", "B99", PERSON, "", "anmalan", "2024-01-08", "G1"]
        text += separator.join(cut[: rng.randint(2, 6)])  # the transfer stopped in the middle of a row
        export.bad_rows.add(len(records) + 1)
    upper = rng.random() < 0.2

    def encoded(content: str) -> bytes:
        if upper:  # an upper-case header
            first, _, rest = content.partition(ending)
            content = first.upper() + ending + rest
        return content.encode(encoding)

    return {
        "events.csv": encoded(text),
        "org_units.csv": encoded(render([list(r) for r in ORG_UNITS], separator, ending)),
        "caseworkers.csv": encoded(render([list(r) for r in CASEWORKERS], separator, ending)),
    }


def write_files(directory: Path, files: dict[str, bytes]) -> Path:
    directory.mkdir(parents=True)
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return directory


def zip_export(target: Path, files: dict[str, bytes], rng: random.Random, prefix: str = "") -> Path:
    method = rng.choice([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
    with zipfile.ZipFile(target, "w", method) as archive:
        for name, data in files.items():
            archive.writestr(prefix + name, data)
        if rng.random() < 0.3:
            archive.writestr("__MACOSX/._events.csv", b"\x00\x05junk")
    return target


def xlsx_export(rng: random.Random, export: Export, target: Path) -> Path:
    header = header_for(rng)
    records = event_records(rng, header, export, with_blank=rng.random() < 0.5)
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in (("org_units", [list(r) for r in ORG_UNITS]), ("caseworkers", [list(r) for r in CASEWORKERS]),
                       ("events", records)):
        sheet = workbook.create_sheet(name)
        for record in rows:
            if record is None:
                sheet.append([])
                continue
            sheet.append([_xml_safe(value) or None for value in record])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text that looks like a formula, as a text cell holds it
    events = workbook["events"]
    oddity = rng.choice(["none", "far_cell", "far_row", "error_cell", "formula_cell", "number_cells"])
    if oddity == "far_cell":
        events.cell(row=rng.randint(2, 1_048_576), column=rng.randint(len(header) + 2, 16_384), value="x")
    elif oddity == "far_row":
        events.cell(row=rng.randint(50_000, 1_048_576), column=len(header) + 3, value="långt bort")
    elif oddity == "formula_cell":
        events.cell(row=1, column=len(header) + 1, value="kommentar2")
        events.cell(row=2, column=len(header) + 1, value="=SUM(A1:A3)")
    elif oddity == "error_cell" and export.bad_rows:
        row = min(export.bad_rows)
        events.cell(row=row, column=header.index("date") + 1, value="#N/A")
    elif oddity == "number_cells":
        for row, record in enumerate(records[1:], start=2):
            cell = events.cell(row=row, column=header.index("unaccompanied") + 1)
            if record is not None and any(record) and cell.value is None and rng.random() < 0.5:
                cell.value = 0
    export.kind += f"/{oddity}"
    workbook.save(target)
    return target


def _xml_safe(value: str) -> str:
    """Control characters XML cannot hold become a tab (also a control character: still rejected)."""
    return "".join("\t" if (ord(ch) < 32 and ch not in "\t\n\r") or ch == "\x7f" else ch for ch in value)


def hostile_export(rng: random.Random, export: Export, directory: Path) -> Path:
    """A file to be refused as a whole."""
    export.refused = True
    files = csv_export(rng, Export(export.number, "", directory))
    kind = rng.choice(["bomb", "traversal", "damaged", "garbage_zip", "garbage_xlsx", "unclosed_quote", "utf16",
                       "binary_events", "empty_zip"])
    export.kind += f"/{kind}"
    target = directory / "export.zip"
    if kind == "bomb":
        files["events.csv"] += b"\n" * rng.randint(2, 6) * 1024**2
        return _deflated(target, files)
    if kind == "traversal":
        name = rng.choice(["../../events.csv", "/tmp/events.csv", "a/../../b.csv", "C:/x.csv", "ok\x01.csv"])
        files[name] = b"a\n"
        return _deflated(target, files)
    if kind == "damaged":
        _deflated(target, files)
        with zipfile.ZipFile(target) as archive:
            info = archive.getinfo("events.csv")
        raw = bytearray(target.read_bytes())
        start = info.header_offset + 30 + len(info.filename) + len(info.extra)
        at = start + rng.randrange(max(info.compress_size - 8, 1))
        raw[at : at + 8] = bytes(rng.randrange(256) for _ in range(8))
        target.write_bytes(bytes(raw))
        return target
    if kind in ("garbage_zip", "garbage_xlsx"):
        target = directory / ("export.zip" if kind == "garbage_zip" else "export.xlsx")
        target.write_bytes(rng.randbytes(rng.randint(0, 3000)) if rng.random() < 0.5 else b"PK\x03\x04" + rng.randbytes(500))
        return target
    if kind == "unclosed_quote":
        files["events.csv"] += b'bad,"B1,' + PERSON.encode() + b",,anmalan\n" + b"x\n" * rng.randint(1, 50)
    elif kind == "utf16":
        files["events.csv"] = files["events.csv"].decode("latin-1").encode("utf-16")
    elif kind == "binary_events":
        files["events.csv"] = rng.randbytes(rng.randint(1, 5000)).replace(b"event_id", b"")
    elif kind == "empty_zip":
        files = {}
    return _deflated(target, files) if kind == "empty_zip" else write_files(directory / "d", files)


def _deflated(target: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo("x")
            info.filename = name  # raw, as a hostile tool writes it (zipfile would tidy it)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return target


def generate(number: int, directory: Path) -> Export:
    rng = random.Random(SEED * 1000 + number)
    directory.mkdir(parents=True)
    kind = rng.choices(["csv", "zip", "xlsx", "hostile"], weights=[50, 20, 15, 15])[0]
    export = Export(number, kind, directory)
    if kind == "csv":
        export.path = write_files(directory / "d", csv_export(rng, export))
    elif kind == "zip":
        files = csv_export(rng, export)
        export.path = zip_export(directory / "export.zip", files, rng, rng.choice(["", "export-2026-12/"]))
    elif kind == "xlsx":
        export.path = xlsx_export(rng, export, directory / "export.xlsx")
    else:
        export.path = hostile_export(rng, export, directory)
    return export


@dataclass
class Tally:
    files: int = 0
    crashes: int = 0
    rows_lost: int = 0
    refused: int = 0
    problems: list[str] = field(default_factory=list)

    def problem(self, export: Export, text: str) -> None:
        self.problems.append(f"#{export.number} ({export.kind}): {text}")


def check_read(export: Export, tally: Tally) -> None:
    tally.files += 1
    try:
        dataset = read_dataset(export.path, key=KEY)
    except InterchangeError as exc:
        tally.refused += 1
        if not export.refused:
            tally.rows_lost += len(export.good_ids)
            tally.problem(export, f"refused a readable export: {exc}")
        return
    except Exception as exc:  # noqa: BLE001 — counting crashes is the point
        tally.crashes += 1
        tally.problem(export, f"crash {type(exc).__name__}: {exc}")
        return
    if export.refused:
        tally.problem(export, "a hostile export was read")
        return
    read = set(dataset.events["event_id"])
    rejected = set(dataset.rejects.filter(dataset.rejects["file"] == "events.csv")["row"])
    lost = export.good_ids - read
    tally.rows_lost += len(lost)
    if lost:
        tally.problem(export, f"good rows lost: {sorted(lost)}")
    if dataset.rows_read != dataset.events.height + len(rejected):
        tally.problem(export, f"rows in {dataset.rows_read} != read {dataset.events.height} + rejected {len(rejected)}")
    if rejected != export.bad_rows:
        tally.problem(export, f"rejected rows {sorted(rejected)} != planted {sorted(export.bad_rows)}")


def clear_database() -> None:
    for model in (Event, Case, Person, Obligation, RejectedRow, ImportRun):
        model.objects.all().delete()


def check_import(export: Export, tally: Tally) -> None:
    tally.files += 1
    clear_database()
    try:
        summary = run_import(export.path, key=KEY)
    except ImportFailed:
        if not export.refused:
            tally.problem(export, "the import failed on a readable export")
        if ImportRun.objects.get().status != "failed":
            tally.problem(export, "a failed import was not recorded")
        if Event.objects.exists():
            tally.problem(export, "a failed import stored events")
        return
    except Exception as exc:  # noqa: BLE001
        tally.crashes += 1
        tally.problem(export, f"import crash {type(exc).__name__}: {exc}")
        return
    stored = set(Event.objects.values_list("event_id", flat=True))
    if summary.rows_read != summary.imported + summary.updated + summary.unchanged + summary.rejected:
        tally.problem(export, "the import's rows do not add up")
    if export.good_ids - stored:
        tally.rows_lost += len(export.good_ids - stored)
        tally.problem(export, f"good rows not imported: {sorted(export.good_ids - stored)}")


@pytest.mark.django_db
def test_malformed_exports_never_crash_and_never_lose_a_good_row(tmp_path, record_property):
    tally, imported = Tally(), Tally()
    for number in range(FILES):
        export = generate(number, tmp_path / str(number))
        check_read(export, tally)
        if number % DATABASE_EVERY == 0:
            check_import(export, imported)
    summary = (
        f"fuzz: {tally.files} exports read, {tally.crashes} crashes, {tally.rows_lost} good rows lost, "
        f"{tally.refused} refused as a whole; {imported.files} imported into the "
        f"database, {imported.crashes} crashes, {imported.rows_lost} good rows lost"
    )
    print(summary)
    for name in ("files", "crashes", "rows_lost", "refused"):
        record_property(f"fuzz_{name}", getattr(tally, name))
    assert tally.problems + imported.problems == []
    assert tally.crashes == imported.crashes == 0 and tally.rows_lost == imported.rows_lost == 0
    assert tally.files == FILES and 0 < tally.refused < FILES // 3
