"""What `evaluate` does to hold less memory gives exactly what the plain way gives.

Why these paths exist: at national scale (7M events) `egenkontroll obligations` peaked above
4 GB (issue 19). A join on 7M event ids as text held 0.8–1 GB for a moment, so the lookups by
event id run on a 64-bit hash; a hash can be shared by two ids, so the table is checked for that
and every match compared as text, and these tests force both cases. The command also cuts the
events at the day and keeps only the columns evaluate reads before evaluating.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from egenkontroll.core import obligations
from egenkontroll.core.interchange import read_dataset
from egenkontroll.core.obligations import EVALUATED_COLUMNS, _by_event, _hashed, cut, cut_columns, evaluate
from egenkontroll.core.synth.generate import generate

KEY = b"obligation-lookup-test-key-0123456"

EVENTS = pl.DataFrame({
    "event_id": ["e1", "e2", "e3", "e4"],
    "unit_id": ["U1", "U2", None, "U4"],
    "caseworker_id": ["h1", None, "h3", "h4"],
})
ASKED = pl.Series("ids", ["e3", None, "missing", "e1", "e3", "e4"])
EXPECTED = pl.DataFrame({"unit": [None, None, None, "U1", None, "U4"], "cw": ["h3", None, None, "h1", "h3", "h4"]})
COLUMNS = {"unit_id": "unit", "caseworker_id": "cw"}


def test_on_the_hash_and_on_the_text_every_id_finds_its_event_in_order_and_nothing_else():
    hashed = _hashed(EVENTS)
    assert "_hash" in hashed.columns
    assert_frame_equal(_by_event(ASKED, hashed, COLUMNS), EXPECTED)
    assert_frame_equal(_by_event(ASKED, EVENTS, COLUMNS), EXPECTED)


def test_an_id_sharing_a_hash_with_another_event_finds_nothing():
    # "missing" is given e1's hash: on the hash alone it would find e1's unit
    forged = _hashed(EVENTS).with_columns(
        pl.when(pl.col("event_id") == "e1").then(pl.lit("missing").hash()).otherwise(pl.col("_hash")).alias("_hash")
    )
    found = _by_event(pl.Series(["missing", "e2"]), forged, COLUMNS)
    assert found.to_dicts() == [{"unit": None, "cw": None}, {"unit": "U2", "cw": None}]


def test_events_whose_ids_share_a_hash_are_joined_on_the_text():
    shared = pl.concat([EVENTS, EVENTS.head(1)])  # the same id twice: the same hash twice
    assert "_hash" not in _hashed(shared).columns


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> pl.DataFrame:
    out: Path = tmp_path_factory.mktemp("lookups") / "small"
    generate("small", 11, out, start=dt.date(2023, 1, 1), size_factor=0.5)
    return read_dataset(out, key=KEY).events


@pytest.mark.parametrize("as_of", [dt.date(2024, 6, 30), dt.date(2026, 1, 31)])
def test_an_evaluation_on_the_hash_equals_one_on_the_text(district, as_of, monkeypatch):
    on_hash = evaluate(district, as_of)
    monkeypatch.setattr(obligations, "_hashed", lambda events: events)
    on_text = evaluate(district, as_of)
    assert on_hash.obligations.height > 1000
    assert on_hash.obligations["unit_id"].null_count() < on_hash.obligations.height
    assert_frame_equal(on_hash.obligations, on_text.obligations, check_exact=True)


def test_evaluate_reads_only_the_evaluated_columns(district):
    as_of = dt.date(2025, 12, 31)
    full = evaluate(district, as_of)
    narrow = evaluate(district.select(EVALUATED_COLUMNS), as_of)
    assert_frame_equal(narrow.obligations, full.obligations, check_exact=True)
    assert_frame_equal(narrow.rejects, full.rejects, check_exact=True)
    for dropped in EVALUATED_COLUMNS:  # and every one of them is read
        with pytest.raises(pl.exceptions.ColumnNotFoundError):
            evaluate(district.select(c for c in EVALUATED_COLUMNS if c != dropped), as_of)


@pytest.mark.parametrize("as_of", [dt.date(2024, 6, 30), dt.date(2025, 2, 28)])
def test_a_table_cut_at_the_day_evaluates_as_the_whole_table_does(district, as_of):
    cut_once = cut(district, as_of)
    assert cut_once.height < district.height and cut_once["date"].max() <= as_of
    assert_frame_equal(cut(cut_once, as_of), cut_once, check_exact=True)
    full, of_cut = evaluate(district, as_of), evaluate(cut_once, as_of)
    assert_frame_equal(of_cut.obligations, full.obligations, check_exact=True)
    assert_frame_equal(of_cut.rejects, full.rejects, check_exact=True)


@pytest.mark.parametrize("as_of", [dt.date(2024, 6, 30), dt.date(2030, 1, 1)])
def test_a_table_cut_column_by_column_is_the_table_cut_and_the_columns_are_let_go(district, as_of):
    columns = [district.get_column(c) for c in EVALUATED_COLUMNS]
    by_column = cut_columns(columns, as_of)
    assert columns == []
    assert by_column.n_chunks() == 1
    assert_frame_equal(by_column, cut(district.select(EVALUATED_COLUMNS), as_of), check_exact=True)
