"""Children and the reports about them, for a batch of districts.

Why a stream per child: a child is often reported several times (2021: ~422,000 reports about
~216,000 children), in bursts — a report is frequently followed by another within weeks, and
sometimes again a year later. Each child gets a first report and a geometric number of follow-on
reports at short or long gaps; the stream is thinned by month and weekday so that fewer reports
arrive in July and at weekends. Unaccompanied children arrive as a separate Poisson flow at the
planned rate, six times that rate for four autumn months when a surge is asked for (2015).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from egenkontroll.core.synth import params as P
from egenkontroll.core.synth import workdays as W
from egenkontroll.core.synth.identity import COORDINATION, PNR, RESERVE
from egenkontroll.core.synth.org import District

_LEAD_DAYS = 400  # streams may start this long before the horizon so it opens in steady state
YEAR = 365.25


@dataclass
class Population:
    """Children (index = person) and their reports (index = report, sorted by person and date)."""


    p_district: np.ndarray  # position of the district in the batch
    p_birth: np.ndarray
    p_male: np.ndarray
    p_unaccompanied: np.ndarray
    p_id_kind: np.ndarray
    p_surge: np.ndarray  # arrived in the surge, above the planned number
    r_person: np.ndarray
    r_date: np.ndarray
    r_source: np.ndarray
    r_block: np.ndarray  # 0 native, 1 planned unaccompanied, 2 surge: which random stream it came from


def generate(rngs: tuple[np.random.Generator, ...], districts: list[District], h0: int, h1: int,
             surge: tuple[int, int] | None) -> Population:
    """Native children, then planned unaccompanied arrivals, then the surge's extra arrivals.

    Each block has its own random stream, so a data set with a surge holds exactly the same
    native and planned children as the one without (common random numbers): the difference
    between them is the surge and what it does.
    """
    days = np.arange(h0, h1 + 1)
    rate = np.array([d.reports_per_year * P.UNACCOMPANIED_SHARE / YEAR for d in districts])
    planned = np.outer(rate, np.ones(days.size))
    extra = np.zeros_like(planned)
    if surge is not None:
        extra[:, (days >= surge[0]) & (days <= surge[1])] = (rate * (P.SURGE_FACTOR - 1))[:, None]
    blocks = [_native(rngs[0], districts, h0, h1), _unaccompanied(rngs[1], planned, days, h1),
              _unaccompanied(rngs[2], extra, days, h1)]
    blocks[2]["surge"][:] = True
    return _combine(blocks)


def acceptance(days: np.ndarray) -> np.ndarray:
    """Probability that a candidate report on each day is kept (seasonality, weekday, holidays)."""
    month = np.asarray(P.MONTH_FACTORS)[W.month_of(days) - 1]
    weekday = np.asarray(P.WEEKDAY_FACTORS)[W.weekday_of(days)]
    holiday = np.where(W.is_working_day(days) | (W.weekday_of(days) >= 5), 1.0, P.HOLIDAY_FACTOR)
    return month * weekday * holiday / (max(P.MONTH_FACTORS) * max(P.WEEKDAY_FACTORS))


def _mean_acceptance() -> float:
    days = np.arange(W.day_number(date(2019, 1, 1)), W.day_number(date(2024, 1, 1)))
    return float(acceptance(days).mean())


def _native(rng, districts, h0, h1) -> dict:
    span = h1 - h0 + 1
    per_person = _mean_acceptance() * (1 + P.REPEAT_MEAN)
    counts = np.array([d.reports_per_year * (span + _LEAD_DAYS) / YEAR / per_person for d in districts])
    n_persons = rng.poisson(counts)
    district = np.repeat(np.arange(len(districts)), n_persons)
    n = district.size
    first = rng.integers(h0 - _LEAD_DAYS, h1 + 1, n)
    n_candidates = rng.geometric(1.0 / (1.0 + P.REPEAT_MEAN), n)
    person = np.repeat(np.arange(n), n_candidates)
    short = rng.random(person.size) < P.REPEAT_SHORT_SHARE
    gap = rng.exponential(np.where(short, P.REPEAT_SHORT_DAYS, P.REPEAT_LONG_DAYS))
    starts = np.r_[0, np.cumsum(n_candidates)[:-1]]
    gap[starts] = 0.0
    cum = np.cumsum(gap)
    date = first[person] + np.floor(cum - cum[starts][person]).astype(np.int64)
    age_years = rng.choice(len(P.AGE_WEIGHTS), n, p=np.asarray(P.AGE_WEIGHTS) / sum(P.AGE_WEIGHTS))
    birth = first - np.floor((age_years + rng.random(n)) * YEAR).astype(np.int64)
    keep = (date >= h0) & (date <= h1) & (rng.random(person.size) < acceptance(date))
    keep &= date - birth[person] < 21 * YEAR - 1
    return {
        "district": district, "birth": birth, "male": rng.random(n) < P.BOYS_SHARE_NOT_UNACCOMPANIED,
        "unaccompanied": np.zeros(n, bool), "id_kind": np.full(n, PNR), "surge": np.zeros(n, bool),
        "r_person": person[keep], "r_date": date[keep],
        "r_source": rng.choice(len(P.SOURCES), int(keep.sum()), p=np.asarray(P.SOURCE_WEIGHTS)),
    }


def _unaccompanied(rng, rate: np.ndarray, days: np.ndarray, h1: int) -> dict:
    """Arrivals at `rate` per (district, day): mostly 13–17 years old, mostly boys."""
    per_cell = rng.poisson(rate).ravel()
    cell = np.repeat(np.arange(per_cell.size), per_cell)
    d_rows = cell // days.size
    dates = days[cell % days.size]
    n = d_rows.size
    age = np.where(rng.random(n) < 0.85, 13 + 5 * rng.random(n), 8 + 5 * rng.random(n))
    second = rng.random(n) < 0.1
    r_person = np.r_[np.arange(n), np.flatnonzero(second)]
    r_date = np.r_[dates, dates[second] + np.ceil(rng.exponential(60.0, int(second.sum()))).astype(np.int64)]
    keep = r_date <= h1
    return {
        "district": d_rows, "birth": dates - np.floor(age * YEAR).astype(np.int64),
        "male": rng.random(n) < P.BOYS_SHARE_UNACCOMPANIED, "unaccompanied": np.ones(n, bool),
        "id_kind": rng.choice([PNR, COORDINATION, RESERVE], n, p=np.asarray(P.ID_TYPE_UNACCOMPANIED)),
        "surge": np.zeros(n, bool), "r_person": r_person[keep], "r_date": r_date[keep],
        "r_source": np.where(rng.random(int(keep.sum())) < 0.9, P.SOURCES.index("annan"),
                             P.SOURCES.index("polis")),
    }


def _combine(blocks: list[dict]) -> Population:
    sizes = [b["district"].size for b in blocks]
    offsets = np.cumsum([0, *sizes[:-1]])
    r_person = np.concatenate([b["r_person"] + o for b, o in zip(blocks, offsets, strict=True)])
    r_date = np.concatenate([b["r_date"] for b in blocks])
    order = np.lexsort((r_date, r_person))
    joined = {key: np.concatenate([b[key] for b in blocks]) for key in blocks[0]}
    return Population(
        p_district=joined["district"], p_birth=joined["birth"], p_male=joined["male"],
        p_unaccompanied=joined["unaccompanied"], p_id_kind=joined["id_kind"], p_surge=joined["surge"],
        r_person=r_person[order], r_date=r_date[order], r_source=joined["r_source"][order],
        r_block=np.repeat(np.arange(len(blocks)), [b["r_person"].size for b in blocks])[order],
    )
