"""Ärende: one case's timeline — its events, and each obligation with its due date and status.

Why it exists: behind every number and every line of a work list is a child's case; a
manager following up a late investigation needs to see what happened when, and which
deadlines were met. The page shows the child's age and gender (never the personnummer, which
is not stored) and is logged in the access log as a view of that case.
"""

from __future__ import annotations

from django.urls import reverse

from egenkontroll.access.scoping import person_level, scoped_case_or_404
from egenkontroll.overview import labels, periods
from egenkontroll.overview.queries import age_on, case_timeline, reference_shown, rule_titles
from egenkontroll.overview.tables import Column, Table
from egenkontroll.overview.views.common import PageData, export, render_page

STATUS_CSS = {"overdue": "status-forsenad", "fulfilled_late": "status-sen", "fulfilled_on_time": "status-ok"}


def build(request, case_id: str) -> PageData:
    case = scoped_case_or_404(request, case_id)
    today = periods.today()
    person, events, obligations = case_timeline(case, today)
    return PageData(
        template="overview/arende.html",
        title=f"Ärende {case.case_id}",
        filename=f"arende-{case.case_id}",
        context={
            "case": case,
            "age": age_on(person, today),
            "gender": labels.GENDERS.get(person.gender, "Okänt") if person and person.gender else "Okänt",
            "unaccompanied": bool(person and person.unaccompanied),
            "open_count": sum(1 for o in obligations if o["current_status"] in ("pending", "overdue")),
            "overdue_count": sum(1 for o in obligations if o["current_status"] == "overdue"),
            "today": today,
            "worklist_url": reverse("overview:arbetslista") + (f"?handlaggare={case.caseworker_id}" if case.caseworker_id else ""),
        },
        tables=[_events_table(events), _obligations_table(obligations, today)],
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


def _obligations_table(obligations: list[dict], today) -> Table:
    titles = rule_titles()
    table = Table(
        id="frister",
        caption="Skyldigheter och frister",
        columns=[
            Column("rule", "Skyldighet"),
            Column("trigger_date", "Från", "date"),
            Column("due_date", "Frist", "date"),
            Column("fulfilled_date", "Uppfylld", "date"),
            Column("status", "Status"),
            Column("days_late", "Dagar sen", "int"),
            Column("extended", "Förlängd"),
            Column("caseworker", "Handläggare"),
            Column("reference", "Lagrum"),
        ],
    )
    for o in obligations:
        status = o["current_status"]
        late = o["days_late"] if status != "overdue" else (today - o["due_date"]).days
        table.add(
            {
                "rule": titles.get(o["rule"], o["rule"]),
                "trigger_date": o["trigger_date"],
                "due_date": o["due_date"],
                "fulfilled_date": o["fulfilled_date"],
                "status": labels.status(status),
                "days_late": late,
                "extended": "ja" if o["extended"] else "",
                "caseworker": o["caseworker_name"] or "",
                "reference": reference_shown(o["rule"], o["trigger_date"]),
            },
            css={"status": STATUS_CSS.get(status, "")},
        )
    return table


@person_level(page="arende")
def arende(request, case_id: str):
    data = build(request, case_id)
    return render_page(request, data, "arbetslista", "arende_export", {"case_id": case_id})


@person_level(page="arende", action="export")
def arende_export(request, case_id: str, table: str, fmt: str):
    return export(build(request, case_id), table, fmt, request)
