"""Reading interchange v1 datasets: containers, spreadsheet quirks, every reject reason, privacy.

The fixture `fixtures/interchange/minimal` is a complete small dataset (26 events over five
children, every event type); tests derive variants from it. Personnummer use serials 98x/99x.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import shutil
import sys
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from stdnum import luhn

from egenkontroll.core import schema
from egenkontroll.core.identity import REASON_CHECKSUM, REASON_DATE, REASON_FORMAT, REASON_RESERVE
from egenkontroll.core.interchange import (
    BAD_DATE_DAY,
    BAD_DATE_FORMAT,
    MISSING,
    Dataset,
    InterchangeError,
    read_dataset,
    read_tables,
)

MINIMAL = Path(__file__).parent / "fixtures" / "interchange" / "minimal"
KEY = b"interchange-test-key-0123456789"
REF = dt.date(2025, 6, 1)
FILES = ("org_units.csv", "caseworkers.csv", "events.csv")
EVENT_HEADER = (
    "event_id,case_id,person,gender,event_type,date,unit_id,caseworker_id,ref,outcome,intervention,"
    "legal_basis,until,source,unaccompanied"
).split(",")


def pnr(yyyymmdd: str, serial: str = "982") -> str:
    return f"{yyyymmdd}-{serial}{luhn.calc_check_digit(yyyymmdd[2:] + serial)}"


def person_key(canonical: str) -> str:
    return hmac.new(KEY, canonical.encode(), hashlib.sha256).hexdigest()[:32]


def read(path: Path, **kwargs) -> Dataset:
    return read_dataset(path, key=KEY, reference_date=REF, **kwargs)


def copy_minimal(tmp_path: Path, name: str = "ds") -> Path:
    target = tmp_path / name
    shutil.copytree(MINIMAL, target)
    return target


def append_events(directory: Path, *rows: dict[str, str]) -> None:
    """Append rows (given columns only; the rest empty) to events.csv."""
    with (directory / "events.csv").open("a", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        for row in rows:
            writer.writerow([row.get(c, "") for c in EVENT_HEADER])


def good_event(**overrides: str) -> dict[str, str]:
    row = {
        "event_id": "n1", "case_id": "C9", "person": pnr("20090704", "984"), "event_type": "anmalan",
        "date": "2024-11-04", "unit_id": "G1", "caseworker_id": "cw1", "source": "skola",
    }
    row.update(overrides)
    return {k: v for k, v in row.items() if v is not None}


def assert_same_data(a: Dataset, b: Dataset) -> None:
    """Everything but file hashes and encodings (which describe the container)."""
    assert_frame_equal(a.org_units, b.org_units)
    assert_frame_equal(a.caseworkers, b.caseworkers)
    assert_frame_equal(a.events, b.events)
    assert_frame_equal(a.rejects, b.rejects)
    assert a.rows_read == b.rows_read


# ---------------------------------------------------------------------------------------------
# The valid fixture


def test_minimal_dataset_reads_completely():
    ds = read(MINIMAL)
    assert ds.rejects.is_empty()
    assert ds.warnings == []
    assert (ds.org_units.height, ds.caseworkers.height, ds.events.height, ds.rows_read) == (6, 3, 26, 26)
    assert ds.org_units.schema == pl.Schema(schema.ORG_UNITS)
    assert ds.caseworkers.schema == pl.Schema(schema.CASEWORKERS)
    assert ds.events.schema == pl.Schema(schema.EVENTS)
    assert ds.rejects.schema == pl.Schema(schema.REJECTS)
    assert ds.events["row"].to_list() == list(range(2, 28))
    assert ds.encodings == dict.fromkeys(FILES, "utf-8")
    assert ds.files == {f: hashlib.sha256((MINIMAL / f).read_bytes()).hexdigest() for f in FILES}


def test_minimal_dataset_values():
    events = read(MINIMAL).events
    by_id = {r["event_id"]: r for r in events.iter_rows(named=True)}
    # e1 (12 digits with dash), e2 (without), e3 (10 digits): one child.
    assert {by_id[e]["person_key"] for e in ("e1", "e2", "e3")} == {person_key("201503129825")}
    assert by_id["e1"]["gender"] == "F" and by_id["e1"]["birth_date"] == dt.date(2015, 3, 12)
    assert by_id["e16"]["gender"] == "M" and by_id["e16"]["person_key"] == person_key("201503129916")
    assert by_id["e18"]["birth_date"] == dt.date(2018, 5, 15)  # samordningsnummer, day 75
    assert by_id["e18"]["person_key"] == person_key("201805759865")
    assert (by_id["e22"]["gender"], by_id["e22"]["birth_date"]) == ("U", None)
    assert by_id["e22"]["person_key"] == person_key("R:MIG-2023-0042")
    assert [by_id[e]["unaccompanied"] for e in ("e22", "e24", "e1")] == [True, False, None]
    assert by_id["e24"]["gender"] == "X" and by_id["e25"]["gender"] == "M"  # given / derived
    assert by_id["e5"]["until"] == dt.date(2024, 7, 19)
    assert (by_id["e7"]["intervention"], by_id["e7"]["legal_basis"]) == ("familjehem", "SoL")
    assert (by_id["e3"]["ref"], by_id["e3"]["outcome"]) == ("e1", "inleda")
    assert by_id["e12"]["caseworker_id"] == "cw3"


def test_no_identity_number_survives_in_events():
    events = read(MINIMAL).events
    assert "person" not in events.columns
    text = " ".join(str(v) for row in events.rows() for v in row)
    for serial in ("9825", "9916", "9865", "9937", "MIG-2023"):
        assert serial not in text


def test_reference_date_decides_the_century_of_short_numbers():
    events = read_dataset(MINIMAL, key=KEY, reference_date=dt.date(2015, 3, 11)).events
    e3 = events.filter(pl.col("event_id") == "e3").row(0, named=True)
    assert e3["birth_date"] == dt.date(1915, 3, 12)
    assert e3["person_key"] == person_key("191503129825")


def test_key_defaults_to_environment(monkeypatch):
    monkeypatch.setenv("EGK_PSEUDONYM_KEY", KEY.hex())
    monkeypatch.delenv("EGK_PSEUDONYM_KEY_FILE", raising=False)
    events = read_dataset(MINIMAL, reference_date=REF).events
    assert events["person_key"][0] == person_key("201503129825")


def test_another_key_gives_other_pseudonyms():
    other = read_dataset(MINIMAL, key=KEY + b"2", reference_date=REF).events
    assert set(other["person_key"]).isdisjoint(set(read(MINIMAL).events["person_key"]))


# ---------------------------------------------------------------------------------------------
# Bad event rows: one row, one problem, one reject; the other rows untouched

OUTCOME_CHOICES = "inleda, ej_inleda, tillfors_utredning"
BAD_ROWS = [
    (dict(event_id=None), "event_id", None, MISSING),
    (dict(case_id=None), "case_id", None, MISSING),
    (dict(person=None), "person", None, MISSING),
    (dict(event_type=None), "event_type", None, MISSING),
    (dict(date=None), "date", None, MISSING),
    (dict(unit_id=None), "unit_id", None, MISSING),
    (dict(person="20090704-9846"), "person", "20090704-****", REASON_CHECKSUM),
    (dict(person=pnr("20090231")), "person", "20090231-****", REASON_DATE),
    (dict(person="090704-98"), "person", "090704-****", REASON_FORMAT),
    (dict(person="okänd"), "person", "****", REASON_FORMAT),
    (dict(person="R:"), "person", "R:****", REASON_RESERVE),
    (dict(gender="K"), "gender", "K", "ogiltigt kön (tillåtna: F, M, X, U)"),
    (dict(event_type="anmälan"), "event_type", "anmälan", "okänd händelsetyp"),
    (dict(date="2024-02-30"), "date", "2024-02-30", BAD_DATE_DAY),
    (dict(date="04/11/2024"), "date", "04/11/2024", BAD_DATE_FORMAT),
    (dict(date="2024-11-4"), "date", "2024-11-4", BAD_DATE_FORMAT),
    (dict(unit_id="G9"), "unit_id", "G9", "enheten finns inte i org_units.csv"),
    (dict(unit_id=pnr("20090704", "984")), "unit_id", "20090704-****", "enheten finns inte i org_units.csv"),
    (dict(caseworker_id="cw9"), "caseworker_id", "cw9", "handläggaren finns inte i caseworkers.csv"),
    (dict(event_type="handlaggare", caseworker_id=None), "caseworker_id", None,
     "caseworker_id krävs för händelsetypen handlaggare"),
    (dict(event_type="skyddsbedomning"), "outcome", None, "utfall (outcome) krävs för skyddsbedomning"),
    (dict(event_type="utredning_avslutad"), "outcome", None, "utfall (outcome) krävs för utredning_avslutad"),
    (dict(event_type="forhandsbedomning", outcome="akut"), "outcome", "akut",
     f"ogiltigt utfall för forhandsbedomning (tillåtna: {OUTCOME_CHOICES})"),
    (dict(event_type="insats_start", legal_basis="SoL"), "intervention", None,
     "insats (intervention) krävs för insats_start"),
    (dict(event_type="insats_start", intervention="placering", legal_basis="SoL"), "intervention", "placering",
     "okänd insats (tillåtna: " + ", ".join(schema.INTERVENTIONS) + ")"),
    (dict(event_type="insats_start", intervention="hvb"), "legal_basis", None,
     "lagrum (legal_basis) krävs för insats_start"),
    (dict(event_type="insats_start", intervention="hvb", legal_basis="LVU5"), "legal_basis", "LVU5",
     "okänt lagrum (tillåtna: SoL, LVU2, LVU3, LVU6)"),
    (dict(event_type="utredning_forlangd"), "until", None, "datum (until) krävs för utredning_forlangd"),
    (dict(event_type="utredning_forlangd", until="2025-13-01"), "until", "2025-13-01", BAD_DATE_DAY),
    (dict(event_type="utredning_forlangd", until="2024-11-03"), "until", "2024-11-03",
     "förlängd till (until) ligger före händelsens datum"),
    (dict(source="granne"), "source", "granne", "okänd källa (tillåtna: " + ", ".join(schema.SOURCES) + ")"),
    (dict(unaccompanied="ja"), "unaccompanied", "ja", "ogiltigt värde (tillåtna: 1, 0 eller tomt)"),
    (dict(event_id="e1"), "event_id", "e1", "event_id förekommer redan på rad 2"),
]


@pytest.mark.parametrize(("overrides", "column", "value", "reason"), BAD_ROWS, ids=[r[3][:40] + "-" + r[1] for r in BAD_ROWS])
def test_bad_event_row_becomes_one_reject(tmp_path, overrides, column, value, reason):
    directory = copy_minimal(tmp_path)
    append_events(directory, good_event(**overrides), good_event(event_id="n2"))
    ds = read(directory)
    event_id = overrides.get("event_id", "n1")
    assert ds.rejects.rows(named=True) == [
        {"file": "events.csv", "row": 28, "event_id": event_id, "column": column, "value": value, "reason": reason}
    ]
    assert ds.events.height == 27 and ds.rows_read == 28
    assert ds.events["event_id"].to_list()[-1] == "n2"
    assert ds.events.filter(pl.col("row") == 28).is_empty()


def test_good_extra_rows_are_accepted(tmp_path):
    directory = copy_minimal(tmp_path)
    append_events(
        directory,
        good_event(event_id="n1", event_type="utredning_forlangd", until="2024-11-04", source=None),
        good_event(event_id="n2", event_type="Insats_Start", intervention="HVB", legal_basis="sol", gender="f"),
        good_event(event_id="n3", event_type="forhandsbedomning", outcome="Ej_Inleda", ref="whatever"),
    )
    ds = read(directory)
    assert ds.rejects.is_empty()
    n1, n2, n3 = ds.events.tail(3).iter_rows(named=True)
    assert n1["until"] == dt.date(2024, 11, 4)  # the same day as the decision is allowed
    assert (n2["event_type"], n2["intervention"], n2["legal_basis"], n2["gender"]) == ("insats_start", "hvb", "SoL", "F")
    assert (n3["outcome"], n3["ref"]) == ("ej_inleda", "whatever")


def test_row_with_several_problems_gets_one_reject_per_problem(tmp_path):
    directory = copy_minimal(tmp_path)
    append_events(directory, good_event(person="20090704-9840", date="igår", unit_id="G7"))
    ds = read(directory)
    assert ds.rejects.select("column", "value", "reason").rows() == [
        ("person", "20090704-****", REASON_CHECKSUM),
        ("date", "igår", BAD_DATE_FORMAT),
        ("unit_id", "G7", "enheten finns inte i org_units.csv"),
    ]
    assert ds.events.height == 26


def test_duplicate_keeps_the_first_occurrence_even_if_it_is_rejected(tmp_path):
    directory = copy_minimal(tmp_path)
    append_events(directory, good_event(event_id="d1", date="x"), good_event(event_id="d1"))
    ds = read(directory)
    assert ds.rejects.select("row", "reason").rows() == [
        (28, BAD_DATE_FORMAT), (29, "event_id förekommer redan på rad 28"),
    ]


def test_rows_without_event_id_are_missing_not_duplicates_and_a_late_duplicate_is_found(tmp_path):
    directory = copy_minimal(tmp_path)
    append_events(directory, good_event(event_id=""), good_event(event_id=""))
    assert read(directory).rejects.select("row", "reason").rows() == [
        (28, "obligatoriskt värde saknas"), (29, "obligatoriskt värde saknas"),
    ]
    append_events(directory, good_event(event_id="d9"), good_event(event_id="d9"))
    assert read(directory).rejects.select("row", "reason").rows()[2:] == [(31, "event_id förekommer redan på rad 30")]


def test_huge_reject_values_are_shortened(tmp_path):
    directory = copy_minimal(tmp_path)
    append_events(directory, good_event(source="x" * 100_000))
    value = read(directory).rejects["value"][0]
    assert value == "x" * 200 + "…"


# ---------------------------------------------------------------------------------------------
# Org units and caseworkers


def write_table(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(text, encoding="utf-8")


ORG_HEADER = "unit_id,parent_id,name,level\n"
ORG_BASE = "S,,Stad,stad\nF1,S,Förvaltning,forvaltning\nG1,F1,Grupp 1,grupp\nG2,F1,Grupp 2,grupp\n"


def test_org_unit_problems(tmp_path):
    directory = copy_minimal(tmp_path)
    write_table(directory, "org_units.csv", ORG_HEADER + ORG_BASE + (
        "S2,,Andra roten,stad\n"          # row 6
        "X1,NOPE,Föräldralös,enhet\n"     # row 7
        "C1,C2,Cykel 1,enhet\n"           # row 8
        "C2,C1,Cykel 2,enhet\n"           # row 9
        "C3,C2,Under cykeln,grupp\n"      # row 10
        "B1,F1,Fel nivå,sektion\n"        # row 11
        "B2,B1,Under fel nivå,grupp\n"    # row 12
        "G1,F1,Dubblett,grupp\n"          # row 13
        ",F1,Utan id,grupp\n"             # row 14
        "N1,F1,,grupp\n"                  # row 15
        "Z1,Z1,Egen förälder,grupp\n"     # row 16
    ))
    ds = read(directory)
    org_rejects = ds.rejects.filter(pl.col("file") == "org_units.csv")
    assert org_rejects.select("row", "column", "value", "reason").rows() == [
        (6, "parent_id", None, "fler än en rotenhet (enheten saknar parent_id; roten finns på rad 2)"),
        (7, "parent_id", "NOPE", "överordnad enhet (parent_id) finns inte i org_units.csv"),
        (8, "parent_id", "C2", "enheten ingår i en cykel i organisationsträdet"),
        (9, "parent_id", "C1", "enheten ingår i en cykel i organisationsträdet"),
        (10, "parent_id", "C2", "överordnad enhet (parent_id) är ogiltig"),
        (11, "level", "sektion", "ogiltig nivå (tillåtna: stad, forvaltning, avdelning, enhet, grupp)"),
        (12, "parent_id", "B1", "överordnad enhet (parent_id) är ogiltig"),
        (13, "unit_id", "G1", "unit_id förekommer redan på rad 4"),
        (14, "unit_id", None, MISSING),
        (15, "name", None, MISSING),
        (16, "parent_id", "Z1", "enheten ingår i en cykel i organisationsträdet"),
    ]
    assert ds.org_units["unit_id"].to_list() == ["S", "F1", "G1", "G2"]
    assert ds.org_units.row(2) == ("G1", "F1", "Grupp 1", "grupp")
    assert org_rejects["event_id"].null_count() == org_rejects.height


def test_events_and_caseworkers_in_rejected_units_are_rejected(tmp_path):
    directory = copy_minimal(tmp_path)
    write_table(directory, "org_units.csv", ORG_HEADER + "S,,Stad,stad\nG1,S,Grupp 1,grupp\nG2,S,Grupp 2,kvarter\n")
    ds = read(directory)
    cw = ds.rejects.filter(pl.col("file") == "caseworkers.csv")
    assert cw.select("row", "column", "value").rows() == [(3, "unit_id", "G2"), (4, "unit_id", "G2")]
    ev = ds.rejects.filter(pl.col("file") == "events.csv")
    # every G2 event, and every G1 event handled by cw2/cw3, which are gone
    assert set(ev["reason"]) == {"enheten finns inte i org_units.csv", "handläggaren finns inte i caseworkers.csv"}
    assert set(ds.events["unit_id"]) == {"G1"}
    assert set(ds.events["caseworker_id"].drop_nulls()) == {"cw1"}


def test_org_units_without_root_is_a_file_error(tmp_path):
    directory = copy_minimal(tmp_path)
    write_table(directory, "org_units.csv", ORG_HEADER + "A,B,A,enhet\nB,A,B,enhet\n")
    with pytest.raises(InterchangeError, match="org_units.csv: ingen giltig rotenhet"):
        read(directory)


def test_caseworker_problems(tmp_path):
    directory = copy_minimal(tmp_path)
    write_table(directory, "caseworkers.csv", (
        "caseworker_id,name,unit_id,title,start_date,end_date\n"
        "cw1,Åsa Öberg,G1,,2020-01-01,\n"
        "cw2,Erik Ärlig,G2,,2024-05-01,2024-04-30\n"
        "cw3,Karin Lind,G2,,1 maj 2024,\n"
        "cw3,Karin Lind,G1,,2020-01-01,2024-04-30\n"   # history: a second row for cw3 is fine
        "cw4,,G1,,,\n"
    ))
    ds = read(directory)
    assert ds.rejects.filter(pl.col("file") == "caseworkers.csv").select("row", "column", "reason").rows() == [
        (3, "end_date", "slutdatum (end_date) före startdatum"),
        (4, "start_date", BAD_DATE_FORMAT),
        (6, "name", MISSING),
    ]
    assert ds.caseworkers.select("caseworker_id", "unit_id", "end_date").rows() == [
        ("cw1", "G1", None), ("cw3", "G1", dt.date(2024, 4, 30)),
    ]
    ev = ds.rejects.filter(pl.col("file") == "events.csv")
    assert set(ev["value"]) == {"cw2"}  # cw3 still exists (row 5); cw2 does not


# ---------------------------------------------------------------------------------------------
# File-level errors and warnings


@pytest.mark.parametrize("missing", FILES)
def test_missing_file_is_an_error(tmp_path, missing):
    directory = copy_minimal(tmp_path)
    (directory / missing).unlink()
    with pytest.raises(InterchangeError, match=f"filen {missing} saknas"):
        read(directory)


@pytest.mark.parametrize(
    ("file", "column"),
    [("events.csv", "person"), ("events.csv", "date"), ("org_units.csv", "level"), ("caseworkers.csv", "unit_id")],
)
def test_missing_required_column_is_an_error(tmp_path, file, column):
    directory = copy_minimal(tmp_path)
    frame = pl.read_csv(directory / file, infer_schema=False).drop(column)
    frame.write_csv(directory / file)
    with pytest.raises(InterchangeError, match=f"{file}: den obligatoriska kolumnen {column} saknas"):
        read(directory)


def test_optional_columns_may_be_missing(tmp_path):
    directory = copy_minimal(tmp_path)
    frame = pl.read_csv(directory / "events.csv", infer_schema=False).drop("gender", "source", "unaccompanied")
    frame.write_csv(directory / "events.csv")
    ds = read(directory)
    assert ds.rejects.is_empty()
    assert ds.events.filter(pl.col("event_id") == "e24")["gender"].item() == "M"  # derived now
    assert ds.events["unaccompanied"].null_count() == 26


def test_duplicate_column_is_an_error(tmp_path):
    directory = copy_minimal(tmp_path)
    text = (directory / "org_units.csv").read_text()
    write_table(directory, "org_units.csv", text.replace("level", "Name", 1))
    with pytest.raises(InterchangeError, match="org_units.csv: kolumnen name förekommer flera gånger"):
        read(directory)


def test_unknown_columns_and_tables_are_warnings(tmp_path):
    directory = copy_minimal(tmp_path)
    frame = pl.read_csv(directory / "events.csv", infer_schema=False).with_columns(kommentar=pl.lit("x"))
    frame.write_csv(directory / "events.csv")
    write_table(directory, "beslut.csv", "a,b\n1,2\n")
    (directory / "README.txt").write_text("ignoreras tyst")
    ds = read(directory)
    assert ds.warnings == ["okänd tabell beslut ignoreras", "events.csv: okänd kolumn kommentar ignoreras"]
    assert_same_data(ds, read(MINIMAL))


def test_unterminated_quote_is_an_error_without_cell_values(tmp_path):
    directory = copy_minimal(tmp_path)
    with (directory / "events.csv").open("a") as fh:
        fh.write(f'n1,C9,"{pnr("20090704", "984")},,anmalan,2024-11-04,G1,,,,,,,,\n')
    with pytest.raises(InterchangeError, match="events.csv: filen kan inte läsas som CSV") as err:
        read(directory)
    assert "9845" not in str(err.value)


@pytest.mark.parametrize(("name", "message"), [("nope", "hittar inte"), ("data.json", "okänt filformat")])
def test_unreadable_paths(tmp_path, name, message):
    if name.endswith(".json"):
        (tmp_path / name).write_text("{}")
    with pytest.raises(InterchangeError, match=message):
        read(tmp_path / name)


def test_empty_events_file_is_missing_columns(tmp_path):
    directory = copy_minimal(tmp_path)
    (directory / "events.csv").write_bytes(b"")
    with pytest.raises(InterchangeError, match="events.csv: den obligatoriska kolumnen event_id saknas"):
        read(directory)


def test_header_only_events_file_is_valid(tmp_path):
    directory = copy_minimal(tmp_path)
    write_table(directory, "events.csv", ",".join(EVENT_HEADER) + "\n")
    ds = read(directory)
    assert (ds.events.height, ds.rows_read, ds.rejects.height) == (0, 0, 0)
    assert ds.events.schema == pl.Schema(schema.EVENTS)


# ---------------------------------------------------------------------------------------------
# What spreadsheets write: separators, encodings, line endings, headers, empty rows


def rewrite(directory: Path, transform) -> None:
    for name in FILES:
        path = directory / name
        path.write_bytes(transform(name, path.read_text(encoding="utf-8")))


def resplit(text: str, separator: str) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    csv.writer(out, delimiter=separator, lineterminator="\n").writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize("separator", [";", "\t"])
def test_semicolon_and_tab_separators(tmp_path, separator):
    directory = copy_minimal(tmp_path)
    rewrite(directory, lambda _, text: resplit(text, separator).encode())
    ds = read(directory)
    assert_same_data(ds, read(MINIMAL))
    assert ds.caseworkers["name"][2] == "Lind, Karin"


def test_bom_crlf_and_windows_1252(tmp_path):
    directory = copy_minimal(tmp_path)

    def excel(name: str, text: str) -> bytes:
        text = resplit(text, ";").replace("\n", "\r\n")
        return text.encode("cp1252") if name == "caseworkers.csv" else b"\xef\xbb\xbf" + text.encode()

    rewrite(directory, excel)
    ds = read(directory)
    assert_same_data(ds, read(MINIMAL))
    assert ds.encodings == {"caseworkers.csv": "cp1252", "events.csv": "utf-8-sig", "org_units.csv": "utf-8-sig"}
    assert ds.warnings == ["caseworkers.csv: filen är inte UTF-8; den lästes som Windows-1252"]
    assert ds.caseworkers["name"].to_list()[:2] == ["Åsa Öberg", "Erik Ärlig"]


def test_bytes_undefined_in_windows_1252_fall_back_to_latin_1(tmp_path):
    directory = copy_minimal(tmp_path)
    raw = (directory / "caseworkers.csv").read_text().encode("cp1252").replace(b"socialsekreterare", b"soc\x81")
    (directory / "caseworkers.csv").write_bytes(raw)
    ds = read(directory)
    assert ds.encodings["caseworkers.csv"] == "latin-1"
    assert ds.caseworkers["title"][0] == "soc\x81"
    assert ds.warnings == ["caseworkers.csv: filen är inte UTF-8; den lästes som ISO-8859-1"]


def test_mixed_line_endings(tmp_path):
    directory = copy_minimal(tmp_path)
    endings = ["\r\n", "\n", "\r"]
    rewrite(directory, lambda _, text: "".join(
        line + endings[i % 3] for i, line in enumerate(text.split("\n")[:-1])
    ).encode())
    assert_same_data(read(directory), read(MINIMAL))


def test_headers_case_spacing_order_and_empty_rows(tmp_path):
    directory = copy_minimal(tmp_path)
    frame = pl.read_csv(MINIMAL / "events.csv", infer_schema=False)
    columns = list(reversed(frame.columns))
    text = ";".join(f"  {c.upper()} " for c in columns) + ";\n"
    for i, row in enumerate(frame.select(columns).iter_rows()):
        text += ";".join(f" {v} " if v is not None else "" for v in row) + ";\n"
        if i == 9:
            text += "\n;;;; ;\n"  # two empty rows in the middle: rows 12 and 13
    text += ";" * 15 + "\n\n" + ";" * 15 + "\n"
    write_table(directory, "events.csv", text)
    ds = read(directory)
    expected = read(MINIMAL).events.with_columns(
        row=pl.when(pl.col("row") >= 12).then(pl.col("row") + 2).otherwise(pl.col("row"))
    )
    assert_frame_equal(ds.events, expected)
    assert ds.rows_read == 26 and ds.rejects.is_empty() and ds.warnings == []


def test_unnamed_column_with_data_is_a_warning(tmp_path):
    directory = copy_minimal(tmp_path)
    lines = (directory / "org_units.csv").read_text().splitlines()
    write_table(directory, "org_units.csv", "\n".join([lines[0] + ","] + [line + ",x" for line in lines[1:]]) + "\n")
    ds = read(directory)
    assert ds.warnings == ["org_units.csv: en kolumn utan namn ignoreras"]
    assert_same_data(ds, read(MINIMAL))


# ---------------------------------------------------------------------------------------------
# XLSX and ZIP are the same dataset


def build_workbook(source: Path, target: Path, *, typed: bool) -> None:
    """One sheet per CSV; with `typed`, dates, flags and numbers become real cells, as Excel does."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name in FILES:
        sheet = workbook.create_sheet(name.removesuffix(".csv"))
        rows = list(csv.reader(io.StringIO((source / name).read_text(encoding="utf-8"))))
        header = rows[0]
        for row in rows:
            sheet.append([_typed(header[i], v) if typed and row is not rows[0] else (v or None) for i, v in enumerate(row)])
    workbook.save(target)


