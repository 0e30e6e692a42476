"""Properties that must hold for any input, checked on generated event tables (hypothesis)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from egenkontroll.core import calendar
from egenkontroll.core.obligations import evaluate
from egenkontroll.core.rules import load_catalogue
from egenkontroll.core.schema import STATUSES
from tests.core.eventtable import events

START = dt.date(2023, 1, 1)
day = st.integers(min_value=0, max_value=3 * 365).map(lambda n: START + dt.timedelta(days=n))
TYPES = ["anmalan", "forhandsbedomning", "utredning_inledd", "utredning_forlangd", "utredning_avslutad",
         "insats_start", "overvagande", "omprovning", "besok", "insats_slut", "skyddsbedomning", "arende_avslutat"]


@st.composite
def event_tables(draw):
    rows = []
    for i in range(draw(st.integers(min_value=1, max_value=40))):
        etype = draw(st.sampled_from(TYPES))
        date = draw(day)
        extra = {}
        if etype == "forhandsbedomning":
            extra["outcome"] = draw(st.sampled_from(["inleda", "ej_inleda", "tillfors_utredning"]))
        if etype == "utredning_avslutad":
            extra["outcome"] = "insats"
        if etype == "utredning_forlangd":
            extra["until"] = (date + dt.timedelta(days=draw(st.integers(0, 200)))).isoformat()
        if etype == "insats_start":
            extra["intervention"] = draw(st.sampled_from(["familjehem", "hvb", "jourhem", "oppenvard_intern"]))
            extra["legal_basis"] = draw(st.sampled_from(["SoL", "LVU2", "LVU3", "LVU6"]))
        rows.append((f"e{i:03d}", f"C{draw(st.integers(0, 3))}", etype, date.isoformat(), extra))
    return events(*rows)


# Statutory time limits counted in days, weeks or months move to a working day (1930:173).
# The skyddsbedömning is the law's "genast", read as the same or the next day: not a time
# limit the 1930:173 rules move (issue 11, docs/rules.md "Ändringar"), so it stays a calendar day.
STATUTORY = {r.id for r in load_catalogue().rules if r.kind == "lag" and r.roll}
as_of_day = st.integers(min_value=0, max_value=4 * 365).map(lambda n: START + dt.timedelta(days=n))
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(event_tables(), as_of_day)
def test_statutory_due_dates_are_working_days_unless_extended(ev, as_of):
    rows = evaluate(ev, as_of).obligations.filter(pl.col("rule").is_in(STATUTORY) & ~pl.col("extended"))
    assert calendar.is_working_day(rows["due_date"]).all()


@SETTINGS
@given(event_tables(), as_of_day)
def test_moving_to_a_working_day_never_makes_a_due_date_earlier(ev, as_of):
    rows = evaluate(ev, as_of, ["forhandsbedomning_14d"]).obligations
    unmoved = calendar.as_days(rows["trigger_date"]) + np.timedelta64(14, "D")
    assert (calendar.as_days(rows["due_date"]) >= unmoved).all()
    assert (calendar.as_days(rows["due_date"]) - unmoved <= np.timedelta64(4, "D")).all()


@SETTINGS
@given(event_tables(), as_of_day)
def test_statuses_partition_and_days_late_follow_them(ev, as_of):
    rows = evaluate(ev, as_of).obligations
    assert set(rows["status"].unique()) <= set(STATUSES)
    late = rows["status"].is_in(["fulfilled_late", "overdue"])
    assert rows.filter(late)["days_late"].min() is None or rows.filter(late)["days_late"].min() > 0
    assert rows.filter(~late)["days_late"].null_count() == rows.filter(~late).height
    done = rows["fulfilled_date"].is_not_null()
    assert (done == rows["status"].str.starts_with("fulfilled")).all()
    assert (rows["trigger_date"] <= as_of).all()


@SETTINGS
@given(event_tables(), as_of_day, st.randoms(use_true_random=False))
def test_reordering_input_rows_changes_nothing(ev, as_of, rnd):
    order = list(range(ev.height))
    rnd.shuffle(order)
    first = evaluate(ev, as_of)
    second = evaluate(ev[order], as_of)
    assert first.obligations.equals(second.obligations)
    assert first.rejects.sort("event_id").drop("row").equals(second.rejects.sort("event_id").drop("row"))
