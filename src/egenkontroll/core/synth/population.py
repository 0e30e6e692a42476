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


def generate(rng: np.random.Generator, districts: list[District], h0: int, h1: int,
             surge: tuple[int, int] | None) -> Population:
    native = _native(rng, districts, h0, h1)
    arrived = _unaccompanied(rng, districts, h0, h1, surge)
    return _combine(native, arrived)


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


def _unaccompanied(rng, districts, h0, h1, surge) -> dict:
    days = np.arange(h0, h1 + 1)
    rate = np.array([d.reports_per_year * P.UNACCOMPANIED_SHARE / YEAR for d in districts])
    planned = rng.poisson(np.outer(rate, np.ones(days.size)))
    extra = np.zeros_like(planned)
    if surge is not None:
        in_surge = (days >= surge[0]) & (days <= surge[1])
        extra[:, in_surge] = rng.poisson(np.outer(rate * (P.SURGE_FACTOR - 1), np.ones(in_surge.sum())))
    index = np.arange(len(districts))
    per_cell = (planned + extra).ravel()
    cell = np.repeat(np.arange(per_cell.size), per_cell)
    d_rows = np.repeat(index, days.size)[cell]
    dates = np.tile(days, len(districts))[cell]
    rank_in_cell = np.arange(cell.size) - (np.cumsum(per_cell) - per_cell)[cell]
    is_extra = rank_in_cell >= planned.ravel()[cell]
    n = d_rows.size
    age = np.where(rng.random(n) < 0.85, 13 + 5 * rng.random(n), 8 + 5 * rng.random(n))
    second = rng.random(n) < 0.1
    r_person = np.r_[np.arange(n), np.flatnonzero(second)]
    r_date = np.r_[dates, dates[second] + np.ceil(rng.exponential(60.0, int(second.sum()))).astype(np.int64)]
    keep = r_date <= h1
    kind = rng.choice([PNR, COORDINATION, RESERVE], n, p=np.asarray(P.ID_TYPE_UNACCOMPANIED))
    return {
        "district": d_rows, "birth": dates - np.floor(age * YEAR).astype(np.int64),
        "male": rng.random(n) < P.BOYS_SHARE_UNACCOMPANIED, "unaccompanied": np.ones(n, bool),
        "id_kind": kind, "surge": is_extra,
        "r_person": r_person[keep], "r_date": r_date[keep],
        "r_source": np.where(rng.random(int(keep.sum())) < 0.9, P.SOURCES.index("annan"),
                             P.SOURCES.index("polis")),
    }


def _combine(a: dict, b: dict) -> Population:
    offset = a["district"].size
    r_person = np.r_[a["r_person"], b["r_person"] + offset]
    r_date = np.r_[a["r_date"], b["r_date"]]
    order = np.lexsort((r_date, r_person))
    return Population(
        p_district=np.r_[a["district"], b["district"]], p_birth=np.r_[a["birth"], b["birth"]],
        p_male=np.r_[a["male"], b["male"]], p_unaccompanied=np.r_[a["unaccompanied"], b["unaccompanied"]],
        p_id_kind=np.r_[a["id_kind"], b["id_kind"]], p_surge=np.r_[a["surge"], b["surge"]],
        r_person=r_person[order], r_date=r_date[order],
        r_source=np.r_[a["r_source"], b["r_source"]][order],
    )