def _typed(column: str, value: str):
    if not value:
        return None
    if column in {"date", "until", "start_date"}:
        return dt.date.fromisoformat(value)
    if column == "end_date":
        return dt.datetime.fromisoformat(value)  # a datetime at midnight
    if column == "unaccompanied":
        return int(value)
    if column == "person" and value.isdigit():
        return int(value)  # 201503129825 typed as a number
    return value


@pytest.fixture(params=["calamine", "openpyxl"])
def xlsx_reader(request, monkeypatch) -> str:
    """Workbooks read with calamine, and with openpyxl as an installation without python-calamine does."""
    if request.param == "openpyxl":
        monkeypatch.setitem(sys.modules, "python_calamine", None)  # `import python_calamine` fails
    return request.param


@pytest.mark.parametrize("typed", [False, True], ids=["text-cells", "typed-cells"])
def test_xlsx_gives_the_same_dataset(tmp_path, typed, xlsx_reader):
    target = tmp_path / "dataset.xlsx"
    build_workbook(MINIMAL, target, typed=typed)
    ds = read(target)
    assert_same_data(ds, read(MINIMAL))
    assert ds.warnings == [] and ds.encodings == {}
    assert ds.files == {"dataset.xlsx": hashlib.sha256(target.read_bytes()).hexdigest()}


