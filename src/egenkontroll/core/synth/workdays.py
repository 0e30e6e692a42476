"""Day arithmetic for the generator: working days and calendar months on arrays of day numbers.

Why here and not in the core calendar: the generator works on whole numpy arrays of day numbers
(days since 1970-01-01) and only needs to place decisions on plausible working days and to know
roughly when a statutory limit falls; the law-relevant calendar used to judge obligations lives
with the obligations engine. Non-working days follow Lag (1930:173): weekends, public holidays,
midsommarafton, julafton and nyårsafton.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays
import numpy as np

_FIRST_YEAR, _LAST_YEAR = 1980, 2060


@lru_cache(maxsize=1)
def non_working_days() -> np.ndarray:
    """Swedish public holidays and the three eves, as datetime64[D], for 1980–2060."""
    days = set(holidays.Sweden(years=range(_FIRST_YEAR, _LAST_YEAR + 1)).keys())
    for year in range(_FIRST_YEAR, _LAST_YEAR + 1):
        days.add(date(year, 12, 24))
        days.add(date(year, 12, 31))
        midsummer_eve = date(year, 6, 19)
        while midsummer_eve.weekday() != 4:  # the Friday between 19 and 25 June
            midsummer_eve += timedelta(days=1)
        days.add(midsummer_eve)
    return np.array(sorted(days), dtype="datetime64[D]")


def roll_forward(days: np.ndarray) -> np.ndarray:
    """Each day, or the next working day when it is not one."""
    d = np.asarray(days, dtype="datetime64[D]")
    return np.busday_offset(d, 0, roll="forward", holidays=non_working_days()).astype(np.int64)


def roll_backward(days: np.ndarray) -> np.ndarray:
    """Each day, or the previous working day when it is not one."""
    d = np.asarray(days, dtype="datetime64[D]")
    return np.busday_offset(d, 0, roll="backward", holidays=non_working_days()).astype(np.int64)


def is_working_day(days: np.ndarray) -> np.ndarray:
    d = np.asarray(days, dtype="datetime64[D]")
    return np.is_busday(d, holidays=non_working_days())


def add_months(days: np.ndarray, months: int | np.ndarray) -> np.ndarray:
    """Same day number `months` later; the month's last day where it has no such day."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    day_of_month = (d - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.asarray(months, dtype=np.int64)
    first = target.astype("datetime64[D]")
    length = ((target + 1).astype("datetime64[D]") - first).astype(np.int64)
    return (first + np.minimum(day_of_month, length - 1)).astype(np.int64)


def statutory_due(days: np.ndarray, *, months: int = 0, add_days: int = 0) -> np.ndarray:
    """A limit counted in calendar days or months, moved to the next working day (1930:173)."""
    end = add_months(days, months) if months else np.asarray(days, dtype=np.int64)
    return roll_forward(end + add_days)


def day_number(value: date) -> int:
    return int(np.datetime64(value, "D").astype(np.int64))


def month_of(days: np.ndarray) -> np.ndarray:
    """Month 1..12 of each day."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    return (d.astype("datetime64[M]").astype(np.int64) % 12 + 1).astype(np.int64)


def weekday_of(days: np.ndarray) -> np.ndarray:
    """Monday = 0 .. Sunday = 6 (1970-01-01 was a Thursday)."""
    return (np.asarray(days, dtype=np.int64) + 3) % 7
