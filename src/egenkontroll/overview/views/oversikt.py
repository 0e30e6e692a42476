"""Översikt: the key figures of one node of the organisation and of each node below it.

Why it exists: managers today add up figures by hand from caseworker to group to unit (seed
003: "ärenden aggregeras"). Here the city, a district, a unit, a group or one caseworker is
a column, every key figure of kpis.md a row, coloured against its target, and one click on a
column drills a level down (with a breadcrumb back up); one click on a number opens the list of
cases behind it (Underlag). The nämnd sees the same page with small numbers masked and no
links to case lists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
from django.http import Http404
from django.urls import reverse

from egenkontroll.access.scoping import person_level, record_cases, request_scope
from egenkontroll.cases.models import Caseworker
from egenkontroll.core import kpi_catalogue, kpis
from egenkontroll.overview.queries import rule_titles, visible_cases
from egenkontroll.pages import figures as F
from egenkontroll.pages import labels, pending, periods, snapshot
from egenkontroll.pages.frame import (
    PageData,
    aggregate_page,
    chosen_unit,
    export,
    render_page,
    unit_crumbs,
    visible_tops,
)
from egenkontroll.pages.periods import Period, query_string, query_tail
from egenkontroll.pages.tables import MASK_NOTE, SPACE, Column, Table, format_target

# An Underlag page shows this many rows; the download has them all.
UNDERLAG_ROWS = 500
# The long table of numerators and denominators (folded away, for spreadsheets) shows this many
# rows, the download all: at a country's root (290 kommuner) it was 7,500 rows, nine tenths of a
# 5.4 MB page (issue 19); a city's förvaltningar give about 360.
LONG_ROWS = 400


@dataclass(frozen=True)
class Node:
    kind: str  # unit | caseworker
    id: str
    name: str
    level: str


def chosen_node(request, snap: snapshot.Snapshot) -> Node | None:
    """The node in the query string (`enhet` or `handlaggare`), checked against the scope.

    Without one: the user's single top unit, or None when the scope has several tops.
    """
    scope = request_scope(request)
    caseworker_id = request.GET.get("handlaggare")
    if caseworker_id:
        if not scope.caseworkers(Caseworker.objects.filter(caseworker_id=caseworker_id)).exists():
            raise Http404("Handläggaren finns inte eller ligger utanför din behörighet.")
        name = snap.caseworker_names.get(caseworker_id) or caseworker_id
        return Node("caseworker", caseworker_id, name, kpis.CASEWORKER_LEVEL)
    unit_id = chosen_unit(request, snap)
    if unit_id is None:
        return None
    return Node("unit", unit_id, snap.unit_names.get(unit_id, unit_id), snap.unit_levels.get(unit_id) or "")


def node_params(node: Node) -> dict:
    return {"handlaggare": node.id} if node.kind == "caseworker" else {"enhet": node.id}


def child_nodes(request, snap, period: Period, node: Node | None) -> list[Node]:
    """The columns after the node: its units, or (for a unit without any) its caseworkers."""
    if node is None:
        return [
            Node("unit", u, snap.unit_names.get(u, u), snap.unit_levels.get(u) or "") for u in visible_tops(request, snap)
        ]
    if node.kind == "caseworker":
        return []
    units = (
        _rows(snap, period, snapshot.Rows("unit", parent_id=node.id))
        .select("node_id", "name", "level")
        .unique()
        .sort("name", "node_id", nulls_last=True)
    )
    if units.height:
        return [Node("unit", uid, name or uid, level or "") for uid, name, level in units.iter_rows()]
    candidates = F.caseworkers_of(_rows(snap, period, snapshot.Rows("caseworker", parent_id=node.id)), node.id)
    allowed = set(
        request_scope(request)
        .caseworkers(Caseworker.objects.filter(caseworker_id__in=[c for c, _ in candidates]))
        .values_list("caseworker_id", flat=True)
    )
    return [Node("caseworker", cid, name, kpis.CASEWORKER_LEVEL) for cid, name in candidates if cid in allowed]


def _rows(snap, period: Period, rows: snapshot.Rows) -> pl.DataFrame:
    """The period's figure rows that `rows` selects (`Snapshot.figure_rows`)."""
    return snap.figure_rows(period.start, period.end, period.as_of, rows)


