"""The Swedish calendar of time limits, vectorised over numpy date arrays.

Why it exists: every due date in the rule catalogue is computed here, so there is one answer
to "which days are not working days" and "what is 31 October plus four months".

- Non-working days per Lag (1930:173) om beräkning av lagstadgad tid: Saturdays, Sundays,
  public holidays (Lag 1989:253 om allmänna helgdagar), midsommarafton, julafton, nyårsafton.
  The holidays come from the pinned `holidays` package (Sweden, categories public + de_facto),
  never from a hand-written list.
- Month arithmetic clamps to the month's last day (31 Oct + 4 months = 28/29 Feb).

All functions take and return `numpy.datetime64[D]` arrays (NaT passes through), so a whole
column of obligations is shifted in one call.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays
import numpy as np

WEEKMASK = "1111100"  # Monday..Friday are working days
# The de_facto category holds midsommarafton, julafton and nyårsafton, which 1930:173 names.
_CATEGORIES = ("public", "de_facto")
_SPAN = 20  # holidays are computed in blocks of this many years, only for the blocks in use


@lru_cache(maxsize=16)
def _holiday_array(first_block: int, last_block: int) -> np.ndarray:
    """Swedish holidays of the year blocks first..last, as a sorted datetime64 array."""
    years = range(first_block * _SPAN, (last_block + 1) * _SPAN)
    se = holidays.country_holidays("SE", years=years, categories=_CATEGORIES)
    return np.array(sorted(se.keys()), dtype="datetime64[D]")


@lru_cache(maxsize=16)
def _calendar(first_block: int, last_block: int) -> np.busdaycalendar:
    return np.busdaycalendar(weekmask=WEEKMASK, holidays=_holiday_array(first_block, last_block))


def _busdaycal(d: np.ndarray) -> np.busdaycalendar:
    """A business-day calendar covering every day in `d` with a year to spare on each side.

    Building 110 years of holidays costs a quarter of a second; data rarely spans more than a few.
    """
    if d.size == 0:
        return _calendar(2000 // _SPAN, 2000 // _SPAN)
    years = d.astype("datetime64[Y]").astype(np.int64) + 1970
    return _calendar(int(years.min() - 1) // _SPAN, int(years.max() + 1) // _SPAN)


def holiday_names(year: int) -> dict[dt.date, str]:
    """The non-working holidays of one year with their names (for docs and the `rules` command)."""
    se = holidays.country_holidays("SE", years=year, categories=_CATEGORIES, language="sv")
    return dict(sorted(se.items()))


def as_days(values) -> np.ndarray:
    """Anything date-like (list of dates, polars/pandas series, numpy) → datetime64[D] array."""
    if hasattr(values, "to_numpy"):
        values = values.to_numpy()
    return np.asarray(values, dtype="datetime64[D]")


def is_working_day(days) -> np.ndarray:
    """True where the day is a working day. NaT gives False."""
    d = as_days(days)
    out = np.zeros(d.shape, dtype=bool)
    ok = ~np.isnat(d)
    out[ok] = np.is_busday(d[ok], busdaycal=_busdaycal(d[ok]))
    return out


def next_working_day(days) -> np.ndarray:
    """Move each non-working day forward to the next working day (1930:173); working days stay."""
    d = as_days(days)
    out = d.copy()
    ok = ~np.isnat(d)
    out[ok] = np.busday_offset(d[ok], 0, roll="forward", busdaycal=_busdaycal(d[ok]))
    return out


def add_working_days(days, n: int) -> np.ndarray:
    """The n-th working day after each day (the day itself never counts, working or not)."""
    d = as_days(days)
    out = d.copy()
    ok = ~np.isnat(d)
    # Rolling a non-working start backwards first makes "n working days after Saturday"
    # the same as "n working days after Friday", which is what counting after a day means.
    out[ok] = np.busday_offset(d[ok], n, roll="backward", busdaycal=_busdaycal(d[ok]))
    return out


def add_days(days, n: int) -> np.ndarray:
    d = as_days(days)
    return d + np.timedelta64(n, "D")


def add_months(days, n: int) -> np.ndarray:
    """Same day number n months later; where that month is shorter, its last day."""
    d = as_days(days)
    out = np.full(d.shape, np.datetime64("NaT"), dtype="datetime64[D]")
    ok = ~np.isnat(d)
    dd = d[ok]
    months = dd.astype("datetime64[M]")
    day_index = (dd - months).astype(np.int64)  # 0-based day of month
    target = months + np.timedelta64(n, "M")
    month_len = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64
    )
    out[ok] = target.astype("datetime64[D]") + np.minimum(day_index, month_len - 1).astype("timedelta64[D]")
    return out


def add_years(days, n: int) -> np.ndarray:
    return add_months(days, 12 * n)
