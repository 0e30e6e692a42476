"""What an import may unpack and read: bombs, far cells, damaged and hostile containers.

The hostile files of the security probe (issue 12) are rebuilt here: a 205 kB zip of 200 MB of
empty lines, a workbook with one cell at XFD1048576, a zip with damaged deflate data. The ones
that used to take the machine's memory or abort the process run in a subprocess under an
address-space limit and a time bound, so a regression fails the test instead of the machine.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from egenkontroll.core import csv_stream
from egenkontroll.core.import_limits import GiB, ImportLimits, LimitError, MiB, from_env
from egenkontroll.core.interchange import InterchangeError, read_dataset, read_tables

MINIMAL = Path(__file__).parent / "fixtures" / "interchange" / "minimal"
KEY = b"bounded-reading-test-key-0123456"
FILES = ("org_units.csv", "caseworkers.csv", "events.csv")
MEMORY_LIMIT = 1500 * MiB

READ_UNDER_LIMITS = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from egenkontroll.core.interchange import InterchangeError, read_dataset
start = time.monotonic()
try:
    dataset = read_dataset(sys.argv[1], key=b"k" * 32)
    print("read", dataset.rows_read, dataset.events.height, "|".join(dataset.warnings))
except InterchangeError as exc:
    print("refused", exc)
# VmHWM, the peak of this program's own memory: ru_maxrss would also count the parent's peak,
# which Linux carries over when the parent's memory is replaced by this program (vfork + exec)
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")) / 1024
print(f"seconds {{time.monotonic() - start:.2f}} peak_mb {{peak:.0f}}")
"""


def read_in_subprocess(path: Path, timeout: float, **env: str) -> tuple[str, float, float]:
    """(first output line, seconds, peak MB) of reading `path` under a 1.5 GB address-space limit."""
    result = subprocess.run(
        [sys.executable, "-c", READ_UNDER_LIMITS.format(limit=MEMORY_LIMIT), str(path)],
        capture_output=True, text=True, timeout=timeout, env={**os.environ, **env},
    )
    assert result.returncode == 0, f"the reader died ({result.returncode}): {result.stderr[-2000:]}"
    first, last = result.stdout.strip().splitlines()
    _, seconds, _, peak = last.split()
    print(f"{path.name}: {first[:120]} — {seconds} s, peak {peak} MB")
    return first, float(seconds), float(peak)


def blank_line_bomb(target: Path, megabytes: int) -> Path:
    """The probe's zip: the minimal dataset, events.csv followed by `megabytes` MB of empty lines."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in FILES[:2]:
            archive.write(MINIMAL / name, name)
        with archive.open("events.csv", "w", force_zip64=True) as member:
            member.write((MINIMAL / "events.csv").read_bytes())
            block = b"\n" * MiB
            for _ in range(megabytes):
                member.write(block)
    return target


def test_a_zip_bomb_of_empty_lines_is_refused_at_once(tmp_path):
    bomb = blank_line_bomb(tmp_path / "bomb.zip", 200)
    assert bomb.stat().st_size < 300_000
    first, seconds, _ = read_in_subprocess(bomb, timeout=60)
    assert first == (
        "refused bomb.zip: events.csv: filen packas upp mer än 100 gånger sin packade storlek "
        "(en zip-bomb?; gränsen EGK_IMPORT_MAX_RATIO)"
    )
    assert seconds < 5


def test_with_the_ratio_lifted_the_empty_lines_stream_through_without_being_held(tmp_path):
    bomb = blank_line_bomb(tmp_path / "bomb.zip", 200)
    first, seconds, peak = read_in_subprocess(bomb, timeout=120, EGK_IMPORT_MAX_RATIO="100000")
    assert first == "read 26 26 "  # every good row, no warning
    assert seconds < 60 and peak < 1000


def far_cell_workbook(target: Path, cell: str = "XFD1048576") -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name in FILES:
        sheet = workbook.create_sheet(name.removesuffix(".csv"))
        for row in csv.reader(io.StringIO((MINIMAL / name).read_text(encoding="utf-8"))):
            sheet.append([v or None for v in row])
    workbook["events"][cell] = "x"
    workbook.save(target)
    return target


def test_a_cell_at_the_far_corner_of_a_sheet_does_not_abort_the_process(tmp_path):
    first, seconds, _ = read_in_subprocess(far_cell_workbook(tmp_path / "far.xlsx"), timeout=60)
    assert first == "read 26 26 far.xlsx: celler bortom kolumn 1000 ignoreras (gränsen EGK_IMPORT_MAX_COLUMNS)"
    assert seconds < 30


def test_a_far_cell_within_the_columns_is_read_row_by_row_with_its_warning(tmp_path):
    dataset = read_dataset(far_cell_workbook(tmp_path / "far.xlsx", "Z200000"), key=KEY)
    assert (dataset.rows_read, dataset.events.height) == (26, 26)
    assert dataset.warnings == ["events.csv: en kolumn utan namn ignoreras"]
    assert dataset.events["row"].to_list() == list(range(2, 28))


def test_a_far_cell_in_a_named_column_keeps_its_row_number(tmp_path):
    dataset = read_dataset(far_cell_workbook(tmp_path / "far.xlsx", "A900000"), key=KEY)
    assert dataset.rejects.filter(dataset.rejects["row"] == 900000)["reason"].to_list()[0] == "obligatoriskt värde saknas"


def minimal_zip(target: Path, **names: str) -> Path:
    """The minimal dataset zipped; a member's name as given, raw (zipfile would tidy `/etc/…`)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in FILES:
            info = zipfile.ZipInfo(name)
            info.filename = names.get(name.removesuffix(".csv"), name)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, (MINIMAL / name).read_bytes())
    return target