def breadcrumb(request, snap, node: Node | None, period: Period) -> list[tuple[str, str]]:
    if node is None:
        return []
    base = reverse("overview:oversikt")
    unit = _home_unit(snap, node.id) if node.kind == "caseworker" else node.id
    crumbs = unit_crumbs(request, snap, unit, base, period.params()) if unit in snap.parents else []
    if node.kind == "caseworker":
        crumbs.append((node.name, base + query_string(handlaggare=node.id, **period.params())))
    return crumbs


def _home_unit(snap, caseworker_id: str) -> str | None:
    rows = snap.caseworkers.filter(pl.col("caseworker_id") == caseworker_id).sort("start_date", nulls_last=True)
    return rows["unit_id"][-1] if rows.height else None


def build(request) -> PageData:
    scope = request_scope(request)
    snap = snapshot.current()
    period = periods.parse(request.GET, periods.today())
    node = chosen_node(request, snap)
    children = child_nodes(request, snap, period, node)
    columns = ([node] if node else []) + children
    by_kind: dict[str, dict] = {}
    for kind in ("unit", "caseworker"):
        ids = [n.id for n in columns if n.kind == kind]
        by_kind[kind] = F.node_figures(_rows(snap, period, snapshot.Rows(kind, tuple(ids))), kind, ids) if ids else {}
    masked = scope.masked
    links = scope.person_level and not masked
    table = _figure_table(snap, period, node, children, by_kind, masked, links)
    long = _long_table(snap, columns, by_kind, masked)
    title = node.name if node else "Översikt"
    return PageData(
        template="overview/oversikt.html",
        title=f"Översikt – {title}",
        filename=f"oversikt-{node.id if node else 'alla'}-{period.start}-{period.end}",
        context={
            "period": period,
            "node": node,
            "level_label": F.LEVEL_LABEL.get(node.level, "") if node else "",
            "crumbs": breadcrumb(request, snap, node, period),
            "hidden": list(node_params(node).items()) if node else [],
            "presets": _presets(node, period),
            "masked": masked,
            "worklist_url": _worklist_url(scope, node),
        },
        tables=[table, long],
    )


def _presets(node: Node | None, period: Period) -> list[tuple[str, str]]:
    base = reverse("overview:oversikt")
    extra = node_params(node) if node else {}
    return [
        (label, base + query_string(**extra, fran=start.isoformat(), till=end.isoformat()))
        for label, start, end in periods.presets(periods.today())
    ]


def _worklist_url(scope, node: Node | None) -> str:
    if node is None or not scope.person_level or scope.masked:
        return ""
    return reverse("overview:arbetslista") + query_string(**node_params(node))


def _figure_table(snap, period, node, children, by_kind, masked, links) -> Table:
    """Rows: the key figures; columns: the node (its whole subtree) and each node below it."""
    columns = [Column("kpi", "Nyckeltal"), Column("target", "Mål", "id")]
    if node:
        columns.append(Column(f"n:{node.id}", f"{node.name} (totalt)", "value"))
    base = reverse("overview:oversikt")
    columns += [
        Column(f"n:{c.id}", c.name, "value", href=base + query_string(**node_params(c), **period.params()))
        for c in children
    ]
    table = Table(
        id="nyckeltal",
        caption=f"Nyckeltal {period.label}" + (f" – {node.name}" if node else ""),
        columns=columns,
        note=MASK_NOTE if masked else "",
    )
    all_nodes = ([node] if node else []) + children
    underlag_url = _underlag_urls(all_nodes, period)
    for kpi in snap.catalogue.values():
        figs = [by_kind[n.kind].get(n.id, {}).get(kpi.id) for n in all_nodes]
        values = _values(kpi, figs, has_total=node is not None and bool(children), masked=masked)
        row = {"kpi": kpi.title, "target": target_text(kpi)}
        cell_links, css, flags = {}, {}, {}
        for n, value in zip(all_nodes, values, strict=True):
            key = f"n:{n.id}"
            row[key] = value
            css[key] = F.status(kpi, value)
            flags[key] = TARGET_FLAGS.get(css[key], "")
            if links and isinstance(value, int | float):
                cell_links[key] = underlag_url(kpi, n)
        cell_links["kpi"] = reverse("overview:nyckeltal_detalj", kwargs={"kpi_id": kpi.id}) + query_string(
            **(node_params(node) if node and node.kind == "unit" else {}), **period.params()
        )
        targets = {key: judged_target(kpi) for key in css}
        table.add(row, links=cell_links, css=css, flags=flags, kind=F.KIND_OF_UNIT[kpi.unit], targets=targets)
    return table


