"""The optional staffing data of issue 16: `employment` in caseworkers.csv and staffing.csv."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from egenkontroll.core.import_limits import ImportLimits
from egenkontroll.core.interchange import InterchangeError
from tests.core.test_interchange import copy_minimal, read


def write(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(text, encoding="utf-8")


def rejects_of(ds, file: str) -> list[tuple]:
    return [(r["row"], r["column"], r["reason"]) for r in ds.rejects.filter(ds.rejects["file"] == file).iter_rows(named=True)]


def test_without_the_new_data_a_dataset_reads_as_before(tmp_path):
    ds = read(copy_minimal(tmp_path))
    assert ds.staffing is None
    assert ds.caseworkers["employment"].null_count() == ds.caseworkers.height
    assert not any("staffing" in w for w in ds.warnings)


def test_employment_is_read_case_insensitively_and_an_unknown_form_is_rejected(tmp_path):
    ds_dir = copy_minimal(tmp_path)
    write(ds_dir, "caseworkers.csv",
          "caseworker_id,name,unit_id,start_date,end_date,employment\n"
          "cw1,Åsa Öberg,G1,2020-01-01,,Tillsvidare\n"
          "cw2,Erik Ärlig,G2,2021-09-01,2025-03-31,KONSULT\n"
          "cw3,Karin Lind,G2,,,inhyrd\n")
    ds = read(ds_dir)
    assert dict(zip(ds.caseworkers["caseworker_id"], ds.caseworkers["employment"], strict=True)) == {
        "cw1": "tillsvidare", "cw2": "konsult",
    }
    assert rejects_of(ds, "caseworkers.csv") == [
        (4, "employment", "okänd anställningsform (employment) (tillåtna: tillsvidare, visstid, konsult)"),
    ]


def test_staffing_rows_are_read_and_bad_ones_rejected_with_reasons(tmp_path):
    ds_dir = copy_minimal(tmp_path)
    write(ds_dir, "Staffing.csv",
          "unit_id;start_date;end_date;posts\n"
          "G1;2024-01-01;2024-12-31;6\n"     # 2 good
          "G1;2025-01-01;;7\n"               # 3 good: starts the day after
          "G1;2025-06-01;;8\n"               # 4 overlaps row 3 (open end)
          "G2;2024-01-01;;4\n"               # 5 good
          "GX;2024-01-01;;4\n"               # 6 unknown unit
          "G2;2023-01-01;2022-01-01;3\n"     # 7 ends before it starts
          "G2;2023-01-01;;tre\n"             # 8 not a number
          "G2;2023-01-01;;-1\n"              # 9 negative
          "G2;;;3\n")                        # 10 start missing
    ds = read(ds_dir)
    assert ds.staffing.rows() == [
        ("G1", dt.date(2024, 1, 1), dt.date(2024, 12, 31), 6),
        ("G1", dt.date(2025, 1, 1), None, 7),
        ("G2", dt.date(2024, 1, 1), None, 4),
    ]
    assert rejects_of(ds, "staffing.csv") == [
        (4, "start_date", "perioden överlappar raden 3 för samma enhet"),
        (6, "unit_id", "enheten finns inte i org_units.csv"),
        (7, "end_date", "slutdatum (end_date) före startdatum"),
        (8, "posts", "antal tjänster (posts) ska vara ett heltal 0–10000"),
        (9, "posts", "antal tjänster (posts) ska vara ett heltal 0–10000"),
        (10, "start_date", "obligatoriskt värde saknas"),
    ]


def test_a_staffing_table_without_a_required_column_stops_the_import(tmp_path):
    ds_dir = copy_minimal(tmp_path)
    write(ds_dir, "staffing.csv", "unit_id,start_date\nG1,2024-01-01\n")
    with pytest.raises(InterchangeError, match="staffing.csv: den obligatoriska kolumnen posts saknas"):
        read(ds_dir)


def test_staffing_is_screened_and_limited_like_every_table(tmp_path):
    ds_dir = copy_minimal(tmp_path)
    write(ds_dir, "staffing.csv", "unit_id,start_date,posts\nG1,2024-01-01,3\nG2,1900-01-01,3\n")
    ds = read(ds_dir)
    assert [r[1] for r in rejects_of(ds, "staffing.csv")] == ["start_date"]
    assert "utanför det rimliga intervallet" in rejects_of(ds, "staffing.csv")[0][2]
    write(ds_dir, "staffing.csv", "unit_id,start_date,posts\n" + "G1,2024-01-01,3\n" * 40)
    with pytest.raises(InterchangeError, match="staffing"):
        read(ds_dir, limits=ImportLimits(max_rows=30))