def test_xlsx_with_bad_rows_gives_the_same_rejects(tmp_path, xlsx_reader):
    directory = copy_minimal(tmp_path)
    append_events(directory, good_event(date="2024-02-30"), good_event(event_id="n2", person="150312-9826"))
    target = tmp_path / "dataset.xlsx"
    build_workbook(directory, target, typed=False)
    assert read(target).rejects.height == 2
    assert_same_data(read(target), read(directory))


def test_xlsx_error_values_are_rejected_as_the_text_they_show(tmp_path, xlsx_reader):
    # calamine reads error cells as empty: the workbook goes to openpyxl, so "#N/A" in an
    # optional column is not silently taken as missing.
    directory = copy_minimal(tmp_path)
    append_events(directory, good_event(date="#N/A"), good_event(event_id="n2", caseworker_id="#N/A"))
    target = tmp_path / "dataset.xlsx"
    build_workbook(directory, target, typed=False)
    assert openpyxl.load_workbook(target)["events"]["F28"].data_type == "e"  # a real error cell
    ds = read(target)
    assert sorted(ds.rejects.select("row", "column", "value").rows()) == [
        (28, "date", "#N/A"), (29, "caseworker_id", "#N/A"),
    ]
    assert_same_data(ds, read(directory))


def test_xlsx_extra_sheet_and_timestamp_cells(tmp_path, xlsx_reader):
    target = tmp_path / "dataset.xlsx"
    build_workbook(MINIMAL, target, typed=False)
    workbook = openpyxl.load_workbook(target)
    workbook.create_sheet("Anteckningar").append(["fritext"])
    workbook["events"]["F2"] = dt.datetime(2024, 1, 8, 13, 45)  # e1's date with a time of day
    workbook.save(target)
    ds = read(target)
    assert ds.warnings == ["okänd tabell Anteckningar ignoreras"]
    assert ds.rejects.select("row", "column", "value", "reason").rows() == [
        (2, "date", "2024-01-08 13:45:00", BAD_DATE_FORMAT)
    ]


