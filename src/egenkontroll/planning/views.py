"""Planering: when would the 14-day and 4-month limits break under a scenario of inflow and staffing?

Why it exists: in 2015 nobody saw the backlog grow until the limits had broken (seeds 000,
001). This page calibrates core.planning's queue model on a unit's own last weeks and shows,
week by week, the backlog, the expected wait and the investigation time against the limits,
with the first week each one breaks. Figures only: no case, no person. Every role with figures
sees it for the units of its figure scope. The nämnd sees when the limits break and the
expected times only: beside exact rates, caseworkers and times, a count masked as "<5" would be
a multiplication away. The weekly table, the baseline and each chart's table download as CSV/XLSX.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from egenkontroll.access.scoping import aggregate, request_scope
from egenkontroll.core import costs, planning, surge_plan
from egenkontroll.core.dates_sv import week_text, weeks_ahead
from egenkontroll.core.smallnumbers import PRIMARY_TEXT
from egenkontroll.pages import charts, downloads, pending, periods, snapshot
from egenkontroll.pages.downloads import ascii_filename
from egenkontroll.pages.frame import (
    Chart,
    PageData,
    chosen_unit,
    download_links,
    render_app_page,
    visible_tops,
)
from egenkontroll.pages.frame import export as export_table
from egenkontroll.pages.tables import Column, Table
from egenkontroll.planning import exports
from egenkontroll.planning.forms import SaveScenarioForm, ScenarioForm
from egenkontroll.planning.models import SavedScenario

PAGE = "planering"
RUNS = 300  # simulations behind each band on the page (the CLI's --runs defaults to 500)
SMALL = 5  # the masking threshold of the nämnd's figures (core.smallnumbers: "<5")
BAND_NOTE = (
    "Så läser du banden: linjen är medelvärdet av {runs} simuleringar och det skuggade fältet runt den "
    "visar var veckans värde hamnade i 95 av 100 simuleringar (2,5- och 97,5-percentilerna). Bandet visar "
    "slumpen i vilka barn som kommer och går med den takt referensperioden visade – inte osäkerheten i "
    "takten själv eller ett ändrat beteende – så verkligheten kan hamna utanför. Väntetidernas band kommer av "
    "slumpen i hur många anmälningar som kommer varje vecka; handläggarbehovet räknas utan slump och har inget band."
)
KIND_NAMES = {
    "familjehem": "Familjehem", "natverkshem": "Nätverkshem", "jourhem": "Jourhem", "hvb": "HVB",
    "stodboende": "Stödboende", "sis": "SiS", "alla": "Alla placeringar",
}
NOTE = " Modellens värden är genomsnitt per vecka, inte antal enskilda ärenden."
# The weekly table: column, header, kind (not shown to the nämnd).
WEEKLY = (
    ("inflow", "Nya anmälningar", "ratio"),
    ("decisions", "Beslutade förhandsbedömningar", "ratio"),
    ("undecided", "Väntar på förhandsbedömning", "ratio"),
    ("wait_days", "Förväntad väntetid (dagar)", "days"),
    ("new_investigations", "Inledda utredningar", "ratio"),
    ("concluded", "Avslutade utredningar", "ratio"),
    ("open_investigations", "Pågående utredningar", "ratio"),
    ("investigation_days", "Förväntad utredningstid (dagar)", "days"),
    ("caseworkers", "Handläggare", "ratio"),
    ("cases_per_caseworker", "Ärenden per handläggare", "ratio"),
    ("fb_14d_bryts", "14 dagar bryts", "text"),
    ("utr_4m_bryts", "4 månader bryts", "text"),
    ("caseload_over_norm", "Över riktmärket", "text"),
)


def unit_choices(request, snap) -> list[tuple[str, str]]:
    """Every unit of the user's figure scope, each top followed by its subtree, indented by depth."""
    out = []
    for top in visible_tops(request, snap):
        top_depth = len(snap.ancestors(top))
        ids = sorted(snap.subtree_ids(top), key=lambda u: [snap.unit_names.get(a, a) for a in snap.ancestors(u)])
        out += [(u, "\u2003" * (len(snap.ancestors(u)) - top_depth) + snap.unit_names.get(u, u)) for u in ids]
    return out


