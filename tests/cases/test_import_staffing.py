"""Issue 16: the optional staffing data is stored by the import and read back for the key figures."""

from __future__ import annotations

import datetime as dt

import pytest

from egenkontroll.cases.importer import run_import
from egenkontroll.cases.models import Caseworker, RejectedRow, Staffing
from egenkontroll.cases.store import load_caseworkers, load_staffing
from tests.cases.factory import city, write_csv, write_dataset

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