@pytest.mark.parametrize("folder", ["", "export-2025-06/"])
def test_zip_gives_the_same_dataset(tmp_path, folder):
    target = tmp_path / "dataset.zip"
    with zipfile.ZipFile(target, "w") as archive:
        for name in FILES:
            archive.write(MINIMAL / name, folder + name)
        archive.writestr("__MACOSX/._events.csv", b"\x00\x05junk")
    ds, plain = read(target), read(MINIMAL)
    assert_same_data(ds, plain)
    assert (ds.files, ds.encodings, ds.warnings) == (plain.files, plain.encodings, plain.warnings)


def test_broken_zip_and_xlsx_are_errors(tmp_path, xlsx_reader):
    for name in ("bad.zip", "bad.xlsx"):
        (tmp_path / name).write_bytes(b"not a zip")
        with pytest.raises(InterchangeError, match="kan inte läsas"):
            read(tmp_path / name)


def test_read_tables_keeps_raw_strings_and_row_numbers(tmp_path):
    tables = read_tables(MINIMAL / "caseworkers.csv")
    frame = tables.tables["caseworkers"]
    assert frame.columns == ["_row", "caseworker_id", "name", "unit_id", "title", "start_date", "end_date"]
    assert frame.row(2) == (4, "cw3", "Lind, Karin", "G2", "samordnare", None, None)
    assert set(frame.schema.values()) == {pl.Int64, pl.Utf8}