def baseline_of(snap, unit_id: str, as_of, weeks: int) -> planning.Baseline:
    """core.planning.calibrate on the stored data with staff's marks applied (an obligation marked
    registreringsfel or ej tillämplig is not waiting), kept in the snapshot's frame cache."""
    marks = snap.marks_version()  # only the version up front: a kept baseline costs no evaluation

    def make() -> pl.DataFrame:
        obligations, _ = snap.marked_obligations(as_of, marks)
        return planning.calibrate(
            snap.events, snap.caseworkers, snap.org_units, unit_id, as_of, weeks, evaluation=snap.evaluation(as_of),
            obligations=obligations,
        ).to_frame()

    return planning.Baseline.from_frame(snap.frame("planning-baseline", (unit_id, as_of, weeks, marks), make))


def build(request) -> PageData:
    snap = snapshot.current()
    masked = request_scope(request).masked
    unit_id = chosen_unit(request, snap) or next(iter(visible_tops(request, snap)), None)
    if unit_id is None:
        raise Http404("Det finns ingen enhet att planera för i din behörighet.")
    choices = unit_choices(request, snap)
    form = ScenarioForm({**request.GET.dict(), "enhet": unit_id}, choices)
    name = snap.unit_names.get(unit_id, unit_id)
    context = {"form": form, "name": name, "masked": masked, "result": False,
               "saved": _saved(choices), "save_form": None if masked else SaveScenarioForm()}
    data = PageData(template="planning/planering.html", title=f"Planering – {name}", filename=f"planering-{unit_id}",
                    context=context)
    if not form.is_valid():
        return data
    norm = planning.norm_from(snap.catalogue)
    try:
        scenario = form.scenario(norm)
    except ValueError as exc:
        form.add_error(None, str(exc))
        return data
    as_of = form.cleaned_data.get("per") or periods.today()
    baseline = baseline_of(snap, unit_id, as_of, form.value("underlag"))
    frame = planning.simulate(baseline, scenario)
    try:
        prices = costs.load_prices()
    except costs.PriceListError as exc:
        form.add_error(None, f"Prislistan kan inte användas: {exc}")
        return data
    window_start = as_of - dt.timedelta(days=7 * form.value("referens") - 1)

    def simulate():
        calibration = surge_plan.calibrate_placements(snap.evaluation(as_of).links, snap.org_units, unit_id,
                                                      window_start, as_of)
        return (calibration, surge_plan.plan(baseline, calibration, scenario, prices, runs=RUNS, seed=1),
                planning.simulate_bands(baseline, scenario, runs=RUNS, seed=1))

    # Seeded, so the same question always has the same answer: kept per worker and import (issue 19:
    # every request of the page ran the simulations again, seconds each at city scale).
    calibration, result, queue_bands = snap.kept(
        ("planning", unit_id, as_of, form.value("underlag"), window_start, repr(scenario), repr(prices), RUNS,
         snap.marks_version()),  # staff's marks move the backlog (baseline_of)
        simulate,
    )
    context |= {
        "result": True,
        "as_of": as_of,
        "baseline": baseline,
        "sentences": planning.describe_breaks(frame, norm)
        + planning.describe_break_bands(queue_bands["breaks"], scenario.weeks),
        "warnings": baseline.warnings(),
        "placement_warnings": [] if masked else list(calibration.warnings),
        "cost_sentences": ([result.lag_text] if result.lag_text else []) + _cost_sentences(result, masked),
        "prices_example": prices.example,
        "band_note": BAND_NOTE.format(runs=RUNS),
        "calibration": calibration,
    }
    # The nämnd sees when the limits break and the expected times, never the counts and rates
    # behind them: with rates, caseworkers and times shown, a masked count is a multiplication away.
    data.tables = [] if masked else [_baseline_table(baseline), _weekly_table(frame)]
    data.charts = [
        _limit_chart(
            "frist14", "Förhandsbedömning: kö och förväntad väntetid mot 14 dagar", frame,
            queue=None if masked else ("undecided", "Väntar på förhandsbedömning"),
            days=("wait_days", "Förväntad väntetid (dagar)"), limit=planning.FB_LIMIT_DAYS, flag="fb_14d_bryts",
            band=(queue_bands["wait_low"], queue_bands["wait_high"]),
        ),
        _limit_chart(
            "frist4m", "Utredning: pågående och förväntad utredningstid mot 4 månader", frame,
            queue=None if masked else ("open_investigations", "Pågående utredningar"),
            days=("investigation_days", "Förväntad utredningstid (dagar)"),
            limit=planning.UTR_LIMIT_DAYS, flag="utr_4m_bryts",
            band=(queue_bands["investigation_low"], queue_bands["investigation_high"]),
        ),
        _placements_chart(result, masked),
        _types_chart(result, masked),
        _cost_chart(result, masked),
    ]
    # Caseworker counts stay from the nämnd, as the staffing in the tables above does.
    if not masked:
        data.charts.append(_staff_chart(result))
    return data


