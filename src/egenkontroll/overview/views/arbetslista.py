"""Arbetslista: the open deadlines of a caseworker, group or unit — what needs action now.

Why it exists: a deadline that breaks is found today by a lex Sarah report or an IVO
inspection, long after the child waited. The work list shows the open obligations (from the
materialised obligations table, an index scan) with how many days are left; "snart förfallen"
follows each rule's `warning_days` in the rule catalogue. By default it shows what can still be
saved first (soon due, then recently overdue) and only the obligations overdue within a chosen
horizon (`forfallna`, default 90 days); the older tail is counted and one click away. Marked
obligations (registreringsfel, ej tillämplig) leave the list and are counted beside it. It is a
caseworker's landing page: without a filter a caseworker sees their own cases.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse

from egenkontroll.access.scoping import request_scope
from egenkontroll.cases.models import Caseworker, Obligation, OrgUnit
from egenkontroll.overview.marking import marking_right
from egenkontroll.overview.queries import (
    DEFAULT_HORIZON,
    DEFAULT_SORT,
    HORIZONS,
    SORTS,
    URGENCIES,
    WorkListFilter,
    rule_titles,
    subtree_q,
    work_list,
)
from egenkontroll.pages import periods
from egenkontroll.pages.frame import PageData, person_level_page
from egenkontroll.pages.periods import query_string
from egenkontroll.pages.tables import Column, Table

PAGE_ROWS = 100
CHOICES = 400  # caseworkers offered in the filter
EXPORT_ROWS = 100_000
SORT_LABELS = {
    "atgard": "Det som går att rädda först",
    "frist": "Frist, tidigast först",
    "-frist": "Frist, senast först",
    "regel": "Regel",
    "arende": "Ärende",
    "handlaggare": "Handläggare",
    "enhet": "Enhet",
}
HORIZON_LABELS = {
    "30": "Senaste 30 dagarna",
    "90": "Senaste 90 dagarna",
    "365": "Senaste året",
    "alla": "Alla förfallna",
}
KEPT = ("enhet", "handlaggare", "regel", "sortera", "avslutade", "forfallna")
URGENCY_CSS = {"forsenad": "status-forsenad", "snart": "status-snart", "kommande": ""}


def read_filter(request) -> WorkListFilter:
    """The filters in the query string; a caseworker without filters gets their own cases."""
    scope = request_scope(request)
    get = request.GET
    unit_id = get.get("enhet") or None
    caseworker_id = get.get("handlaggare") or None
    if unit_id is None and caseworker_id is None and scope.caseworker_id:
        caseworker_id = scope.caseworker_id
    titles = rule_titles()
    return WorkListFilter(
        unit_id=unit_id,
        caseworker_id=caseworker_id,
        rules=tuple(r for r in get.getlist("regel") if r in titles),
        urgencies=tuple(u for u in get.getlist("status") if u in URGENCIES),
        sort=get.get("sortera") if get.get("sortera") in SORTS else DEFAULT_SORT,
        include_closed=get.get("avslutade") == "ja",
        horizon=get.get("forfallna") if get.get("forfallna") in HORIZONS else DEFAULT_HORIZON,
    )


def build(request, for_export: bool = False) -> tuple[PageData, list[str]]:
    scope = request_scope(request)
    today = periods.today()
    f = read_filter(request)
    rows, counts = work_list(scope.obligations(Obligation.objects.all()), today, f, keep_counts=scope.sees_every_case)
    if for_export:
        page_rows, page = list(rows[:EXPORT_ROWS]), None
    else:
        total = sum(counts[key] for key in URGENCIES if not f.urgencies or key in f.urgencies)
        page = PageInfo.of(request.GET.get("sida"), total)
        page_rows = list(rows[page.start : page.start + PAGE_ROWS])
    right = None if for_export else marking_right(request)
    table = _table(page_rows, today, right, request.get_full_path())
    units = list(scope.org_units(OrgUnit.objects.all()).order_by("depth", "name").values_list("unit_id", "name", "level"))
    caseworkers = _caseworker_choices(scope, f, today)
    links = _urgency_links(request)
    context = {
        "f": f,
        "today": today,
        "counts": [(key, label, counts[key], links[key]) for key, label in URGENCIES.items()],
        "older": counts["aldre"],
        "older_url": links["aldre"],
        "horizon_days": HORIZONS[f.horizon],
        "marked": counts["markerade"],
        "marked_url": reverse("overview:datakvalitet") + (query_string(enhet=f.unit_id) if f.unit_id else ""),
        "horizons": list(HORIZON_LABELS.items()),
        "rules": list(rule_titles().items()),
        "units": units,
        "caseworkers": caseworkers,
        "sorts": list(SORT_LABELS.items()),
        "page": page,
        "pages": _page_links(request, page) if page else {},
        "subject": _subject(f, dict((u, n) for u, n, _ in units), dict(caseworkers)),
    }
    data = PageData(
        template="overview/arbetslista.html",
        title="Arbetslista",
        filename=f"arbetslista-{today.isoformat()}",
        context=context,
        tables=[table],
    )
    return data, list(dict.fromkeys(r["case_id"] for r in page_rows))


def _caseworker_choices(scope, f: WorkListFilter, today) -> list[tuple[str, str]]:
    """Active caseworkers the user may choose, within the chosen unit; a whole city's staff is
    too long a list to offer, so past CHOICES the user is asked to choose a unit first."""
    qs = scope.caseworkers(Caseworker.objects.all()).filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
    if f.unit_id:
        qs = qs.filter(subtree_q(f.unit_id))
    choices = list(qs.order_by("name").values_list("caseworker_id", "name")[: CHOICES + 1])
    if f.caseworker_id and f.caseworker_id not in dict(choices):
        choices.append((f.caseworker_id, f.caseworker_id))
    return choices if len(choices) <= CHOICES else []


def _subject(f: WorkListFilter, units: dict, caseworkers: dict) -> str:
    if f.caseworker_id:
        return caseworkers.get(f.caseworker_id, f.caseworker_id)
    if f.unit_id:
        return units.get(f.unit_id, f.unit_id)
    return "alla ärenden du har behörighet till"


def _table(rows: list[dict], today, right=None, here: str = "") -> Table:
    """The open obligations; on the page (not in downloads) a link to mark those the user may."""
    titles = rule_titles()
    columns = [
        Column("case_id", "Ärende", "id"),
        Column("rule", "Skyldighet"),
        Column("trigger_date", "Från", "date"),
        Column("due_date", "Frist", "date"),
        Column("days_left", "Dagar kvar", "int"),
        Column("urgency", "Läge"),
        Column("extended", "Förlängd"),
        Column("unit", "Enhet"),
        Column("caseworker", "Handläggare"),
    ]
    can_mark = right is not None and right.any
    if can_mark:
        columns.append(Column("mark", "Åtgärd"))
    table = Table(id="frister", caption="Öppna frister", columns=columns, page_only=("mark",) if can_mark else ())
    reach = right.unit_ids() if can_mark else set()
    for row in rows:
        links = {"case_id": reverse("overview:arende", kwargs={"case_id": row["case_id"]})}
        values = {
            "case_id": row["case_id"],
            "rule": titles.get(row["rule"], row["rule"]),
            "trigger_date": row["trigger_date"],
            "due_date": row["due_date"],
            "days_left": (row["due_date"] - today).days,
            "urgency": URGENCIES.get(row["urgency"], row["urgency"]),
            "extended": "ja" if row["extended"] else "",
            "unit": row["unit_name"] or row["unit_id"],
            "caseworker": row["caseworker_name"] or row["caseworker_id"] or "",
        }
        if can_mark:
            allowed = right.role_for(row["unit_id"], row["caseworker_id"], reach) is not None
            values["mark"] = "Markera…" if allowed else ""
            if allowed:
                links["mark"] = mark_url(row, here)
        table.add(
            values,
            links=links,
            css={"urgency": URGENCY_CSS.get(row["urgency"], ""), "days_left": URGENCY_CSS.get(row["urgency"], "")},
        )
    return table


def mark_url(row: dict, back: str) -> str:
    """The confirmation page for marking one obligation, returning to `back` afterwards."""
    url = reverse(
        "overview:markera",
        kwargs={"case_id": row["case_id"], "rule": row["rule"], "trigger_event_id": row["trigger_event_id"]},
    )
    return url + query_string(tillbaka=back) if back else url


def _urgency_links(request) -> dict[str, str]:
    """Each urgency count links to the list filtered on it (other filters kept); `aldre` to every
    overdue obligation, the tail beyond the horizon included, oldest first."""
    base = reverse("overview:arbetslista")
    keep = {k: request.GET.getlist(k) for k in KEPT}
    links = {key: base + query_string(**keep, status=key) for key in URGENCIES}
    links["aldre"] = base + query_string(**{**keep, "forfallna": "alla", "sortera": "frist", "status": "forsenad"})
    return links


@dataclass(frozen=True)
class PageInfo:
    """One page of the list; the row count comes from the urgency counts (no extra COUNT query)."""

    number: int
    num_pages: int
    count: int

    @classmethod
    def of(cls, requested: str | None, count: int) -> PageInfo:
        pages = max(1, math.ceil(count / PAGE_ROWS))
        number = int(requested) if requested and requested.isdigit() else 1
        return cls(min(max(number, 1), pages), pages, count)

    @property
    def start(self) -> int:
        return (self.number - 1) * PAGE_ROWS


def _page_links(request, page: PageInfo) -> dict[str, str]:
    params = request.GET.copy()
    out = {}
    if page.number > 1:
        params["sida"] = page.number - 1
        out["previous"] = "?" + params.urlencode()
    if page.number < page.num_pages:
        params["sida"] = page.number + 1
        out["next"] = "?" + params.urlencode()
    return out


arbetslista, arbetslista_export = person_level_page("arbetslista", build)
