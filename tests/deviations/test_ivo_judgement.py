"""The lex Sarah bedömning and the anmälan to IVO (SoL 2025:400 27 kap. 6 §, before 2025-07-01 SoL
2001:453 14 kap. 7 §): three outcomes, who judged (by role) and when, and the "snarast" limit
counted from the judgement — 5 working days, the shipped local guideline, not law.

Midsommarafton 2026 is Friday 19 June; the pages' today is Friday 26 June 2026.
"""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from django.urls import reverse

from egenkontroll.core.deviation_rules import DEFAULT_FILE, DeviationRulesError, load_rules, parse_rules
from egenkontroll.deviations.models import Deviation, DeviationEvent
from egenkontroll.deviations.workflow import WorkflowError, change_status, save_investigation
from tests.deviations.conftest import report


def ivo_limit(rules):
    (limit,) = [t for t in rules.limits_for("lex_sarah") if t.until == "ivo_anmalan"]
    return limit


# ------------------------------------------------------------------ the rules file (pure Python)


def test_the_ivo_limit_counts_working_days_from_the_judgement_across_midsommar():
    rules = load_rules(DEFAULT_FILE)
    limit = ivo_limit(rules)
    assert (limit.days, limit.working_days, limit.counted_from) == (5, True, "bedomning_allvarlig")
    assert "lokala riktlinje, inte lag" in limit.basis and "27 kap. 6 §" in limit.basis
    # judged Wednesday 17 June: Thu 18, (Fri 19 midsommarafton, weekend), Mon 22, Tue 23, Wed 24, Thu 25
    assert limit.due(dt.date(2026, 6, 17)) == dt.date(2026, 6, 25)
    # judged on midsommarafton itself: Mon 22 … Fri 26
    assert limit.due(dt.date(2026, 6, 19)) == dt.date(2026, 6, 26)
    # an ordinary week: Mon 8 June → Mon 15
    assert limit.due(dt.date(2026, 6, 8)) == dt.date(2026, 6, 15)


def test_the_ivo_limit_exists_only_once_judged_serious_and_is_met_by_the_anmalan():
    rules = load_rules(DEFAULT_FILE)
    reported = dt.date(2026, 6, 10)

    def ivo_state(**kw):
        states = rules.limit_states("lex_sarah", reported, {}, kw.pop("today"), **kw)
        return [s for s in states if s.limit.until == "ivo_anmalan"]

    assert ivo_state(today=dt.date(2026, 7, 30)) == []  # not judged (or judged not serious)
    (open_,) = ivo_state(today=dt.date(2026, 6, 25), serious_judged_on=dt.date(2026, 6, 17))
    assert open_.due == dt.date(2026, 6, 25) and not open_.overdue  # the due day itself is in time
    (late,) = ivo_state(today=dt.date(2026, 6, 26), serious_judged_on=dt.date(2026, 6, 17))
    assert late.overdue and late.met_on is None
    (met,) = ivo_state(today=dt.date(2026, 7, 1), serious_judged_on=dt.date(2026, 6, 17),
                       ivo_reported_on=dt.date(2026, 6, 26))
    assert met.met_on == dt.date(2026, 6, 26) and met.late and not met.overdue
    assert rules.limit_states("ovrigt", reported, {}, dt.date(2026, 9, 1),
                              serious_judged_on=dt.date(2026, 6, 17))[0].limit.id == "avvikelse_utredning_klar"


def _shipped():
    return yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))


def _ivo_entry(data):
    return next(t for t in data["time_limits"] if t["id"] == "lex_sarah_anmalan_ivo")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: _ivo_entry(d).update(counted_from="bedomning"), "'counted_from' ska vara en av"),
        (lambda d: _ivo_entry(d).update(until="ivo"), "'until' kan bara vara ivo_anmalan"),
        (lambda d: _ivo_entry(d).update(until_status="atgardad"), "ange antingen 'until_status' eller"),
        (lambda d: _ivo_entry(d).update(categories=["ovrigt"]), "gäller bara kategorier med ivo: true"),
        (lambda d: d["lagrum"][2]["references"][0].update(valid_to="2025-07-01"), "lagrummet anmalan_ivo: lagrummens giltighetstider överlappar"),
        (lambda d: d["lagrum"][2]["references"][1].update(valid_from="2025-07-02"), "lämnar ett glapp"),
        (lambda d: d["lagrum"][2]["references"][1].pop("verified"), "verified ska vara true eller false"),
    ],
)
def test_a_broken_ivo_limit_or_lagrum_names_the_entry(change, message):
    data = _shipped()
    change(data)
    with pytest.raises(DeviationRulesError, match="egna.yaml") as err:
        parse_rules(data, "egna.yaml")
    assert message in str(err.value)


