"""population.csv through the import (issue 16): stored per area and year, replaced only where given."""

from __future__ import annotations

import pytest

from egenkontroll.cases.importer import run_import
from egenkontroll.cases.models import Population, RejectedRow
from egenkontroll.cases.store import load_population
from tests.cases.factory import city, write_dataset

pytestmark = pytest.mark.django_db


def with_population(path, text: str):
    (path / "population.csv").write_text(text, encoding="utf-8")
    return path


def stored() -> list[tuple]:
    return sorted(Population.objects.values_list("unit_id", "year", "age_from", "age_to", "gender", "count"))


def test_population_is_stored_replaced_per_area_and_year_and_kept_when_absent(tmp_path):
    path = with_population(write_dataset(tmp_path / "d", city(6)), "unit_id,year,age,count\nF1,2024,0-17,1500\n")
    summary = run_import(path)
    assert (summary.population_rows, summary.rejected_population, summary.status) == (1, 0, "ok")
    assert stored() == [("F1", 2024, 0, 17, None, 1500)]
    # a new year is added beside the old one, which stays
    with_population(path, "unit_id,year,age,count\nF1,2025,0-5,600\nF1,2025,6-17,910\n")
    run_import(path)
    assert stored() == [("F1", 2024, 0, 17, None, 1500), ("F1", 2025, 0, 5, None, 600), ("F1", 2025, 6, 17, None, 910)]
    # a corrected 2025 replaces all of 2025
    with_population(path, "unit_id,year,age,count\nF1,2025,0-17,1505\n")
    run_import(path)
    assert stored() == [("F1", 2024, 0, 17, None, 1500), ("F1", 2025, 0, 17, None, 1505)]
    # the nightly case import without population.csv leaves it alone
    (path / "population.csv").unlink()
    run_import(path)
    assert len(stored()) == 2
    assert load_population("default").sort("year").rows() == [
        ("F1", 2024, 0, 17, None, 1500), ("F1", 2025, 0, 17, None, 1505),
    ]


def test_bad_population_rows_are_rejects_of_the_run(tmp_path):
    path = with_population(
        write_dataset(tmp_path / "d", city(6)), "unit_id,year,age,count\nF1,2024,0-17,1500\nNOPE,2024,3,4\n"
    )
    summary = run_import(path)
    assert (summary.rejected_population, summary.status, summary.exit_code) == (1, "rejects", 2)
    reject = RejectedRow.objects.get(file="population.csv")
    assert (reject.row, reject.column, reject.reason) == (3, "unit_id", "enheten finns inte i org_units.csv")
    assert stored() == [("F1", 2024, 0, 17, None, 1500)]


def test_an_area_replaces_the_same_years_figures_of_the_areas_above_and_below_it(tmp_path):
    """Review finding 5: the city's 2024 figures, then F1's of 2024 (inside it) from a later import.

    Both kept, the city's children would be counted twice up the tree; the newest import alone
    describes the year, other years stay."""
    path = with_population(
        write_dataset(tmp_path / "d", city(6)),
        "unit_id,year,age,count\nS,2023,0-17,5000\nS,2024,0-17,5100\n",
    )
    run_import(path)
    with_population(path, "unit_id,year,age,count\nF1,2024,0-17,1500\n")
    run_import(path)
    assert stored() == [("F1", 2024, 0, 17, None, 1500), ("S", 2023, 0, 17, None, 5000)]
    # and back: the city's 2024 figures replace F1's (below it) of that year
    with_population(path, "unit_id,year,age,count\nS,2024,0-17,5200\n")
    run_import(path)
    assert stored() == [("S", 2023, 0, 17, None, 5000), ("S", 2024, 0, 17, None, 5200)]