def _cost_sentences(result: surge_plan.Plan, masked: bool) -> list[str]:
    """The period's and the yearly cost of scenario and base. Not to the nämnd when any week of the
    period has a placement type masked: the total is the weekly costs added up, and a price list
    would give the hidden counts back, as a week's cost would (see `_cost_chart`)."""
    lines = []
    for label, outcome in (("Scenariot", result.scenario), ("Basen", result.base)):
        if masked and np.vstack(list(_type_floors(outcome.placements).values())).min() < SMALL:
            lines.append(f"{label}: kostnaden visas inte för nämnden, eftersom någon vecka har färre än fem barn "
                         "i en placeringsform.")
            continue
        t = outcome.totals
        lines.append(
            f"{label}: placeringarna kostar {_mkr(t['period_mean'])} mkr under perioden (95 %-band "
            f"{_mkr(t['period_low'])}–{_mkr(t['period_high'])} mkr), i årstakt {_mkr(t['year_mean'])} mkr "
            f"({_mkr(t['year_low'])}–{_mkr(t['year_high'])} mkr)."
        )
    return lines


def _mkr(value: float) -> str:
    return f"{value / 1e6:.1f}".replace(".", ",")


def _mask(values, masked: bool, floor=None) -> list:
    """Values as the chart shows them: the nämnd gets a gap where the count (or `floor`) is under 5."""
    floor = values if floor is None else floor
    return [None if masked and f < SMALL else round(float(v), 1) for v, f in zip(values, floor, strict=True)]


def _cells(values, masked: bool, floor=None) -> list:
    floor = values if floor is None else floor
    return [PRIMARY_TEXT if masked and f < SMALL else float(v) for v, f in zip(values, floor, strict=True)]


def _band_columns(prefix: str, label: str, masked: bool) -> list[Column]:
    kind = "text" if masked else "ratio"
    return [Column(f"{prefix}_mean", f"{label}: medel", kind), Column(f"{prefix}_low", f"{label}: 95 %-band låg", kind),
            Column(f"{prefix}_high", f"{label}: 95 %-band hög", kind)]


def _band_chart(chart_id: str, title: str, starts: list, series: list, y_title: str, masked: bool, note: str) -> Chart:
    """series: (prefix, label, mean, low, high, floor); the table has mean and band of each, as the chart."""
    columns = _week_columns()
    for prefix, label, *_ in series:
        columns += _band_columns(prefix, label, masked)
    table = Table(id=chart_id, caption=title, columns=columns, note=note)
    cells = {}
    for prefix, _, mean, low, high, floor in series:
        for key, values in (("mean", mean), ("low", low), ("high", high)):
            cells[f"{prefix}_{key}"] = _cells(values, masked, floor)
    for t, start in enumerate(starts):
        table.add({"week": f"{planning.week_label(start)} (v. {t + 1})", "week_start": start}
                  | {k: v[t] for k, v in cells.items()})
    x = [d.isoformat() for d in starts]
    figure = charts.bands(x, [(label, _mask(mean, masked, floor), _mask(low, masked, floor), _mask(high, masked, floor))
                              for _, label, mean, low, high, floor in series], y_title)
    return Chart(chart_id, title, figure, table)


def _rows(frame: pl.DataFrame, kind: str) -> pl.DataFrame:
    return frame.filter(pl.col("placement") == kind).sort("week")


def _placements_chart(result: surge_plan.Plan, masked: bool) -> Chart:
    base, scen = _rows(result.base.placements, "alla"), _rows(result.scenario.placements, "alla")
    return _band_chart(
        "placeringar", "Placerade barn: bas och scenario med 95 %-band", base["week_start"].to_list(),
        [("bas", "Bas", base["mean"], base["low"], base["high"], base["low"]),
         ("scenario", "Scenario", scen["mean"], scen["low"], scen["high"], scen["low"])],
        "Placerade barn", masked, " Antal barn i placering i slutet av veckan; medel och band av simuleringarna.",
    )


