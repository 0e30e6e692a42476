"""Months and weeks as a Swedish reader writes them (issue 13, item 6)."""

from __future__ import annotations

import datetime as dt

from egenkontroll.core.dates_sv import (
    month_is_partial,
    month_text,
    partial_month_text,
    week_text,
    weeks_ahead,
)


def test_week_is_written_week_then_year():
    assert week_text(dt.date(2027, 2, 15)) == "vecka 7 2027"
    assert week_text(dt.date(2027, 1, 1)) == "vecka 53 2026"  # the ISO year of the week, not the calendar year
    assert week_text(dt.date(2024, 12, 30)) == "vecka 1 2025"


def test_month_names_are_swedish_lower_case():
    assert month_text(dt.date(2026, 10, 1)) == "oktober 2026"
    assert [month_text(dt.date(2026, m, 1)).split()[0] for m in (5, 12)] == ["maj", "december"]


def test_a_month_not_yet_over_is_marked_partial():
    assert month_is_partial(dt.date(2026, 3, 1), dt.date(2026, 3, 10))
    assert not month_is_partial(dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert partial_month_text(dt.date(2026, 3, 1), dt.date(2026, 3, 10)) == "mars 2026 (t.o.m. 10 mars, ofullständig)"
    assert partial_month_text(dt.date(2026, 2, 1), dt.date(2026, 2, 28)) == "februari 2026"


def test_weeks_ahead():
    assert (weeks_ahead(1), weeks_ahead(4)) == ("om 1 vecka", "om 4 veckor")