TARGET_FLAGS = {"mal-ok": "når målet", "mal-miss": "når inte målet"}


def _values(kpi: kpi_catalogue.Kpi, figs: list, has_total: bool, masked: bool) -> list:
    """The shown values of one figure across the columns; masked: the node is the parts' total."""
    if not masked:
        return [F.shown_value(kpi, f) for f in figs]
    if has_total:
        total, parts = F.masked_values(kpi, figs[0], figs[1:])
        return [total, *parts]
    return [F.small_base(kpi, f) for f in figs]


def target_text(kpi: kpi_catalogue.Kpi) -> str:
    """"≥ 80 %", "≤ 20,0" … or '' for a figure without a target (volumes)."""
    if kpi.target is None or kpi.better == "neutral":
        return ""
    sign = "≥" if kpi.better == "higher" else "≤"
    return f"{sign}{SPACE}{format_target(kpi.target, F.KIND_OF_UNIT[kpi.unit])}"


def judged_target(kpi: kpi_catalogue.Kpi) -> float | None:
    """The target a value of this figure is judged against (None: no verdict, shown as usual)."""
    return None if kpi.better == "neutral" else kpi.target


def _underlag_urls(nodes: list[Node], period: Period) -> Callable[[kpi_catalogue.Kpi, Node], str]:
    """(kpi, node) → the Underlag URL of that cell, each node's and the period's part encoded once.

    Why: a country's root has 290 columns, 7,500 linked cells; encoded whole per cell they took
    most of the page's time (issue 19). The URL is the same as `query_string` gives for all
    parameters at once (nyckeltal, the node, the period, in that order)."""
    base = reverse("overview:underlag")
    tail = query_tail(**period.params())
    parts = {(n.kind, n.id): query_string(**node_params(n))[1:] for n in nodes}
    heads: dict[str, str] = {}

    def url(kpi: kpi_catalogue.Kpi, node: Node) -> str:
        head = heads.get(kpi.id) or heads.setdefault(kpi.id, base + query_string(nyckeltal=kpi.id))
        return f"{head}&{parts[node.kind, node.id]}{tail}"

    return url


def _long_table(snap, nodes: list[Node], by_kind, masked: bool) -> Table:
    """Every shown figure with its numerator and denominator: the long form for spreadsheets."""
    columns = [
        Column("name", "Enhet eller handläggare"),
        Column("level", "Nivå"),
        Column("node_id", "Id", "id"),
        Column("kpi", "Nyckeltal (id)", "id"),
        Column("title", "Nyckeltal"),
    ]
    if not masked:
        columns += [Column("numerator", "Täljare", "int"), Column("denominator", "Nämnare", "int")]
    columns += [Column("value", "Värde", "value"), Column("target", "Mål", "value")]
    table = Table(id="underlag", caption="Täljare och nämnare för varje nyckeltal", columns=columns, display_limit=LONG_ROWS)
    has_total = len(nodes) > 1 and nodes[0].kind == "unit" and nodes[1] is not None
    for kpi in snap.catalogue.values():
        figs = [by_kind[n.kind].get(n.id, {}).get(kpi.id) for n in nodes]
        values = _values(kpi, figs, has_total, masked) if masked else [f.value if f else None for f in figs]
        for n, fig, value in zip(nodes, figs, values, strict=True):
            row = {
                "name": n.name, "level": F.LEVEL_LABEL.get(n.level, n.level), "node_id": n.id, "kpi": kpi.id,
                "title": kpi.title, "value": value, "target": kpi.target,
            }
            if not masked:
                row |= {"numerator": fig.numerator if fig else None, "denominator": fig.denominator if fig else None}
            table.add(row, kind=F.KIND_OF_UNIT[kpi.unit], targets={"value": judged_target(kpi)})
    return table


oversikt, oversikt_export = aggregate_page("oversikt", build)


