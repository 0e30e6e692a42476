"""The read-only API v1 (docs/api.md): units, the key-figure catalogue, figures per unit and
period exactly as Översikt shows them, and the work list's counts and rows.

Figures come from the Översikt page's own builder, so an API value is the page's value, masked
the same way for the nämnd. Work-list rows are person-level: only roles that may see them get
them, and every case id returned is in the access log.
"""

from __future__ import annotations

from django.db.models import Count, F
from django.http import QueryDict

from egenkontroll.access.scoping import request_scope
from egenkontroll.api import problems
from egenkontroll.api.endpoint import endpoint, page_of, paging
from egenkontroll.api.openapi import document
from egenkontroll.cases.models import Obligation, OrgUnit
from egenkontroll.overview.queries import URGENCIES, rule_titles, subtree_q, urgency
from egenkontroll.overview.views import oversikt
from egenkontroll.pages import periods, snapshot

PERIOD = ("enhet", "fran", "till", "per")
PAGED = ("limit", "offset")


@endpoint("public", "index")
def index(request):
    base = request.build_absolute_uri("/api/v1/")
    return {"namn": "Egenkontroll API", "version": "1", "dokumentation": base + "openapi.json", "resurser": {
        name: base + name for name in ("enheter", "nyckeltal", "nyckeltal/varden", "arbetslista/antal", "arbetslista")
    }}, []


@endpoint("public", "openapi")
def openapi(request):
    return document(request.build_absolute_uri("/api/v1")), []


def _unit(request) -> str | None:
    unit_id = request.GET.get("enhet") or None
    if unit_id is not None and not request_scope(request).can_see_unit(unit_id):
        raise problems.Problem(404, "Enheten finns inte eller ligger utanför nyckelns behörighet.")
    return unit_id


@endpoint("aggregate", "enheter", PAGED)
def units(request):
    limit, offset = paging(request)
    scope = request_scope(request)
    rows = list(scope.org_units(OrgUnit.objects.order_by("depth", "unit_id")).values(
        "unit_id", "name", "level", "parent_id"))
    return page_of(request, rows, limit, offset), []


@endpoint("aggregate", "nyckeltal")
def catalogue(request):
    snap = snapshot.current()
    rows = [{
        "id": k.id, "titel": k.title, "slag": k.kind, "enhet": k.unit, "mal": k.target, "battre": k.better,
        "beskrivning": k.description,
    } for k in snap.catalogue.values()]
    return {"data": rows}, []


@endpoint("aggregate", "nyckeltal_varden", (*PERIOD, *PAGED))
def figure_values(request):
    """The long table of Översikt for the same unit and period: one row per node and figure."""
    limit, offset = paging(request)
    _unit(request)
    period = periods.parse(request.GET, periods.today())
    if period.errors:
        raise problems.Problem(400, " ".join(period.errors))
    page_query = QueryDict(mutable=True)
    page_query.update({k: v for k, v in request.GET.items() if k in PERIOD})
    original, request.GET = request.GET, page_query
    try:
        data = oversikt.build(request)
    finally:
        request.GET = original
    long = data.table("underlag")
    masked = request_scope(request).masked
    rows = []
    for row in long.rows:
        value = row["value"]
        item = {"enhet_id": row["node_id"], "enhet": row["name"], "niva": row["level"], "nyckeltal": row["kpi"],
                "fran": period.start, "till": period.end, "per": period.as_of, "mal": row["target"]}
        if isinstance(value, str):  # masked on the page ("<5", "x"): no number leaves the app
            item |= {"varde": None, "maskerat": value}
        else:
            item |= {"varde": value, "maskerat": None}
        if not masked:
            item |= {"taljare": row.get("numerator"), "namnare": row.get("denominator")}
        rows.append(item)
    return page_of(request, rows, limit, offset), []


def _open_obligations(request):
    scope = request_scope(request)
    unit_id = _unit(request)
    qs = scope.obligations(Obligation.objects.filter(status="open"))
    return qs.filter(subtree_q(unit_id)) if unit_id else qs


@endpoint("person_level", "arbetslista_antal", ("enhet",))
def worklist_counts(request):
    """Open obligations by rule and urgency (försenad, snart förfallen, kommande) on today."""
    today = periods.today()
    counts = (_open_obligations(request).annotate(bradska=urgency(today))
              .values("rule", "bradska").annotate(antal=Count("id")).order_by("rule", "bradska"))
    titles = rule_titles()
    rows = [{"regel": c["rule"], "titel": titles.get(c["rule"], c["rule"]), "bradska": c["bradska"],
             "bradska_text": URGENCIES[c["bradska"]], "antal": c["antal"]} for c in counts]
    return {"data": rows, "per": today}, []


@endpoint("person_level", "arbetslista", ("enhet", *PAGED))
def worklist(request):
    """The open obligations themselves, soonest due first (person-level; every case id is logged)."""
    limit, offset = paging(request)
    today = periods.today()
    qs = _open_obligations(request).annotate(bradska=urgency(today)).order_by("due_date", "case_id", "rule")
    rows = [dict(r, dagar_kvar=(r["frist"] - today).days) for r in qs[offset:offset + limit].values(
        "case_id", "rule", "trigger_date", "bradska", frist=F("due_date"), enhet_id=F("unit_id"),
        handlaggare_id=F("caseworker_id"))]
    return page_of(request, rows, limit, offset, total=qs.count()), [r["case_id"] for r in rows]
