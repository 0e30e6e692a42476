"""The key figures of closed months, archived before gallring removes the cases behind them.

Why: a month's figures are computed from its cases. Once old cases are removed, computing
2023 again would give other numbers than the nämnd saw. So before the first case goes, every
unit's figures of every month before the horizon are computed once, over all data, as known on
the day of the gallring, and stored; the pages show months before the horizon from here.
Counts and shares are stored as numerator and denominator, so the archive adds up the tree
exactly as the live figures do, and masking for the nämnd works on them the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl

from egenkontroll.cases import store


def months_before(first: dt.date, horizon: dt.date) -> list[tuple[dt.date, dt.date]]:
    """(first day, last day) of each calendar month from `first`'s month up to, not including, `horizon`'s."""
    months = []
    start = first.replace(day=1)
    while start < horizon.replace(day=1):
        following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        months.append((start, following - dt.timedelta(days=1)))
        start = following
    return months


def archive_months(alias: str, today: dt.date, horizon: dt.date, run, report: Callable[[str], None]) -> int:
    """Compute and store the figures of every month before `horizon` not archived yet; rows stored."""
    from egenkontroll.core import kpis
    from egenkontroll.core.obligations import evaluate
    from egenkontroll.retention.models import ArchivedFigure

    events = store.load_events(alias)
    if events.is_empty():
        return 0
    done = set(ArchivedFigure.objects.using(alias).values_list("month", flat=True).distinct())
    months = [m for m in months_before(events["date"].min(), horizon) if m[0] not in done]
    if not months:
        return 0
    org_units, caseworkers = store.load_org_units(alias), store.load_caseworkers(alias)
    population = store.load_population(alias)
    evaluation = evaluate(events, today)
    stored = 0
    for start, end in months:
        report(f"arkiverar nyckeltalen för {start:%Y-%m}")
        figures = kpis.compute(events, evaluation.obligations, org_units, caseworkers, start, end, as_of=today,
                               links=evaluation.links, staffing=store.load_staffing(alias),
                               population=population)
        units = figures.filter((pl.col("node_type") == "unit") & pl.col("category").is_null())
        rows = [
            ArchivedFigure(kpi=r["kpi"], unit_id=r["node_id"], month=start, numerator=r["numerator"],
                           denominator=r["denominator"], value=r["value"], as_of=today, run=run)
            for r in units.select("kpi", "node_id", "numerator", "denominator", "value").iter_rows(named=True)
        ]
        ArchivedFigure.objects.using(alias).bulk_create(rows, batch_size=5_000)
        stored += len(rows)
    return stored
