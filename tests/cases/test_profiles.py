"""Import profiles: the shipped generic wide layout, and how a broken profile is reported."""

from __future__ import annotations

import datetime as dt

import pytest

from egenkontroll.cases.importer import ImportFailed, run_import
from egenkontroll.cases.models import Event, Person, RejectedRow
from egenkontroll.cases.profiles import ProfileError, convert, load_profile, parse_profile
from tests.cases.factory import personnummer

BOY, GIRL = personnummer(dt.date(2013, 4, 2), 271), personnummer(dt.date(2016, 9, 30), 482)

ENHETER = """enhet_id;overordnad_id;namn;niva
S;;Exempelstad;Stad
F1;S;Norra förvaltningen;Stadsdelsförvaltning
G1;F1;Barngruppen;Arbetsgrupp
"""
HANDLAGGARE = """handlaggare_id;namn;enhet_id;titel;anstalld_fran;anstalld_till
h1;Åsa Öberg;G1;socialsekreterare;2020-01-01;
"""
ARENDEN = (
    "arende_id;personnummer;kon;ensamkommande;enhet_id;handlaggare_id;anmalan_datum;anmalare;"
    "skyddsbedomning_datum;skyddsbedomning;forhandsbedomning_datum;beslut;utredning_start;"
    "forlangning_datum;forlangd_till;utredning_slut;utredning_resultat;insats;lagrum;insats_start;"
    "vardplan_datum;genomforandeplan_datum;insats_slut;avslutat_datum\n"
    f"A1;{BOY};Pojke;Nej;G1;h1;2024-01-08;Polis;2024-01-08;Ej akut;2024-01-19;Inleda utredning;2024-01-19;"
    ";;2024-05-10;Insats;Familjehem;LVU 2 §;2024-05-13;2024-05-13;;2024-11-01;2024-11-15\n"
    f"A2;{GIRL};Flicka;Ja;G1;h1;2024-02-01;Skola;;;2024-02-09;Ej inleda;;;;;;;;;;;;2024-02-09\n"
    f"A3;{GIRL};Flicka;Ja;G1;h1;2024-13-45;Skola;2024-03-01;Akut;;;;;;;;;;;;;;\n"
)


def write_export(directory, encoding="utf-8"):
    directory.mkdir()
    for name, text in {"enheter": ENHETER, "handlaggare": HANDLAGGARE, "arenden": ARENDEN}.items():
        (directory / f"{name}.csv").write_bytes(text.encode(encoding))
    return directory


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


@pytest.mark.django_db
def test_a_wide_export_imports_with_rejects_naming_its_own_file_and_row(tmp_path):
    export = write_export(tmp_path / "export", encoding="cp1252")
    summary = run_import(export, profile="generisk-bred")
    assert (summary.rows_read, summary.imported, summary.rejected) == (14, 13, 1)
    reject = RejectedRow.objects.get()
    assert (reject.file, reject.row, reject.event_id, reject.column, reject.value) == (
        "arenden.csv", 4, "A3:anmalan", "date", "2024-13-45",
    )
    assert Event.objects.get(event_id="A2:forhandsbedomning").row == 3
    assert Event.objects.get(event_id="A2:anmalan").source == "skola"
    assert Person.objects.filter(unaccompanied=True, gender="F", birth_year=2016, birth_month=9).count() == 1
    assert sorted(summary.files) == ["arenden.csv", "enheter.csv", "handlaggare.csv"]
    assert summary.warnings == [f"{name}.csv: filen är inte UTF-8; den lästes som Windows-1252"
                                for name in ("arenden", "enheter", "handlaggare")]


@pytest.mark.django_db
def test_an_unknown_profile_fails_the_run_and_names_the_shipped_ones(tmp_path):
    with pytest.raises(ImportFailed, match="profilen cobol finns inte \\(medföljande: generisk-bred\\)"):
        run_import(write_export(tmp_path / "export"), profile="cobol")


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
