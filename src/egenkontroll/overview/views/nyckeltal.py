"""Nyckeltal: the key-figure catalogue as written in its data file, each figure's trend and breakdowns.

Why it exists: a figure is only useful if its reader knows exactly what it counts. The catalogue
page shows every figure's definition from kpis.yaml word for word (so the page can never drift
from what is computed); a figure's page shows its value for a unit, its month-by-month trend
(each month computed by the same engine with that month's last day as the as_of day) and its
breakdowns by gender, age band and unaccompanied.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.http import Http404
from django.urls import reverse

from egenkontroll.access.scoping import aggregate, request_scope
from egenkontroll.core import costs, kpi_catalogue
from egenkontroll.core.dates_sv import month_is_partial, partial_month_text, short_month_text
from egenkontroll.overview.views.oversikt import judged_target, target_text
from egenkontroll.pages import charts, pending, periods, snapshot
from egenkontroll.pages import figures as F
from egenkontroll.pages.frame import (
    Chart,
    PageData,
    aggregate_page,
    chosen_unit,
    export,
    render_page,
    unit_crumbs,
    visible_tops,
)
from egenkontroll.pages.periods import Period, query_string
from egenkontroll.pages.tables import MASK_NOTE, Column, Table, format_against, format_value

MAX_MONTHS = 24


def build_catalogue(request) -> PageData:
    snap = snapshot.current()
    table = Table(
        id="katalog",
        caption="Nyckeltalskatalogen",
        columns=[
            Column("title", "Nyckeltal"),
            Column("id", "Id", "id"),
            Column("description", "Definition"),
            Column("unit", "Enhet"),
            Column("better", "Riktning"),
            Column("target", "Mål", "id"),
        ],
    )
    query = query_string(**{k: v for k, v in request.GET.items() if k in ("enhet", *periods.PARAMS)})
    for kpi in snap.catalogue.values():
        table.add(
            {
                "title": kpi.title,
                "id": kpi.id,
                "description": kpi.description,
                "unit": F.UNIT_LABEL[kpi.unit],
                "better": F.BETTER_LABEL[kpi.better],
                "target": target_text(kpi),
            },
            links={"title": reverse("overview:nyckeltal_detalj", kwargs={"kpi_id": kpi.id}) + query},
        )
    return PageData("overview/nyckeltal.html", "Nyckeltal", "nyckeltal-katalog", tables=[table])


def months(period: Period) -> list[tuple[dt.date, dt.date, dt.date]]:
    """(first day, last day, as_of) of each calendar month meeting the period, clipped to it."""
    out = []
    first = dt.date(period.start.year, period.start.month, 1)
    while first <= period.end:
        following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        last = min(following - dt.timedelta(days=1), period.end)
        out.append((max(first, period.start), last, min(last, period.as_of)))
        first = following
    return out[-MAX_MONTHS:]


def build_detail(request, kpi_id: str) -> PageData:
    scope = request_scope(request)
    snap = snapshot.current()
    kpi = snap.catalogue.get(kpi_id)
    if kpi is None:
        raise Http404("Okänt nyckeltal.")
    period = periods.parse(request.GET, periods.today())
    unit_id = chosen_unit(request, snap) or visible_tops(request, snap)[0]
    masked = scope.masked
    total = _unit_figure(snap, kpi, unit_id, period.start, period.end, period.as_of)
    # The breakdowns before the trend: they share the period's item sources with `total`'s figures, which the
    # trend's clipped months would push out of memory (SOURCES_KEPT = 1) and so have made twice.
    breakdowns = [_breakdown_chart(snap, kpi, unit_id, period, b, total, masked) for b in kpi.breakdowns]
    charts_ = [_trend_chart(snap, kpi, unit_id, period, total, masked), *breakdowns]
    name = snap.unit_names.get(unit_id, unit_id)
    base = reverse("overview:nyckeltal_detalj", kwargs={"kpi_id": kpi.id})
    value = F.small_base(kpi, total) if masked else F.shown_value(kpi, total)
    return PageData(
        template="overview/nyckeltal_detalj.html",
        title=f"{kpi.title} – {name}",
        filename=f"nyckeltal-{kpi.id}-{unit_id}-{period.start}-{period.end}",
        context={
            "kpi": kpi,
            "name": name,
            "period": period,
            "value": _format(kpi, value),
            "status": F.status(kpi, value),
            "numerator": None if masked or total is None else total.numerator,
            "denominator": None if masked or total is None else total.denominator,
            "target": target_text(kpi),
            "unit_label": F.UNIT_LABEL[kpi.unit],
            "better_label": F.BETTER_LABEL[kpi.better],
            "price_note": _price_note() if kpi.unit == "kronor" else "",
            "masked": masked,
            "crumbs": unit_crumbs(request, snap, unit_id, base, period.params()),
            "hidden": [("enhet", unit_id)],
            "presets": [
                (label, base + query_string(enhet=unit_id, fran=s.isoformat(), till=e.isoformat()))
                for label, s, e in periods.presets(periods.today())
            ],
            "catalogue_url": reverse("overview:nyckeltal") + query_string(enhet=unit_id, **period.params()),
            "overview_url": reverse("overview:oversikt") + query_string(enhet=unit_id, **period.params()),
        },
        charts=charts_,
    )


def _unit_figure(snap, kpi: kpi_catalogue.Kpi, unit_id: str, start: dt.date, end: dt.date, as_of: dt.date):
    """The unit's figure of `kpi` over start–end on as_of (None: the engine gave none)."""
    frame = snap.figure_rows(start, end, as_of, snapshot.Rows("unit", (unit_id,), kpi=kpi.id))
    return F.node_figures(frame, "unit", [unit_id])[unit_id].get(kpi.id)


