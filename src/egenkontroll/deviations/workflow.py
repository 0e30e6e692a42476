"""Every change of a deviation, each with its row in the history, checked against the rules file.

Why it exists: the register is only worth its name if a status can change only along the
transitions of the rules file, a deviation cannot be closed while an action is open or a
serious lex Sarah lacks its anmälan to IVO, and every change says who made it and when. All
changes lock the deviation row first, so a close and an action reopened at the same time
cannot both succeed. Free text is masked for personnummer here, before anything is stored.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Max

from egenkontroll.access.models import ROLE_LABELS
from egenkontroll.core.deviation_rules import DeviationRules
from egenkontroll.core.identity import mask
from egenkontroll.deviations.models import (
    NOT_SERIOUS,
    OUTCOMES,
    SERIOUS,
    SERIOUS_OUTCOMES,
    Deviation,
    DeviationAction,
    DeviationEvent,
)
from egenkontroll.pages import periods

NUMBER_ATTEMPTS = 5


class WorkflowError(ValueError):
    """The change is not allowed now; the message says why, in Swedish, for the user."""


def clean_text(value: str | None) -> str:
    return mask((value or "").strip()) or ""


def _event(deviation: Deviation, user, kind: str, note: str = "", old: str = "", new: str = "") -> None:
    DeviationEvent.objects.create(deviation=deviation, kind=kind, old_status=old, new_status=new, note=note,
                                  on=periods.today(), user=user)


def create_deviation(rules: DeviationRules, user, *, category: str, title: str, description: str, unit_id: str,
                     reported_on: dt.date, occurred_on: dt.date | None, severity: str) -> Deviation:
    """Store a new report with the next number of its year (retried if another report took it)."""
    for _ in range(NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                last = Deviation.objects.filter(year=reported_on.year).aggregate(m=Max("seq"))["m"] or 0
                deviation = Deviation.objects.create(
                    year=reported_on.year, seq=last + 1, category=category, title=clean_text(title),
                    description=clean_text(description), unit_id=unit_id, occurred_on=occurred_on,
                    reported_on=reported_on, reported_by=user, status=rules.initial_status, severity=severity,
                )
                _event(deviation, user, "rapport", new=deviation.status)
                return deviation
        except (IntegrityError, OperationalError):
            # another report took the number (PostgreSQL: the unique constraint), or held SQLite's
            # write lock past its timeout: count again
            continue
    raise WorkflowError("Avvikelsen kunde inte få ett nummer. Försök igen.")


def _judgement(severity: str, outcome: str) -> str:
    return f"{severity}, {OUTCOMES.get(outcome, 'ej bedömt om allvarligt').lower()}"


def _outcome(outcome: str | None, is_serious: bool | None) -> str:
    """The outcome id; callers that only know yes/no (is_serious) get the stricter 'allvarligt'."""
    if outcome is not None:
        if outcome and outcome not in OUTCOMES:
            raise WorkflowError(f"Okänd bedömning: {outcome}.")
        return outcome
    return {True: SERIOUS, False: NOT_SERIOUS, None: ""}[is_serious]


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role).split(" (")[0] if role else "okänd roll"


def _locked(deviation_id: int) -> Deviation:
    return Deviation.objects.select_for_update().get(pk=deviation_id)


def closing_problems(rules: DeviationRules, deviation: Deviation) -> list[str]:
    """Why the deviation may not be closed yet (empty: it may)."""
    problems = []
    if not deviation.investigation_summary or not deviation.conclusion:
        problems.append("Utredningen och slutsatsen ska vara dokumenterade.")
    if deviation.actions.filter(status="oppen").exists():
        problems.append("Alla åtgärder ska vara klara.")
    category = rules.categories.get(deviation.category)
    if category is not None and category.ivo:
        if deviation.is_serious is None:
            problems.append("Bedömningen om missförhållandet är allvarligt saknas.")
        elif deviation.is_serious and deviation.ivo_reported_on is None:
            problems.append("Ett allvarligt missförhållande ska vara anmält till IVO: datum för anmälan saknas.")
    return problems


def change_status(rules: DeviationRules, deviation_id: int, user, new: str, note: str = "") -> Deviation:
    with transaction.atomic():
        deviation = _locked(deviation_id)
        old = deviation.status
        if not rules.may_change(old, new):
            old_title = rules.statuses[old].title if old in rules.statuses else old
            raise WorkflowError(f"Statusen kan inte ändras från {old_title.lower()} till {new}.")
        if rules.is_closed(new):
            problems = closing_problems(rules, deviation)
            if problems:
                raise WorkflowError("Avvikelsen kan inte avslutas: " + " ".join(problems))
        deviation.status = new
        deviation.closed_on = periods.today() if rules.is_closed(new) else None
        deviation.save(update_fields=["status", "closed_on", "updated_at"])
        _event(deviation, user, "status", clean_text(note), old=old, new=new)
        return deviation


def save_investigation(rules: DeviationRules, deviation_id: int, user, *, summary: str, conclusion: str,
                       severity: str, is_serious: bool | None = None, ivo_reported_on: dt.date | None = None,
                       ivo_reference: str = "", outcome: str | None = None, judged_on: dt.date | None = None,
                       judged_by_role: str = "") -> Deviation:
    """The investigation, the bedömning and — for a category with IVO fields only — the anmälan to IVO.

    The bedömning (`outcome`, or the older yes/no `is_serious`) is stored with the day it was
    made (`judged_on`, default today) and the role of the one who made it (`judged_by_role`):
    the time limit for the anmälan to IVO runs from that day, and the history names the role.
    """
    with transaction.atomic():
        deviation = _locked(deviation_id)
        if rules.is_closed(deviation.status):
            raise WorkflowError("Avvikelsen är avslutad och kan inte ändras.")
        ivo = rules.categories.get(deviation.category)
        ivo = ivo is not None and ivo.ivo
        new_outcome = _outcome(outcome, is_serious) if ivo else ""
        today = periods.today()
        if new_outcome and judged_on is not None and not deviation.reported_on <= judged_on <= today:
            raise WorkflowError("Bedömningens datum ska ligga mellan rapporten och i dag.")
        reported_before = deviation.ivo_reported_on
        judged_before = (deviation.severity, deviation.outcome)
        when_before = (deviation.judged_on, deviation.judged_by_role)
        deviation.investigation_summary = clean_text(summary)
        deviation.conclusion = clean_text(conclusion)
        deviation.severity = severity
        if new_outcome != deviation.outcome or (new_outcome and judged_on and judged_on != deviation.judged_on):
            deviation.judged_on = (judged_on or today) if new_outcome else None
            deviation.judged_by_role = judged_by_role if new_outcome else ""
        deviation.outcome = new_outcome
        deviation.is_serious = (new_outcome in SERIOUS_OUTCOMES) if new_outcome else None
        deviation.ivo_reported_on = ivo_reported_on if ivo else None
        deviation.ivo_reference = clean_text(ivo_reference) if ivo else ""
        deviation.save()
        judged = (deviation.severity, deviation.outcome)
        when = (deviation.judged_on, deviation.judged_by_role)
        # the bedömning decides whether (and by when) a lex Sarah is reported to IVO: keep its
        # history, naming the role that judged, not the person
        note = ""
        if judged != judged_before or when != when_before:
            note = f"bedömning {_judgement(*judged_before)} → {_judgement(*judged)}"
            if deviation.outcome:
                note += f", bedömd {deviation.judged_on.isoformat()} av {role_label(deviation.judged_by_role)}"
        _event(deviation, user, "utredning", note)
        if deviation.ivo_reported_on and deviation.ivo_reported_on != reported_before:
            _event(deviation, user, "ivo", f"anmäld {deviation.ivo_reported_on.isoformat()}")
        return deviation


def add_action(rules: DeviationRules, deviation_id: int, user, *, text: str, responsible_unit_id: str,
               due_date: dt.date | None) -> DeviationAction:
    with transaction.atomic():
        deviation = _locked(deviation_id)
        if rules.is_closed(deviation.status):
            raise WorkflowError("Avvikelsen är avslutad: nya åtgärder kan inte läggas till.")
        action = DeviationAction.objects.create(deviation=deviation, text=clean_text(text),
                                                responsible_unit_id=responsible_unit_id, due_date=due_date,
                                                created_by=user)
        _event(deviation, user, "atgard", action.text[:200])
        return action


def set_action_status(rules: DeviationRules, deviation_id: int, action_id: int, user, status: str) -> None:
    with transaction.atomic():
        deviation = _locked(deviation_id)
        if rules.is_closed(deviation.status):
            raise WorkflowError("Avvikelsen är avslutad: åtgärderna kan inte ändras.")
        done = status == "klar"
        changed = DeviationAction.objects.filter(pk=action_id, deviation=deviation).exclude(status=status).update(
            status=status, done_on=periods.today() if done else None, done_by=user if done else None,
        )
        if changed:
            _event(deviation, user, "atgard_klar" if done else "atgard_oppen")
