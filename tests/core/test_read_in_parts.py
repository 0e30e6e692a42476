"""events.csv read part by part (issue 19) gives exactly what the whole-file path gives.

`read_dataset` of a CSV folder or a ZIP parses, screens, validates and types events.csv in parts and
checks repeated event_ids at the end; `validate(read_tables(...))` is the whole-file path it
replaces. Both are run on the minimal fixture made hostile (every kind of bad row, repeats
across parts, quoted line breaks, empty and blank rows, ragged rows, a column without a name,
a last row cut off, CRLF and a BOM), with parts of a few bytes up to the whole file, and the
datasets compared field by field: frames, rejects (reasons, rows, order), warnings.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from egenkontroll.core import csv_stream, interchange
from egenkontroll.core.interchange import Dataset, InterchangeError, read_dataset, read_tables, validate

from .test_interchange import BAD_ROWS, EVENT_HEADER, KEY, MINIMAL, REF, good_event

HEADER = [*EVENT_HEADER, "kind", "regi"]


def whole(path: Path) -> Dataset:
    return validate(read_tables(path), key=KEY, reference_date=REF)


def in_parts(path: Path, monkeypatch, part_bytes: int, whole_again: bool = False) -> tuple[Dataset, int]:
    """read_dataset with parts of `part_bytes`, and how many parts events.csv was read in.

    Unless `whole_again`, the dataset must not be read the whole-file way after all.
    """
    monkeypatch.setattr(csv_stream, "PART_BYTES", part_bytes)
    monkeypatch.setattr(csv_stream, "PARTS_FROM_BYTES", 0)
    if not whole_again:
        def refused(*args, **kwargs):
            raise AssertionError("read again the whole-file way")
        monkeypatch.setattr(interchange, "read_tables", refused)
    count = {"parts": 0}
    take = csv_stream.CsvText.take

    def counted(self, start, end):
        count["parts"] += 1
        return take(self, start, end)

    monkeypatch.setattr(csv_stream.CsvText, "take", counted)
    dataset = read_dataset(path, key=KEY, reference_date=REF)
    return dataset, count["parts"]


def assert_same(a: Dataset, b: Dataset) -> None:
    for name in ("org_units", "caseworkers", "events", "rejects", "population"):
        assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert (a.staffing is None) == (b.staffing is None)
    if a.staffing is not None:
        assert_frame_equal(a.staffing, b.staffing, check_exact=True)
    for name in ("warnings", "encodings", "files", "rows_read", "rejected_unit_ids"):
        assert getattr(a, name) == getattr(b, name), name


def cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\n\r') else value


def line(row: dict[str, str], extra: list[str] = ()) -> str:
    return ",".join([cell(row.get(c, "")) for c in HEADER] + list(extra))


def hostile(tmp_path: Path, *, crlf: bool = False, bom: bool = False, cut: bool = False) -> Path:
    """The minimal fixture with an events.csv full of trouble (and a column without a name)."""
    directory = tmp_path / "ds"
    shutil.copytree(MINIMAL, directory)
    source = (directory / "events.csv").read_text(encoding="utf-8").splitlines()
    header = source[0].split(",")
    rows = [dict(zip(header, r.split(","), strict=False)) for r in source[1:]]
    lines = [",".join(HEADER) + ",,Okänd"]  # a column without a name, and an unknown one
    lines += [line(r) for r in rows[:5]]
    lines += ["", "  ,  ", ",,,", '"",""']  # empty and blank rows (kept row numbers)
    for i, (overrides, *_rest) in enumerate(BAD_ROWS):
        lines.append(line(good_event(**{"event_id": f"b{i}", **overrides})))
        if i % 7 == 0:
            lines.append("")
    lines += [line(r) for r in rows[5:15]]
    lines += [
        line(good_event(event_id="q1", source='sko"la')),
        line(good_event(event_id="q2", ref="två\nrader")),  # a quoted line break: rejected (control character)
        line(good_event(event_id="q3", ref="a,b")),
        line(good_event(event_id="sp", case_id="  C9  ", gender=" f ")),
        line(good_event(event_id="x1"), ["spill", "over"]),  # ragged: more fields than the header
        "short,row",  # fewer fields
        line(good_event(event_id="b3", date="2024-11-05")),  # repeats an id rejected before
        line(good_event(event_id="d1", date="1700-01-01")),  # screened, then repeated
        line(good_event(event_id="d1")),
        line(good_event(event_id="nul\x00", caseworker_id="cw1")),
        line(good_event(event_id="long", outcome="x" * 5000)),
        line(good_event(event_id="u1"), ["", "värde"]),
        line(good_event(event_id="u2"), ["namnlös", ""]),
    ]
    lines += [line(r) for r in rows[15:]]
    lines += [line(good_event(event_id="b0")), line(good_event(event_id="e1"))]  # late repeats
    if cut:
        lines.append("zz1,C9,2009")
    text = ("\r\n" if crlf else "\n").join(lines) + ("" if cut else "\n")
    (directory / "events.csv").write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return directory


@pytest.mark.parametrize("part_bytes", [1, 97, 1500, 64 * 1024**2])
@pytest.mark.parametrize("variant", [{}, {"crlf": True, "bom": True}, {"cut": True}])
def test_hostile_events_read_in_parts_as_whole(tmp_path, monkeypatch, part_bytes, variant):
    directory = hostile(tmp_path, **variant)
    expected = whole(directory)
    got, parts = in_parts(directory, monkeypatch, part_bytes)
    assert parts == 1 if part_bytes > 10**6 else parts >= 3
    assert_same(expected, got)
    assert all(column.n_chunks() == 1 for column in got.events.get_columns())
    # the fixture is hostile enough to mean something
    reasons = set(expected.rejects["reason"])
    assert any("förekommer redan" in r for r in reasons) and any("styrtecken" in r for r in reasons)
    assert "events.csv: en kolumn utan namn ignoreras" in expected.warnings
    assert expected.rejects.height > len(BAD_ROWS)


def test_the_minimal_fixture_in_parts(monkeypatch):
    """Parts end between the scan's pieces (a read chunk of 1 MB, or the lines around quotes)."""
    expected = whole(MINIMAL)
    got, parts = in_parts(MINIMAL, monkeypatch, 200)
    assert parts == 1
    assert_same(expected, got)


