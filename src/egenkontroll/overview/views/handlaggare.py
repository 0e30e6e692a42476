"""Handläggare: caseloads against the norm, per caseworker and per group; turnover and vacancies.

Why it exists: seed 003 ties long handling times to caseloads far above "ca 20 ärenden per
socialsekreterare", to vacancies and to staff leaving. Managers see who carries how much
(the open cases each caseworker is responsible for on the day, from the key-figure engine),
the spread within each group, starters and leavers per quarter of the period, and vacancies
on the day. The nämnd sees group figures only, never one named caseworker, and those masked
(docs/security.md "Small numbers"): staff counts of 1–4 as "<5", the open cases of a group of 1–4
caseworkers hidden (a group of one shows that person's caseload), totals against which nothing
hidden can be recomputed.
"""

from __future__ import annotations

import polars as pl
from django.urls import reverse

from egenkontroll.access.scoping import request_scope
from egenkontroll.cases.models import Caseworker
from egenkontroll.core import smallnumbers
from egenkontroll.overview import staffing
from egenkontroll.overview.queries import subtree_q
from egenkontroll.pages import charts, periods, snapshot
from egenkontroll.pages import figures as F
from egenkontroll.pages.frame import (
    Chart,
    PageData,
    aggregate_page,
    chosen_unit,
    unit_crumbs,
    visible_tops,
)
from egenkontroll.pages.periods import query_string, query_tail
from egenkontroll.pages.tables import MASK_NOTE, Column, Table

NORM_KPI = "arenden_per_handlaggare"
CASEWORKER_ROWS = 300  # the most loaded first; the download has everyone
# Groups shown on the page, by name; the download has all. A city has about 60; a country's ~3,000
# were 24,000 cells, most of the page's 1.2 MB and a third of its time (issue 19).
GROUP_ROWS = 400
DEFAULT_NORM = 20.0


def build(request) -> PageData:
    scope = request_scope(request)
    snap = snapshot.current()
    period = periods.parse(request.GET, periods.today())
    unit_id = chosen_unit(request, snap)
    tops = [unit_id] if unit_id else visible_tops(request, snap)
    unit_ids = sorted({u for top in tops for u in snap.subtree_ids(top)})
    norm = snap.catalogue[NORM_KPI].target or DEFAULT_NORM
    open_cases = snap.figure_rows(
        period.start, period.end, period.as_of, snapshot.Rows("caseworker", kpi=staffing.OPEN_CASES_KPI)
    )
    loads = staffing.caseloads(open_cases, snap.caseworkers, unit_ids, period.as_of)
    named = _named_caseworkers(scope, unit_id, tops, loads)
    stats = staffing.group_stats(loads, norm)
    vacancies = staffing.vacancies(snap.caseworkers, unit_ids, period.as_of)
    masked = scope.masked
    group_table, totals = _group_table(snap, stats, vacancies, norm, masked)
    tables = [group_table]
    charts_ = []
    if named is not None:
        mine = loads.filter(pl.col("caseworker_id").is_in(named))
        tables.insert(0, _caseworker_table(snap, mine, norm, period))
        charts_.append(_distribution_chart(snap, mine.filter(pl.col("active")), norm, tops))
    charts_.append(_turnover_chart(staffing.turnover(snap.caseworkers, unit_ids, period.start, period.end), masked))
    name = snap.unit_names.get(unit_id, unit_id) if unit_id else "dina enheter"
    return PageData(
        template="overview/handlaggare.html",
        title=f"Handläggare – {name}",
        filename=f"handlaggare-{unit_id or 'alla'}-{period.as_of}",
        context={
            "period": period,
            "name": name,
            "norm": norm,
            "masked": masked,
            **totals,
            "crumbs": unit_crumbs(request, snap, unit_id, reverse("overview:handlaggare"), period.params()),
            "hidden": [("enhet", unit_id)] if unit_id else [],
            "presets": [
                (label, reverse("overview:handlaggare") + query_string(enhet=unit_id, fran=s.isoformat(), till=e.isoformat()))
                for label, s, e in periods.presets(periods.today())
            ],
        },
        tables=tables,
        charts=charts_,
    )


