"""Datakvalitet: the obligations marked as registreringsfel or ej tillämplig, per unit.

Why it exists: a mark says the case system's data is wrong or incomplete; it should be fixed
at the source, not lived with. This list shows each unit's marks — who marked what, why and
when, and which marks a later import has made lapse — with a CSV/XLSX download for the people
who correct the case system. Person-level and logged like the work list; the reason is staff
free text and is never shown on a page the nämnd sees.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.timezone import localtime

from egenkontroll.access.scoping import request_scope
from egenkontroll.cases.models import ObligationMark, OrgUnit
from egenkontroll.core import marks as core_marks
from egenkontroll.overview.queries import rule_titles, subtree_q
from egenkontroll.pages import periods
from egenkontroll.pages.frame import ROLE_LABELS, PageData, person_level_page
from egenkontroll.pages.tables import Column, Table

SHOW = {"aktiva": "Gällande markeringar", "alla": "Alla, även upphävda"}
PAGE_ROWS = 1000
EXPORT_ROWS = 100_000


def build(request, for_export: bool = False) -> tuple[PageData, list[str]]:
    scope = request_scope(request)
    unit_id = request.GET.get("enhet") or None
    show = request.GET.get("visa") if request.GET.get("visa") in SHOW else "aktiva"
    marks = scope.obligations(ObligationMark.objects.all())
    if unit_id:
        marks = marks.filter(subtree_q(unit_id))
    counts = {
        "aktiva": marks.filter(active=True).count(),
        "upphavda": marks.filter(active=False).count(),
    }
    if show == "aktiva":
        marks = marks.filter(active=True)
    rows = list(marks.order_by("-marked_at", "case_id")[: EXPORT_ROWS if for_export else PAGE_ROWS])
    units = list(scope.org_units(OrgUnit.objects.all()).order_by("depth", "name").values_list("unit_id", "name"))
    names = _names(rows)
    data = PageData(
        template="overview/datakvalitet.html",
        title="Datakvalitet",
        filename=f"datakvalitet-{periods.today().isoformat()}",
        context={"units": units, "unit_id": unit_id, "show": show, "shows": list(SHOW.items()), "counts": counts,
                 "shown": len(rows)},
        tables=[_table(rows, names)],
    )
    return data, list(dict.fromkeys(m.case_id for m in rows))


def _names(rows: list[ObligationMark]) -> dict[str, str]:
    """unit and caseworker id → name for the rows (two small queries)."""
    from egenkontroll.cases.models import Caseworker

    units = {m.unit_id for m in rows if m.unit_id}
    workers = {m.caseworker_id for m in rows if m.caseworker_id}
    names = dict(OrgUnit.objects.filter(unit_id__in=sorted(units)).values_list("unit_id", "name"))
    names |= {f"cw:{k}": v for k, v in Caseworker.objects.filter(caseworker_id__in=sorted(workers))
              .values_list("caseworker_id", "name")}
    return names


def _table(rows: list[ObligationMark], names: dict[str, str]) -> Table:
    titles = rule_titles()
    table = Table(
        id="markeringar",
        caption="Markerade skyldigheter",
        columns=[
            Column("case_id", "Ärende", "id"),
            Column("rule", "Skyldighet"),
            Column("due_date", "Frist", "date"),
            Column("kind", "Markering"),
            Column("reason", "Motivering"),
            Column("marked_by", "Markerad av"),
            Column("marked_at", "Markerad"),
            Column("status", "Status"),
            Column("unit", "Enhet"),
            Column("caseworker", "Handläggare"),
        ],
    )
    for m in rows:
        status = "Gäller" if m.active else f"Upphävd {localtime(m.lapsed_at):%Y-%m-%d}: {m.lapse_reason}"
        table.add(
            {
                "case_id": m.case_id,
                "rule": titles.get(m.rule, m.rule),
                "due_date": m.due_date,
                "kind": core_marks.KINDS.get(m.kind, m.kind),
                "reason": m.reason,
                "marked_by": f"{m.marked_by} ({ROLE_LABELS.get(m.marked_role, m.marked_role)})",
                "marked_at": f"{localtime(m.marked_at):%Y-%m-%d %H:%M}",
                "status": status,
                "unit": names.get(m.unit_id or "", m.unit_id or ""),
                "caseworker": names.get(f"cw:{m.caseworker_id}", m.caseworker_id or ""),
            },
            links={"case_id": reverse("overview:arende", kwargs={"case_id": m.case_id})},
            css={"status": "" if m.active else "status-sen"},
        )
    return table



datakvalitet, datakvalitet_export = person_level_page("datakvalitet", build)