def test_a_repeat_across_parts_names_the_first_row(tmp_path, monkeypatch):
    directory = tmp_path / "ds"
    shutil.copytree(MINIMAL, directory)
    with (directory / "events.csv").open("a", encoding="utf-8") as handle:
        handle.write(line(good_event(event_id="e5")) + "\n")
    got, _ = in_parts(directory, monkeypatch, 100)
    assert got.rejects.select("row", "value", "reason").rows() == [(28, "e5", "event_id förekommer redan på rad 6")]
    assert_same(whole(directory), got)


def test_a_small_file_is_read_whole(monkeypatch):
    monkeypatch.setattr(csv_stream, "PART_BYTES", 200)
    monkeypatch.setattr(csv_stream, "PARTS_FROM_BYTES", 1860)  # the fixture's events.csv is 1859 bytes
    read = interchange._read_in_parts
    calls = []
    monkeypatch.setattr(interchange, "_events_in_parts", lambda *a: calls.append(a))
    assert_same(whole(MINIMAL), read(MINIMAL, KEY, REF, interchange.import_limits.from_env()))
    assert calls == []


def test_windows_1252_and_header_only_files_are_read_whole(tmp_path, monkeypatch):
    directory = tmp_path / "ds"
    shutil.copytree(MINIMAL, directory)
    text = (directory / "events.csv").read_text(encoding="utf-8")
    (directory / "events.csv").write_bytes((text + line(good_event(event_id="ö1", ref="å")) + "\n").encode("cp1252"))
    got, parts = in_parts(directory, monkeypatch, 100)
    assert parts == 0
    assert_same(whole(directory), got)
    monkeypatch.undo()
    (directory / "events.csv").write_text(text.splitlines()[0] + "\n", encoding="utf-8")
    got, parts = in_parts(directory, monkeypatch, 100)
    assert parts == 0 and got.rows_read == 0
    assert_same(whole(directory), got)


@pytest.mark.parametrize("damage", ["quote", "no_root", "column", "both"])
def test_errors_are_the_whole_file_path_errors(tmp_path, monkeypatch, damage):
    """A file error found while reading in parts is found again the whole-file way, in its order."""
    directory = tmp_path / "ds"
    shutil.copytree(MINIMAL, directory)
    events = (directory / "events.csv").read_text(encoding="utf-8")
    if damage in ("quote", "both"):
        events += 'q9,C9,"never closed\n' + line(good_event(event_id="z")) + "\n"
    if damage == "column":
        events = events.replace("event_id,", "event_id,event_id,", 1)
    (directory / "events.csv").write_text(events, encoding="utf-8")
    if damage in ("no_root", "both"):
        org = (directory / "org_units.csv").read_text(encoding="utf-8").splitlines()
        org = [org[0]] + [r for r in org[1:] if r.split(",")[1]]
        (directory / "org_units.csv").write_text("\n".join(org) + "\n", encoding="utf-8")
    with pytest.raises(InterchangeError) as expected:
        whole(directory)
    with pytest.raises(InterchangeError) as got:
        in_parts(directory, monkeypatch, 60, whole_again=True)
    assert str(got.value) == str(expected.value)