def damage_member(path: Path, member: str) -> None:
    """Overwrite bytes in the middle of a member's packed data."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    raw = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + info.compress_size // 3, start + info.compress_size // 3 + 40):
        raw[i] ^= 0x5A
    path.write_bytes(bytes(raw))


def test_damaged_deflate_data_is_an_error_naming_the_member(tmp_path):
    target = minimal_zip(tmp_path / "export.zip")
    damage_member(target, "events.csv")
    with pytest.raises(InterchangeError, match=r"^export.zip: events.csv: filen i arkivet är skadad \("):
        read_dataset(target, key=KEY)


def test_a_bad_checksum_is_an_error_naming_the_member(tmp_path):
    target = tmp_path / "export.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        for name in FILES:
            archive.write(MINIMAL / name, name)
    damage_member(target, "events.csv")
    with pytest.raises(InterchangeError, match="events.csv: filen i arkivet är skadad"):
        read_dataset(target, key=KEY)


@pytest.mark.parametrize("name", ["../../events.csv", "/etc/events.csv", "C:/events.csv", "a\\..\\events.csv"])
def test_a_member_path_out_of_the_archive_refuses_it(tmp_path, name):
    target = minimal_zip(tmp_path / "export.zip", events=name)
    with pytest.raises(InterchangeError, match="zip-filen innehåller en otillåten sökväg"):
        read_dataset(target, key=KEY)


def test_too_many_members_are_refused_before_the_directory_is_parsed(tmp_path):
    target = minimal_zip(tmp_path / "export.zip")
    with zipfile.ZipFile(target, "a") as archive:
        for i in range(20):
            archive.writestr(f"extra/{i}.txt", b"")
    with pytest.raises(InterchangeError, match="har fler än 10 filer"):
        read_tables(target, ImportLimits(max_members=10))


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        (ImportLimits(max_file_bytes=1000), "events.csv: filen är för stor"),
        (ImportLimits(max_unpacked_bytes=2000), "datasetet är för stort uppackat"),
        (ImportLimits(max_rows=20), "events.csv: filen har fler än 20 rader"),
    ],
)
def test_limits_on_a_folder_of_csv_files(limits, message):
    with pytest.raises(InterchangeError, match=message):
        read_tables(MINIMAL, limits)


def test_limits_on_zip_members_declared_and_read(tmp_path):
    target = minimal_zip(tmp_path / "export.zip")
    with pytest.raises(InterchangeError, match="export.zip: events.csv: filen är för stor"):
        read_tables(target, ImportLimits(max_file_bytes=1000))


def test_a_header_of_too_many_columns_is_refused(tmp_path):
    (tmp_path / "events.csv").write_text(";" * 5000 + "\n1\n")
    with pytest.raises(InterchangeError, match="rubrikraden har 5001 kolumner"):
        read_tables(tmp_path / "events.csv")


def test_a_quote_that_never_closes_stops_at_the_row_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_stream, "MAX_RECORD_BYTES", 10_000)
    (tmp_path / "events.csv").write_bytes(b'a,b\n1,"open\n' + b"\n" * 50_000)
    with pytest.raises(InterchangeError, match="en rad är längre än"):
        read_tables(tmp_path / "events.csv")


def test_empty_lines_are_dropped_but_keep_their_row_numbers(tmp_path):
    text = 'a;b\r\n1;"x\r\n\r\ny"\r\n\r\n;;\r  \n2;3\n\n\n4;"5"\n'
    (tmp_path / "t.csv").write_bytes(text.encode())
    table = read_tables(tmp_path / "t.csv").tables["t"]
    # the rows the whole-file reader numbered: the quoted field is row 2, `;;` row 4, `  ` row 5
    assert table.rows() == [(2, "1", "x\n\ny"), (6, "2", "3"), (9, "4", "5")]


def test_limits_from_the_environment_and_the_command_line():
    limits = from_env({"EGK_IMPORT_MAX_FILE_BYTES": "2M", "EGK_IMPORT_MAX_ROWS": "10", "EGK_IMPORT_DATE_MIN": "1990-01-01"})
    assert (limits.max_file_bytes, limits.max_rows, str(limits.date_min)) == (2 * MiB, 10, "1990-01-01")
    assert limits.with_overrides({"max-unpacked-bytes": "3G"}).max_unpacked_bytes == 3 * GiB
    with pytest.raises(LimitError, match="EGK_IMPORT_MAX_ROWS: 'många' är inget heltal"):
        from_env({"EGK_IMPORT_MAX_ROWS": "många"})
    with pytest.raises(LimitError, match="okänd gräns max-cells"):
        limits.with_overrides({"max-cells": "1"})