# ---------------------------------------------------------------------------------------------
# Robustness: garbage never crashes, good rows are never lost

GOOD_ROWS = [good_event(event_id=f"g{i}", person=pnr("20100101", f"99{i}")) for i in range(4)]
garbage_text = st.one_of(
    st.text(max_size=30),
    st.binary(max_size=30).map(lambda b: b.decode("latin-1")),
    st.builds(lambda c, n: c * n, st.characters(), st.integers(1000, 50_000)),
)


def encode_csv(rows: list[list[str]], separator: str, endings: list[str]) -> str:
    """Quote like a spreadsheet: only fields holding the separator, a quote or a line break."""
    def field(value: str) -> str:
        if any(ch in value for ch in (separator, '"', "\r", "\n")):
            return '"' + value.replace('"', '""') + '"'
        return value
    return "".join(separator.join(field(v) for v in row) + endings[i % len(endings)] for i, row in enumerate(rows))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    garbage=st.lists(st.lists(garbage_text, min_size=0, max_size=18), max_size=6),
    positions=st.lists(st.integers(0, 10), min_size=6, max_size=6),
    separator=st.sampled_from([",", ";", "\t"]),
    endings=st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=1, max_size=3),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    drop=st.sampled_from([None, *EVENT_HEADER]),
)
def test_garbage_never_crashes_and_never_loses_good_rows(garbage, positions, separator, endings, encoding, drop):
    header = [c for c in EVENT_HEADER if c != drop]
    rows: list[list[str]] = [[r.get(c, "") for c in header] for r in GOOD_ROWS]
    for junk, position in zip(garbage, positions, strict=False):
        junk = (junk + [""] * len(header))[: len(header)]
        for column, prefix in (("event_type", "x"), ("event_id", "j")):  # never valid, never a good id
            if column in header:
                junk[header.index(column)] = prefix + junk[header.index(column)]
        rows.insert(min(position, len(rows)), junk)
    text = encode_csv([header, *rows], separator, endings)
    try:
        raw = text.encode(encoding)
    except UnicodeEncodeError:
        raw = text.encode("utf-8")
    with tmp_dataset() as directory:
        (directory / "events.csv").write_bytes(raw)
        required = ("event_id", "case_id", "person", "event_type", "date", "unit_id")
        if drop in required:
            with pytest.raises(InterchangeError, match=f"den obligatoriska kolumnen {drop} saknas"):
                read(directory)
            return
        ds = read(directory)
    good_rows = {r[0]: i + 2 for i, r in enumerate(rows) if r[0].startswith("g")}
    assert dict(zip(ds.events["event_id"], ds.events["row"], strict=True)) == good_rows
    assert ds.rows_read == len(rows)
    assert set(ds.rejects["row"]) == set(range(2, len(rows) + 2)) - set(good_rows.values())