def test_parts_end_where_records_end_outside_quotes(monkeypatch):
    text = 'a,b\n1,"x\n\ny"\n\n  ,\n2,3\n"p,q",""""\n4,5\n6'
    monkeypatch.setattr(csv_stream, "PART_BYTES", 1)
    scanned = csv_stream.scan_csv([text.encode()], "t.csv", interchange.import_limits.from_env(), 1)
    bounds = scanned.parts()
    parts = [scanned.take(a, b) for a, b, _, _ in bounds]
    assert parts == [b'a,b\n1,"x\n\ny"\n', b"2,3\n", b'"p,q",""""\n', b"4,5\n", b"6"]
    assert [(first, n) for _, _, first, n in bounds] == [(0, 1), (1, 1), (2, 1), (3, 1), (4, 1)]
    assert scanned.pieces == [None] * len(scanned.pieces)  # handed out and freed
    whole_scan = csv_stream.scan_csv([text.encode()], "t.csv", interchange.import_limits.from_env())
    assert b"".join(parts) == whole_scan.data
    assert scanned.row_numbers(5).to_list() == whole_scan.row_numbers(5).to_list()


def zipped(directory: Path, *, extra: dict[str, bytes] | None = None) -> Path:
    """The folder's files as a ZIP (in a sub-folder of the archive, as exports often are)."""
    archive = directory.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for name, data in (extra or {}).items():
            out.writestr(name, data)
        for file in sorted(directory.iterdir()):
            out.write(file, f"export/{file.name}")
    return archive


@pytest.mark.parametrize("part_bytes", [1, 1500, 64 * 1024**2])
@pytest.mark.parametrize("variant", [{}, {"crlf": True, "bom": True}, {"cut": True}])
def test_a_zip_is_read_in_parts_as_whole(tmp_path, monkeypatch, part_bytes, variant):
    """A ZIP's events.csv is read in parts too (issue 19: a national export is often zipped)."""
    archive = zipped(hostile(tmp_path, **variant), extra={"__MACOSX/._events.csv": b"\x00\x05", "export/.hidden.csv": b"x"})
    expected = whole(archive)
    got, parts = in_parts(archive, monkeypatch, part_bytes)
    assert parts == 1 if part_bytes > 10**6 else parts >= 3
    assert_same(expected, got)
    assert expected.rejects.height > len(BAD_ROWS)
    assert_same(whole(archive.with_suffix("")), got)  # and what the folder itself gives


@pytest.mark.parametrize("damage", ["quote", "column"])
def test_a_zips_errors_are_the_whole_file_path_errors(tmp_path, monkeypatch, damage):
    directory = tmp_path / "ds"
    shutil.copytree(MINIMAL, directory)
    events = (directory / "events.csv").read_text(encoding="utf-8")
    if damage == "quote":
        events += 'q9,C9,"never closed\n' + line(good_event(event_id="z")) + "\n"
    else:
        events = events.replace("event_id,", "event_id,event_id,", 1)
    (directory / "events.csv").write_text(events, encoding="utf-8")
    archive = zipped(directory)
    with pytest.raises(InterchangeError):  # the parts path itself refuses the file, not only the re-read
        interchange._read_in_parts(archive, KEY, REF, interchange.import_limits.from_env())
    with pytest.raises(InterchangeError) as expected:
        whole(archive)
    with pytest.raises(InterchangeError) as got:
        in_parts(archive, monkeypatch, 60, whole_again=True)
    assert str(got.value) == str(expected.value)
    assert "ds.zip" in str(got.value) or "events.csv" in str(got.value)


@pytest.mark.parametrize("threads", [1, 2, 5])
def test_parts_read_on_several_threads_are_taken_in_the_files_order(tmp_path, monkeypatch, threads):
    """Two parts are read at a time (issue 19): the result is the whole-file read's, whatever
    part finishes first; with many small parts the threads take turns many times."""
    directory = hostile(tmp_path)
    monkeypatch.setattr(interchange, "READ_THREADS", threads)
    got, parts = in_parts(directory, monkeypatch, 97)
    assert parts >= 3
    assert_same(whole(directory), got)


@pytest.mark.parametrize(("values", "repeats"), [
    ([], False), ([None, None], False), (["a", "b", None, None], False), (["a", "b", "a"], True),
    (["a", None, "b", None, "b"], True), (["x"] * 3, True),
])
def test_repeats_among_ids_are_found_with_or_without_nulls(values, repeats):
    assert interchange._repeats(pl.Series(values, dtype=pl.Utf8)) is repeats
