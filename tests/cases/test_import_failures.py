"""Failures an import must name and record, on SQLite and PostgreSQL alike (issue 12).

A NUL byte in an `event_id` used to fail PostgreSQL's COPY with an uncaught error and no run
recorded, while SQLite stored it; a damaged zip gave a traceback; a bad `org_units` row that
took all of a unit's events ended with the same exit status as one rejected row.
"""

from __future__ import annotations

import json
import zipfile

import pytest

from egenkontroll.cases import importer
from egenkontroll.cases.importer import ImportFailed, run_import
from egenkontroll.cases.models import Event, ImportRun, RejectedRow
from egenkontroll.core.import_limits import ImportLimits
from egenkontroll.core.screening import CONTROL
from tests.cases.cli import egenkontroll
from tests.cases.factory import CASEWORKERS, ORG_UNITS, city, city_size, write_dataset


def with_events(directory, *lines: str):
    """Append raw lines to events.csv (the factory's csv writer would not write a NUL)."""
    with (directory / "events.csv").open("a", encoding="utf-8", newline="") as handle:
        handle.writelines(line + "\r\n" for line in lines)
    return directory


@pytest.mark.django_db
@pytest.mark.parametrize("character", ["\x00", "\x1f"])
def test_a_control_character_in_an_event_id_rejects_only_that_row(tmp_path, character):
    person = city(1)[0]["person"]
    data = with_events(write_dataset(tmp_path / "d", city(2)), f"bad{character}id,C9,{person},,anmalan,2024-01-08,G1")
    summary = run_import(data)
    assert (summary.imported, summary.rejected, summary.status) == (city_size(2), 1, "rejects")
    reject = RejectedRow.objects.get()
    assert (reject.column, reject.event_id, reject.value, reject.reason) == ("event_id", "bad\ufffdid", "bad\ufffdid", CONTROL)
    assert not Event.objects.filter(event_id__startswith="bad").exists()


def damaged_zip(tmp_path):
    data = write_dataset(tmp_path / "d", city(2))
    target = tmp_path / "export.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(data.iterdir()):
            archive.write(path, path.name)
    with zipfile.ZipFile(target) as archive:
        info = archive.getinfo("events.csv")
    raw = bytearray(target.read_bytes())
    middle = info.header_offset + 30 + len(info.filename) + len(info.extra) + info.compress_size // 2
    raw[middle : middle + 16] = bytes(16)
    target.write_bytes(bytes(raw))
    return target, {}, r"^export\.zip: events\.csv: filen i arkivet är skadad"


def traversal_zip(tmp_path):
    data = write_dataset(tmp_path / "d", city(1))
    target = tmp_path / "export.zip"
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(data.iterdir()):
            archive.write(path, path.name)
        archive.writestr("../../etc/cron.d/x.csv", "a,b\n")
    return target, {}, r"^export\.zip: zip-filen innehåller en otillåten sökväg \(\.\./\.\./etc/cron\.d/x\.csv\)"


def bomb_zip(tmp_path):
    data = write_dataset(tmp_path / "d", city(1))
    target = tmp_path / "bomb.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(data.iterdir()):
            archive.writestr(path.name, path.read_bytes() + (b"\n" * 20_000_000 if path.name == "events.csv" else b""))
    return target, {}, r"^bomb\.zip: events\.csv: filen packas upp mer än 100 gånger"


def too_many_rows(tmp_path):
    return write_dataset(tmp_path / "d", city(2)), {"limits": ImportLimits(max_rows=5)}, "^events.csv: filen har fler än 5 rader"


