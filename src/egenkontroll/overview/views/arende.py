"""Ärende: one case — its open obligations first, then its events, then what is done, and marks.

Why it exists: behind every number and every line of a work list is a child's case; a
manager following up a late investigation needs to see first what is still owed, then what
happened when, and which deadlines were met. The page shows the child's age and gender (never
the personnummer, which is not stored) and is logged in the access log as a view of that case.
An open obligation the user is responsible for can be marked as registreringsfel or ej
tillämplig from here (views/markera.py); every mark's history is shown, with who marked it.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.timezone import localtime

from egenkontroll.access.scoping import person_level, scoped_case_or_404
from egenkontroll.core import marks as core_marks
from egenkontroll.overview.marking import marking_right
from egenkontroll.overview.queries import age_on, case_marks, case_timeline, reference_shown, rule_titles
from egenkontroll.overview.views.arbetslista import mark_url
from egenkontroll.pages import labels, periods
from egenkontroll.pages.frame import ROLE_LABELS, PageData, export, render_page
from egenkontroll.pages.tables import Column, Table

STATUS_CSS = {"overdue": "status-forsenad", "fulfilled_late": "status-sen", "fulfilled_on_time": "status-ok"}
OPEN = ("pending", "overdue")


def build(request, case_id: str, for_export: bool = False) -> PageData:
    case = scoped_case_or_404(request, case_id)
    today = periods.today()
    person, events, obligations = case_timeline(case, today)
    history = case_marks(case.case_id)
    active = {
        (h.mark.rule, h.mark.trigger_event_id, h.mark.trigger_date, h.mark.due_date): h.mark
        for h in history if h.mark.active
    }
    for o in obligations:
        o["mark"] = active.get((o["rule"], o["trigger_event_id"], o["trigger_date"], o["due_date"]))
    open_rows = [o for o in obligations if o["current_status"] in OPEN]
    right = None if for_export else marking_right(request)
    back = reverse("overview:arende", kwargs={"case_id": case.case_id})
    tables = [
        _obligations_table("frister", "Öppna skyldigheter", open_rows, today, right, case.case_id, back),
        _events_table(events),
        _obligations_table(
            "avslutade", "Uppfyllda och bortfallna skyldigheter",
            [o for o in obligations if o["current_status"] not in OPEN], today,
        ),
    ]
    if history:
        tables.append(_marks_table(history))
    return PageData(
        template="overview/arende.html",
        title=f"Ärende {case.case_id}",
        filename=f"arende-{case.case_id}",
        context={
            "case": case,
            "age": age_on(person, today),
            "gender": labels.GENDERS.get(person.gender, "Okänt") if person and person.gender else "Okänt",
            "unaccompanied": bool(person and person.unaccompanied),
            "open_count": sum(1 for o in open_rows if o["mark"] is None),
            "overdue_count": sum(1 for o in open_rows if o["current_status"] == "overdue" and o["mark"] is None),
            "marked_count": sum(1 for o in open_rows if o["mark"] is not None),
            "today": today,
            "worklist_url": reverse("overview:arbetslista") + (f"?handlaggare={case.caseworker_id}" if case.caseworker_id else ""),
        },
        tables=tables,
    )


def _events_table(events: list[dict]) -> Table:
    table = Table(
        id="handelser",
        caption="Händelser i tidsordning",
        columns=[
            Column("date", "Datum", "date"),
            Column("event", "Händelse"),
            Column("detail", "Typ, utfall eller insats"),
            Column("until", "Förlängd till", "date"),
            Column("unit", "Enhet"),
            Column("caseworker", "Handläggare"),
        ],
    )
    for e in events:
        detail = [
            labels.report_kind(e.get("kind") or "anmalan") if e["event_type"] == "anmalan" else "",
            labels.source(e.get("source")) if e["event_type"] == "anmalan" else "",
            labels.outcome(e["outcome"]), labels.intervention(e["intervention"]), labels.legal_basis(e["legal_basis"]),
        ]
        table.add(
            {
                "date": e["date"],
                "event": labels.event(e["event_type"]),
                "detail": ", ".join(d for d in detail if d),
                "until": e["until"],
                "unit": e["unit_name"] or e["unit_id"],
                "caseworker": e["caseworker_name"] or e["caseworker_id"] or "",
            }
        )
    return table


def _obligations_table(
    table_id: str, caption: str, obligations: list[dict], today, right=None, case_id: str = "", back: str = ""
) -> Table:
    titles = rule_titles()
    columns = [
        Column("rule", "Skyldighet"),
        Column("trigger_date", "Från", "date"),
        Column("due_date", "Frist", "date"),
        Column("fulfilled_date", "Uppfylld", "date"),
        Column("status", "Status"),
        Column("days_late", "Dagar sen", "int"),
        Column("extended", "Förlängd"),
        Column("caseworker", "Handläggare"),
        Column("reference", "Lagrum"),
    ]
    can_mark = right is not None and right.any
    if can_mark:
        columns.append(Column("mark", "Åtgärd"))
    table = Table(id=table_id, caption=caption, columns=columns, page_only=("mark",) if can_mark else ())
    reach = right.unit_ids() if can_mark else set()
    for o in obligations:
        status = o["current_status"]
        mark = o.get("mark")
        late = o["days_late"] if status != "overdue" else (today - o["due_date"]).days
        values = {
            "rule": titles.get(o["rule"], o["rule"]),
            "trigger_date": o["trigger_date"],
            "due_date": o["due_date"],
            "fulfilled_date": o["fulfilled_date"],
            "status": f"Markerad: {core_marks.KINDS[mark.kind].lower()}" if mark else labels.status(status),
            "days_late": None if mark else late,
            "extended": "ja" if o["extended"] else "",
            "caseworker": o["caseworker_name"] or "",
            "reference": reference_shown(o["rule"], o["trigger_date"]),
        }
        links = {}
        if can_mark:
            allowed = mark is None and right.role_for(o["unit_id"], o["caseworker_id"], reach) is not None
            values["mark"] = "Markera…" if allowed else ""
            if allowed:
                links["mark"] = mark_url({"case_id": case_id, **o}, back)
        table.add(values, links=links, css={"status": "" if mark else STATUS_CSS.get(status, "")})
    return table


def _marks_table(history) -> Table:
    """Every step of the case's marks: who marked what and why, and when an import made one lapse."""
    titles = rule_titles()
    table = Table(
        id="markeringar",
        caption="Markeringar och deras historik",
        columns=[
            Column("rule", "Skyldighet"),
            Column("due_date", "Frist", "date"),
            Column("action", "Händelse"),
            Column("kind", "Markering"),
            Column("reason", "Motivering eller orsak"),
            Column("by", "Av"),
            Column("at", "När"),
        ],
    )
    for h in history:
        by = f"{h.username} ({ROLE_LABELS.get(h.role, h.role)})" if h.username else "import"
        table.add(
            {
                "rule": titles.get(h.mark.rule, h.mark.rule),
                "due_date": h.due_date,
                "action": "Markerad" if h.action == "markerad" else "Upphävd",
                "kind": core_marks.KINDS.get(h.kind, h.kind),
                "reason": h.reason,
                "by": by,
                "at": f"{localtime(h.at):%Y-%m-%d %H:%M}",
            }
        )
    return table


@person_level(page="arende")
def arende(request, case_id: str):
    data = build(request, case_id)
    return render_page(request, data, "arbetslista", "arende_export", {"case_id": case_id})


@person_level(page="arende", action="export")
def arende_export(request, case_id: str, table: str, fmt: str):
    return export(build(request, case_id, for_export=True), table, fmt, request)
