"""Fynd: a finding of the audit with its action, responsible unit and due date, and its follow-up.

Why it exists: an audit is worth what is done about it. Auditors record what was found and
who is to act by when; the responsible unit's chef (or the auditor) marks it åtgärdad, and can
open it again. Both are POST-only forms on the audit page; free text is masked for anything
looking like a personnummer before it is stored.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone

from egenkontroll.access.scoping import aggregate
from egenkontroll.audits.models import FINDING_STATUSES, AuditFinding
from egenkontroll.audits.views.common import audit_or_404, rights, template_of
from egenkontroll.audits.views.detalj import finding_form
from egenkontroll.core.identity import mask


def _back(audit_id: int):
    response = redirect("audits:detalj", audit_id=audit_id)
    response["Location"] += "#fynd"
    return response


@aggregate(page="granskning")
def fynd(request, audit_id: int):
    """Add a finding: auditors whose reach holds at least one district of the audit."""
    audit = audit_or_404(audit_id)
    form = finding_form(request, audit, template_of(audit), request.POST if request.method == "POST" else None)
    if form is None:
        raise PermissionDenied
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not form.is_valid():
        errors = "; ".join(f"{form.fields[k].label}: {' '.join(v)}" for k, v in form.errors.items() if k in form.fields)
        messages.error(request, f"Fyndet sparades inte. {errors}")
        return _back(audit.pk)
    data = form.cleaned_data
    AuditFinding.objects.create(
        audit=audit, area=data["area"], district_id=data["district"] or None, text=mask(data["text"].strip()),
        action=mask(data["action"].strip()) or "", responsible_unit_id=data["responsible_unit"] or None,
        owner_role=data.get("owner_role") or "", question_id=data.get("question") or "",
        due_date=data["due_date"], created_by=request.user,
    )
    messages.success(request, "Fyndet sparades.")
    return _back(audit.pk)


@aggregate(page="granskning")
def fynd_status(request, audit_id: int, finding_id: int):
    """Mark a finding åtgärdad, or open it again: auditors in reach, chefs of the responsible unit."""
    audit = audit_or_404(audit_id)
    finding = get_object_or_404(AuditFinding, pk=finding_id, audit=audit)
    if not rights(request).may_close(finding):
        raise PermissionDenied
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    status = request.POST.get("status")
    if status not in FINDING_STATUSES:
        messages.error(request, "Okänd status.")
        return _back(audit.pk)
    closed = status == "atgardad"
    AuditFinding.objects.filter(pk=finding.pk).update(
        status=status,
        closed_at=timezone.now() if closed else None,
        closed_by=request.user if closed else None,
    )
    messages.success(request, f"Fyndet är markerat som {FINDING_STATUSES[status].lower()}.")
    return _back(audit.pk)
