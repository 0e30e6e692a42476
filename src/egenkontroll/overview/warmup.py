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
from egenkontroll.overview import flow, queries
from egenkontroll.overview.views.nyckeltal import MAX_MONTHS, months
from egenkontroll.pages import figures, periods, snapshot


def default_steps(day: dt.date) -> list[tuple[str, Callable[[snapshot.Snapshot], object]]]:
    """(description, work) for the default period ending on `day` (the pages' defaults), then for
    the other periods every page offers as a link (periods.presets: the last month, quarter and
    year to date), so that following a preset does not compute either (issue 19)."""
    start, end = periods.default_period(day)
    period = periods.Period(start, end, end)
    steps: list[tuple[str, Callable]] = [
        # kept on disk: every server process reads it, and the next import carries it forward
        ("åtaganden på dagen", lambda s: s.keep_evaluation(end)),
        ("nyckeltal för perioden", lambda s: s.figures(start, end, end)),
        ("flöde och kö", lambda s: (flow.cohort(s, period), flow.backlog_items(s, end))),
        # the whole organisation's Arbetslista (an inspektör's, the default filter): its counts kept
        ("arbetslistans antal", lambda s: _work_list_counts(s, day)),
    ]
    steps += [
        (f"nedbrytning {b}", lambda s, b=b: s.figures(start, end, end, breakdown=b)) for b in BREAKDOWNS
    ]
    steps.append(("underlag", lambda s: _all_items(s, period)))
    # Every whole month of the longest trend a page draws (MAX_MONTHS): a period nobody asked for
    # before then computes only its own as_of day and its clipped first month, not each month.
    back = dt.date(end.year - (MAX_MONTHS // 12), end.month, 1)
    spans = set(months(period)) | set(months(periods.Period(back, end, end)))
    for label, p_start, p_end in periods.presets(day):
        if (p_start, p_end) == (start, end):
            continue
        preset = periods.Period(p_start, p_end, p_end)
        steps.append((label.lower(), lambda s, a=p_start, b=p_end, p=preset: (s.figures(a, b, b), flow.cohort(s, p))))
        steps += [
            (f"{label.lower()}, nedbrytning {b}", lambda s, a=p_start, e=p_end, b=b: s.figures(a, e, e, breakdown=b))
            for b in BREAKDOWNS
        ]
        spans |= set(months(preset))
    # Month by month last, ordered by as_of day: each month's obligations are evaluated once.
    steps += [
        (f"månad {m_start:%Y-%m}" + ("" if m_start.day == 1 else f" från {m_start:%d}"),
         lambda s, a=m_start, b=m_end, c=as_of: s.figures(a, b, c))
        for m_start, m_end, as_of in sorted(spans, key=lambda span: (span[2], span[0]))
    ]
    return steps


def _work_list_counts(snap: snapshot.Snapshot, day: dt.date) -> None:
    """The urgency counts of every open obligation (`queries.kept_counts`): 1.9 s in PostgreSQL
    for a country, paid here rather than by the first inspektör of the day in each server process."""
    from egenkontroll.cases.models import Obligation

    queries.work_list(Obligation.objects.using(snap.alias).all(), day, queries.WorkListFilter(), keep_counts=True)


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
        if snapshot.cache_root() is not None:
            snap.drop_frames()  # on disk now; the next steps read what they share from there
    snapshot.prune_disk_cache(snap.version)
    return len(steps)


def warm_worker(alias: str = "default", day: dt.date | None = None) -> int:
    """Ready one server process before its first request; returns how many kept frames it read.

    Why: in a fresh gunicorn worker the first request paid for importing every view (the URL
    configuration), compiling the templates, reading the org tree and the figures from the disk
    cache: seconds at city scale, for whoever came first after a restart (issue 19). Only what
    `warm_up` (or earlier visits) left on disk is read here; nothing is computed, so a worker
    never spends minutes starting.
    """
    from django.template.loader import get_template
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view module
    for name in ("overview/oversikt.html", "overview/nyckeltal_detalj.html", "overview/flode.html",
                 "overview/handlaggare.html", "overview/arbetslista.html", "overview/arende.html"):
        get_template(name)
    snap = snapshot.current(alias)
    start, end = periods.default_period(day or periods.today())
    spans = [(start, end, end, None)] + [(start, end, end, b) for b in BREAKDOWNS]
    spans += [(*month, None) for month in months(periods.Period(start, end, end))]
    read = 0
    with snapshot.only_kept():
        for first, last, as_of, breakdown in spans:
            try:
                snap.figure_rows(first, last, as_of, snapshot.UNIT_ROWS, breakdown)
            except snapshot.NotKept:
                continue
            read += 1
    return read