def _type_floors(frame: pl.DataFrame) -> dict[str, np.ndarray]:
    """Per type and week the value the nämnd's masking looks at (the band's low end), with secondary
    suppression: the means add up to "alla", so a week with exactly one type under 5 also hides the
    smallest other type — else the hidden one is "alla" minus the rest."""
    kinds = [k for k in dict.fromkeys(frame["placement"]) if k != "alla"]
    floors = np.vstack([_rows(frame, k)["low"].to_numpy() for k in kinds])
    for t in range(floors.shape[1]):
        small = floors[:, t] < SMALL
        if small.sum() == 1:
            others = np.where(~small)[0]
            floors[others[np.argmin(floors[others, t])], t] = 0.0
    return dict(zip(kinds, floors, strict=True))


def _types_chart(result: surge_plan.Plan, masked: bool) -> Chart:
    frame = result.scenario.placements
    floors = _type_floors(frame)
    series = []
    for kind, floor in floors.items():
        rows = _rows(frame, kind)
        series.append((kind, KIND_NAMES[kind], rows["mean"], rows["low"], rows["high"], floor))
    starts = _rows(frame, "alla")["week_start"].to_list()
    return _band_chart("placeringstyper", "Scenariot: placerade barn per placeringsform med 95 %-band", starts, series,
                       "Placerade barn", masked, " Antal barn per placeringsform i slutet av veckan.")


def _cost_chart(result: surge_plan.Plan, masked: bool) -> Chart:
    base, scen = result.base.cost, result.scenario.cost
    # The nämnd: no cost for a week in which any type is masked — a price list times the types' counts,
    # beside "alla", would give the hidden counts back.
    base_floor, scen_floor = (np.vstack(list(_type_floors(o.placements).values())).min(axis=0)
                              for o in (result.base, result.scenario))
    note = " Kronor per vecka för alla placeringar." + (" Exempelpriser, inte kommunens egna." if result.prices.example else "")
    return _band_chart(
        "kostnad", "Placeringskostnad per vecka: bas och scenario med 95 %-band", base["week_start"].to_list(),
        [("bas", "Bas", base["mean"], base["low"], base["high"], base_floor),
         ("scenario", "Scenario", scen["mean"], scen["low"], scen["high"], scen_floor)],
        "Kronor per vecka", masked, note,
    )


def _staff_chart(result: surge_plan.Plan) -> Chart:
    staff, base = result.scenario.staff, result.base.staff
    title = "Handläggare: bemanningsplanen och behovet för att hålla fristerna"
    columns = _week_columns() + [
        Column("planned", "Bemanningsplan", "ratio"), Column("by_limits", "Behov för fristerna (scenario)", "ratio"),
        Column("by_norm", "Behov enligt riktmärket (scenario)", "ratio"), Column("base", "Behov för fristerna (bas)", "ratio"),
    ]
    table = Table(id="handlaggare", caption=title, columns=columns,
                  note=" Behovet räknas utan slump (köernas medelvärden); tomt: ingen bemanning räcker.")
    for row, b in zip(staff.iter_rows(named=True), base.iter_rows(named=True), strict=True):
        table.add({"week": f"{row['iso_week']} (v. {row['week']})", "week_start": row["week_start"],
                   "planned": row["planned"], "by_limits": _shown_need(row["by_limits"]), "by_norm": row["by_norm"],
                   "base": _shown_need(b["by_limits"])})
    x = [d.isoformat() for d in staff["week_start"]]
    figure = charts.lines(x, [("Bemanningsplan", staff["planned"].to_list()),
                              ("Behov för fristerna (scenario)", staff["by_limits"].to_list()),
                              ("Behov enligt riktmärket (scenario)", staff["by_norm"].to_list()),
                              ("Behov för fristerna (bas)", base["by_limits"].to_list())], "Handläggare")
    return Chart("handlaggare", title, figure, table)


def _shown_need(value):
    return "–" if value is None else value


def _shown(value):
    """A model value as the table shows it: ∞ for a queue nobody works on."""
    if isinstance(value, float) and math.isinf(value):
        return "∞"
    return value


