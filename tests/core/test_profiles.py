"""Import profiles without Django: the shipped generic wide layout, validation as v1, broken profiles."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from egenkontroll.core.profiles import (
    ProfileError,
    convert,
    load_profile,
    parse_profile,
    read_export,
    to_source,
)
from tests.core.wide_export import ARENDEN, BOY, ENHETER, GIRL, HANDLAGGARE, write_export

KEY = b"k" * 32


def test_the_wide_layout_becomes_one_event_per_filled_date(tmp_path):
    conversion = convert(load_profile("generisk-bred"), write_export(tmp_path / "export"))
    events = conversion.tables["events"]
    assert events.height == 9 + 3 + 2
    a1 = {r["event_id"]: r for r in events.filter(events["case_id"] == "A1").to_dicts()}
    assert list(a1) == [
        "A1:anmalan", "A1:skyddsbedomning", "A1:forhandsbedomning", "A1:utredning_inledd",
        "A1:utredning_avslutad", "A1:insats_start", "A1:vardplan", "A1:insats_slut", "A1:arende_avslutat",
    ]
    assert a1["A1:forhandsbedomning"] | {"person": "-"} == {
        "event_id": "A1:forhandsbedomning", "case_id": "A1", "person": "-", "gender": "M",
        "event_type": "forhandsbedomning", "date": "2024-01-19", "unit_id": "G1", "caseworker_id": "h1",
        "ref": "A1:anmalan", "outcome": "inleda", "intervention": None, "legal_basis": None, "until": None,
        "source": None, "unaccompanied": "0", "kind": None, "regi": None,
    }
    assert (a1["A1:insats_start"]["intervention"], a1["A1:insats_start"]["legal_basis"]) == ("familjehem", "LVU2")
    assert a1["A1:insats_slut"]["ref"] == "A1:insats_start"
    assert conversion.origins["events"]["source_row"].to_list() == [2] * 9 + [3] * 3 + [4] * 2
    assert conversion.tables["org_units"]["level"].to_list() == ["stad", "forvaltning", "grupp"]


def test_aktualiseringstyp_and_the_lvu_steps_map_in_any_letter_case(tmp_path):
    """Issue 11: the kind of each aktualisering (Anmälan, Ansökan, Övrigt; any case) and the
    optional LVU columns; an export without them (the one above) still reads."""
    header = ARENDEN.splitlines()[0].split(";") + [
        "aktualiseringstyp", "lvu6_beslut_datum", "lvu6_understallt_datum", "lvu_ansokan_datum",
        "umgangesbegransning_datum", "umgangesbegransning_upphord_datum",
    ]
    rows = [
        {"arende_id": "B1", "personnummer": BOY, "anmalan_datum": "2024-03-27", "aktualiseringstyp": "ANSÖKAN",
         "utredning_start": "2024-03-27", "insats_start": "2024-03-28", "insats": "Jourhem", "lagrum": "LVU 6 §",
         "lvu6_beslut_datum": "2024-03-28", "lvu6_understallt_datum": "2024-04-02",
         "lvu_ansokan_datum": "2024-04-19", "umgangesbegransning_datum": "2024-04-05",
         "umgangesbegransning_upphord_datum": "2024-06-01"},
        {"arende_id": "B2", "personnummer": GIRL, "anmalan_datum": "2024-03-01", "aktualiseringstyp": "övrigt"},
        {"arende_id": "B3", "personnummer": GIRL, "anmalan_datum": "2024-03-02", "aktualiseringstyp": "Anmälan"},
        {"arende_id": "B4", "personnummer": BOY, "anmalan_datum": "2024-03-03"},
    ]
    arenden = "\n".join(
        [";".join(header)] + [";".join({"enhet_id": "G1", **row}.get(c, "") for c in header) for row in rows]
    ) + "\n"
    directory = tmp_path / "export"
    directory.mkdir()
    for name, text in {"enheter": ENHETER, "handlaggare": HANDLAGGARE, "arenden": arenden}.items():
        (directory / f"{name}.csv").write_text(text, encoding="utf-8")
    events = convert(load_profile("generisk-bred"), directory).tables["events"]
    kinds = dict(events.filter(events["event_type"] == "anmalan").select("case_id", "kind").rows())
    assert kinds == {"B1": "ansokan", "B2": "information", "B3": "anmalan", "B4": None}
    b1 = {r["event_type"]: r for r in events.filter(events["case_id"] == "B1").to_dicts()}
    assert b1["lvu6_understallt"]["ref"] == "B1:lvu6_beslut"
    assert b1["umgangesbegransning"]["ref"] == b1["umgangesbegransning_upphord"]["ref"] == "B1:insats_start"
    assert (b1["lvu_ansokan"]["date"], b1["insats_start"]["legal_basis"]) == ("2024-04-19", "LVU6")


def test_an_export_is_validated_as_v1_and_its_rejects_name_the_export(tmp_path):
    dataset, conversion = read_export("generisk-bred", write_export(tmp_path / "export", "cp1252"), key=KEY)
    assert (dataset.rows_read, dataset.events.height) == (14, 13)
    assert dict(dataset.events.select("event_id", "row").rows())["A2:forhandsbedomning"] == 3
    assert dataset.warnings == [f"{name}.csv: filen är inte UTF-8; den lästes som Windows-1252"
                                for name in ("arenden", "enheter", "handlaggare")]
    reject = to_source(dataset.rejects, conversion).row(0, named=True)
    assert (reject["file"], reject["row"], reject["event_id"], reject["column"], reject["value"]) == (
        "arenden.csv", 4, "A3:anmalan", "date", "2024-13-45",
    )


def test_a_profile_reads_and_validates_with_django_not_configured(tmp_path):
    export = write_export(tmp_path / "export")
    code = (
        "import sys; from egenkontroll.core.profiles import read_export; "
        f"d, _ = read_export('generisk-bred', {str(export)!r}, key=b'k' * 32); "
        "print(d.events.height, 'django' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "13 False"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "nyckeln 'tables' saknas"),
        ({"tables": {"arenden": {}}}, "okänd tabell arenden"),
        ({"tables": {"events": {"columns": {}}}}, "tabell events: 'source' \\(källfil\\) saknas"),
        ({"tables": {"events": {"source": "x", "columns": {"personnummer": "pnr"}}}},
         "personnummer är ingen kolumn i events"),
        ({"tables": {"org_units": {"source": "x", "wide": {"events": []}}}}, "'wide' gäller bara tabellen events"),
        ({"tables": {"events": {"source": "x", "wide": {"events": [{"key": "a", "event_type": "anmalan"}]}}}},
         "händelse 1 behöver key, event_type och date"),
        ({"tables": {"events": {"source": "x", "wide": {"events": [
            {"key": "f", "event_type": "forhandsbedomning", "date": "d", "ref": "a"}]}}}},
         "ref a ska vara en tidigare händelse"),
    ],
)
def test_a_broken_profile_is_refused_with_its_place(data, message):
    with pytest.raises(ProfileError, match=message):
        parse_profile(data, "egen")