class tmp_dataset:
    """A fresh copy of the minimal dataset per Hypothesis example (tmp_path is per test)."""

    def __enter__(self) -> Path:
        import tempfile

        self._dir = tempfile.TemporaryDirectory()
        return copy_minimal(Path(self._dir.name))

    def __exit__(self, *exc) -> None:
        self._dir.cleanup()


@pytest.mark.parametrize(
    ("text", "columns"),
    [
        ("a,b;c\n1,2;3\n", ["a", "b;c"]),  # a tie goes to the comma of the spec
        ('"a;x",b\n1,2\n', ["a;x", "b"]),  # separators inside quotes do not count
        ("a\n1\n", ["a"]),
    ],
)
def test_separator_sniffing(tmp_path, text, columns):
    (tmp_path / "t.csv").write_text(text)
    assert read_tables(tmp_path / "t.csv").tables["t"].columns == ["_row", *columns]


# ---------------------------------------------------------------- issue 11: the kind of an anmälan


def with_kind_column(directory: Path, *rows: dict[str, str]) -> None:
    """events.csv with an added `kind` column (empty on the existing rows) and `rows` appended."""
    path = directory / "events.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = [*EVENT_HEADER, "kind"]
    body = [line + "," for line in lines[1:]]
    with path.open("w", newline="", encoding="utf-8") as fh:
        fh.write(",".join(header) + "\n" + "\n".join(body) + "\n")
        writer = csv.writer(fh, lineterminator="\n")
        for row in rows:
            writer.writerow([row.get(c, "") for c in header])