def test_the_lagrum_in_force_the_day_before_and_the_day_of_the_new_law():
    rules = load_rules(DEFAULT_FILE)
    old, new = rules.provision_on("anmalan_ivo", dt.date(2025, 6, 30)), rules.provision_on("anmalan_ivo", dt.date(2025, 7, 1))
    assert old.text.startswith("Socialtjänstlagen (2001:453) 14 kap. 7 §") and old.shown.endswith("(ej verifierad)")
    assert new.text.startswith("Socialtjänstlagen (2025:400) 27 kap. 6 §") and new.verified
    assert "påtaglig risk för ett allvarligt missförhållande" in new.text
    assert rules.provision_on("rapportering", dt.date(2025, 7, 1)).text == "Socialtjänstlagen (2025:400) 27 kap. 2 §."
    assert rules.provision_on("utredning", dt.date(2025, 7, 1)).text == "Socialtjänstlagen (2025:400) 27 kap. 5 §."
    assert not rules.provision_on("foreskrift", dt.date(2026, 1, 1)).verified  # a successor to SOSFS 2011:5: not checked
    assert "motsvarande" not in DEFAULT_FILE.read_text(encoding="utf-8")


# ------------------------------------------------------------------ the workflow


def judge(rules, deviation, user, **fields):
    values = {"summary": "Rutinen följdes inte.", "conclusion": "Rutinen förtydligas.", "severity": "hog", **fields}
    return save_investigation(rules, deviation.pk, user, **values)


def test_a_pataglig_risk_is_serious_and_closes_only_after_the_anmalan(rules, users):
    chef = users["chef"]
    deviation = report(rules, users["anna"], category="lex_sarah")
    saved = judge(rules, deviation, chef, outcome="risk_allvarligt", judged_on=dt.date(2026, 6, 22),
                  judged_by_role="enhetschef")
    assert (saved.outcome, saved.is_serious, saved.judged_on, saved.judged_by_role) == (
        "risk_allvarligt", True, dt.date(2026, 6, 22), "enhetschef")
    change_status(rules, deviation.pk, chef, "under_utredning")
    change_status(rules, deviation.pk, chef, "atgardad")
    with pytest.raises(WorkflowError, match="anmält till IVO"):
        change_status(rules, deviation.pk, chef, "avslutad")
    judge(rules, deviation, chef, outcome="risk_allvarligt", judged_on=dt.date(2026, 6, 22),
          judged_by_role="enhetschef", ivo_reported_on=dt.date(2026, 6, 24))
    assert change_status(rules, deviation.pk, chef, "avslutad").status == "avslutad"


def test_the_judgement_day_defaults_to_today_and_stays_within_report_and_today(rules, users):
    chef = users["chef"]
    deviation = report(rules, users["anna"], category="lex_sarah", reported_on=dt.date(2026, 6, 18))
    assert judge(rules, deviation, chef, outcome="allvarligt", judged_by_role="enhetschef").judged_on == dt.date(2026, 6, 26)
    with pytest.raises(WorkflowError, match="mellan rapporten och i dag"):
        judge(rules, deviation, chef, outcome="allvarligt", judged_on=dt.date(2026, 6, 27))
    with pytest.raises(WorkflowError, match="mellan rapporten och i dag"):
        judge(rules, deviation, chef, outcome="allvarligt", judged_on=dt.date(2026, 6, 17))
    with pytest.raises(WorkflowError, match="Okänd bedömning"):
        judge(rules, deviation, chef, outcome="kanske")
    cleared = judge(rules, deviation, chef, outcome="")
    assert (cleared.outcome, cleared.is_serious, cleared.judged_on, cleared.judged_by_role) == ("", None, None, "")


def test_the_history_names_the_role_not_the_person(rules, users):
    dubbel = users["dubbel"]  # enhetschef of E2 (and handläggare in G1)
    deviation = report(rules, dubbel, unit_id="G3", category="lex_sarah")
    judge(rules, deviation, dubbel, outcome="allvarligt", judged_on=dt.date(2026, 6, 23), judged_by_role="enhetschef")
    judge(rules, deviation, dubbel, outcome="risk_allvarligt", judged_on=dt.date(2026, 6, 24),
          judged_by_role="enhetschef")
    notes = [n for n in DeviationEvent.objects.filter(deviation=deviation, kind="utredning").values_list("note", flat=True)]
    assert notes == [
        "bedömning medel, ej bedömt om allvarligt → hog, ett allvarligt missförhållande, bedömd 2026-06-23 av Enhetschef",
        "bedömning hog, ett allvarligt missförhållande → hog, en påtaglig risk för ett allvarligt missförhållande, "
        "bedömd 2026-06-24 av Enhetschef",
    ]
    assert not any("dubbel" in n for n in notes)


