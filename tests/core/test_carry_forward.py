"""`carry_forward` gives exactly what a full evaluation gives (issue 19: "evaluate only the cases
whose events changed where that is cheaper, and prove by test that the result is identical").

Yesterday's evaluation is carried to a later day over events in which some cases changed
(a decision moved, an event removed, a case added or gone) and new events arrived; the result is
compared with `evaluate` of the same events on the same day: every obligation, every column,
the same order, and the same rejects.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from egenkontroll.core.interchange import read_dataset
from egenkontroll.core.obligations import carry_forward, evaluate
from egenkontroll.core.synth.generate import generate
from tests.core.eventtable import events
from tests.core.test_obligation_properties import event_tables

KEY = b"carry-forward-test-key-0123456789ab"

# Cases with every event on 2023-01-01, the first day the random tables use (none changes later).
QUIET = events(*[
    row for i in range(8) for row in (
        (f"q{i}a", f"Q{i}", "anmalan", "2023-01-01"),
        (f"q{i}f", f"Q{i}", "forhandsbedomning", "2023-01-01", {"outcome": "inleda" if i % 2 else "ej_inleda"}),
    )
])


def assert_same(carried, full) -> None:
    assert_frame_equal(carried.obligations, full.obligations, check_exact=True)
    assert_frame_equal(carried.rejects, full.rejects, check_exact=True)
    assert carried.as_of == full.as_of


def changed_cases(before: pl.DataFrame, after: pl.DataFrame) -> pl.Series:
    """The cases whose rows differ between two event tables (what the import's diff lists)."""
    rows = pl.concat([before.join(after, on=before.columns, how="anti", nulls_equal=True),
                      after.join(before, on=after.columns, how="anti", nulls_equal=True)])
    return rows["case_id"].unique()


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> pl.DataFrame:
    out: Path = tmp_path_factory.mktemp("carry") / "small"
    generate("small", 7, out, start=dt.date(2023, 1, 1), size_factor=0.5)
    return read_dataset(out, key=KEY).events


def yesterdays(events: pl.DataFrame, cut: dt.date) -> pl.DataFrame:
    """The export of `cut`: no event after it, a few decisions dated ten days late, one event
    of each of a few cases missing, and a case that is gone today (merged into another)."""
    before = events.filter(pl.col("date") <= cut)
    decisions = before.filter(pl.col("event_type") == "forhandsbedomning")["event_id"].tail(6)
    before = before.with_columns(
        date=pl.when(pl.col("event_id").is_in(decisions.implode()))
        .then(pl.col("date") + dt.timedelta(days=10)).otherwise(pl.col("date"))
    )
    missing = before.filter(pl.col("event_type") == "insats_start")["event_id"].tail(3)
    gone = before.head(5).with_columns(case_id=pl.lit("GONE-1"), event_id=pl.format("gone-{}", pl.col("event_id")))
    return pl.concat([before.filter(~pl.col("event_id").is_in(missing.implode())), gone])


@pytest.mark.parametrize("days_later", [0, 1, 3, 45])
def test_a_nightly_delta_carried_forward_equals_a_full_evaluation(district, days_later):
    yesterday = dt.date(2025, 11, 20)
    today = yesterday + dt.timedelta(days=days_later)
    before = yesterdays(district, yesterday)
    after = district.filter(pl.col("date") <= today)
    previous = evaluate(before, yesterday)
    changed = changed_cases(before.filter(pl.col("date") <= yesterday), after.filter(pl.col("date") <= yesterday))
    carried = carry_forward(previous.obligations, yesterday, after, changed, today)
    full = evaluate(after, today)
    assert_same(carried, full)
    # the case is: something was carried, something evaluated again, and the clock moved statuses
    assert changed.len() > 0
    assert carried.obligations["case_id"].n_unique() > 10 * changed.len()
    if days_later >= 3:
        moved = previous.obligations.join(full.obligations, on=["case_id", "rule", "trigger_event_id"], suffix="_now")
        assert moved.filter((pl.col("status") == "pending") & (pl.col("status_now") == "overdue")).height > 0


def test_events_dated_after_the_day_are_ignored_as_a_full_evaluation_does(district):
    """An export may hold events planned ahead (an insats starting next week): they wait."""
    yesterday, today = dt.date(2025, 6, 10), dt.date(2025, 6, 12)
    previous = evaluate(district, yesterday)
    assert_same(carry_forward(previous.obligations, yesterday, district, [], today), evaluate(district, today))


def test_an_earlier_day_is_evaluated_in_full(district):
    previous = evaluate(district, dt.date(2025, 6, 10))
    earlier = dt.date(2025, 3, 1)
    assert_same(carry_forward(previous.obligations, dt.date(2025, 6, 10), district, [], earlier),
                evaluate(district, earlier))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event_tables(), event_tables(), st.integers(0, 3 * 365), st.integers(0, 200), st.sets(st.integers(0, 3)))
def test_any_change_of_any_case_carried_forward_equals_a_full_evaluation(old, new, first, gap, replaced):
    """Random cases (C0–C3) of random events; the cases in `replaced` get another random history.
    Beside them eight quiet cases that never change, so that at most a third of the cases are
    evaluated again and the carrying path is the one taken (more than half: evaluated in full)."""
    yesterday = dt.date(2023, 1, 1) + dt.timedelta(days=first)
    today = yesterday + dt.timedelta(days=gap)
    taken = [f"C{i}" for i in sorted(replaced)]
    old = pl.concat([old, QUIET])
    after = pl.concat([
        old.filter(~pl.col("case_id").is_in(taken)),
        new.filter(pl.col("case_id").is_in(taken)).with_columns(event_id=pl.format("n{}", pl.col("event_id"))),
    ])
    previous = evaluate(old, yesterday)
    changed = changed_cases(old, after)
    assert_same(carry_forward(previous.obligations, yesterday, after, changed, today), evaluate(after, today))
