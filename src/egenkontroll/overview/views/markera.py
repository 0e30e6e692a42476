"""Markera: mark one open obligation as registreringsfel or ej tillämplig, with a reason.

Why it exists: the work list must hold only what can be acted on. When the case system lacks
an event that happened, or an obligation does not apply to the child, the responsible staff say
so here (who may: overview/marking.py). The page is the confirmation step: it shows the
obligation and what marking does before the form is sent (POST with CSRF). The mark is written
with its history (cases/marks.py) and to the access log as `mark`; the reason is staff free text,
shown only on person-level pages, never in the log.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from egenkontroll.access.scoping import log_access, person_level, request_scope
from egenkontroll.cases.marks import mark_obligation
from egenkontroll.cases.models import Obligation, ObligationMark
from egenkontroll.core import marks as core_marks
from egenkontroll.core.identity import mask
from egenkontroll.overview.marking import marking_right
from egenkontroll.overview.queries import rule_titles
from egenkontroll.pages import periods
from egenkontroll.pages.frame import render_app_page

PAGE = "markera"
RETURN_PAGES = ("/arbetslista/", "/arende/")


class MarkForm(forms.Form):
    kind = forms.ChoiceField(
        label="Markering",
        choices=list(core_marks.KINDS.items()),
        widget=forms.RadioSelect,
        error_messages={"required": "Välj registreringsfel eller ej tillämplig.",
                        "invalid_choice": "Välj registreringsfel eller ej tillämplig."},
    )
    reason = forms.CharField(
        label="Motivering",
        max_length=core_marks.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": core_marks.REASON_MAX}),
        help_text=f"Högst {core_marks.REASON_MAX} tecken. Skriv vad som har hänt, utan personnummer eller namn.",
        error_messages={
            "required": "Skriv en motivering.",
            "max_length": f"Motiveringen får vara högst {core_marks.REASON_MAX} tecken.",
        },
    )
    tillbaka = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Skriv en motivering.")
        if mask(reason) != reason:
            raise forms.ValidationError("Skriv inte personnummer i motiveringen.")
        return reason


def _obligation(request, case_id: str, rule: str, trigger_event_id: str) -> Obligation:
    found = (
        request_scope(request)
        .obligations(Obligation.objects.filter(case_id=case_id, rule=rule, trigger_event_id=trigger_event_id))
        .select_related("unit", "caseworker")
        .first()
    )
    if found is None:
        raise Http404("Skyldigheten finns inte eller ligger utanför din behörighet.")
    return found


def _back(request, value: str | None, case_id: str) -> str:
    """Where to go after marking: the work list or case page the user came from, else the case."""
    if value and value.startswith(RETURN_PAGES) and url_has_allowed_host_and_scheme(value, allowed_hosts=None):
        return value
    return reverse("overview:arende", kwargs={"case_id": case_id})


@person_level(page=PAGE)
def markera(request, case_id: str, rule: str, trigger_event_id: str):
    obligation = _obligation(request, case_id, rule, trigger_event_id)
    role = marking_right(request).role_for(obligation.unit_id, obligation.caseworker_id)
    if role is None:
        log_access(request, action="denied", case_ids=[case_id], page=PAGE,
                   detail="saknar rätt att markera skyldigheter i ärendet")
        request.egk_denied_logged = True
        raise PermissionDenied
    existing = ObligationMark.objects.filter(
        case_id=case_id, rule=rule, trigger_event_id=trigger_event_id, active=True
    ).first()
    back = _back(request, request.POST.get("tillbaka") or request.GET.get("tillbaka"), case_id)
    form = MarkForm(initial={"tillbaka": back})
    if request.method == "POST" and obligation.status == "open" and existing is None:
        form = MarkForm(request.POST)
        if form.is_valid():
            kind = form.cleaned_data["kind"]
            mark_obligation(obligation, kind=kind, reason=form.cleaned_data["reason"], user=request.user, role=role)
            request.egk_action = "mark"
            request.egk_detail = f"{rule}: {core_marks.KINDS[kind].lower()}"
            messages.success(
                request,
                f"Skyldigheten i ärende {case_id} är markerad som {core_marks.KINDS[kind].lower()} "
                "och visas inte längre i arbetslistan.",
            )
            return redirect(back)
    context = {
        "obligation": obligation,
        "rule_title": rule_titles().get(rule, rule),
        "days_left": (obligation.due_date - periods.today()).days,
        "existing": existing,
        "form": form,
        "back": back,
        "role": role,
    }
    status = 400 if request.method == "POST" and existing is None and obligation.status == "open" else 200
    return render_app_page(request, "overview/markera.html", "Markera skyldighet", context, "arbetslista", status)