def test_kind_defaults_to_anmalan_and_is_read_in_any_letter_case(tmp_path):
    directory = copy_minimal(tmp_path)
    with_kind_column(
        directory,
        good_event(event_id="k1", kind="ANSOKAN"),
        good_event(event_id="k2", kind="Information"),
        good_event(event_id="k3", kind=""),
    )
    ds = read(directory)
    assert ds.rejects.height == 0
    kinds = dict(ds.events.filter(pl.col("event_type") == "anmalan").select("event_id", "kind").rows())
    assert (kinds["k1"], kinds["k2"], kinds["k3"]) == ("ansokan", "information", "anmalan")
    assert set(kinds.values()) <= set(schema.REPORT_KINDS)
    assert ds.events.filter(pl.col("event_type") != "anmalan")["kind"].null_count() == (
        ds.events.filter(pl.col("event_type") != "anmalan").height
    )


def test_a_v1_file_without_kind_reads_every_anmalan_as_anmalan(tmp_path):
    ds = read(copy_minimal(tmp_path))
    reports = ds.events.filter(pl.col("event_type") == "anmalan")
    assert reports.height > 0 and reports["kind"].to_list() == ["anmalan"] * reports.height


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        (dict(kind="orosanmalan"), "okänd aktualiseringstyp (kind) (tillåtna: anmalan, ansokan, information)"),
        (dict(event_type="skyddsbedomning", outcome="akut", source="", kind="ansokan"),
         "aktualiseringstyp (kind) anges bara för anmalan"),
    ],
)
def test_a_bad_kind_is_one_reject(tmp_path, overrides, reason):
    directory = copy_minimal(tmp_path)
    with_kind_column(directory, good_event(event_id="k1", **overrides))
    ds = read(directory)
    assert ds.rejects.select("event_id", "column", "reason").rows() == [("k1", "kind", reason)]