# ---------------------------------------------------------------- Underlag: the list behind a number


def build_underlag(request, limit: int | None = None) -> tuple[PageData, Listed]:
    """The items behind a number; the page builds only the first `limit` rows, a download all."""
    snap = snapshot.current()
    period = periods.parse(request.GET, periods.today())
    kpi = snap.catalogue.get(request.GET.get("nyckeltal", ""))
    if kpi is None:
        raise Http404("Okänt nyckeltal.")
    part = "den" if request.GET.get("del") == "namnare" and F.listable_denominator(kpi) else "num"
    node = chosen_node(request, snap)
    if node is None:
        raise Http404("Välj en enhet eller handläggare.")
    found = F.items(snap, kpi, part, period, node.kind, node.id)
    scope = request_scope(request)
    if scope.sees_every_case:  # a country's millions of items were listed, sorted and looked up (issue 19)
        visible_case = pl.col("case_id").is_not_null()
    else:
        visible_case = pl.col("case_id").is_in(sorted(visible_cases(scope, found["case_id"].drop_nulls().to_list())))
    shown = found.filter(visible_case | _visible_staff(snap, scope))
    # a post is one row however many it stands for (kpis._from_posts): count what the rows stand for
    total, shown_count = int(found["weight"].sum()), int(shown["weight"].sum())
    hidden = total - shown_count
    listed = shown if limit is None else shown.head(limit)
    table = _items_table(snap, kpi, listed, period, part)
    other = "namnare" if part == "num" else "taljare"
    base = reverse("overview:underlag")
    context = {
        "kpi": kpi,
        "node": node,
        "period": period,
        "part": part,
        "total": total,
        "hidden_count": hidden,
        "shown_rows": min(UNDERLAG_ROWS, shown.height),
        "visible": shown_count,
        "truncated": shown.height > UNDERLAG_ROWS,
        "other_url": base + query_string(nyckeltal=kpi.id, **{"del": other}, **node_params(node), **period.params())
        if F.listable_denominator(kpi)
        else "",
        "back_url": reverse("overview:oversikt") + query_string(**node_params(node), **period.params()),
        "crumbs": breadcrumb(request, snap, node, period),
    }
    data = PageData(
        template="overview/underlag.html",
        title=f"Underlag – {kpi.title}",
        filename=f"underlag-{kpi.id}-{node.id}",
        context=context,
        tables=[table],
    )
    return data, Listed(
        listed["case_id"].drop_nulls().unique(maintain_order=True).to_list(),
        listed.filter(pl.col("case_id").is_null())["caseworker_id"].drop_nulls().unique(maintain_order=True).to_list(),
    )


@dataclass(frozen=True)
class Listed:
    """Whose data an Underlag shows: the cases, and the caseworkers of its staffing rows (issue 16)."""

    case_ids: list[str]
    caseworker_ids: list[str]

    def record(self, request) -> None:
        """Into the access log: the cases as cases, the caseworkers named in the row's detail."""
        record_cases(request, self.case_ids)
        if self.caseworker_ids:
            request.egk_detail = "handläggare: " + ", ".join(self.caseworker_ids)


def _visible_staff(snap, scope) -> pl.Expr:
    """Staffing rows (no case) the user may see at person level (review finding 3 of issue 16).

    A caseworker's row is person-level data like a case: shown by the person-level rule of
    `Scope` (the caseworker's unit in the user's person-level units, or the caseworker the user).
    A post (no caseworker) is a unit's count and is shown with the unit's figure.
    """
    return pl.col("case_id").is_null() & (pl.col("caseworker_id").is_null() | scope.person_expr(snap.subtree_ids))


# What a staffing item is (kpis.Sources._from_staff / _from_posts), issue 16.
STAFF_ITEMS = {
    "personal_employed": "Handläggare i tjänst",
    "personal_cohort": "Anställd i gruppen ett år före avstämningsdagen",
    "personal_left": "Slutat eller bytt grupp",
    "tjanst": "Tjänst",
    "vakant_tjanst": "Vakant tjänst",
}
EMPLOYMENT_LABEL = {"tillsvidare": "Tillsvidare", "visstid": "Visstid", "konsult": "Konsult"}


