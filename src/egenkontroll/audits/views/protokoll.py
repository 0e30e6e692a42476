"""Protokoll: the review of one sampled case — each question answered ja, nej or ej aktuellt.

Why it exists: the reviewer reads the case file and answers the template's questions, grouped
by quality area, with the legal basis and guidance beside each. It is a person-level page: the
case must be in the audit's sample and in the user's scope (otherwise 404, logged as denied,
exactly like the case page), every view and save is logged, and the case id travels only in
the path. Auditors whose reach holds the case's district may save; other person-level roles
in scope read the protocol. Comments must hold no personal data; anything that looks like a
personnummer is masked (`core.identity.mask`) before it is stored.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from egenkontroll.access.scoping import person_level, scoped_case_or_404
from egenkontroll.audits.followup import prefilled
from egenkontroll.audits.forms import NO_PERSONAL_DATA, ProtocolForm, answer_field, comment_field
from egenkontroll.audits.models import Audit, AuditAnswer, AuditCase
from egenkontroll.audits.views.common import audit_or_404, render_audit_page, rights, template_of, unit_names
from egenkontroll.core.audits import ANSWERS, PREFILLS, Template
from egenkontroll.core.identity import mask


def _initial(audit_case: AuditCase, template: Template) -> dict:
    initial = {answer_field(q.id): "" for q in template.questions}
    for a in audit_case.answers.all():
        initial[answer_field(a.question_id)] = a.answer
        initial[comment_field(a.question_id)] = a.comment
    return initial


def _save(request, audit_case: AuditCase, form: ProtocolForm) -> bool:
    """Answers replace the earlier ones; an empty answer removes it; comments are masked.

    False (nothing saved) when the audit was closed after the page checked it: the audit row
    is locked and its status read again inside the transaction, so a close that commits
    first wins, and a close that comes later waits for this save.
    """
    answers = form.answers()
    with transaction.atomic():
        closed_at = Audit.objects.select_for_update().filter(pk=audit_case.audit_id).values_list(
            "closed_at", flat=True
        ).get()
        if closed_at is not None:
            return False
        for question_id, (answer, comment) in answers.items():
            if answer:
                AuditAnswer.objects.update_or_create(
                    audit_case=audit_case, question_id=question_id,
                    defaults={"answer": answer, "comment": mask(comment.strip()) or ""},
                )
            else:
                AuditAnswer.objects.filter(audit_case=audit_case, question_id=question_id).delete()
        audit_case.reviewed_by = request.user
        audit_case.reviewed_at = timezone.now()
        audit_case.complete = form.template.is_complete({q: answer for q, (answer, _) in answers.items()})
        audit_case.save(update_fields=["reviewed_by", "reviewed_at", "complete"])
    return True


def _extras(audit: Audit, audit_case: AuditCase, template: Template) -> dict[str, dict]:
    """Per question: the SoL provisions in force on the audited day, the condition, the events' own answer."""
    day = audit_case.qualifying_date or audit.period_to
    system = dict(prefilled(audit, template, [audit_case.case_id]).select("question_id", "answer").iter_rows())
    questions = {q.id: q for q in template.questions}
    extras = {}
    for q in template.questions:
        condition = None
        if q.when:
            asked = " eller ".join(ANSWERS[a].lower() for a in q.when.answers)
            condition = f"Besvaras när frågan \"{questions[q.when.question].short}\" är {asked}; annars ej aktuellt."
        extras[q.id] = {
            "lagrum": [r.text() for r in q.references_on(day)],
            "condition": condition,
            "system": ANSWERS.get(system.get(q.id)) if q.id in system else None,
            "system_source": PREFILLS.get(q.prefill) if q.prefill else None,
        }
    return extras


def _check_comments(form: ProtocolForm) -> None:
    for q in form.template.questions:
        if form.cleaned_data.get(comment_field(q.id), "").strip() and not form.cleaned_data.get(answer_field(q.id)):
            form.add_error(answer_field(q.id), "Välj ett svar för att spara kommentaren.")


@person_level(page="granskning-protokoll")
def protokoll(request, audit_id: int, case_id: str):
    audit: Audit = audit_or_404(audit_id)
    audit_case = AuditCase.objects.filter(audit=audit, case_id=case_id).select_related("reviewed_by").first()
    if audit_case is None:
        raise Http404("Ärendet ingår inte i granskningens urval.")
    scoped_case_or_404(request, case_id)
    template = template_of(audit)
    editable = rights(request).may_review(audit_case) and audit.closed_at is None
    form, status = None, 200
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        form = ProtocolForm(request.POST, template=template)
        if form.is_valid():
            _check_comments(form)
        if form.is_valid():
            if _save(request, audit_case, form):
                messages.success(request, "Protokollet sparades.")
                return redirect("audits:protokoll", audit_id=audit.pk, case_id=case_id)
            messages.error(request, "Granskningen avslutades innan protokollet sparades. Ingenting ändrades.")
            editable, status = False, 409
    if form is None or status == 409:
        form = ProtocolForm(initial=_initial(audit_case, template), template=template, disabled=not editable)
    form.extras = _extras(audit, audit_case, template)
    names = unit_names([audit_case.district_id])
    return render_audit_page(
        request,
        "audits/protokoll.html",
        f"Granskning av ärende {case_id}",
        {
            "audit": audit,
            "audit_case": audit_case,
            "template": template,
            "form": form,
            "editable": editable,
            "district": names.get(audit_case.district_id, audit_case.district_id),
            "no_personal_data": NO_PERSONAL_DATA,
            "case_url": reverse("overview:arende", kwargs={"case_id": case_id}),
        },
        status=400 if form.is_bound and form.errors else status,
    )
