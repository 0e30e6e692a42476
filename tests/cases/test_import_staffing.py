"""Issue 16: the optional staffing data is stored by the import and read back for the key figures."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from egenkontroll.cases.importer import run_import
from egenkontroll.cases.models import Caseworker, RejectedRow, Staffing
from egenkontroll.cases.store import load_caseworkers, load_staffing
from egenkontroll.core.profiles import SHIPPED, convert, parse_profile
from tests.cases.factory import city, write_csv, write_dataset
from tests.core.wide_export import write_export

pytestmark = pytest.mark.django_db

CASEWORKERS = [
    ("caseworker_id", "name", "unit_id", "title", "start_date", "end_date", "employment"),
    ("cw1", "Åsa Öberg", "G1", "socialsekreterare", "2020-01-01", "", "tillsvidare"),
    ("cw2", "Erik Ärlig", "G2", "socialsekreterare", "2021-09-01", "2024-03-31", "Visstid"),
    ("cw3", "Lind, Karin", "G2", "samordnare", "", "", "konsult"),
]


def dataset(tmp_path, staffing: list | None, name: str = "d"):
    directory = write_dataset(tmp_path / name, city(3), caseworkers=CASEWORKERS)
    if staffing is not None:
        write_csv(directory / "staffing.csv", staffing)
    return directory


def test_employment_and_posts_are_stored_and_read_back(tmp_path):
    summary = run_import(dataset(tmp_path, [
        ("unit_id", "start_date", "end_date", "posts"),
        ("G1", "2023-01-01", "", "4"),
        ("G2", "2023-01-01", "2023-12-31", "3"),
        ("G2", "2023-06-01", "", "5"),  # overlaps the row before: rejected
        ("GX", "2023-01-01", "", "2"),  # unknown unit: rejected
    ]))
    assert (summary.rejected_staffing, summary.exit_code) == (2, 2)
    assert dict(Caseworker.objects.values_list("caseworker_id", "employment")) == {
        "cw1": "tillsvidare", "cw2": "visstid", "cw3": "konsult",
    }
    assert load_caseworkers()["employment"].to_list() == ["tillsvidare", "visstid", "konsult"]
    assert load_staffing().rows() == [
        ("G1", dt.date(2023, 1, 1), None, 4),
        ("G2", dt.date(2023, 1, 1), dt.date(2023, 12, 31), 3),
    ]
    reasons = sorted(RejectedRow.objects.filter(file="staffing.csv").values_list("row", "reason"))
    assert reasons == [(4, "perioden överlappar raden 3 för samma enhet"), (5, "enheten finns inte i org_units.csv")]


def test_an_import_with_staffing_replaces_it_and_one_without_keeps_it(tmp_path):
    run_import(dataset(tmp_path, [("unit_id", "start_date", "posts"), ("G1", "2023-01-01", "4")], "a"))
    run_import(dataset(tmp_path, [("unit_id", "start_date", "posts"), ("G2", "2024-01-01", "6")], "b"))
    assert list(Staffing.objects.values_list("unit_id", "posts")) == [("G2", 6)]
    run_import(dataset(tmp_path, None, "c"))
    assert list(Staffing.objects.values_list("unit_id", "posts")) == [("G2", 6)]


def test_a_database_without_staffing_has_none(tmp_path):
    run_import(dataset(tmp_path, None))
    assert load_staffing() is None


def test_a_caseworker_with_several_periods_is_stored_with_every_one(tmp_path):
    """caseworkers.csv may give one caseworker several rows (a move between groups): the current one
    names them, every period is kept for staff turnover, and PostgreSQL takes the import too."""
    moved = [
        *CASEWORKERS[:2],
        ("cw1", "Åsa Öberg", "G2", "socialsekreterare", "2024-01-01", "", "tillsvidare"),
        *CASEWORKERS[2:],
    ]
    moved[1] = ("cw1", "Åsa Öberg", "G1", "socialsekreterare", "2020-01-01", "2023-12-31", "tillsvidare")
    directory = write_dataset(tmp_path / "d", city(3), caseworkers=moved)
    assert run_import(directory).rejected_caseworkers == 0
    assert Caseworker.objects.get(caseworker_id="cw1").unit_id == "G2"
    periods = load_caseworkers().filter(load_caseworkers()["caseworker_id"] == "cw1")
    assert periods.select("unit_id", "start_date", "end_date").rows() == [
        ("G1", dt.date(2020, 1, 1), dt.date(2023, 12, 31)), ("G2", dt.date(2024, 1, 1), None),
    ]
    # A later export without the move replaces cw1's periods; one without cw1 would keep them.
    run_import(write_dataset(tmp_path / "e", city(3), caseworkers=CASEWORKERS))
    assert load_caseworkers()["caseworker_id"].to_list() == ["cw1", "cw2", "cw3"]


def test_an_import_profile_maps_the_staffing_table_when_the_export_has_one(tmp_path):
    """Issue 16: a profile may map the optional staffing table; an export without it converts as before."""
    shipped = yaml.safe_load((SHIPPED / "generisk-bred.yaml").read_text(encoding="utf-8"))
    shipped["tables"]["staffing"] = {
        "source": "tjanster*", "columns": {"unit_id": "enhet_id", "start_date": "fran", "posts": "antal"},
    }
    profile = parse_profile(shipped, "med-bemanning")
    export = write_export(tmp_path / "export")
    assert "staffing" not in convert(profile, export).tables
    (export / "tjanster.csv").write_text("enhet_id;fran;antal\nG1;2024-01-01;4\n", encoding="utf-8")
    assert convert(profile, export).tables["staffing"].rows() == [("G1", "2024-01-01", None, "4")]


@pytest.mark.parametrize("rows", [
    [("unit_id", "start_date", "posts"), ("GX", "2024-01-01", "6"), ("G2", "2024-13-01", "6")],  # all rejected
    [("unit_id", "start_date", "posts")],  # only the header
])
def test_a_staffing_file_without_one_good_row_keeps_the_stored_posts(tmp_path, rows):
    """Review finding 11: a broken HR export must not wipe the posts the vacancy figures rest on."""
    run_import(dataset(tmp_path, [("unit_id", "start_date", "posts"), ("G1", "2023-01-01", "4")], "a"))
    summary = run_import(dataset(tmp_path, rows, "b"))
    assert list(Staffing.objects.values_list("unit_id", "posts")) == [("G1", 4)]
    assert any("staffing.csv gav inga godkända rader" in w for w in summary.warnings)