def _named_caseworkers(scope, unit_id, tops, loads: pl.DataFrame) -> list[str] | None:
    """The caseworkers the user may see by name (None for the nämnd: group figures only)."""
    if scope.aggregate_only:
        return None
    if scope.sees_every_caseworker:
        # Every caseworker's figures: all of `loads` (read from this import's caseworkers, within the
        # chosen units). Asked of the database, a country's 20,000 ids were one IN list (issue 19).
        return loads["caseworker_id"].to_list()
    units_q = subtree_q(unit_id) if unit_id else None
    qs = Caseworker.objects.filter(caseworker_id__in=loads["caseworker_id"].to_list())
    if units_q is not None:
        qs = qs.filter(units_q)
    return list(scope.caseworkers(qs).values_list("caseworker_id", flat=True))


def _caseworker_table(snap, loads: pl.DataFrame, norm: float, period) -> Table:
    table = Table(
        id="handlaggare",
        caption=f"Öppna ärenden per handläggare den {period.as_of.isoformat()} (norm {norm:.0f})",
        display_limit=CASEWORKER_ROWS,
        columns=[
            Column("name", "Handläggare"),
            Column("group", "Grupp"),
            Column("title", "Titel"),
            Column("open_cases", "Öppna ärenden", "int"),
            Column("over", "Över normen", "int"),
            Column("start_date", "Anställd från", "date"),
            Column("end_date", "Anställd till", "date"),
        ],
    )
    base, tail = reverse("overview:oversikt"), query_tail(**period.params())
    for row in loads.iter_rows(named=True):
        over = max(0, row["open_cases"] - int(norm))
        table.add(
            {
                "name": row["name"] or row["caseworker_id"],
                "group": snap.unit_names.get(row["unit_id"], row["unit_id"]),
                "title": row["title"] or "",
                "open_cases": row["open_cases"],
                "over": over,
                "start_date": row["start_date"],
                "end_date": row["end_date"],
            },
            links={"name": base + query_string(handlaggare=row["caseworker_id"]) + tail},
            css={"open_cases": "mal-miss" if over else "", "over": "mal-miss" if over else ""},
            flags={"open_cases": "över normen" if over else ""},
        )
    return table


def _group_table(snap, stats, vacancies: dict[str, int], norm: float, masked: bool) -> tuple[Table, dict]:
    """The groups' table, and the totals the page shows above it (masked alike, with a total row)."""
    table = Table(
        id="grupper",
        caption="Ärendebelastning per grupp",
        columns=[
            Column("group", "Grupp"),
            Column("caseworkers", "Aktiva handläggare", "int"),
            Column("open_cases", "Öppna ärenden hos dem", "int"),
            Column("mean", "Medel per handläggare", "ratio"),
            Column("median", "Median", "ratio"),
            Column("maximum", "Högst", "int"),
            Column("over_norm", f"Handläggare över normen ({norm:.0f})", "int"),
            Column("vacancies", "Vakanser", "int"),
        ],
        note=MASK_NOTE if masked else "",
        display_limit=None if masked else GROUP_ROWS,  # masked, the last row is the total: always shown
    )
    by_unit = {s.unit_id: s for s in stats}
    rows = []
    for unit_id in sorted(set(by_unit) | {u for u, n in vacancies.items() if n}, key=lambda u: snap.unit_names.get(u, u)):
        s = by_unit.get(unit_id)
        rows.append({
            "group": snap.unit_names.get(unit_id, unit_id),
            "caseworkers": s.caseworkers if s else 0,
            "open_cases": s.open_cases if s else 0,
            "mean": s.mean if s else None,
            "median": s.median if s else None,
            "maximum": s.maximum if s else None,
            "over_norm": s.over_norm if s else 0,
            "vacancies": vacancies.get(unit_id, 0),
        })
    totals = {key: sum(r[key] for r in rows) for key in MASKED_COUNTS}
    if masked:
        rows, totals = _masked_groups(rows, totals)
    for row in rows:
        table.add(row, css={"over_norm": "mal-miss" if isinstance(row["over_norm"], int) and row["over_norm"] else ""})
    return table, {"active": totals["caseworkers"], "over_norm": totals["over_norm"], "vacancies": totals["vacancies"]}


# The group table's counts of staff and children the nämnd sees masked; the rest is per caseworker.
MASKED_COUNTS = ("caseworkers", "open_cases", "over_norm", "vacancies")