def _baseline_table(b: planning.Baseline) -> Table:
    table = Table(
        id="underlag",
        caption=f"Underlag: de {b.weeks} veckorna till och med {b.as_of.isoformat()}",
        columns=[Column("what", "Uppgift"), Column("value", "Värde", "value")],
    )
    counts = (
        ("Anmälningar", b.reports),
        ("Beslutade förhandsbedömningar", b.decisions),
        ("Avslutade utredningar", b.concluded),
        ("Väntar på förhandsbedömning på avstämningsdagen", b.undecided),
        ("Pågående utredningar på avstämningsdagen", b.open_investigations),
        ("Övriga öppna ärenden på avstämningsdagen", b.other_open_cases),
    )
    for label, value in counts:
        table.add({"what": label, "value": value}, kind="int")
    rates = (
        ("Anmälningar per vecka", b.reports_per_week, "ratio"),
        ("Andel förhandsbedömningar som leder till utredning", b.inleda_share, "share"),
        ("Handläggare på avstämningsdagen", b.caseworkers, "int"),
        ("Handläggarveckor under perioden", b.caseworker_weeks, "ratio"),
        ("Beslut per handläggarvecka", b.decisions_per_caseworker_week, "ratio"),
        ("Avslutade utredningar per handläggarvecka", b.conclusions_per_caseworker_week, "ratio"),
        ("Andel av tiden på utredningar (skattad)", b.investigation_share, "share"),
    )
    for label, value, kind in rates:
        table.add({"what": label, "value": value}, kind=kind)
    return table


def _week_columns() -> list[Column]:
    return [Column("week", "Vecka"), Column("week_start", "Veckan börjar", "date")]


def _week_row(row: dict) -> dict:
    return {"week": f"{week_text(row['week_start'])} ({weeks_ahead(row['week'])})", "week_start": row["week_start"]}


def _weekly_table(frame: pl.DataFrame) -> Table:
    table = Table(
        id="veckor",
        caption="Vecka för vecka (planeringsstöd, inte en prognos)",
        columns=_week_columns() + [Column(key, header, kind) for key, header, kind in WEEKLY],
        note=NOTE,
    )
    for row in frame.iter_rows(named=True):
        table.add(_week_row(row) | {key: _shown(row[key]) for key, _, _ in WEEKLY})
    return table


def _limit_chart(chart_id, title, frame, queue, days, limit, flag, band) -> Chart:
    """The expected time against the limit (left axis, dashed line) with its 95 % band from chance in
    the inflow (core.planning.simulate_bands) and, unless `queue` is None, the queue behind it
    (right axis). Expected times are whole days."""
    days_key, days_label = days
    low, high = band
    columns = _week_columns() + [
        Column(days_key, days_label, "days"), Column("band_low", "95 %-band låg (dagar)", "days"),
        Column("band_high", "95 %-band hög (dagar)", "days"), Column(flag, "Bryts", "text"),
    ]
    if queue is not None:
        columns.insert(2, Column(queue[0], queue[1], "ratio"))
    table = Table(id=chart_id, caption=title, columns=columns, note=NOTE)
    keys = [c.key for c in columns[2:] if not c.key.startswith("band_")]
    for t, row in enumerate(frame.iter_rows(named=True)):
        table.add(_week_row(row) | {k: _shown(row[k]) for k in keys}
                  | {"band_low": _shown(float(low[t])), "band_high": _shown(float(high[t]))})
    x = [d.isoformat() for d in frame["week_start"]]
    finite = [None if math.isinf(v) else round(v) for v in frame[days_key]]
    figure = charts.lines(x, [(days_label, finite)], "Dagar", reference=limit, reference_name=f"Frist ({limit:g} dagar)")
    shade = charts.bands(x, [(days_label, finite, _whole_days(low), _whole_days(high))], "Dagar")
    figure["data"] = shade["data"][:2] + figure["data"]
    if queue is not None:
        queue_key, queue_label = queue
        figure["data"].append(
            {
                "type": "scatter", "mode": "lines", "name": queue_label, "x": x,
                "y": [None if math.isinf(v) else round(v, 1) for v in frame[queue_key]], "yaxis": "y2",
                "line": {"color": charts.PALETTE[1], "width": 2, "dash": "dot"},
            }
        )
        figure["layout"]["yaxis2"] = {
            "title": {"text": "Antal"}, "overlaying": "y", "side": "right", "rangemode": "tozero", "showgrid": False,
        }
        figure["layout"]["margin"]["r"] = 60
    return Chart(chart_id, title, figure, table)