@pytest.mark.django_db
@pytest.mark.parametrize("build", [damaged_zip, traversal_zip, bomb_zip, too_many_rows])
def test_every_file_level_failure_is_a_recorded_failed_run_naming_the_file(tmp_path, build):
    path, options, message = build(tmp_path)
    with pytest.raises(ImportFailed, match=message) as failure:
        run_import(path, **options)
    run = ImportRun.objects.get()
    assert (run.status, run.message) == ("failed", str(failure.value))
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_an_unexpected_error_while_reading_is_a_recorded_failed_run(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("20150312-9825 in a message that must not be shown")

    monkeypatch.setattr(importer, "read_dataset", broken)
    with pytest.raises(ImportFailed, match=r"^d: oväntat fel vid läsning \(ValueError\)$"):
        run_import(write_dataset(tmp_path / "d", city(1)))
    assert ImportRun.objects.get().status == "failed"


@pytest.mark.django_db
def test_an_error_the_database_driver_raises_itself_is_a_recorded_failed_run(tmp_path, monkeypatch):
    def copy_fails(*args, **kwargs):
        raise RuntimeError("PostgreSQL text fields cannot contain NUL (0x00) bytes")  # as psycopg's COPY does

    monkeypatch.setattr(importer, "_write_events", copy_fails)
    with pytest.raises(ImportFailed, match=r"^d: databasen tog inte emot importen \(RuntimeError: PostgreSQL text"):
        run_import(write_dataset(tmp_path / "d", city(1)))
    run = ImportRun.objects.get()
    assert run.status == "failed" and not Event.objects.exists()


def test_a_unit_lost_whole_is_its_own_exit_status_with_a_loud_line(tmp_path, database_url):
    rows = city(6)
    in_g2 = sum(1 for r in rows if r["unit_id"] == "G2")
    broken_units = [u if u[0] != "G2" else ("G2", "E1", "Grupp 2", "gruppen") for u in ORG_UNITS]
    workers = [w for w in CASEWORKERS if w[2] != "G2"] + [("cw3", "Lind, Karin", "G1", "samordnare", "", "")]
    data = write_dataset(tmp_path / "d", rows, org_units=broken_units, caseworkers=workers)
    result = egenkontroll("import", data, "--db", database_url, "--format", "json", "--no-warm-up", cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["lost_units"], summary["rejected"], summary["exit_code"]) == ({"G2": in_g2}, in_g2, 3)
    line = f"HELA ENHETER FÖRLORADE: {in_g2} händelser i 1 enheter avvisades för att enheten saknas eller avvisades i org_units.csv: G2 ({in_g2})"
    assert summary["warnings"][0] == line
    assert f"egenkontroll: {line}" in result.stderr

    text = egenkontroll("import", data, "--db", database_url, "--no-warm-up", cwd=tmp_path)
    assert text.returncode == 3
    assert text.stdout.splitlines()[0] == f"VARNING: {line}"


def test_a_limit_on_the_command_line_and_a_bad_one(tmp_path, database_url):
    data = write_dataset(tmp_path / "d", city(2))
    limited = egenkontroll("import", data, "--db", database_url, "--limit", "max-rows=5", cwd=tmp_path)
    assert limited.returncode == 1
    assert limited.stderr.strip() == "egenkontroll: events.csv: filen har fler än 5 rader (gränsen EGK_IMPORT_MAX_ROWS)"
    unknown = egenkontroll("import", data, "--db", database_url, "--limit", "max-cells=5", cwd=tmp_path)
    assert unknown.returncode == 1 and "okänd gräns max-cells" in unknown.stderr


@pytest.mark.django_db
def test_a_mistyped_unit_in_a_row_is_an_ordinary_reject_a_unit_missing_for_many_events_is_lost(tmp_path):
    rows = city(6)
    typo = run_import(write_dataset(tmp_path / "typo", [*rows, {**rows[0], "event_id": "typo", "unit_id": "G11"}]))
    assert (typo.rejected, typo.lost_units, typo.exit_code) == (1, {}, 2)
    moved = [{**r, "unit_id": "G9"} if r["unit_id"] == "G2" else r for r in rows]
    in_g9 = sum(1 for r in moved if r["unit_id"] == "G9")
    assert in_g9 >= importer.LOST_UNIT_MIN_EVENTS
    missing = run_import(write_dataset(tmp_path / "missing", moved))
    assert (missing.lost_units, missing.exit_code) == ({"G9": in_g9}, 3)
    assert ImportRun.objects.get(pk=missing.run_id).message == missing.loss_line