def test_an_old_yes_no_judgement_migrates_to_the_stricter_outcome(rules, users):
    """0002 maps is_serious → outcome; simulate a row stored before it and run the same mapping."""
    from importlib import import_module

    from django.apps import apps as django_apps

    migration = import_module("egenkontroll.deviations.migrations.0002_judgement_outcome_role")
    old = report(rules, users["anna"], category="lex_sarah")
    not_serious = report(rules, users["anna"], category="lex_sarah")
    Deviation.objects.filter(pk=old.pk).update(is_serious=True, outcome="")
    Deviation.objects.filter(pk=not_serious.pk).update(is_serious=False, outcome="")
    migration.outcome_from_is_serious(django_apps, None)
    assert Deviation.objects.get(pk=old.pk).outcome == "allvarligt"
    assert Deviation.objects.get(pk=not_serious.pk).outcome == "ej_allvarligt"
    assert Deviation.objects.get(pk=old.pk).serious_judged_on is None  # no day recorded: no IVO limit


# ------------------------------------------------------------------ the pages


def test_the_page_records_the_role_and_flags_the_late_anmalan(as_user, rules, users):
    deviation = report(rules, users["anna"], category="lex_sarah", reported_on=dt.date(2026, 6, 16))
    client = as_user("chef")
    url = reverse("deviations:utredning", args=[deviation.pk])
    posted = client.post(url, {"summary": "Utredd.", "conclusion": "Anmäls.", "severity": "allvarlig",
                               "is_serious": "risk", "judged_on": "2026-06-17"})
    assert posted.status_code == 302, posted.content.decode()[:2000]
    saved = Deviation.objects.get(pk=deviation.pk)
    assert (saved.outcome, saved.judged_on, saved.judged_by_role) == ("risk_allvarligt", dt.date(2026, 6, 17),
                                                                       "enhetschef")
    detail = client.get(reverse("deviations:detalj", args=[deviation.pk])).content.decode()
    assert "En påtaglig risk för ett allvarligt missförhållande, bedömd 2026-06-17 av Enhetschef" in detail
    assert "Anmälan till IVO" in detail and "5 arbetsdagar" in detail and "2026-06-25" in detail
    assert "Socialtjänstlagen (2025:400) 27 kap. 6 §" in detail
    listing = client.get(reverse("deviations:lista")).content.decode()
    assert "anmälan till IVO senast 2026-06-25" in listing
    # the anmälan made: the limit is met (late), no longer flagged as passed
    client.post(url, {"summary": "Utredd.", "conclusion": "Anmäld.", "severity": "allvarlig", "is_serious": "risk",
                      "judged_on": "2026-06-17", "ivo_reported_on": "2026-06-26"})
    assert "anmälan till IVO senast" not in client.get(reverse("deviations:lista")).content.decode()


def test_a_judgement_day_in_the_future_or_before_the_report_is_refused_on_the_page(as_user, rules, users):
    deviation = report(rules, users["anna"], category="lex_sarah", reported_on=dt.date(2026, 6, 16))
    client = as_user("chef")
    url = reverse("deviations:utredning", args=[deviation.pk])
    base = {"summary": "x", "conclusion": "y", "severity": "hog", "is_serious": "ja"}
    future = client.post(url, {**base, "judged_on": "2026-06-27"})
    assert future.status_code == 400 and "Datumet ligger i framtiden" in future.content.decode()
    early = client.post(url, {**base, "judged_on": "2026-06-15"})
    assert early.status_code == 400 and "före rapporten" in early.content.decode()
    undecided = client.post(url, {**base, "is_serious": "", "judged_on": "2026-06-20"})
    assert undecided.status_code == 400 and "Ange bedömningen" in undecided.content.decode()
    assert Deviation.objects.get(pk=deviation.pk).outcome == ""


def test_an_old_report_shows_the_old_paragraph_marked_unverified(as_user, rules, users):
    deviation = report(rules, users["chef"], category="lex_sarah", reported_on=dt.date(2025, 6, 30))
    detail = as_user("chef").get(reverse("deviations:detalj", args=[deviation.pk])).content.decode()
    assert "Socialtjänstlagen (2001:453) 14 kap. 7 §. (ej verifierad)" in detail
    assert "27 kap. 6 §:" not in detail


def test_the_namnd_sees_counts_with_the_late_anmalan_but_no_role_or_name(as_user, rules, users):
    dubbel = users["dubbel"]
    for day in range(1, 7):
        deviation = report(rules, dubbel, unit_id="G3", category="lex_sarah", reported_on=dt.date(2026, 3, day),
                           title=f"Lex Sarah {day}")
        judge(rules, deviation, dubbel, outcome="allvarligt", judged_on=dt.date(2026, 3, day),
              judged_by_role="enhetschef")
    client = as_user("namnd")
    page = client.get(reverse("deviations:lista")).content.decode()
    assert "dubbel" not in page and "Enhetschef" not in page and "bedömd" not in page
    assert "Lex Sarah 1" not in page and "senast" not in page
    months = client.get(reverse("deviations:export", kwargs={"table": "manad_kategori", "fmt": "csv"}))
    march = months.content.decode("utf-8-sig").splitlines()[3].split(";")  # Swedish Excel CSV
    assert march[:2] == ["mar", "6"]  # six lex Sarah reports: shown, not masked
    assert client.get(reverse("deviations:detalj", args=[deviation.pk])).status_code in (403, 404)
