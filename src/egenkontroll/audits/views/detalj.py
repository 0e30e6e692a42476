"""One audit: its purpose, progress per district, results by quality area and question, findings, the sample.

Why it exists: the results go to the committee and back to the districts as a basis for
improvement; the same page is the reviewer's list of cases to go through. The results are
aggregated figures for every role with figures (masked where `rights.exact_counts` says so);
the sample list — the only case ids on the page — is shown to person-level roles, limited to
the cases they may open, and logged as a list in the access log.
"""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse

from egenkontroll.access.scoping import aggregate, log_access, request_scope, subtree
from egenkontroll.audits import followup, tables
from egenkontroll.audits.forms import FindingForm
from egenkontroll.audits.frozen_template import template_from_json
from egenkontroll.audits.models import FINDING_STATUSES, LEVEL_LABELS, Audit, AuditCase
from egenkontroll.audits.views.common import (
    audit_or_404,
    download_links,
    render_audit_page,
    rights,
    template_of,
    unit_names,
)
from egenkontroll.audits.views.status import may_close_audit
from egenkontroll.cases.models import Case, OrgUnit
from egenkontroll.core.audits import Template
from egenkontroll.pages import downloads
from egenkontroll.pages.tables import Column, Table

EXPORTS = ("resultat", "fynd")


def _names(audit: Audit, extra=()) -> dict[str, str]:
    return unit_names([*audit.district_ids, *extra])


def export_tables(res: tables.Results, template: Template, findings: list, names: dict[str, str],
                  free_text: bool = True) -> dict[str, Table]:
    """The two downloadable tables, as this user sees them (the page shows the same).

    `free_text` is False for the nämnd: a finding's text and action are written by staff and may
    name a child or a colleague, which no masking can catch (issue 12.9).
    """
    return {"resultat": tables.results_table(res, template, names),
            "fynd": tables.findings_table(findings, names, free_text=free_text)}


def _sample_table(request, audit: Audit) -> Table | None:
    """Position, case id, district and review status of the sampled cases this user may open."""
    scope = request_scope(request)
    if not scope.person_level:
        return None
    visible = scope.cases(Case.objects.filter(case_id__in=AuditCase.objects.filter(audit=audit).values("case_id")))
    cases = list(AuditCase.objects.filter(audit=audit, case_id__in=visible.values("case_id")))
    names = _names(audit)
    table = Table(
        id="urval",
        caption="Urval: ärenden att granska, i granskningsordning",
        columns=[
            Column("district", "Distrikt"), Column("position", "Nr", "int"), Column("case_id", "Ärende", "id"),
            Column("status", "Granskning"), Column("reviewed_at", "Senast sparad", "date"),
        ],
        note=" Visar de ärenden i urvalet som du har behörighet till.",
    )
    for case in cases:
        status = "Klar" if case.complete else ("Påbörjad" if case.reviewed_at else "Ej påbörjad")
        table.add(
            {
                "district": names.get(case.district_id, case.district_id),
                "position": case.position,
                "case_id": case.case_id,
                "status": status,
                "reviewed_at": case.reviewed_at.date() if case.reviewed_at else None,
            },
            links={"case_id": reverse("audits:protokoll", kwargs={"audit_id": audit.pk, "case_id": case.case_id})},
        )
    if cases:
        log_access(request, action="list", case_ids=[c.case_id for c in cases], page="granskning")
    return table


def finding_form(request, audit: Audit, template: Template, data=None) -> FindingForm | None:
    """The form to add a finding, for an auditor reaching at least one district of the audit.

    A finding for the whole audit (no district) speaks for every district, so only an auditor
    who may close the audit — who reaches every district — may write one.
    """
    r = rights(request)
    districts = [d for d in audit.district_ids if r.audits_unit(d)]
    if not districts:
        return None
    names = _names(audit)
    units = OrgUnit.objects.filter(unit_id__in=subtree(r.audit_reach)).exclude(level="stad").order_by("name")
    return FindingForm(
        data,
        areas=template.areas(),
        districts=[(d, names.get(d, d)) for d in districts],
        units=list(units.values_list("unit_id", "name")),
        whole_audit=may_close_audit(request, audit),
        questions=[(q.id, q.short) for q in template.questions if q.kind == "fraga"],
    )


def _comparison(audit: Audit, template: Template, res: tables.Results, r) -> Table | None:
    """This audit against the previous one of the same template, question by question (masked like the results)."""
    earlier = followup.previous_audit(audit)
    if earlier is None:
        return None
    earlier_template = template_from_json(earlier.template_snapshot)
    earlier_res = tables.compute(earlier, earlier_template, r.exact_counts(earlier.district_ids) and res.exact)
    return followup.comparison_table(res, earlier_res, template, earlier)


@aggregate(page="granskning")
def detalj(request, audit_id: int):
    audit = audit_or_404(audit_id)
    template = template_of(audit)
    r = rights(request)
    exact = r.exact_counts(audit.district_ids)
    findings = list(audit.findings.all())
    names = _names(audit, [f.responsible_unit_id for f in findings])
    res = tables.compute(audit, template, exact)
    free_text = not request_scope(request).masked
    exports = export_tables(res, template, findings, names, free_text)
    for table_id, table in exports.items():
        table.downloads = download_links(
            lambda fmt, t=table_id: reverse("audits:export", kwargs={"audit_id": audit.pk, "table": t, "fmt": fmt})
        )
    context = {
        "audit": audit,
        "template": template,
        "level": LEVEL_LABELS.get(audit.level, audit.level),
        "districts": ", ".join(names.get(d, d) for d in audit.district_ids),
        "exact": exact,
        "progress": tables.progress_table(tables.progress(audit), exact, names),
        "areas": tables.area_table(res, template, names),
        "questions": tables.question_table(res, template),
        "genders": tables.gender_table(res, template),
        "results": exports["resultat"],
        "findings_table": exports["fynd"],
        "free_text": free_text,
        "findings": [
            {"finding": f, "status": FINDING_STATUSES.get(f.status, f.status), "may_close": r.may_close(f),
             "district": names.get(f.district_id, f.district_id) if f.district_id else "Hela granskningen",
             "unit": names.get(f.responsible_unit_id, f.responsible_unit_id) if f.responsible_unit_id else "–"}
            for f in findings
        ],
        "finding_form": finding_form(request, audit, template),
        "sample": _sample_table(request, audit),
        "may_close_audit": may_close_audit(request, audit),
        "may_import": audit.closed_at is None and any(r.audits_unit(d) for d in audit.district_ids)
        and request_scope(request).person_level,
        "agreement": followup.agreement_table(audit, template) if exact else None,
        "comparison": _comparison(audit, template, res, r),
    }
    return render_audit_page(request, "audits/detalj.html", audit.title, context)


@aggregate(page="granskning")
def export(request, audit_id: int, table: str, fmt: str):
    """The results or the findings as CSV or XLSX, exactly as the page shows them to this user."""
    audit = audit_or_404(audit_id)
    if table not in EXPORTS:
        raise Http404("Det finns ingen sådan tabell.")
    template = template_of(audit)
    findings = list(audit.findings.all())
    res = tables.compute(audit, template, rights(request).exact_counts(audit.district_ids))
    names = _names(audit, [f.responsible_unit_id for f in findings])
    data = export_tables(res, template, findings, names, not request_scope(request).masked)[table]
    return downloads.response(data, fmt, f"granskning-{audit.pk}-{table}", request)
