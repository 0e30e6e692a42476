"""Identity numbers for synthetic children: valid in form, allocated by a documented fictitious rule.

Why a rule and not Skatteverket's test series: the published test numbers (testpersonnummer)
hold about one number per birth date (for births 2000–2019 the serial numbers 238/239 in the copy
we inspected), far too few for the city and national scales. So every number here follows one
rule, documented in docs/synthetic-data.md:

- personnummer `YYYYMMDD-NNNC` with a valid Luhn check digit; the serial number NNN is handed out
  per birth date and sex from 999 downwards (boys 999, 997, …; girls 998, 996, …), at most 250 per
  birth date and sex; a child that would get a lower number is born a day later instead;
- samordningsnummer: the same with the day of birth + 60, for some unaccompanied children;
- reserve numbers `R:SYNT0000001`, for some newly arrived unaccompanied children.

Such numbers can still coincide with a real person's number: the rule makes that less likely for
small data sets (which use only 980–999) but cannot rule it out. The data never links a number to
any real fact, and the importer pseudonymises numbers anyway.
"""

from __future__ import annotations

import numpy as np
import polars as pl

SERIAL_TOP_BOY, SERIAL_TOP_GIRL = 999, 998
PER_DATE_AND_SEX = 250
PNR, COORDINATION, RESERVE = 0, 1, 2


def luhn_check_digit(nine_digits: np.ndarray) -> np.ndarray:
    """The check digit of YYMMDDNNN (as integers), weights 2,1,2,… from the left."""
    n = np.asarray(nine_digits, dtype=np.int64)
    total = np.zeros(n.shape, dtype=np.int64)
    for position in range(9):
        digit = (n // 10 ** (8 - position)) % 10
        product = digit * (2 if position % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


class IdentityAllocator:
    """Hands out numbers across all batches of one data set, so that no two children share one."""

    def __init__(self, first_birth_day: int, last_birth_day: int):
        self._base = first_birth_day
        self._span = last_birth_day - first_birth_day + 400  # room for shifted birth dates
        self._used = np.zeros(2 * 2 * self._span, dtype=np.int32)  # (kind, sex, birth day)
        self._reserve = 0

    def allocate(self, birth: np.ndarray, male: np.ndarray, kind: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Serial numbers for each child; returns (possibly shifted) birth days and serials."""
        birth = np.asarray(birth, dtype=np.int64).copy()
        serial = np.zeros(birth.shape, dtype=np.int64)
        pending = np.flatnonzero(kind != RESERVE)
        while pending.size:
            key = (kind[pending] * 2 + male[pending]) * self._span + (birth[pending] - self._base)
            rank = _rank_within(key) + self._used[key]
            ok = rank < PER_DATE_AND_SEX
            top = np.where(male[pending], SERIAL_TOP_BOY, SERIAL_TOP_GIRL)
            serial[pending[ok]] = (top - 2 * rank)[ok]
            self._used += np.bincount(key[ok], minlength=self._used.size).astype(np.int32)
            pending = pending[~ok]
            birth[pending] += 1
        return birth, serial

    def reserve_numbers(self, count: int) -> np.ndarray:
        first = self._reserve + 1
        self._reserve += count
        return np.arange(first, first + count, dtype=np.int64)


def _rank_within(key: np.ndarray) -> np.ndarray:
    """0,1,2… within each run of equal keys, in order of appearance."""
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    index = np.arange(key.size)
    starts = np.r_[True, sorted_key[1:] != sorted_key[:-1]]
    first_of_run = np.maximum.accumulate(np.where(starts, index, 0))
    rank = np.empty(key.size, dtype=np.int64)
    rank[order] = index - first_of_run
    return rank


def format_numbers(birth: np.ndarray, serial: np.ndarray, kind: np.ndarray, reserve: np.ndarray) -> pl.Series:
    """`YYYYMMDD-NNNC` (day + 60 for samordningsnummer) or `R:SYNTnnnnnnn` per child."""
    d = np.asarray(birth, dtype=np.int64).astype("datetime64[D]")
    year = d.astype("datetime64[Y]").astype(np.int64) + 1970
    month = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    day = day + 60 * (kind == COORDINATION)
    check = luhn_check_digit(((year % 100) * 100 + month) * 100_000 + day * 1000 + serial)
    frame = pl.DataFrame({"ymd": year * 10_000 + month * 100 + day, "tail": serial * 10 + check,
                          "reserve": reserve, "kind": kind})
    text = frame.select(
        pl.when(pl.col("kind") == RESERVE)
        .then(pl.concat_str([pl.lit("R:SYNT"), pl.col("reserve").cast(pl.Utf8).str.zfill(7)]))
        .otherwise(pl.concat_str([pl.col("ymd").cast(pl.Utf8), pl.lit("-"),
                                  pl.col("tail").cast(pl.Utf8).str.zfill(4)]))
        .alias("person")
    )
    return text.to_series()
