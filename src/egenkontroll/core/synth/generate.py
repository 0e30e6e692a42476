"""Generate a whole synthetic data set: plan the districts, run them in batches, write the files.

Why batches: a national data set (290 municipalities, several million events) must stay well
below 8 GB of memory, so districts are grouped into batches of roughly equal volume, each with
its own random stream spawned from the seed (so the result does not depend on anything but the
seed, the scale and the arguments), generated with whole-array operations and written out before
the next batch starts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from egenkontroll.core import schema
from egenkontroll.core.synth import cases as C
from egenkontroll.core.synth import events as E
from egenkontroll.core.synth import frame as F
from egenkontroll.core.synth import identity as I
from egenkontroll.core.synth import inhabitants, org, population
from egenkontroll.core.synth import params as P
from egenkontroll.core.synth import staff as S
from egenkontroll.core.synth import workdays as W
from egenkontroll.core.synth.writer import XLSX_MAX_ROWS, Writer

BATCH_REPORTS_PER_YEAR = 60_000
STEPS_PER_BATCH = 5
EVENTS_PER_REPORT = 5.8  # events written per report in the period, history included (measured)
Step = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Summary:
    """What was written, for the command line and for tests and benchmarks."""

    scale: str
    seed: int
    path: Path
    fmt: str
    start: date
    end: date
    surge: tuple[date, date] | None
    districts: int
    org_units: int
    caseworkers: int
    events: int
    reports_in_period: int
    seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


def period(start: date | None, years: int, today: date | None = None) -> tuple[date, date]:
    """[start, end] of the period: by default the `years` years up to yesterday."""
    if years < 1:
        raise ValueError("antal år måste vara minst 1")
    if start is None:
        end = (today or date.today()) - timedelta(days=1)
        return _date(W.add_months(np.array([W.day_number(end) + 1]), -12 * years)[0]), end
    return start, _date(W.add_months(np.array([W.day_number(start)]), 12 * years)[0] - 1)


def surge_window(start: date, end: date) -> tuple[date, date] | None:
    """September–December of the first autumn at least half a year into the period (None: none)."""
    earliest = start + timedelta(days=180)
    first = date(earliest.year if earliest <= date(earliest.year, 9, 1) else earliest.year + 1, 9, 1)
    if first > end:
        return None
    last = _date(W.add_months(np.array([W.day_number(first)]), P.SURGE_MONTHS)[0] - 1)
    return first, min(last, end)


def _date(day: int) -> date:
    return np.datetime64(int(day), "D").item()


def generate(scale: str, seed: int, out: Path | str, fmt: str = "csv", start: date | None = None,
             years: int = P.DEFAULT_YEARS, surge: bool = False, size_factor: float = 1.0,
             step: Step | None = None) -> Summary:
    """Write a complete interchange-v1 data set and return what was written."""
    began = time.perf_counter()
    if size_factor <= 0:
        raise ValueError("size_factor måste vara större än 0")
    plan = org.plan(scale, size_factor)
    expected = sum(d.reports_per_year for d in plan.districts) * years * EVENTS_PER_REPORT
    if fmt == "xlsx" and expected > XLSX_MAX_ROWS:
        raise ValueError(f"omkring {expected:,.0f} händelser ryms inte i ett XLSX-blad (högst {XLSX_MAX_ROWS:,}); "
                         "välj csv eller zip, eller en mindre --size-factor".replace(",", " "))
    first, last = period(start, years)
    p0, h1 = W.day_number(first), W.day_number(last)
    h0 = p0 - P.WARMUP_DAYS
    window = surge_window(first, last)
    if surge and window is None:
        raise ValueError("perioden är för kort för en tillströmning (--surge): den behöver nå en höst")
    surge_days = (W.day_number(window[0]), W.day_number(window[1])) if window else (h1 + 1, h1 + 1)
    batches = _batches(plan.districts)
    rngs = np.random.default_rng(seed).spawn(len(batches))
    alloc = I.IdentityAllocator(h0 - 23 * 366, h1)
    writer = Writer(Path(out), fmt)
    units, workers, n_events, n_reports = org.fixed_units(plan), [], 0, 0
    posts: list[dict] = []
    total = len(batches) * STEPS_PER_BATCH
    for i, batch in enumerate(batches):
        tick = (lambda label, k, i=i: step(label, i * STEPS_PER_BATCH + k, total)) if step else (lambda *_: None)
        events, staff = _batch(rngs[i], batch, h0, h1, p0, surge_days if surge else None, surge_days[0],
                               alloc, tick)
        writer.events(events)
        n_events += events.height
        n_reports += events.filter((pl.col("event_type") == "anmalan") & (pl.col("date") >= first)).height
        units += staff.group_rows
        workers += staff.caseworker_rows
        posts += staff.staffing_rows
        tick("skriver", STEPS_PER_BATCH)
    # the children living in each district, from a stream of their own so the events stay as they were
    inhabitants_rng = np.random.default_rng([seed, 16])
    people = inhabitants.table(inhabitants_rng, list(plan.districts), first.year, last.year)
    path = writer.finish(_units_frame(units), _workers_frame(workers), _staffing_frame(posts), people)
    return Summary(scale, seed, path, fmt, first, last, window if surge else None, len(plan.districts),
                   len(units), len(workers), n_events, n_reports, time.perf_counter() - began)


def _batches(districts: tuple[org.District, ...]) -> list[list[org.District]]:
    batches, current, volume = [], [], 0.0
    for d in districts:
        if current and volume + d.reports_per_year > BATCH_REPORTS_PER_YEAR:
            batches.append(current)
            current, volume = [], 0.0
        current.append(d)
        volume += d.reports_per_year
    return batches + [current]


def _batch(rng, districts, h0, h1, p0, surge, planned_until, alloc, tick) -> tuple[pl.DataFrame, S.Staff]:
    tick("barn och anmälningar", 0)
    # children ×3, their cases ×3, staff, events (see population.generate), then the kinds of
    # report and the LVU events of issue 11, the regi of placements of issue 16: spawning ten gives
    # the same first nine streams
    streams = rng.spawn(10)
    pop = population.generate(streams[0:3], districts, h0, h1, surge)
    draws = C.draw(streams[3:6], pop)
    n_dk = len(districts) * len(P.KINDS)
    mult, spill = C.neutral(n_dk, h0, h1)
    tl = C.timeline(draws, pop, mult, spill)
    case_of = C.merge(pop, tl, h1)
    st = C.stints(tl, np.flatnonzero(case_of == np.arange(case_of.size)), h1)
    planned = C.caseload(st, n_dk, h0, h1, mask=~pop.p_surge[pop.r_person[st.case]])
    load = C.caseload(st, n_dk, h0, h1)
    tick("bemanning", 1)
    window = (h0 + 365, planned_until) if planned_until - (h0 + 365) >= 90 else (h0 + 365, h1)
    staff = S.build(streams[6], districts, planned, load, h0, h1, window)
    for round_ in range(2):
        tick("arbetsbelastning och handläggningstider", 2 + round_)
        mult, spill = C.multipliers(load, staff.capacity, h0)
        tl = C.timeline(draws, pop, mult, spill)
        case_of = C.merge(pop, tl, h1)
        if round_ == 0:
            load = C.caseload(C.stints(tl, np.flatnonzero(case_of == np.arange(case_of.size)), h1), n_dk, h0, h1)
    ex = C.extras(draws, tl, case_of, mult)
    blocks, parts = E.build(streams[7], pop, tl, case_of, ex, staff, mult, h0, h1, p0, streams[8], streams[9])
    return F.events_frame(blocks, parts, pop, tl, staff, districts, alloc, h1), staff


def _units_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema.ORG_UNITS)


def _staffing_frame(rows: list[dict]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema={**schema.STAFFING, "start_date": pl.Int32, "end_date": pl.Int32})
    return frame.with_columns(pl.col("start_date").cast(pl.Date), pl.col("end_date").cast(pl.Date))


def _workers_frame(rows: list[dict]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema={**schema.CASEWORKERS, "start_date": pl.Int32, "end_date": pl.Int32})
    return frame.with_columns(pl.col("start_date").cast(pl.Date), pl.col("end_date").cast(pl.Date))
