"""Compute the pages' default views before the server starts, into the shared disk cache.

Why it exists: at city scale one evaluation of all obligations takes seconds, and a month-by-
month trend needs one per month. `egenkontroll demo` and `serve` call `warm_up` before starting
gunicorn, so the first visitor of Översikt, Nyckeltal, Flöde and Handläggare for the default
period reads computed tables from disk (snapshot.py) instead of waiting. `egenkontroll import`
calls it too, so the first visitor after the nightly import does not wait either; afterwards
the cache of the database's earlier import runs is deleted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from egenkontroll.core.kpi_catalogue import BREAKDOWNS
from egenkontroll.overview import flow
from egenkontroll.overview.views.nyckeltal import months
from egenkontroll.pages import figures, periods, snapshot


def default_steps(day: dt.date) -> list[tuple[str, Callable[[snapshot.Snapshot], object]]]:
    """(description, work) for the default period ending on `day` (the pages' defaults)."""
    start, end = periods.default_period(day)
    period = periods.Period(start, end, end)
    steps: list[tuple[str, Callable]] = [
        ("nyckeltal för perioden", lambda s: s.figures(start, end, end)),
        ("flöde och kö", lambda s: (flow.cohort(s, period), flow.backlog_items(s, end))),
    ]
    steps += [
        (f"nedbrytning {b}", lambda s, b=b: s.figures(start, end, end, breakdown=b)) for b in BREAKDOWNS
    ]
    steps.append(("underlag", lambda s: _all_items(s, period)))
    steps += [
        (f"månad {m_start:%Y-%m}", lambda s, a=m_start, b=m_end, c=as_of: s.figures(a, b, c))
        for m_start, m_end, as_of in months(period)
    ]
    return steps


def _all_items(snap: snapshot.Snapshot, period: periods.Period) -> None:
    """The items behind every figure of the period (Underlag), numerator and denominator."""
    for kpi in snap.catalogue.values():
        for part in ("num", "den") if figures.listable_denominator(kpi) else ("num",):
            figures.items(snap, kpi, part, period, "unit", snap.roots()[0])


def warm_up(alias: str = "default", day: dt.date | None = None, report: Callable[[str], None] | None = None) -> int:
    """Compute every default view once; returns how many steps ran."""
    snap = snapshot.current(alias)
    steps = default_steps(day or periods.today())
    for i, (label, work) in enumerate(steps, start=1):
        if report:
            report(f"{i}/{len(steps)} {label}")
        work(snap)
    snapshot.prune_disk_cache(snap.version)
    return len(steps)
