"""Granskning: the list of audits, and starting a new one (drawing its sample).

Why it exists: an inspector or controller plans a kvalitetsgranskning by choosing a template,
a period and the districts; the cases are drawn from the imported events by `core.audits`
(stratified by district, reproducible from the stored seed) instead of by hand, and the
audit's progress and open findings are visible to everyone who follows up quality.
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect

from egenkontroll.access.scoping import aggregate, subtree
from egenkontroll.audits import tables
from egenkontroll.audits.creation import create_audit
from egenkontroll.audits.forms import NewAuditForm
from egenkontroll.audits.models import LEVEL_LABELS, Audit
from egenkontroll.audits.views.common import render_audit_page, rights, unit_names
from egenkontroll.cases.models import OrgUnit
from egenkontroll.core.audits import DISTRICT_LEVELS, eligible_cases, load_templates
from egenkontroll.pages import periods, snapshot


def district_choices(request) -> dict[str, list[tuple[str, str]]]:
    """level -> [(unit_id, name)] of the units at that level the user may audit."""
    reach = rights(request).audit_reach
    if reach is not None and not reach:
        return {}
    units = OrgUnit.objects.filter(level__in=DISTRICT_LEVELS, unit_id__in=subtree(reach)).order_by("name", "unit_id")
    out: dict[str, list[tuple[str, str]]] = {level: [] for level in DISTRICT_LEVELS}
    for unit_id, name, level in units.values_list("unit_id", "name", "level"):
        out[level].append((unit_id, name))
    return out


def new_form(request, data=None) -> NewAuditForm:
    return NewAuditForm(data, templates=load_templates(), districts=district_choices(request), today=periods.today())


def progress_text(request, audit: Audit) -> str:
    """"klara av urval" as the audit page's progress table shows it in its "Alla distrikt" row.

    The same rule and the same table as the audit page (exact only for a figure scope covering
    every district; otherwise masked with secondary suppression), so the list cannot show a
    number that the page hides.
    """
    exact = rights(request).exact_counts(audit.district_ids)
    table = tables.progress_table(tables.progress(audit), exact, {})
    if not table.rows:
        return "0 av 0"
    total = table.rows[-1]
    return f"{total['klara']} av {total['urval']}"


def audit_rows(request) -> list[dict]:
    audits = Audit.objects.annotate(
        open_findings=Count("findings", filter=Q(findings__status="oppen"), distinct=True),
    )
    audits = list(audits)
    names = unit_names(d for a in audits for d in a.district_ids)
    return [
        {
            "audit": a,
            "template": a.template_snapshot["title"],
            "level": LEVEL_LABELS.get(a.level, a.level),
            "districts": ", ".join(names.get(d, d) for d in a.district_ids),
            "progress": progress_text(request, a),
            "open_findings": a.open_findings,
        }
        for a in audits
    ]


def _render_list(request, form: NewAuditForm | None, status: int = 200):
    return render_audit_page(
        request,
        "audits/lista.html",
        "Kvalitetsgranskning",
        {"audits": audit_rows(request), "form": form},
        status=status,
    )


@aggregate(page="granskning")
def lista(request):
    form = new_form(request) if rights(request).is_auditor else None
    return _render_list(request, form)


@aggregate(page="granskning")
def ny(request):
    """Draw the sample and store the audit with its cases in one transaction (auditors, POST only)."""
    if not rights(request).is_auditor:
        raise PermissionDenied
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = new_form(request, request.POST)
    if not form.is_valid():
        return _render_list(request, form, status=400)
    data = form.cleaned_data
    template = load_templates()[data["template"]]
    seed = data["seed"] if data["seed"] is not None else secrets.randbelow(10**9)
    snap = snapshot.current()
    # Every eligible case: the form allows only districts in the user's reach, and a case belongs
    # to the district of its unit at the end of the period, so the sample is the one an
    # inspektor draws with the same seed (docs/audits.md, "How the sample is drawn").
    eligible = eligible_cases(snap.events, template.population, data["period_from"], data["period_to"])
    audit = create_audit(
        template, eligible, snap.org_units, period_from=data["period_from"], period_to=data["period_to"],
        level=data["level"], per_district=data["per_district"], seed=seed, district_ids=list(data["districts"]),
        user=request.user,
    )
    if audit is None:
        messages.error(
            request,
            "Inga ärenden i de valda distrikten uppfyller mallens urvalsgrund under perioden "
            f"({template.population_title.lower()}). Ingen granskning skapades.",
        )
        return redirect("audits:lista")
    messages.success(request, f"Granskningen skapades med {audit.cases.count()} ärenden.")
    return redirect("audits:detalj", audit_id=audit.pk)

