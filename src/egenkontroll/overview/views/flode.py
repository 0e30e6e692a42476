"""Flöde: the reports of the period followed to decisions, investigations and insatser; the backlog.

Why it exists: "ärendeflöden visualiseras" (seed 003). A Sankey diagram shows where the
period's reports went; two charts show, week by week, the queue of undecided reports and open
investigations and whether throughput keeps up with inflow. Every chart has its table (and
download). The nämnd sees the same with small numbers masked.
"""

from __future__ import annotations

import polars as pl
from django.urls import reverse

from egenkontroll.access.scoping import request_scope
from egenkontroll.core.dates_sv import week_text
from egenkontroll.overview import flow
from egenkontroll.pages import charts, labels, periods, snapshot
from egenkontroll.pages import figures as F
from egenkontroll.pages.frame import (
    Chart,
    PageData,
    aggregate_page,
    chosen_unit,
    unit_crumbs,
    visible_tops,
)
from egenkontroll.pages.periods import query_string
from egenkontroll.pages.tables import MASK_NOTE, Column, Table

SERIES = (
    ("fb_open", "Anmälningar som väntar på förhandsbedömning"),
    ("utr_open", "Pågående utredningar"),
    ("fb_in", "Nya anmälningar"),
    ("fb_out", "Beslutade förhandsbedömningar"),
    ("utr_in", "Inledda utredningar"),
    ("utr_out", "Avslutade utredningar"),
)


def node_label(key: str) -> str:
    return flow.NODE_LABELS.get(key) or labels.intervention(key)


def build(request) -> PageData:
    scope = request_scope(request)
    snap = snapshot.current()
    period = periods.parse(request.GET, periods.today())
    unit_id = chosen_unit(request, snap)
    units = [unit_id] if unit_id else visible_tops(request, snap)
    cohort = flow.cohort(snap, period)
    mine = _union(snap, cohort, units)
    sankey_rows = flow.sankey_links(mine)
    weekly = flow.weekly(_union(snap, flow.backlog_items(snap, period.as_of), units), period)
    masked = scope.masked
    name = snap.unit_names.get(unit_id, unit_id) if unit_id else "dina enheter"
    charts_ = [
        _sankey_chart(sankey_rows, mine.height, masked),
        _weekly_chart("ko", "Kö vid veckans slut", SERIES[:2], weekly, masked, "Antal"),
        _weekly_chart("inflode", "Inflöde och genomströmning per vecka", SERIES[2:], weekly, masked, "Antal per vecka"),
    ]
    return PageData(
        template="overview/flode.html",
        title=f"Flöde – {name}",
        filename=f"flode-{unit_id or 'alla'}-{period.start}-{period.end}",
        context={
            "period": period,
            "name": name,
            "reports": mine.height,
            "masked": masked,
            "crumbs": unit_crumbs(request, snap, unit_id, reverse("overview:flode"), period.params()),
            "children": _children_links(snap, unit_id, period),
            "hidden": [("enhet", unit_id)] if unit_id else [],
            "presets": [
                (label, reverse("overview:flode") + query_string(enhet=unit_id, fran=s.isoformat(), till=e.isoformat()))
                for label, s, e in periods.presets(periods.today())
            ],
        },
        charts=charts_,
    )


def _union(snap, frame: pl.DataFrame, units: list[str]) -> pl.DataFrame:
    """The rows of `frame` belonging to any of the units' subtrees."""
    parts = [frame.filter(F.in_subtree(snap, u)) for u in units]
    return pl.concat(parts) if parts else frame.clear()


def _children_links(snap, unit_id, period) -> list[tuple[str, str]]:
    if unit_id is None:
        return []
    base = reverse("overview:flode")
    kids = [u for u, p in snap.parents.items() if p == unit_id]
    return sorted(
        (snap.unit_names.get(k, k), base + query_string(enhet=k, **period.params())) for k in kids
    )


def _sankey_chart(rows: list[tuple[str, str, int]], total: int, masked: bool) -> Chart:
    table = Table(
        id="flode",
        caption="Anmälningarnas väg: från steg till steg",
        columns=[Column("source", "Från"), Column("target", "Till"), Column("count", "Antal anmälningar", "int")],
        note=MASK_NOTE if masked else "",
    )
    shown = _masked_flows(rows, total) if masked else [n for _, _, n in rows]
    for (source, target, _), value in zip(rows, shown, strict=True):
        table.add({"source": node_label(source), "target": node_label(target), "count": value})
    names, stage = ["anmalningar"], {"anmalningar": 0}
    for source, target, _ in rows:
        for key in (source, target):
            if key not in names:
                names.append(key)
                stage[key] = stage[source] + 1
    links = [
        (names.index(s), names.index(t), value)
        for (s, t, _), value in zip(rows, shown, strict=True)
        if isinstance(value, int)
    ]
    figure = charts.sankey([node_label(k) for k in names], links, [stage[k] for k in names])
    return Chart("flode", f"Anmälningarnas väg ({total} anmälningar)", figure, table)


def _masked_flows(rows: list[tuple[str, str, int]], total: int) -> list[object]:
    """Each stage's outflows masked against the stage's own count (kpis.md small numbers)."""
    inflow = {"anmalningar": total}
    for _, target, n in rows:
        inflow[target] = inflow.get(target, 0) + n
    shown: list[object] = [None] * len(rows)
    for source in dict.fromkeys(s for s, _, _ in rows):
        idx = [i for i, (s, _, _) in enumerate(rows) if s == source]
        _, values = F.mask_counts(inflow.get(source, 0), [rows[i][2] for i in idx])
        for i, value in zip(idx, values, strict=True):
            shown[i] = value
    return shown


def _weekly_chart(chart_id, title, series, weekly, masked: bool, y_title: str) -> Chart:
    columns = [Column("week", "Vecka"), Column("week_end", "Veckans sista dag", "date")]
    columns += [Column(key, label, "int") for key, label in series]
    table = Table(id=chart_id, caption=title, columns=columns)
    if weekly.height == 0:
        return Chart(chart_id, title, charts.lines([], [], y_title), table)
    values = {key: weekly[key].to_list() for key, _ in series}
    if masked:
        values = {key: F.masked_series(v) for key, v in values.items()}
    week_labels = [week_text(s) for s in weekly["week_start"]]
    for i, label in enumerate(week_labels):
        row = {"week": label, "week_end": weekly["week_end"][i]}
        row |= {key: values[key][i] for key, _ in series}
        table.add(row)
    plotted = [(label, [v if isinstance(v, int) else None for v in values[key]]) for key, label in series]
    x = [d.isoformat() for d in weekly["week_end"]]
    return Chart(chart_id, title, charts.lines(x, plotted, y_title), table)


flode, flode_export = aggregate_page("flode", build)
