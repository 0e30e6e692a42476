"""How months and weeks are written for a Swedish reader, in one place.

Why it exists: pages, charts, the committee report and the planning sentences each wrote months
and weeks their own way ("2026-03", "2026 v.07", "vecka 2027-07"). Swedish usage is "mars 2026"
(month names in lower case) and "vecka 7 2027" (the ISO week, ISO 8601 as in Swedish calendars,
then its ISO year).
"""

from __future__ import annotations

import calendar
import datetime as dt

MONTH_NAMES = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
               "oktober", "november", "december")


def month_text(day: dt.date) -> str:
    """"mars 2026"."""
    return f"{MONTH_NAMES[day.month - 1]} {day.year}"


def short_month_text(day: dt.date) -> str:
    """"mar 2026" (chart axes)."""
    return f"{MONTH_NAMES[day.month - 1][:3]} {day.year}"


def week_text(day: dt.date) -> str:
    """"vecka 7 2027": the ISO week of the day and the ISO year it belongs to."""
    iso = day.isocalendar()
    return f"vecka {iso.week} {iso.year}"


def weeks_ahead(weeks: int) -> str:
    """"om 1 vecka", "om 4 veckor"."""
    return "om 1 vecka" if weeks == 1 else f"om {weeks} veckor"


def month_is_partial(first: dt.date, as_of: dt.date) -> bool:
    """The month starting `first` is not over on `as_of` (its figures are for part of it)."""
    return as_of < dt.date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])


def partial_month_text(first: dt.date, as_of: dt.date) -> str:
    """"mars 2026 (t.o.m. 10 mars, ofullständig)"; a whole month as `month_text`."""
    if not month_is_partial(first, as_of):
        return month_text(first)
    return f"{month_text(first)} (t.o.m. {as_of.day} {MONTH_NAMES[as_of.month - 1]}, ofullständig)"