def _masked_groups(rows: list[dict], totals: dict) -> tuple[list[dict], dict]:
    """Each count column masked against its total, a total row added, per-caseworker figures dropped.

    A group of 1–4 caseworkers has its open cases hidden as well: with one caseworker the
    group's open cases are that person's caseload (issues 12.8, 13.1).
    """
    small_group = [smallnumbers.SMALL_MIN <= r["caseworkers"] <= smallnumbers.SMALL_MAX for r in rows]
    shown_totals = {}
    columns = {}
    for key in MASKED_COUNTS:
        hide = small_group if key == "open_cases" else None
        shown_totals[key], columns[key] = F.mask_counts(totals[key], [r[key] for r in rows], hide)
    masked_rows = [
        {**row, **{key: columns[key][i] for key in MASKED_COUNTS}, "mean": None, "median": None, "maximum": None}
        for i, row in enumerate(rows)
    ]
    masked_rows.append({"group": smallnumbers.TOTAL_LABEL, **shown_totals, "mean": None, "median": None,
                        "maximum": None})
    return masked_rows, shown_totals


def _bucket(snap, unit_id: str, tops: list[str]) -> str:
    """The unit a caseworker is shown under: the child of the chosen unit above their group."""
    chain = snap.ancestors(unit_id)
    for top in tops:
        if top in chain:
            below = chain[chain.index(top) + 1 :]
            return below[0] if below else top
    return unit_id


def _distribution_chart(snap, loads: pl.DataFrame, norm: float, tops: list[str]) -> Chart:
    """One box per unit directly below the chosen one (per group when a unit is chosen)."""
    buckets = {u: _bucket(snap, u, tops) for u in loads["unit_id"].unique().to_list()}
    loads = loads.with_columns(bucket=pl.col("unit_id").replace_strict(buckets, default=None))
    groups = []
    table = Table(
        id="fordelning",
        caption="Öppna ärenden per handläggare, fördelning per enhet under den valda",
        display_limit=CASEWORKER_ROWS,
        columns=[
            Column("bucket", "Enhet"), Column("group", "Grupp"), Column("name", "Handläggare"),
            Column("open_cases", "Öppna ärenden", "int"),
        ],
    )
    order = {b: i for i, b in enumerate(dict.fromkeys(sorted(buckets.values(), key=lambda u: snap.unit_names.get(u, u))))}
    # Sorted once and split in one pass: filtered per box, a country's 290 boxes read its 20,000
    # caseworkers 290 times (issue 19).
    loads = loads.with_columns(place=pl.col("bucket").replace_strict(order, return_dtype=pl.Int64))
    for (bucket,), rows in loads.sort("place", "open_cases", maintain_order=True).group_by("bucket", maintain_order=True):
        name = snap.unit_names.get(bucket, bucket)
        groups.append((name, rows["open_cases"].to_list()))
        for r in rows.iter_rows(named=True):
            table.add(
                {
                    "bucket": name, "group": snap.unit_names.get(r["unit_id"], r["unit_id"]),
                    "name": r["name"] or r["caseworker_id"], "open_cases": r["open_cases"],
                }
            )
    title = f"Öppna ärenden per handläggare (streckad linje: normen {norm:.0f})"
    return Chart("fordelning", title, charts.boxes(groups, "Öppna ärenden", reference=norm), table)


def _turnover_chart(rows: list[tuple[str, int, int]], masked: bool) -> Chart:
    """Starters and leavers per quarter; for the nämnd 1–4 as "<5" in the table and not drawn."""
    table = Table(
        id="personalrorlighet",
        caption="Nyanställda och avgångar per kvartal",
        columns=[Column("quarter", "Kvartal"), Column("started", "Började", "int"), Column("left", "Slutade", "int")],
        note=MASK_NOTE if masked else "",
    )
    started = [s for _, s, _ in rows]
    left = [e for _, _, e in rows]
    if masked:
        started, left = F.masked_series(started), F.masked_series(left)
    for i, (q, _, _) in enumerate(rows):
        table.add({"quarter": q, "started": started[i], "left": left[i]})
    figure = charts.bars(
        [q for q, _, _ in rows],
        [("Började", [v if isinstance(v, int) else None for v in started]),
         ("Slutade", [v if isinstance(v, int) else None for v in left])],
        "Antal handläggare",
    )
    return Chart("personalrorlighet", "Nyanställda och avgångar per kvartal", figure, table)


handlaggare, handlaggare_export = aggregate_page("handlaggare", build)
