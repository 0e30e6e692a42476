"""One deviation: what happened, its time limits, the investigation, the actions and the history; and
every change to it (POST), each checked against the rules file and the user's rights.

Why it exists: SOSFS 2011:5 asks that a lex Sarah report is documented, investigated, remedied
and, when serious, reported to IVO; this page is where that is done and shown. Only an
enhetschef, avdelningschef or verksamhetscontroller whose subtree holds the deviation's unit
changes it; other readers see it read-only. Every view is written to the access log with the
deviation's number (see the package docstring for why).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect

from egenkontroll.access.scoping import log_access
from egenkontroll.deviations import tables
from egenkontroll.deviations.forms import (
    CHOICE_OF_OUTCOME,
    NO_PERSONAL_DATA,
    ActionForm,
    InvestigationForm,
    StatusForm,
)
from egenkontroll.deviations.models import ACTION_STATUSES, EVENT_KINDS, OUTCOMES, Deviation, DeviationAction
from egenkontroll.deviations.views.common import (
    PAGE,
    deviation_view,
    render_deviation_page,
    rights,
    rules,
    unit_names,
    visible_or_404,
)
from egenkontroll.deviations.workflow import (
    WorkflowError,
    add_action,
    change_status,
    closing_problems,
    role_label,
    save_investigation,
    set_action_status,
)
from egenkontroll.pages import periods
from egenkontroll.pages.tables import Column, Table


def _ivo(deviation: Deviation) -> bool:
    category = rules().categories.get(deviation.category)
    return category is not None and category.ivo


def _investigation_form(deviation: Deviation, data=None) -> InvestigationForm:
    initial = {
        "summary": deviation.investigation_summary, "conclusion": deviation.conclusion,
        "severity": deviation.severity, "is_serious": CHOICE_OF_OUTCOME.get(deviation.outcome, ""),
        "judged_on": deviation.judged_on, "ivo_reported_on": deviation.ivo_reported_on,
        "ivo_reference": deviation.ivo_reference,
    }
    return InvestigationForm(data, initial=initial, rules=rules(), ivo=_ivo(deviation), today=periods.today(),
                             reported_on=deviation.reported_on)


def _lagrum(deviation: Deviation) -> list[dict]:
    """The lex Sarah provisions in force on the day of the report, "ej verifierad" where so."""
    out = []
    for provision in rules().provisions:
        ref = provision.on(deviation.reported_on)
        if ref is not None:
            out.append({"title": provision.title, "text": ref.shown})
    return out


def _limits_table(deviation: Deviation) -> Table:
    (row,) = tables.rows_of(rules(), [deviation], {}, periods.today())
    table = Table(
        id="tidsgranser", caption="Tidsgränser (kommunens lokala riktlinjer)",
        columns=[Column("limit", "Tidsgräns"), Column("length", "Tid"), Column("due", "Senast", "date"),
                 Column("met", "Uppfylld", "date"), Column("state", "Läge")],
    )
    for state in row.limits:
        text = "försenad" if state.overdue else ("klar för sent" if state.late else ("klar" if state.met_on else "pågår"))
        table.add(
            {"limit": state.limit.title, "length": state.limit.length_text, "due": state.due, "met": state.met_on,
             "state": text},
            css={"state": tables.OVERDUE_CSS if state.overdue or state.late else ""},
        )
    return table


def _history(deviation: Deviation) -> list[dict]:
    statuses = rules().statuses
    out = []
    for event in deviation.events.select_related("user"):
        change = ""
        if event.kind == "status":
            old = statuses[event.old_status].title if event.old_status in statuses else event.old_status
            new = statuses[event.new_status].title if event.new_status in statuses else event.new_status
            change = f"{old} → {new}"
        out.append({"event": event, "kind": EVENT_KINDS.get(event.kind, event.kind), "change": change})
    return out


def render_detail(request, deviation: Deviation, status_form=None, investigation_form=None, action_form=None,
                  status: int = 200):
    r = rights(request)
    rule_set = rules()
    editable = r.may_investigate(deviation) and not rule_set.is_closed(deviation.status)
    actions = list(deviation.actions.select_related("done_by"))
    names = unit_names([deviation.unit_id, *(a.responsible_unit_id for a in actions)])
    closing = [s for s in rule_set.statuses[deviation.status].next if rule_set.is_closed(s)] \
        if deviation.status in rule_set.statuses else []
    context = {
        "deviation": deviation,
        "category": rule_set.categories.get(deviation.category),
        "status_title": rule_set.statuses[deviation.status].title if deviation.status in rule_set.statuses
        else deviation.status,
        "severity": rule_set.severities.get(deviation.severity, deviation.severity),
        "unit": names.get(deviation.unit_id, deviation.unit_id),
        "ivo": _ivo(deviation),
        "outcome": OUTCOMES.get(deviation.outcome, ""),
        "judged_by": role_label(deviation.judged_by_role) if deviation.outcome else "",
        "lagrum": _lagrum(deviation) if _ivo(deviation) else [],
        "limits": _limits_table(deviation),
        "history": _history(deviation),
        "actions": [
            {"action": a, "status": ACTION_STATUSES.get(a.status, a.status),
             "unit": names.get(a.responsible_unit_id, a.responsible_unit_id)}
            for a in actions
        ],
        "editable": editable,
        "closing_problems": closing_problems(rule_set, deviation) if closing else [],
        "status_form": (status_form or StatusForm(rules=rule_set, current=deviation.status)) if editable else None,
        "investigation_form": (investigation_form or _investigation_form(deviation)) if editable else None,
        "action_form": (action_form or ActionForm(units=r.action_units())) if editable else None,
        "no_personal_data": NO_PERSONAL_DATA,
    }
    log_access(request, action="view", page=PAGE, detail=f"avvikelse {deviation.number}")
    return render_deviation_page(request, "deviations/detalj.html", f"Avvikelse {deviation.number}", context,
                                 status=status)


@deviation_view
def detalj(request, deviation_id: int):
    return render_detail(request, visible_or_404(request, deviation_id))


def _editable_or_refuse(request, deviation_id: int):
    """The deviation, if the user may change it and the request is a POST; else 404, 403 or 405."""
    deviation = visible_or_404(request, deviation_id)
    if not rights(request).may_investigate(deviation):
        raise PermissionDenied
    if request.method != "POST":
        return deviation, HttpResponseNotAllowed(["POST"])
    return deviation, None


def _back(deviation: Deviation):
    return redirect("deviations:detalj", deviation_id=deviation.pk)


@deviation_view
def status(request, deviation_id: int):
    deviation, refused = _editable_or_refuse(request, deviation_id)
    if refused:
        return refused
    form = StatusForm(request.POST, rules=rules(), current=deviation.status)
    if not form.is_valid():
        messages.error(request, "Statusen ändrades inte: välj en av de tillåtna statusarna.")
        return render_detail(request, deviation, status_form=form, status=400)
    try:
        change_status(rules(), deviation.pk, request.user, form.cleaned_data["status"], form.cleaned_data["note"])
    except WorkflowError as exc:
        messages.error(request, str(exc))
        return render_detail(request, Deviation.objects.get(pk=deviation.pk), status=409)
    messages.success(request, "Statusen är ändrad.")
    return _back(deviation)


@deviation_view
def utredning(request, deviation_id: int):
    deviation, refused = _editable_or_refuse(request, deviation_id)
    if refused:
        return refused
    form = _investigation_form(deviation, request.POST)
    if not form.is_valid():
        messages.error(request, "Utredningen sparades inte. Rätta uppgifterna nedan.")
        return render_detail(request, deviation, investigation_form=form, status=400)
    data = form.cleaned_data
    try:
        save_investigation(
            rules(), deviation.pk, request.user, summary=data["summary"], conclusion=data["conclusion"],
            severity=data["severity"], is_serious=data.get("is_serious"), ivo_reported_on=data.get("ivo_reported_on"),
            ivo_reference=data.get("ivo_reference", ""), outcome=data.get("outcome", ""),
            judged_on=data.get("judged_on"), judged_by_role=rights(request).judging_role(deviation),
        )
    except WorkflowError as exc:
        messages.error(request, str(exc))
        return render_detail(request, Deviation.objects.get(pk=deviation.pk), status=409)
    messages.success(request, "Utredningen sparades.")
    return _back(deviation)


@deviation_view
def atgard(request, deviation_id: int):
    deviation, refused = _editable_or_refuse(request, deviation_id)
    if refused:
        return refused
    form = ActionForm(request.POST, units=rights(request).action_units())
    if not form.is_valid():
        messages.error(request, "Åtgärden sparades inte. Rätta uppgifterna nedan.")
        return render_detail(request, deviation, action_form=form, status=400)
    data = form.cleaned_data
    try:
        add_action(rules(), deviation.pk, request.user, text=data["text"],
                   responsible_unit_id=data["responsible_unit"], due_date=data["due_date"])
    except WorkflowError as exc:
        messages.error(request, str(exc))
        return render_detail(request, deviation, status=409)
    messages.success(request, "Åtgärden sparades.")
    return _back(deviation)


@deviation_view
def atgard_status(request, deviation_id: int, action_id: int):
    deviation, refused = _editable_or_refuse(request, deviation_id)
    get_object_or_404(DeviationAction, pk=action_id, deviation=deviation)
    if refused:
        return refused
    new = request.POST.get("status")
    if new not in ACTION_STATUSES:
        messages.error(request, "Okänd status för åtgärden.")
        return _back(deviation)
    try:
        set_action_status(rules(), deviation.pk, action_id, request.user, new)
    except WorkflowError as exc:
        messages.error(request, str(exc))
        return _back(deviation)
    messages.success(request, f"Åtgärden är markerad som {ACTION_STATUSES[new].lower()}.")
    return _back(deviation)
