"""Avvikelser: the register with filters, counts, the summary and downloads; and a new report (POST).

Why it exists: a deviation reported is only the start — the unit's managers must see what is
open, which investigations have passed the local time limits, and follow each to closure; the
nämnd follows the volume by month and förvaltning. Person-level roles see the deviations they
may read (logged, since free text may hold what masking cannot catch); the nämnd sees counts of
one year only, masked for small numbers, and no other filter (two differently filtered masked
tables could be subtracted from each other).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse

from egenkontroll.access.scoping import aggregate, log_access, request_scope, subtree
from egenkontroll.cases.models import OrgUnit
from egenkontroll.deviations import tables
from egenkontroll.deviations.forms import NO_PERSONAL_DATA, FilterForm, NewDeviationForm
from egenkontroll.deviations.models import Deviation
from egenkontroll.deviations.views.common import (
    PAGE,
    download_links,
    render_deviation_page,
    rights,
    rules,
    unit_names,
)
from egenkontroll.deviations.workflow import WorkflowError, create_deviation
from egenkontroll.pages import downloads, periods
from egenkontroll.pages.periods import query_string
from egenkontroll.pages.tables import Table


@dataclass
class Listing:
    filters: FilterForm
    year: int
    tables: dict[str, Table]
    shown: list[Deviation]


def _years(deviations) -> list[int]:
    years = set(deviations.values_list("year", flat=True).distinct())
    return sorted(years | {periods.today().year}, reverse=True)


def _filters(request, deviations, units) -> FilterForm:
    form = FilterForm(request.GET, rules=rules(), years=_years(deviations), units=units)
    form.is_valid()
    if "enhet" in form.errors:
        raise Http404("Enheten finns inte eller ligger utanför din behörighet.")
    return form


def _in_unit(qs, unit_id: str | None):
    return qs.filter(unit_id__in=subtree(frozenset({unit_id}))) if unit_id else qs


def _forvaltning_of(unit_ids) -> dict[str, str | None]:
    return dict(OrgUnit.objects.filter(unit_id__in=sorted(set(unit_ids))).values_list("unit_id", "forvaltning_id"))


def _counts(deviations: list[Deviation], masked: bool, scope_units: list[str]) -> dict[str, Table]:
    forvaltning_of = _forvaltning_of([*scope_units, *(d.unit_id for d in deviations)])
    names = unit_names(f for f in forvaltning_of.values() if f)
    return tables.count_tables(rules(), deviations, forvaltning_of, names, masked)


def counts_listing(request) -> Listing:
    """The nämnd: the year's counts in its figure scope, masked; nothing else."""
    scope = request_scope(request)
    units = OrgUnit.objects.filter(scope.units_q())
    deviations = Deviation.objects.filter(unit_id__in=units.values("unit_id"))
    filters = FilterForm(request.GET, rules=rules(), years=_years(deviations), units=[], year_only=True)
    filters.is_valid()
    year = filters.cleaned_data.get("ar") or periods.today().year
    chosen = list(deviations.filter(year=year))
    scope_units = list(units.exclude(forvaltning_id__isnull=True).values_list("unit_id", flat=True))
    return Listing(filters, year, _counts(chosen, masked=True, scope_units=scope_units), [])


def person_listing(request) -> Listing:
    r = rights(request)
    visible = r.visible(Deviation.objects.all())
    filters = _filters(request, visible, r.filter_units())
    data = filters.cleaned_data
    year = data.get("ar") or periods.today().year
    in_unit = _in_unit(visible, data.get("enhet"))
    names = unit_names(in_unit.values_list("unit_id", flat=True).distinct())
    today = periods.today()
    all_rows = tables.rows_of(rules(), list(in_unit), names, today)
    of_year = in_unit.filter(year=year)
    if data.get("kategori"):
        of_year = of_year.filter(category=data["kategori"])
    before_status = list(of_year)
    shown_ids = {d.pk for d in before_status if not data.get("status") or d.status == data["status"]}
    shown_rows = [row for row in all_rows if row.deviation.pk in shown_ids]
    found = {
        "avvikelser": tables.list_table(rules(), shown_rows, lambda d: reverse("deviations:detalj", args=[d.pk])),
        "status": tables.status_table(rules(), before_status),
        "sammanfattning": tables.summary_table(rules(), all_rows, year),
        **_counts(before_status, masked=False, scope_units=[]),
    }
    return Listing(filters, year, found, [row.deviation for row in shown_rows])


def listing(request) -> Listing:
    if rights(request).person_level:
        return person_listing(request)
    return counts_listing(request)


def new_form(request, data=None) -> NewDeviationForm | None:
    r = rights(request)
    if not r.may_report:
        return None
    return NewDeviationForm(data, rules=rules(), units=r.report_units(), today=periods.today())


def _render_list(request, form: NewDeviationForm | None, status: int = 200):
    found = listing(request)
    query = request.GET.urlencode()
    for table_id, table in found.tables.items():
        table.downloads = download_links(
            lambda fmt, t=table_id: reverse("deviations:export", kwargs={"table": t, "fmt": fmt})
            + (f"?{query}" if query else "")
        )
    if found.shown:
        log_access(request, action="list", page=PAGE, detail="avvikelser: " + ", ".join(d.number for d in found.shown))
    r = rights(request)
    return render_deviation_page(
        request,
        "deviations/lista.html",
        "Avvikelser och lex Sarah",
        {
            "person_level": r.person_level,
            "filters": found.filters,
            "year": found.year,
            "tables": found.tables,
            "form": form,
            "no_personal_data": NO_PERSONAL_DATA,
            "rules": rules(),
            "this_year": query_string(ar=found.year),
        },
        status=status,
    )


@aggregate(page=PAGE)
def lista(request):
    return _render_list(request, new_form(request))


@aggregate(page=PAGE)
def ny(request):
    """Store a new report (POST): person-level roles that may report, for a unit in their reach."""
    if not rights(request).may_report:
        raise PermissionDenied
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = new_form(request, request.POST)
    if not form.is_valid():
        return _render_list(request, form, status=400)
    data = form.cleaned_data
    try:
        deviation = create_deviation(
            rules(), request.user, category=data["category"], title=data["title"], description=data["description"],
            unit_id=data["unit"], reported_on=data["reported_on"], occurred_on=data["occurred_on"],
            severity=data["severity"],
        )
    except WorkflowError as exc:
        messages.error(request, str(exc))
        return redirect("deviations:lista")
    messages.success(request, f"Avvikelsen är registrerad som nr {deviation.number}.")
    return redirect("deviations:detalj", deviation_id=deviation.pk)


@aggregate(page=PAGE)
def export(request, table: str, fmt: str):
    """A table of the list page as CSV or XLSX, exactly as the page shows it to this user."""
    found = listing(request)
    if table not in found.tables:
        raise Http404("Det finns ingen sådan tabell.")
    if table == "avvikelser" and found.shown:
        log_access(request, action="export", page=PAGE,
                   detail="avvikelser: " + ", ".join(d.number for d in found.shown))
    return downloads.response(found.tables[table], fmt, f"avvikelser-{found.year}-{table}", request)

