"""Caseloads against the norm, staff turnover per quarter and vacancies, per group.

Why it exists: seed 003 names the benchmark "ca 20 ärenden per socialsekreterare" and ties
long handling times to vacancies and turnover. The caseload of each caseworker is the
`oppna_arenden` key figure of the caseworker node (core.kpis, open cases they are responsible
for on as_of); the norm is the target of `arenden_per_handlaggare` (20, changed in the
municipality's targets file). Turnover and vacancies come from caseworkers.csv: a vacancy is
a leaver in the last twelve months whose place no later starter in the same group has taken
(leavers and starters paired first in, first out).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

VACANCY_WINDOW = dt.timedelta(days=365)


def active_on(caseworkers: pl.DataFrame, day: dt.date) -> pl.Expr:
    return (pl.col("start_date").is_null() | (pl.col("start_date") <= day)) & (
        pl.col("end_date").is_null() | (pl.col("end_date") >= day)
    )


OPEN_CASES_KPI = "oppna_arenden"  # a caseworker's caseload: open cases on as_of (kpis.yaml)


def caseloads(figures: pl.DataFrame, caseworkers: pl.DataFrame, unit_ids: list[str], as_of: dt.date) -> pl.DataFrame:
    """Caseworkers of the units (active on as_of, or with open cases): id, name, unit, open cases.

    `figures`: rows of a figures table, at least every caseworker's of OPEN_CASES_KPI."""
    load = figures.filter(
        (pl.col("node_type") == "caseworker") & (pl.col("kpi") == OPEN_CASES_KPI) & pl.col("category").is_null()
    ).select(pl.col("node_id").alias("caseworker_id"), pl.col("numerator").alias("open_cases"))
    staff = caseworkers.filter(pl.col("unit_id").is_in(unit_ids)).with_columns(active=active_on(caseworkers, as_of))
    return (
        staff.join(load, on="caseworker_id", how="left")
        .with_columns(pl.col("open_cases").fill_null(0))
        .filter(pl.col("active") | (pl.col("open_cases") > 0))
        # one line per caseworker: with several periods (a move between groups), the one in force
        .sort(["active", "start_date"], descending=True, nulls_last=True)
        .unique("caseworker_id", keep="first")
        .sort(["open_cases", "name"], descending=[True, False])
    )


@dataclass(frozen=True)
class GroupStats:
    unit_id: str
    caseworkers: int
    open_cases: int
    mean: float | None
    median: float | None
    maximum: int | None
    over_norm: int


def group_stats(loads: pl.DataFrame, norm: float) -> list[GroupStats]:
    """Per group: active caseworkers and the spread of their caseloads (who exceeds the norm)."""
    active = loads.filter(pl.col("active"))
    stats = (
        active.group_by("unit_id")
        .agg(
            pl.len().alias("n"),
            pl.col("open_cases").sum().alias("total"),
            pl.col("open_cases").mean().alias("mean"),
            pl.col("open_cases").median().alias("median"),
            pl.col("open_cases").max().alias("max"),
            (pl.col("open_cases") > norm).sum().alias("over"),
        )
        .sort("unit_id")
    )
    return [GroupStats(u, n, int(t), m, md, mx, int(o)) for u, n, t, m, md, mx, o in stats.iter_rows()]


def quarter(day: dt.date) -> str:
    return f"{day.year} K{(day.month - 1) // 3 + 1}"


def quarters(start: dt.date, end: dt.date) -> list[str]:
    out, year, q = [], start.year, (start.month - 1) // 3
    while (year, q) <= (end.year, (end.month - 1) // 3):
        out.append(f"{year} K{q + 1}")
        year, q = (year + 1, 0) if q == 3 else (year, q + 1)
    return out


def turnover(caseworkers: pl.DataFrame, unit_ids: list[str], start: dt.date, end: dt.date) -> list[tuple[str, int, int]]:
    """(quarter, starters, leavers) for every quarter meeting [start, end], dates inside it only."""
    staff = caseworkers.filter(pl.col("unit_id").is_in(unit_ids))
    starts = staff.filter(pl.col("start_date").is_between(start, end))["start_date"].to_list()
    ends = staff.filter(pl.col("end_date").is_between(start, end))["end_date"].to_list()
    labels = quarters(start, end)
    started = {q: 0 for q in labels}
    left = {q: 0 for q in labels}
    for day in starts:
        started[quarter(day)] += 1
    for day in ends:
        left[quarter(day)] += 1
    return [(q, started[q], left[q]) for q in labels]


def vacancies(caseworkers: pl.DataFrame, unit_ids: list[str], as_of: dt.date) -> dict[str, int]:
    """Per group: leavers of the last twelve months not yet replaced by a later starter, on as_of.

    Leavers and starters are paired first in, first out within a group: each starter (after
    the leaver left, on or before as_of) fills the longest-open vacancy, however old; what is
    still open and left within twelve months counts. A group has a handful of staff, so this is
    a plain loop over the staff's dates, read from the frame once (read per group, a country's
    3,000 groups took 1.4 s of the Handläggare page; issue 19).
    """
    staff = caseworkers.filter(pl.col("unit_id").is_in(unit_ids))
    ends: dict[str, list[dt.date]] = {}
    starts: dict[str, list[dt.date]] = {}
    for unit_id, start, end in staff.select("unit_id", "start_date", "end_date").iter_rows():
        ends.setdefault(unit_id, [])
        starts.setdefault(unit_id, [])
        if end is not None and end < as_of:
            ends[unit_id].append(end)
        if start is not None and start <= as_of:
            starts[unit_id].append(start)
    out: dict[str, int] = {}
    for unit_id, left in ends.items():
        waiting = sorted(left)
        filled = 0  # the first `filled` of `waiting` are replaced
        for day in sorted(starts[unit_id]):
            if filled < len(waiting) and waiting[filled] < day:
                filled += 1
        out[unit_id] = sum(1 for d in waiting[filled:] if d > as_of - VACANCY_WINDOW)
    return out
