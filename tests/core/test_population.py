"""population.csv (issue 16): SCB-style rows read into schema.POPULATION, bad rows rejected with reasons."""

from __future__ import annotations

import polars as pl

from egenkontroll.core.screening import CUT
from tests.core.test_interchange import copy_minimal, read


def write_population(directory, text: str) -> None:
    (directory / "population.csv").write_text(text, encoding="utf-8")


def test_population_is_optional_and_not_an_unknown_table(tmp_path):
    ds = read(copy_minimal(tmp_path))
    assert ds.population.is_empty()
    target = copy_minimal(tmp_path, "with")
    write_population(target, "unit_id,year,age,count\nF1,2025,0-17,1500\n")
    ds = read(target)
    assert ds.population.rows() == [("F1", 2025, 0, 17, None, 1500)]
    assert not any("population" in w for w in ds.warnings)


def test_scb_spellings_are_read(tmp_path):
    target = copy_minimal(tmp_path)
    write_population(
        target,
        "Unit_ID;year;age;gender;count\n"
        "F1;2025;17 år;kvinnor;1 204\n"
        "F1;2025;17 år;män;1 250\n"
        "F1;2025;100+ år;män;3\n"
        "G2;2024;0–5 år;;60\n",
    )
    ds = read(target)
    assert ds.rejects.filter(pl.col("file") == "population.csv").is_empty()
    assert ds.population.sort("unit_id", "age_from", "gender").rows() == [
        ("F1", 2025, 17, 17, "F", 1204), ("F1", 2025, 17, 17, "M", 1250), ("F1", 2025, 100, 130, "M", 3),
        ("G2", 2024, 0, 5, None, 60),
    ]


def test_bad_rows_are_rejected_with_a_reason(tmp_path):
    target = copy_minimal(tmp_path)
    write_population(
        target,
        "unit_id,year,age,gender,count\n"
        "F1,2025,0-17,,1500\n"          # row 2: good
        "XX,2025,3,,10\n"               # row 3: unknown unit
        "F1,25,3,,10\n"                 # row 4: year
        "F1,2024,tre,,10\n"             # row 5: age
        "F1,2024,17-5,,10\n"            # row 6: band reversed
        "F1,2024,4,okänt,10\n"          # row 7: gender
        "F1,2024,5,,-3\n"               # row 8: count
        "F1,2025,10-12,,40\n"           # row 9: overlaps row 2
        "G1,2025,0-17,,100\n"           # row 10: F1 is above G1 and given for 2025
        "G1,2024,0-17,,100\n"           # row 11: good (F1 has no good 2024 row)
        "S,2023,0-17,F,100\n"           # row 12: gender on some rows only
        "S,2023,0-17,,200\n"            # row 13: good
        "F1,,1,,\n",                    # row 14: year and count missing
    )
    ds = read(target)
    rejects = ds.rejects.filter(pl.col("file") == "population.csv")
    reasons = {(r["row"], r["column"]): r["reason"] for r in rejects.iter_rows(named=True)}
    assert reasons == {
        (3, "unit_id"): "enheten finns inte i org_units.csv",
        (4, "year"): "ogiltigt år (ska vara ÅÅÅÅ, 1900–2100)",
        (5, "age"): "ogiltig ålder (ett helt år 0–130, ett spann som 0-17 eller 100+)",
        (6, "age"): "ogiltigt åldersspann (från är större än till)",
        (7, "gender"): "ogiltigt kön (tillåtna: F, M, kvinnor, män eller tomt för alla)",
        (8, "count"): "ogiltigt antal (ska vara ett heltal 0–10 000 000)",
        (9, "age"): "åldrarna överlappar rad 2 (samma område, år och kön)",
        (10, "unit_id"): "befolkningen anges redan för den överordnade enheten F1 samma år",
        (12, "gender"): "kön anges för vissa rader men inte för alla i samma område och år",
        (14, "year"): "obligatoriskt värde saknas",
        (14, "count"): "obligatoriskt värde saknas",
    }
    assert sorted(ds.population.select("unit_id", "year").rows()) == [("F1", 2025), ("G1", 2024), ("S", 2023)]


def test_a_last_row_cut_off_mid_row_is_rejected_not_read_short(tmp_path):
    """Review finding 6: "F1;2025;0-17;15" of "…;1500;kvinnor" read as 15 girls and boys.

    The file ends without a line break and with fewer fields than the header: the row was cut.
    """
    target = copy_minimal(tmp_path)
    write_population(target, "unit_id;year;age;count;gender\nG1;2025;0-17;700;\nF1;2025;0-17;15")
    ds = read(target)
    assert ds.population.rows() == [("G1", 2025, 0, 17, None, 700)]
    cut = ds.rejects.filter(pl.col("file") == "population.csv").select("row", "column", "reason").rows()
    assert cut == [(3, "unit_id", CUT)]
    assert "population.csv: sista raden (rad 3) är avbruten: filen slutar mitt i raden" in ds.warnings
