"""The workflow of a deviation: numbers per year, allowed transitions, closing rules, masking, history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from egenkontroll.deviations.models import DeviationEvent, HistoryChangeError
from egenkontroll.deviations.workflow import (
    WorkflowError,
    add_action,
    change_status,
    save_investigation,
    set_action_status,
)
from tests.deviations.conftest import report


def investigate(rules, deviation, user, **fields):
    values = {"summary": "Rutinen följdes inte.", "conclusion": "Rutinen förtydligas.", "severity": "hog", **fields}
    return save_investigation(rules, deviation.pk, user, **values)


def test_numbers_run_per_year_of_the_report(rules, users):
    first = report(rules, users["anna"], reported_on=dt.date(2026, 1, 2))
    second = report(rules, users["ledare"], reported_on=dt.date(2026, 6, 1))
    earlier = report(rules, users["chef"], reported_on=dt.date(2025, 12, 31))
    third = report(rules, users["anna"], reported_on=dt.date(2026, 6, 2))
    assert [first.number, second.number, earlier.number, third.number] == [
        "2026-0001", "2026-0002", "2025-0001", "2026-0003"
    ]


def test_only_the_transitions_of_the_rules_file(rules, users):
    deviation = report(rules, users["anna"])
    with pytest.raises(WorkflowError, match="kan inte ändras från rapporterad"):
        change_status(rules, deviation.pk, users["chef"], "avslutad")
    with pytest.raises(WorkflowError):
        change_status(rules, deviation.pk, users["chef"], "atgardad")
    change_status(rules, deviation.pk, users["chef"], "under_utredning", "Utredare utsedd.")
    with pytest.raises(WorkflowError):
        change_status(rules, deviation.pk, users["chef"], "rapporterad")
    history = list(DeviationEvent.objects.filter(deviation=deviation).values_list("kind", "old_status", "new_status",
                                                                                   "user__username", "note"))
    assert history == [
        ("rapport", "", "rapporterad", "anna", ""),
        ("status", "rapporterad", "under_utredning", "chef", "Utredare utsedd."),
    ]


def test_the_history_cannot_be_changed(rules, users):
    deviation = report(rules, users["anna"])
    event = DeviationEvent.objects.get(deviation=deviation)
    event.note = "ändrad"
    with pytest.raises(HistoryChangeError):
        event.save()
    with pytest.raises(HistoryChangeError):
        event.delete()
    with pytest.raises(HistoryChangeError):
        DeviationEvent.objects.filter(deviation=deviation).update(note="x")
    with pytest.raises(HistoryChangeError):
        DeviationEvent.objects.filter(deviation=deviation).delete()


def _to_atgardad(rules, deviation, user):
    change_status(rules, deviation.pk, user, "under_utredning")
    change_status(rules, deviation.pk, user, "atgardad")


def test_closing_waits_for_every_action(rules, users):
    chef = users["chef"]
    deviation = report(rules, users["anna"])
    investigate(rules, deviation, chef)
    action = add_action(rules, deviation.pk, chef, text="Påminnelse i systemet.", responsible_unit_id="G1",
                        due_date=dt.date(2026, 7, 1))
    _to_atgardad(rules, deviation, chef)
    with pytest.raises(WorkflowError, match="Alla åtgärder ska vara klara"):
        change_status(rules, deviation.pk, chef, "avslutad")
    set_action_status(rules, deviation.pk, action.pk, chef, "klar")
    closed = change_status(rules, deviation.pk, chef, "avslutad")
    assert closed.status == "avslutad" and closed.closed_on == dt.date(2026, 6, 26)
    action.refresh_from_db()
    assert action.done_on == dt.date(2026, 6, 26) and action.done_by == chef
    with pytest.raises(WorkflowError, match="avslutad"):
        add_action(rules, deviation.pk, chef, text="För sent.", responsible_unit_id="G1", due_date=None)


def test_closing_needs_the_investigation_documented(rules, users):
    deviation = report(rules, users["anna"])
    _to_atgardad(rules, deviation, users["chef"])
    with pytest.raises(WorkflowError, match="Utredningen och slutsatsen"):
        change_status(rules, deviation.pk, users["chef"], "avslutad")


def test_a_serious_lex_sarah_closes_only_after_the_anmalan_to_ivo(rules, users):
    chef = users["chef"]
    deviation = report(rules, users["anna"], category="lex_sarah")
    investigate(rules, deviation, chef)
    _to_atgardad(rules, deviation, chef)
    with pytest.raises(WorkflowError, match="Bedömningen om missförhållandet är allvarligt saknas"):
        change_status(rules, deviation.pk, chef, "avslutad")
    investigate(rules, deviation, chef, is_serious=True)
    with pytest.raises(WorkflowError, match="anmält till IVO"):
        change_status(rules, deviation.pk, chef, "avslutad")
    investigate(rules, deviation, chef, is_serious=True, ivo_reported_on=dt.date(2026, 6, 22),
                ivo_reference="3.1.1-12345/2026")
    assert change_status(rules, deviation.pk, chef, "avslutad").status == "avslutad"
    kinds = list(DeviationEvent.objects.filter(deviation=deviation, kind="ivo").values_list("note", flat=True))
    assert kinds == ["anmäld 2026-06-22"]


def test_a_lex_sarah_judged_not_serious_closes_without_ivo(rules, users):
    chef = users["chef"]
    deviation = report(rules, users["anna"], category="lex_sarah")
    investigate(rules, deviation, chef, is_serious=False)
    _to_atgardad(rules, deviation, chef)
    assert change_status(rules, deviation.pk, chef, "avslutad").ivo_reported_on is None


def test_ivo_fields_stay_empty_outside_lex_sarah(rules, users):
    deviation = report(rules, users["anna"], category="synpunkt_klagomal")
    saved = investigate(rules, deviation, users["chef"], is_serious=True, ivo_reported_on=dt.date(2026, 6, 22),
                        ivo_reference="x")
    assert (saved.is_serious, saved.ivo_reported_on, saved.ivo_reference) == (None, None, "")


def test_personnummer_in_free_text_is_masked(rules, users):
    deviation = report(rules, users["anna"], title="Gäller 20150312-1234",
                       description="Barnet 201503121234 och syskonet 150312+1234 fick vänta.")
    deviation.refresh_from_db()
    assert deviation.title == "Gäller 20150312-****"
    assert deviation.description == "Barnet 20150312-**** och syskonet 150312-**** fick vänta."
    saved = investigate(rules, deviation, users["chef"], summary="Samtal med 20150312-1234.")
    assert saved.investigation_summary == "Samtal med 20150312-****."


def test_a_broken_rules_file_stops_the_web_app(tmp_path, monkeypatch):
    broken = tmp_path / "avvikelser.yaml"
    broken.write_text("categories: []\n", encoding="utf-8")
    monkeypatch.setenv("EGK_DEVIATION_RULES_FILE", str(broken))
    with pytest.raises(ImproperlyConfigured, match="avvikelser.yaml: 'categories' ska vara en icke-tom lista"):
        apps.get_app_config("deviations").ready()


def test_a_number_taken_meanwhile_is_counted_again(rules, users, monkeypatch):
    """Two reports at once: the second counts before the first is stored, clashes, and counts again."""
    import egenkontroll.deviations.workflow as workflow

    first = report(rules, users["anna"], reported_on=dt.date(2026, 3, 2))
    real_max, calls = workflow.Max, []

    def stale_first_count(field):
        calls.append(field)
        return real_max(field) * 0 if len(calls) == 1 else real_max(field)  # as if the table were empty

    monkeypatch.setattr(workflow, "Max", stale_first_count)
    second = report(rules, users["anna"], reported_on=dt.date(2026, 3, 3))
    assert (first.number, second.number) == ("2026-0001", "2026-0002")
    assert len(calls) == 2  # the first try clashed on 2026-0001


def test_the_bedomning_of_a_lex_sarah_is_kept_in_the_history(rules, users):
    deviation = report(rules, users["anna"], category="lex_sarah")
    change_status(rules, deviation.pk, users["chef"], "under_utredning")
    chef = {"judged_by_role": "enhetschef"}
    investigate(rules, deviation, users["chef"], severity="hog", is_serious=True, **chef)
    investigate(rules, deviation, users["chef"], severity="hog", is_serious=True, **chef)  # unchanged: no note
    investigate(rules, deviation, users["chef"], severity="medel", is_serious=False, **chef)
    notes = list(DeviationEvent.objects.filter(deviation=deviation, kind="utredning").values_list("note", flat=True))
    assert notes == [
        "bedömning medel, ej bedömt om allvarligt → hog, ett allvarligt missförhållande, bedömd 2026-06-26 av Enhetschef",
        "",
        "bedömning hog, ett allvarligt missförhållande → medel, inte ett allvarligt missförhållande, "
        "bedömd 2026-06-26 av Enhetschef",
    ]
