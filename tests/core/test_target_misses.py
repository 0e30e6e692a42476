"""The target-miss rule of the committee report, on hand-made figure frames (no database)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from dataclasses import replace

import polars as pl
import pytest

from egenkontroll.core import kpi_catalogue, kpis
from egenkontroll.core import target_misses as TM

JAN, DEC, NOV, OCT, SEP, AUG = (dt.date(2026, 1, 1), dt.date(2025, 12, 1), dt.date(2025, 11, 1),
                                dt.date(2025, 10, 1), dt.date(2025, 9, 1), dt.date(2025, 8, 1))
UNITS = {  # id: (name, level, parent)
    "S": ("Staden", "stad", None),
    "D1": ("Norra", "forvaltning", "S"),
    "D2": ("Södra", "forvaltning", "S"),
    "G": ("Mottagningen", "grupp", "D1"),
}


def frame(figures: dict[tuple[str, str], tuple[int, int | None, float | None]], category_rows: bool = False):
    """A figures frame as kpis.compute returns it: (unit, kpi) -> (numerator, denominator, value)."""
    rows = []
    for (unit, kpi), (num, den, value) in figures.items():
        name, level, parent = UNITS[unit]
        rows.append(("unit", unit, name, level, parent, kpi, None, None, num, den, value, None))
        if category_rows:  # a breakdown row that must never be read as a total
            rows.append(("unit", unit, name, level, parent, kpi, "gender", "F", 0, 0, 0.0, None))
    rows.append(
        ("caseworker", "anna", "Anna", kpis.CASEWORKER_LEVEL, "G", "fb_forsenade", None, None, 9, None, 9.0, None)
    )
    return pl.DataFrame(rows, schema=kpis.FIGURE_COLUMNS, orient="row")


@pytest.fixture
def catalogue():
    return kpi_catalogue.load_catalogue()


def month_of_january():
    return frame(
        {
            ("D1", "fb_inom_14d_andel"): (8, 10, 0.8),  # target 1, higher: miss
            ("D2", "fb_inom_14d_andel"): (5, 5, 1.0),  # meets
            ("S", "fb_inom_14d_andel"): (13, 15, 13 / 15),  # city level only
            ("G", "fb_inom_14d_andel"): (1, 2, 0.5),  # a group: never at district level
            ("D1", "fb_forsenade"): (2, None, 2.0),  # target 0, lower: miss
            ("D2", "fb_forsenade"): (0, None, 0.0),
            ("D1", "anmalningar"): (100, None, 100.0),  # neutral volume
            ("D1", "anmalan_inledd_andel"): (1, 10, 0.1),  # neutral share
            ("D1", "fb_inom_10ad_andel"): (0, 0, None),  # nothing decided: no value
            ("D1", "fb_dagar_median"): (4, None, 12.0),  # target 10, lower: miss
        },
        category_rows=True,
    )


def test_only_figures_missing_their_target_at_the_level_are_target_misses(catalogue):
    out = TM.target_misses({JAN: month_of_january()}, JAN, catalogue, "forvaltning")
    assert out.select("unit_id", "kpi").rows() == [
        ("D1", "fb_inom_14d_andel"), ("D1", "fb_dagar_median"), ("D1", "fb_forsenade"),
    ]
    first = out.row(0, named=True)
    assert (first["unit_name"], first["value"], first["target"], first["numerator"], first["denominator"]) == (
        "Norra", 0.8, 1.0, 8, 10,
    )
    assert out.row(2, named=True)["denominator"] is None


def test_city_level_reads_the_root(catalogue):
    out = TM.target_misses({JAN: month_of_january()}, JAN, catalogue, "stad")
    assert out.select("unit_id", "kpi").rows() == [("S", "fb_inom_14d_andel")]


def test_a_figure_without_a_target_never_misses(catalogue):
    without = kpi_catalogue.load_catalogue(targets={"targets": {"fb_dagar_median": None, "fb_forsenade": None}})
    out = TM.target_misses({JAN: month_of_january()}, JAN, without, "forvaltning")
    assert out["kpi"].to_list() == ["fb_inom_14d_andel"]


def test_neutral_figures_never_miss_even_with_a_target(catalogue):
    neutral = dict(catalogue)
    neutral["anmalningar"] = replace(catalogue["anmalningar"], target=5.0)
    out = TM.target_misses({JAN: month_of_january()}, JAN, neutral, "forvaltning")
    assert "anmalningar" not in out["kpi"].to_list()


def test_trend_covers_six_months_oldest_first_with_gaps_for_missing_months(catalogue):
    frames = {
        JAN: month_of_january(),
        DEC: frame({("D1", "fb_inom_14d_andel"): (7, 10, 0.7), ("D1", "fb_forsenade"): (0, None, 0.0)}),
        NOV: frame({("D1", "fb_inom_14d_andel"): (10, 10, 1.0)}),
        SEP: frame({("D1", "fb_inom_14d_andel"): (3, 4, 0.75)}),
        AUG: frame({("D1", "fb_inom_14d_andel"): (1, 1, 1.0)}),
        dt.date(2025, 7, 1): frame({("D1", "fb_inom_14d_andel"): (0, 1, 0.0)}),  # outside the window
    }
    out = TM.target_misses(frames, JAN, catalogue, "forvaltning")
    trend = out.filter(pl.col("kpi") == "fb_inom_14d_andel")["trend"].to_list()[0]
    assert [t["month"] for t in trend] == [AUG, SEP, OCT, NOV, DEC, JAN]
    assert [t["value"] for t in trend] == [1.0, 0.75, None, 1.0, 0.7, 0.8]
    assert [t["status"] for t in trend] == ["ok", "miss", None, "ok", "miss", "miss"]
    assert [t["numerator"] for t in trend] == [1, 3, None, 10, 7, 8]


def test_recurring_means_missed_last_month_too(catalogue):
    frames = {
        JAN: month_of_january(),
        DEC: frame({("D1", "fb_inom_14d_andel"): (7, 10, 0.7), ("D1", "fb_forsenade"): (0, None, 0.0)}),
    }
    out = TM.target_misses(frames, JAN, catalogue, "forvaltning")
    recurring = dict(zip(out["kpi"], out["recurring"], strict=True))
    # fb_dagar_median: December has no row at all, which is no miss.
    assert recurring == {"fb_inom_14d_andel": True, "fb_forsenade": False, "fb_dagar_median": False}


def test_no_target_miss_gives_an_empty_frame_with_the_columns(catalogue):
    out = TM.target_misses({JAN: frame({("D2", "fb_forsenade"): (0, None, 0.0)})}, JAN, catalogue, "forvaltning")
    assert out.is_empty()
    assert "trend" in out.columns and "recurring" in out.columns


def test_the_rule_is_the_pages_rule(catalogue):
    values = [None, 0.0, 0.5, 0.8, 0.9999, 1.0, 2.0, 10.0, 10.5, 20.0, 25.0, float("nan")]
    rows = [(k.id, v) for k in catalogue.values() for v in values]
    got = (
        pl.DataFrame(rows, schema={"kpi": pl.Utf8, "value": pl.Float64}, orient="row")
        .join(TM.catalogue_frame(catalogue), on="kpi")
        .select(TM.status_expr(pl.col("value"), pl.col("target"), pl.col("better")))
        .to_series()
        .to_list()
    )
    expected = [kpi_catalogue.target_status(catalogue[k], None if v is not None and v != v else v) for k, v in rows]
    assert got == expected


def test_unknown_level_is_refused(catalogue):
    with pytest.raises(ValueError, match="rapportnivå"):
        TM.assess({JAN: month_of_january()}, catalogue, "grupp")


def test_month_arithmetic():
    assert TM.month_end(dt.date(2024, 2, 1)) == dt.date(2024, 2, 29)
    assert TM.month_end(dt.date(2025, 12, 1)) == dt.date(2025, 12, 31)
    assert TM.last_full_month(dt.date(2026, 1, 15)) == DEC
    assert TM.trend_window(JAN, 3) == [NOV, DEC, JAN]


def test_the_module_does_not_import_django():
    code = "import sys, egenkontroll.core.target_misses; print('django' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