def _format(kpi: kpi_catalogue.Kpi, value) -> str:
    target = judged_target(kpi)
    if target is not None and isinstance(value, int | float):
        return format_against(value, target, F.KIND_OF_UNIT[kpi.unit])
    return format_value(value, F.KIND_OF_UNIT[kpi.unit])


def _trend_chart(snap, kpi: kpi_catalogue.Kpi, unit_id: str, period: Period, total, masked: bool) -> Chart:
    kind = F.KIND_OF_UNIT[kpi.unit]
    spans = months(period)
    figs = [_unit_figure(snap, kpi, unit_id, start, end, as_of) for start, end, as_of in spans]
    values = _masked_trend(kpi, figs, total) if masked else [F.shown_value(kpi, f) for f in figs]
    columns = [Column("month", "Månad"), Column("value", kpi.title, kind)]
    if not masked:
        columns += [Column("numerator", "Täljare", "int")]
        if kpi.denominator is not None:
            columns.append(Column("denominator", "Nämnare", "int"))
    table = Table(id="trend", caption=f"{kpi.title} per månad", columns=columns, note=MASK_NOTE if masked else "")
    labels = [partial_month_text(start, as_of) for start, _, as_of in spans]
    partial = bool(spans) and month_is_partial(spans[-1][0], spans[-1][2])
    for label, fig, value in zip(labels, figs, values, strict=True):
        row = {"month": label, "value": value}
        if not masked:
            row |= {"numerator": fig.numerator if fig else None, "denominator": fig.denominator if fig else None}
        table.add(row, css={"value": F.status(kpi, value)}, targets={"value": judged_target(kpi)})
    plotted = [v if isinstance(v, int | float) else None for v in values]
    reference = kpi.target if kpi.better != "neutral" else None
    figure = charts.lines(
        [short_month_text(start) for start, _, _ in spans], [(kpi.title, plotted)], F.UNIT_LABEL[kpi.unit],
        percent=kind == "share", reference=reference, reference_name=f"Mål {target_text(kpi)}", partial_last=partial,
    )
    return Chart("trend", f"{kpi.title} per månad", figure, table)


def _price_note() -> str:
    """Which price list a cost figure was priced with: the shipped example prices must say so."""
    prices = costs.load_prices()
    if prices.example:
        return "exempelpriserna som följer med programmet, inte stadens egna (EGK_PLACEMENT_PRICES_FILE)"
    return f"stadens egen ({Path(prices.source).name})"


def _masked_trend(kpi: kpi_catalogue.Kpi, figs: list, total) -> list:
    """Monthly counts of a flow add up to the period's count, so they are masked against it."""
    if kpi.kind == "count" and kpi.numerator.period_field != "as_of":
        whole = int(total.numerator) if total else 0
        return F.mask_counts(whole, [int(f.numerator) if f else 0 for f in figs])[1]
    if kpi.kind in F.COUNT_LIKE:  # the months' sums (counts) add up to the period's: hide at least two, or none
        counts = [f.base if f else 0 for f in figs]
        shown = F.mask_counts(sum(counts), counts)[1]
        return [F.sum_cell(kpi, f, s) for f, s in zip(figs, shown, strict=True)]
    return [F.small_base(kpi, f) for f in figs]


def _breakdown_chart(snap, kpi: kpi_catalogue.Kpi, unit_id: str, period: Period, breakdown: str, total, masked: bool) -> Chart:
    rows = snap.figure_rows(
        period.start, period.end, period.as_of, snapshot.Rows("unit", (unit_id,), kpi=kpi.id), breakdown=breakdown
    ).select("category", "numerator", "denominator", "value", "persons")
    labels = F.CATEGORY_LABEL[breakdown]
    cats = [(labels.get(c, c), F.Figure(n, d, v, p)) for c, n, d, v, p in rows.iter_rows()]
    if masked:
        _, values = F.masked_values(kpi, total, [f for _, f in cats])
    else:
        values = [F.shown_value(kpi, f) for _, f in cats]
    kind = F.KIND_OF_UNIT[kpi.unit]
    columns = [Column("category", F.BREAKDOWN_LABEL[breakdown]), Column("value", kpi.title, kind)]
    if not masked:
        columns.append(Column("numerator", "Täljare", "int"))
        if kpi.denominator is not None:
            columns.append(Column("denominator", "Nämnare", "int"))
    title = f"{kpi.title} efter {F.BREAKDOWN_LABEL[breakdown].lower()}"
    table = Table(id=f"per-{breakdown}", caption=title, columns=columns, note=MASK_NOTE if masked else "")
    for (label, fig), value in zip(cats, values, strict=True):
        row = {"category": label, "value": value}
        if not masked:
            row |= {"numerator": fig.numerator, "denominator": fig.denominator}
        table.add(row)
    plotted = [v if isinstance(v, int | float) else None for v in values]
    figure = charts.bars([label for label, _ in cats], [(kpi.title, plotted)], F.UNIT_LABEL[kpi.unit], percent=kind == "share")
    return Chart(f"per-{breakdown}", title, figure, table)


nyckeltal, nyckeltal_export = aggregate_page("nyckeltal", build_catalogue)


@aggregate(page="nyckeltal")
def nyckeltal_detalj(request, kpi_id: str):
    return pending.page(
        request, lambda r: build_detail(r, kpi_id), "nyckeltal",
        lambda data: render_page(request, data, "nyckeltal", "nyckeltal_detalj_export", {"kpi_id": kpi_id}),
    )


@aggregate(page="nyckeltal")
def nyckeltal_detalj_export(request, kpi_id: str, table: str, fmt: str):
    return export(build_detail(request, kpi_id), table, fmt, request)