# ---------------------------------------------------------------- issue 16: egen regi or köpt


def with_column(directory: Path, column: str, *rows: dict[str, str]) -> None:
    """events.csv with an added `column` (empty on the existing rows) and `rows` appended."""
    path = directory / "events.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = [*EVENT_HEADER, column]
    with path.open("w", newline="", encoding="utf-8") as fh:
        fh.write(",".join(header) + "\n" + "\n".join(line + "," for line in lines[1:]) + "\n")
        writer = csv.writer(fh, lineterminator="\n")
        for row in rows:
            writer.writerow([row.get(c, "") for c in header])


PLACEMENT = dict(event_type="insats_start", source="", intervention="hvb", legal_basis="SoL")


def test_regi_is_read_on_insats_start_and_stays_empty_when_not_said(tmp_path):
    directory = copy_minimal(tmp_path)
    with_column(
        directory, "regi",
        good_event(event_id="r1", regi="Kopt", **PLACEMENT), good_event(event_id="r2", regi="egen", **PLACEMENT),
        good_event(event_id="r3", regi="", **PLACEMENT),
    )
    ds = read(directory)
    assert ds.rejects.height == 0
    regi = dict(ds.events.filter(pl.col("event_id").is_in(["r1", "r2", "r3"])).select("event_id", "regi").rows())
    assert regi == {"r1": "kopt", "r2": "egen", "r3": None}
    without = read(copy_minimal(tmp_path / "utan")).events  # a v1 file without the column
    assert without["regi"].null_count() == without.height


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        (dict(regi="privat", **PLACEMENT), "okänd regi (tillåtna: egen, kopt)"),
        (dict(regi="egen"), "regi anges bara för insats_start"),
    ],
)
def test_a_bad_regi_is_one_reject(tmp_path, overrides, reason):
    directory = copy_minimal(tmp_path)
    with_column(directory, "regi", good_event(event_id="r1", **overrides))
    ds = read(directory)
    assert ds.rejects.select("event_id", "column", "reason").rows() == [("r1", "regi", reason)]
