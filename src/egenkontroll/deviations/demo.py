"""Avvikelser in the demo municipality, one or more in every status, so the register, the time
limits and the nämnd's masked counts show what they are for at first sight.

`egenkontroll demo` calls `create_demo_deviations` after the demo users (once: nothing is made
when any deviation exists). Every step goes through `workflow`, as a user's would, so the
history, the time limits and the IVO fields are those of real use. The texts are demo text and
name no person.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model

from egenkontroll.access.models import RoleAssignment
from egenkontroll.core.deviation_rules import load_rules
from egenkontroll.deviations import workflow as W
from egenkontroll.deviations.models import Deviation

# (category, title, days before today it was reported, the status it reaches, severity)
DEMO = (
    ("avvikelse_handlaggning", "Beslut om att inleda utredning fattades efter fristen", 2, "rapporterad", "medel"),
    ("synpunkt_klagomal", "Vårdnadshavare fick inte svar på sitt samtal inom en vecka", 30, "rapporterad", "lag"),
    ("lex_sarah", "Skyddsbedömning gjordes inte samma dag som anmälan kom in", 6, "under_utredning", "hog"),
    ("avvikelse_handlaggning", "Journalanteckningar fördes in flera veckor efter besöket", 20, "under_utredning", "medel"),
    ("lex_sarah", "Placerat barn fick inget besök av socialsekreteraren under ett halvår", 45, "atgardad", "allvarlig"),
    ("ovrigt", "Överlämning mellan mottagning och utredning saknade dokumentation", 60, "avslutad", "lag"),
    ("lex_sarah", "Orosanmälan registrerades inte och blev liggande i tre dagar", 90, "avslutad", "hog"),
)
INVESTIGATION = "(Demotext) Genomgång av ärendet och rutinen; intervju med berörd personal."
CONCLUSION = "(Demotext) Rutinen var känd men följdes inte under hög arbetsbelastning."
ACTION = "(Demotext) Rutinen gås igenom på APT och följs upp med stickprov om tre månader."


def _demo_unit() -> str | None:
    grant = RoleAssignment.objects.filter(user__username="handlaggare").exclude(unit_id=None).first()
    return grant.unit_id if grant else None


def create_demo_deviations(today: dt.date) -> list[Deviation]:
    users = get_user_model().objects
    reporter, manager = users.filter(username="handlaggare").first(), users.filter(username="enhetschef").first()
    unit_id = _demo_unit()
    if reporter is None or manager is None or unit_id is None or Deviation.objects.exists():
        return []
    rules = load_rules()
    made = []
    for category, title, days_ago, goal, severity in DEMO:
        reported = today - dt.timedelta(days=days_ago)
        deviation = W.create_deviation(
            rules, reporter, category=category, title=title, unit_id=unit_id, reported_on=reported,
            occurred_on=reported - dt.timedelta(days=1), severity=severity,
            description="(Demotext) Händelsen upptäcktes vid genomgång av ärendelistan.",
        )
        _walk(rules, deviation, manager, goal, unit_id, today)
        made.append(Deviation.objects.get(pk=deviation.pk))
    return made


def _walk(rules, deviation: Deviation, manager, goal: str, unit_id: str, today: dt.date) -> None:
    """Take the deviation through the statuses up to `goal`, doing what each step requires."""
    order = ("rapporterad", "under_utredning", "atgardad", "avslutad")
    if order.index(goal) >= 1:
        W.change_status(rules, deviation.pk, manager, "under_utredning", "(Demotext) Utredning påbörjad.")
    if order.index(goal) >= 2:
        ivo = rules.categories[deviation.category].ivo
        W.save_investigation(
            rules, deviation.pk, manager, summary=INVESTIGATION, conclusion=CONCLUSION, severity=deviation.severity,
            is_serious=(deviation.severity == "allvarlig") if ivo else None,
            ivo_reported_on=today if ivo and deviation.severity == "allvarlig" else None,
            ivo_reference="(demo) IVO 3.1.1-0000/2026" if ivo and deviation.severity == "allvarlig" else "",
        )
        action = W.add_action(rules, deviation.pk, manager, text=ACTION, responsible_unit_id=unit_id,
                              due_date=today + dt.timedelta(days=60))
        W.set_action_status(rules, deviation.pk, action.pk, manager, "klar")
        W.change_status(rules, deviation.pk, manager, "atgardad", "(Demotext) Åtgärderna är genomförda.")
    if goal == "avslutad":
        W.change_status(rules, deviation.pk, manager, "avslutad", "(Demotext) Uppföljningen visar att rutinen följs.")