def _items_table(snap, kpi: kpi_catalogue.Kpi, items: pl.DataFrame, period: Period, part: str = "num") -> Table:
    rules = rule_titles()
    selection = kpi.denominator if part == "den" and kpi.denominator is not None else kpi.numerator
    source = selection.source
    if source == "staff":
        return _staff_table(snap, kpi, items, selection)
    date_header = {"events": "Datum", "obligations": "Utlöst", "placement_days": "Började"}.get(source, "Per")
    columns = [
        Column("case_id", "Ärende", "id"),
        Column("date", date_header, "date"),
        Column("what", "Vad"),
    ]
    if source == "events":
        columns.append(Column("detail", "Utfall"))
    if source == "obligations":
        columns += [
            Column("due_date", "Frist", "date"),
            Column("fulfilled_date", "Uppfylld", "date"),
            Column("status", "Status"),
        ]
        if kpi.kind == "median_days":
            columns.append(Column("days", "Dagar", "int"))
    if source == "placement_days":
        columns += [Column("detail", "Regi"), Column("days", "Dygn", "int"), Column("kronor", "Kronor", "int")]
    if source == "posts":
        columns.append(Column("weight", "Antal", "int"))
    columns += [Column("unit", "Enhet"), Column("caseworker", "Handläggare")]
    table = Table(
        id="arenden", caption=f"{kpi.title}: ärendena bakom talet", columns=columns, display_limit=UNDERLAG_ROWS
    )
    for i, row in enumerate(items.iter_rows(named=True)):
        what = rules.get(row["what"]) or STAFF_ITEMS.get(row["what"]) or (
            labels.intervention(row["what"]) if source == "placement_days" else labels.event(row["what"])
        )
        table.add(
            {
                "case_id": row["case_id"],
                "date": row["date"],
                "what": what,
                "detail": F.CATEGORY_LABEL["regi"].get(row["detail"] or "okand")
                if source == "placement_days" else labels.outcome(row["detail"]),
                "due_date": row["due_date"],
                "fulfilled_date": row["fulfilled_date"],
                "status": labels.status(row["status"]),
                "days": row["days"],
                "kronor": row["kronor"],
                "weight": row["weight"],
                "unit": snap.unit_names.get(row["unit_id"], row["unit_id"]),
                "caseworker": snap.caseworker_names.get(row["caseworker_id"], row["caseworker_id"]),
            },
            links={"case_id": reverse("overview:arende", kwargs={"case_id": row["case_id"]})}
            if i < UNDERLAG_ROWS and row["case_id"] is not None else None,
        )
    return table


def _staff_table(snap, kpi: kpis.Kpi, items: pl.DataFrame, selection: kpis.Selection) -> Table:
    """The caseworkers behind a staffing figure: who, in which group, since or until when, how engaged."""
    date_header = "Slutade" if selection.staff == "left" else "Började"
    columns = [
        Column("caseworker", "Handläggare"), Column("unit", "Enhet"), Column("date", date_header, "date"),
        Column("what", "Vad"), Column("employment", "Anställningsform"),
    ]
    table = Table(id="arenden", caption=f"{kpi.title}: handläggarna bakom talet", columns=columns,
                  display_limit=UNDERLAG_ROWS)
    for row in items.iter_rows(named=True):
        table.add({
            "caseworker": snap.caseworker_names.get(row["caseworker_id"], row["caseworker_id"]),
            "unit": snap.unit_names.get(row["unit_id"], row["unit_id"]),
            "date": row["date"],
            "what": STAFF_ITEMS.get(row["what"], row["what"]),
            "employment": EMPLOYMENT_LABEL.get(row["detail"] or "", row["detail"] or ""),
        })
    return table


@person_level(page="underlag")
def underlag(request):
    def show(built: tuple[PageData, Listed]):
        data, listed = built
        listed.record(request)
        return render_page(request, data, "oversikt", "underlag_export")

    # by_helper=False: the items are kept in this process's memory (kpis.Sources), not on disk
    return pending.page(request, lambda r: build_underlag(r, limit=UNDERLAG_ROWS), "oversikt", show, by_helper=False)


@person_level(page="underlag", action="export")
def underlag_export(request, table: str, fmt: str):
    data, listed = build_underlag(request)
    listed.record(request)
    return export(data, table, fmt, request)