def _saved(choices: list[tuple[str, str]]) -> list[dict]:
    """The saved scenarios of the units the user may plan for, each as a link to the page."""
    names = dict(choices)
    rows = SavedScenario.objects.filter(unit_id__in=list(names)).order_by("unit_id", "name")[:200]
    return [{"name": s.name, "unit": names[s.unit_id].strip(), "href": f"{reverse('planning:planering')}?{s.query}"}
            for s in rows]


def _whole_days(values) -> list:
    """Days rounded for a chart; a queue nobody works on (inf) is a gap."""
    return [round(float(v)) if math.isfinite(v) else None for v in values]


def _render(request, data: PageData):
    query = request.GET.urlencode()
    for table in [*data.tables, *(c.table for c in data.charts)]:
        table.downloads = download_links(
            lambda fmt, t=table.id: reverse("planning:export", kwargs={"table": t, "fmt": fmt})
            + (f"?{query}" if query else "")
        )
    context = {**data.context, "tables": data.tables, "charts": data.charts}
    if data.context.get("result"):
        context["scenario_downloads"] = [
            (label, reverse("planning:scenario", kwargs={"fmt": fmt}) + (f"?{query}" if query else ""))
            for fmt, label in (("pdf", "PDF för nämnden"), ("xlsx", "Excel, alla tabeller"))
        ]
    return render_app_page(request, data.template, data.title, context, PAGE)


@aggregate(page=PAGE)
def planering(request):
    """A scenario nobody asked for before is simulated in the background (pages/pending.py), as a
    new period's figures are: its seconds of simulation never hold the request."""
    return pending.page(request, build, PAGE, lambda data: _render(request, data), scenario=True, by_helper=False)


@aggregate(page=PAGE)
def export(request, table: str, fmt: str):
    data = build(request)
    if not data.context["result"]:
        raise Http404("Scenariot är inte giltigt.")
    return export_table(data, table, fmt, request)


@aggregate(page=PAGE)
def scenario_export(request, fmt: str):
    """The whole scenario: `ladda-ner/scenario.pdf` for the nämnd, `ladda-ner/scenario.xlsx` with every
    table — each built for the reader's role, so masked as the page is (planning.exports)."""
    if fmt not in ("pdf", "xlsx"):
        raise Http404("Det finns ingen sådan nedladdning.")
    data = build(request)
    if not data.context["result"]:
        raise Http404("Scenariot är inte giltigt.")
    if fmt == "pdf":
        body, content_type = exports.to_pdf(data, request), downloads.PDF_TYPE
    else:
        body, content_type = exports.to_xlsx(data), downloads.XLSX_TYPE
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{ascii_filename(data.filename)}-scenario.{fmt}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@aggregate(page=PAGE)
@require_POST
def spara(request):
    """Save the scenario of the query string under a name (not the nämnd: it reads, it does not plan)."""
    if request_scope(request).masked:
        raise PermissionDenied
    snap = snapshot.current()
    choices = unit_choices(request, snap)
    save = SaveScenarioForm(request.POST)
    raw = request.POST.get("scenario", "")
    too_long = len(raw) > SaveScenarioForm.QUERY_MAX
    query = QueryDict("" if too_long else raw)
    unit_id = query.get("enhet") or next(iter(visible_tops(request, snap)), None)
    form = ScenarioForm({**query.dict(), "enhet": unit_id}, choices)
    if unit_id not in dict(choices):
        raise Http404("Enheten finns inte i din behörighet.")
    if not save.is_valid() or not form.is_valid() or too_long:
        messages.error(request, "Scenariot kunde inte sparas: ge det ett namn (högst 80 tecken) och rätta scenariot först.")
        return redirect(f"{reverse('planning:planering')}?{query.urlencode()}")
    kept = {k: v for k, v in query.items() if k in form.fields and v != ""} | {"enhet": unit_id}
    encoded = QueryDict(mutable=True)
    encoded.update(kept)
    try:
        with transaction.atomic():
            SavedScenario.objects.update_or_create(
                unit_id=unit_id, name=save.cleaned_data["namn"],
                defaults={"query": encoded.urlencode(), "created_by": request.user},
            )
    except IntegrityError:
        messages.error(request, "Scenariot kunde inte sparas.")
    else:
        messages.success(request, f"Scenariot ”{save.cleaned_data['namn']}” är sparat.")
    return redirect(f"{reverse('planning:planering')}?{encoded.urlencode()}")
