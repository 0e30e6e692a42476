"""Broken data the reader used to accept silently (issue 12): each gets a row reason or a file warning.

Control characters, overlong values, implausible dates, an `until` before its event, a last
row cut off, an events file with no rows. The minimal fixture stays the good part: its rows
must all still be read.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pytest
from stdnum import luhn

from egenkontroll.core.import_limits import ImportLimits
from egenkontroll.core.interchange import read_dataset
from egenkontroll.core.screening import CONTROL, CUT

MINIMAL = Path(__file__).parent / "fixtures" / "interchange" / "minimal"
KEY = b"screening-test-key-0123456789abc"
HEADER = (
    "event_id,case_id,person,gender,event_type,date,unit_id,caseworker_id,ref,outcome,intervention,"
    "legal_basis,until,source,unaccompanied"
).split(",")
PERSON = "20090704-984" + str(luhn.calc_check_digit("090704984"))


def dataset(tmp_path: Path, *events: dict[str, str], caseworkers: list[list[str]] = ()) -> Path:
    directory = tmp_path / "ds"
    shutil.copytree(MINIMAL, directory)
    with (directory / "events.csv").open("a", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([[row.get(c, "") for c in HEADER] for row in events])
    with (directory / "caseworkers.csv").open("a", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(caseworkers)
    return directory


def event(**overrides: str) -> dict[str, str]:
    return {"event_id": "n1", "case_id": "C9", "person": PERSON, "event_type": "anmalan", "date": "2024-11-04",
            "unit_id": "G1", "caseworker_id": "cw1", "source": "skola", **overrides}


def rejects(directory: Path, good: int | None = 26, **kwargs) -> list[tuple]:
    ds = read_dataset(directory, key=KEY, **kwargs)
    assert good is None or ds.events.height == good, "every good row is read"
    return ds.rejects.select("file", "row", "column", "value", "reason").rows()


@pytest.mark.parametrize("character", ["\x00", "\x01", "\t", "\x1b", "\x7f"])
def test_a_control_character_rejects_the_row_and_is_not_shown(tmp_path, character):
    directory = dataset(tmp_path, event(event_id=f"n{character}1"))
    assert rejects(directory) == [("events.csv", 28, "event_id", "n\ufffd1", CONTROL)]
    stored = read_dataset(directory, key=KEY).rejects["event_id"].to_list()
    assert stored == ["n\ufffd1"]


def test_a_line_break_in_a_name_rejects_the_caseworker_and_then_their_events(tmp_path):
    directory = dataset(tmp_path, event(caseworker_id="cw9"), caseworkers=[["cw9", "Anna\nBerg", "G1", "", "", ""]])
    assert rejects(directory) == [
        ("caseworkers.csv", 5, "name", "Anna\ufffdBerg", CONTROL),
        ("events.csv", 28, "caseworker_id", "cw9", "handläggaren finns inte i caseworkers.csv"),
    ]


def test_a_five_megabyte_outcome_is_rejected_by_its_length(tmp_path):
    directory = dataset(tmp_path, event(event_type="besok", outcome="x" * 5_000_000))
    [(file, row, column, value, reason)] = rejects(directory)
    assert (file, row, column, reason) == ("events.csv", 28, "outcome", "värdet är för långt (högst 32 tecken)")
    assert value == "x" * 200 + "…"


def test_field_lengths_per_column(tmp_path):
    directory = dataset(
        tmp_path, event(event_id="e" * 129), event(event_id="n2", case_id="c" * 128),
        caseworkers=[["cw8", "N" * 201, "G1", "", "", ""]],
    )
    assert [(r[1], r[2], r[4]) for r in rejects(directory, good=27)] == [
        (5, "name", "värdet är för långt (högst 200 tecken)"),
        (28, "event_id", "värdet är för långt (högst 128 tecken)"),
    ]
    narrow = rejects(directory, good=None, limits=ImportLimits(max_field_chars=20))  # long unit names too
    assert ("events.csv", 28, "event_id") in [r[:3] for r in narrow]
    assert ("events.csv", 29, "case_id", "c" * 128, "värdet är för långt (högst 20 tecken)") in narrow


@pytest.mark.parametrize(("column", "value"), [("date", "9999-12-31"), ("date", "1800-01-01"), ("until", "1979-12-31")])
def test_implausible_dates_are_rejected(tmp_path, column, value):
    row = event(event_type="utredning_forlangd", until="2024-12-01") | {column: value}
    [(_, row_number, rejected_column, _, reason)] = [
        r for r in rejects(dataset(tmp_path, row)) if r[4].startswith("datumet")
    ]
    high = dt.date.today() + dt.timedelta(days=366)
    assert (row_number, rejected_column) == (28, column)
    assert reason == (
        f"datumet ligger utanför det rimliga intervallet 1980-01-01–{high} "
        "(gränserna EGK_IMPORT_DATE_MIN och EGK_IMPORT_FUTURE_DAYS)"
    )


def test_the_date_window_is_configurable_and_an_open_end_date_passes(tmp_path, monkeypatch):
    directory = dataset(tmp_path, caseworkers=[["cw7", "Open End", "G1", "", "2020-01-01", "9999-12-31"]])
    assert rejects(directory) == []
    monkeypatch.setenv("EGK_IMPORT_DATE_MIN", "2021-01-01")
    found = read_dataset(directory, key=KEY).rejects.select("file", "row", "column").rows()
    assert ("caseworkers.csv", 5, "start_date") in found


def test_an_until_before_its_event_is_rejected_for_every_event_type(tmp_path):
    directory = dataset(
        tmp_path,
        event(event_type="insats_start", intervention="hvb", legal_basis="SoL", until="2024-01-01"),
        event(event_id="n2", event_type="utredning_forlangd", until="2024-01-01"),
    )
    assert [(r[1], r[2], r[4]) for r in rejects(directory)] == [
        (28, "until", "datum (until) ligger före händelsens datum"),
        (29, "until", "förlängd till (until) ligger före händelsens datum"),
    ]


def test_a_last_row_cut_off_is_rejected_with_a_warning(tmp_path):
    directory = dataset(tmp_path)
    with (directory / "events.csv").open("a", encoding="utf-8") as handle:
        handle.write(f"n1,C9,{PERSON},,anmalan,2024-11-04,G1")  # no line break, 7 of 15 fields
    ds = read_dataset(directory, key=KEY)
    assert ds.rejects.select("row", "column", "value", "reason").rows() == [(28, "event_id", "n1", CUT)]
    assert ds.warnings == ["events.csv: sista raden (rad 28) är avbruten: filen slutar mitt i raden"]
    assert ds.events.height == 26


def test_a_complete_last_row_without_a_line_break_is_read(tmp_path):
    directory = dataset(tmp_path)
    with (directory / "events.csv").open("a", encoding="utf-8") as handle:
        handle.write(f"n1,C9,{PERSON},,anmalan,2024-11-04,G1,cw1,,,,,,skola,")
    ds = read_dataset(directory, key=KEY)
    assert (ds.events.height, ds.rejects.height, ds.warnings) == (27, 0, [])


def test_an_events_file_with_only_its_header_is_a_warning(tmp_path):
    directory = dataset(tmp_path)
    (directory / "events.csv").write_text(",".join(HEADER) + "\n")
    ds = read_dataset(directory, key=KEY)
    assert (ds.rows_read, ds.warnings) == (0, ["events.csv: filen har inga händelser (bara rubrikraden)"])
