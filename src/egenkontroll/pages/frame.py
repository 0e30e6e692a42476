"""What every page shares: navigation, the render-or-download step, charts with table alternatives.

Why it exists: each page builds its tables and charts once (`PageData`); the same object is
rendered as HTML or written as the download the user asked for, so a download is always the
table on the page. Navigation is built from the user's scope, so nobody is offered a page
they may not open.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString

from egenkontroll.access.scoping import aggregate, person_level, record_cases, request_scope
from egenkontroll.pages import downloads, pending, svg
from egenkontroll.pages.periods import query_string
from egenkontroll.pages.tables import Table
from egenkontroll.web.menu import menu

ROLE_LABELS = {
    "handlaggare": "handläggare",
    "arbetsledare": "arbetsledare",
    "enhetschef": "enhetschef",
    "verksamhetscontroller": "verksamhetscontroller",
    "avdelningschef": "avdelningschef",
    "inspektor": "socialtjänstinspektör",
    "namnd": "nämnd",
    "admin": "administratör",
}
DOWNLOAD_LABELS = (("csv", "CSV"), ("xlsx", "Excel (XLSX)"))


@dataclass
class Chart:
    """A figure (data + layout in Plotly's JSON schema, drawn as SVG by `svg.py`) and the table with
    the same numbers."""

    id: str
    title: str
    figure: dict
    table: Table

    @property
    def svg(self) -> SafeString:
        return svg.draw(self.figure, self.title)


@dataclass
class PageData:
    template: str
    title: str
    filename: str
    context: dict = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)

    def table(self, table_id: str) -> Table:
        for t in [*self.tables, *(c.table for c in self.charts)]:
            if t.id == table_id:
                return t
        raise Http404("Det finns ingen sådan tabell på sidan.")


def visible_tops(request, snap) -> list[str]:
    """The highest units of the user's figure scope (the whole tree's root for city-wide roles)."""
    scope = request_scope(request)
    if scope.unit_ids is None:
        return snap.roots()
    known = [u for u in sorted(scope.unit_ids) if u in snap.parents]
    return [u for u in known if not any(a in scope.unit_ids for a in snap.ancestors(u)[:-1])]


def chosen_unit(request, snap) -> str | None:
    """The unit in `?enhet=` (checked against the scope), else the user's single top unit."""
    unit_id = request.GET.get("enhet")
    if not unit_id:
        tops = visible_tops(request, snap)
        return tops[0] if len(tops) == 1 else None
    if unit_id not in snap.parents or not request_scope(request).can_see_unit(unit_id):
        raise Http404("Enheten finns inte eller ligger utanför din behörighet.")
    return unit_id


def unit_crumbs(request, snap, unit_id: str | None, base: str, params: dict) -> list[tuple[str, str]]:
    """(name, url) from the user's top unit down to `unit_id`, each linking to the same page."""
    if unit_id is None:
        return []
    tops = set(visible_tops(request, snap))
    chain = snap.ancestors(unit_id)
    start = next((i for i, u in enumerate(chain) if u in tops), len(chain) - 1)
    return [(snap.unit_names.get(u, u), base + query_string(enhet=u, **params)) for u in chain[start:]]


def nav(request, current: str) -> list[dict]:
    """The main menu (web/menu.py: derived from the views' own rights)."""
    return menu(request, current)


def render_page(request, data: PageData, current: str, export_name: str, export_kwargs: dict | None = None):
    """Render the page; every table and chart table gets its CSV/XLSX links (same query string).

    `export_name` is the download view's URL name in the page's own app (its URL namespace).
    """
    query = request.GET.urlencode()
    namespace = request.resolver_match.namespace
    for table in [*data.tables, *(c.table for c in data.charts)]:
        table.downloads = [
            (
                label,
                reverse(f"{namespace}:{export_name}", kwargs={**(export_kwargs or {}), "table": table.id, "fmt": fmt})
                + (f"?{query}" if query else ""),
            )
            for fmt, label in DOWNLOAD_LABELS
        ]
    scope = request_scope(request)
    context = {
        **data.context,
        "page_title": data.title,
        "nav": nav(request, current),
        "role_labels": ", ".join(ROLE_LABELS.get(r, r) for r in sorted(scope.roles)),
        "tables": data.tables,
        "charts": data.charts,
    }
    return render(request, data.template, context)


def export(data: PageData, table_id: str, fmt: str, request=None):
    table = data.table(table_id)
    return downloads.response(table, fmt, f"{data.filename}-{table.id}", request)


def aggregate_page(page: str, build):
    """An aggregated page and its downloads, both from one `build(request) -> PageData`."""

    @aggregate(page=page)
    def view(request):
        return pending.page(request, build, page, lambda data: render_page(request, data, page, f"{page}_export"))

    @aggregate(page=page)
    def download(request, table: str, fmt: str):
        return export(build(request), table, fmt, request)

    return view, download


def person_level_page(page: str, build):
    """A person-level page and its downloads from one `build(request, for_export) -> (PageData, case ids)`;
    both log the cases shown, and the download honours the chosen CSV dialect like every other."""

    @person_level(page=page)
    def view(request):
        data, case_ids = build(request)
        record_cases(request, case_ids)
        return render_page(request, data, page, f"{page}_export")

    @person_level(page=page, action="export")
    def download(request, table: str, fmt: str):
        data, case_ids = build(request, for_export=True)
        record_cases(request, case_ids)
        return export(data, table, fmt, request)

    return view, download


def render_app_page(request, template: str, title: str, context: dict, current: str, status: int = 200):
    """A page rendered from its own context (audits, reports, deviations, planning) in the same frame and menu."""
    scope = request_scope(request)
    return render(
        request,
        template,
        {
            **context,
            "page_title": title,
            "nav": nav(request, current),
            "role_labels": ", ".join(ROLE_LABELS.get(r, r) for r in sorted(scope.roles)),
        },
        status=status,
    )


CONFIRMED = "bekraftat"


def confirmed(request) -> bool:
    """The user answered the confirmation page (`confirmation`) with yes."""
    return request.POST.get(CONFIRMED) == "ja"


def confirmation(request, *, title: str, question: str, frozen: list[str], confirm_label: str,
                 cancel_url: str, current: str, hidden: list[tuple[str, str]] = ()):
    """The page that asks before an act that freezes something: it says what, and repeats the POST.
    An empty `confirm_label` offers no confirmation (the act would be refused), only the way back."""
    return render_app_page(request, "pages/bekrafta.html", title, {
        "question": question, "frozen": frozen, "confirm_label": confirm_label, "cancel_url": cancel_url,
        "action": request.path, "hidden": list(hidden),
    }, current)


def unit_names(unit_ids) -> dict[str, str]:
    """unit_id → name of the given units (one query)."""
    from egenkontroll.cases.models import OrgUnit

    ids = sorted({u for u in unit_ids if u})
    return dict(OrgUnit.objects.filter(unit_id__in=ids).values_list("unit_id", "name"))


def download_links(url_for, formats=DOWNLOAD_LABELS) -> list[tuple[str, str]]:
    """(label, url) per download format; `url_for(fmt)` gives the URL."""
    return [(label, url_for(fmt)) for fmt, label in formats]
