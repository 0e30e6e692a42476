"""The deviation pages: reporting, reach (404 outside it), changes by role, overdue flags, logging."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from egenkontroll.access.models import AccessLog
from egenkontroll.deviations.models import Deviation
from egenkontroll.deviations.workflow import add_action, change_status
from tests.deviations.conftest import report

NEW = {"category": "avvikelse_handlaggning", "title": "Sen utredning", "unit": "G1", "occurred_on": "2026-06-15",
       "reported_on": "2026-06-16", "severity": "medel", "description": "Personnummer 20150312-1234 stod i mejlet."}


def detail_url(deviation) -> str:
    return reverse("deviations:detalj", args=[deviation.pk])


def test_a_handlaggare_reports_for_her_group_only(as_user):
    client = as_user("anna")
    response = client.post(reverse("deviations:ny"), NEW)
    deviation = Deviation.objects.get()
    assert response.status_code == 302 and response.url == detail_url(deviation)
    assert (deviation.number, deviation.unit_id, deviation.status, deviation.reported_by.username) == (
        "2026-0001", "G1", "rapporterad", "anna")
    assert deviation.description == "Personnummer 20150312-**** stod i mejlet."
    refused = client.post(reverse("deviations:ny"), {**NEW, "unit": "G3"})
    assert refused.status_code == 400 and Deviation.objects.count() == 1
    page = client.get(reverse("deviations:lista")).content.decode()
    assert "Skriv inga personuppgifter om enskilda" in page


def test_the_inspektor_reads_but_does_not_report(as_user, rules, users):
    deviation = report(rules, users["anna"])
    client = as_user("inspektor")
    assert client.post(reverse("deviations:ny"), NEW).status_code == 403
    page = client.get(detail_url(deviation)).content.decode()
    assert "Du kan läsa avvikelsen men inte ändra den" in page and "Ändra status" not in page
    assert client.post(reverse("deviations:status", args=[deviation.pk]), {"status": "under_utredning"}).status_code == 403


def test_another_units_deviation_is_404_and_logged(as_user, rules, users):
    in_g3 = report(rules, users["avdchef"], unit_id="G3", title="I avdelning A2")
    client = as_user("chef")  # enhetschef of E1: G1 and G2
    assert client.get(detail_url(in_g3)).status_code == 404
    assert client.post(reverse("deviations:status", args=[in_g3.pk]), {"status": "under_utredning"}).status_code == 404
    denied = AccessLog.objects.filter(username="chef", action="denied", page="avvikelse")
    assert denied.count() == 2
    assert "I avdelning A2" not in client.get(reverse("deviations:lista")).content.decode()
    assert as_user("avdchef").get(detail_url(in_g3)).status_code == 200


def test_a_handlaggare_sees_only_her_own_reports(as_user, rules, users):
    hers = report(rules, users["anna"], title="Annas rapport")
    bos = report(rules, users["bo"], title="Bos rapport")
    client = as_user("anna")
    assert client.get(detail_url(hers)).status_code == 200
    assert client.get(detail_url(bos)).status_code == 404
    page = client.get(reverse("deviations:lista")).content.decode()
    assert "Annas rapport" in page and "Bos rapport" not in page


def test_status_changes_by_the_enhetschef_along_the_rules(as_user, rules, users):
    deviation = report(rules, users["anna"])
    url = reverse("deviations:status", args=[deviation.pk])
    assert as_user("ledare").post(url, {"status": "under_utredning"}).status_code == 403
    client = as_user("chef")
    assert client.get(url).status_code == 405
    assert client.post(url, {"status": "avslutad"}).status_code == 400
    assert client.post(url, {"status": "under_utredning", "note": "Utredare utsedd."}).status_code == 302
    deviation.refresh_from_db()
    assert deviation.status == "under_utredning"
    page = client.get(detail_url(deviation)).content.decode()
    assert "Rapporterad → Under utredning" in page and "Utredare utsedd." in page


def test_closing_on_the_page_is_refused_with_an_open_action(as_user, rules, users):
    chef = users["chef"]
    deviation = report(rules, users["anna"])
    client = as_user("chef")
    client.post(reverse("deviations:utredning", args=[deviation.pk]),
                {"summary": "Utrett.", "conclusion": "Rutin ändras.", "severity": "medel"})
    action = add_action(rules, deviation.pk, chef, text="Ny rutin.", responsible_unit_id="E1", due_date=None)
    change_status(rules, deviation.pk, chef, "under_utredning")
    change_status(rules, deviation.pk, chef, "atgardad")
    url = reverse("deviations:status", args=[deviation.pk])
    refused = client.post(url, {"status": "avslutad"})
    assert refused.status_code == 409 and "Alla åtgärder ska vara klara" in refused.content.decode()
    done = client.post(reverse("deviations:atgard-status", args=[deviation.pk, action.pk]), {"status": "klar"})
    assert done.status_code == 302
    assert client.post(url, {"status": "avslutad"}).status_code == 302
    deviation.refresh_from_db()
    assert deviation.status == "avslutad" and deviation.closed_on == dt.date(2026, 6, 26)


def test_ivo_fields_only_for_lex_sarah(as_user, rules, users):
    lex = report(rules, users["anna"], category="lex_sarah")
    other = report(rules, users["anna"])
    client = as_user("chef")
    assert "Anmäld till IVO" in client.get(detail_url(lex)).content.decode()
    assert "Anmäld till IVO" not in client.get(detail_url(other)).content.decode()
    bad = client.post(reverse("deviations:utredning", args=[lex.pk]),
                      {"summary": "x", "conclusion": "y", "severity": "hog", "ivo_reported_on": "2026-06-20"})
    assert bad.status_code == 400 and "Ange bedömningen" in bad.content.decode()


def test_overdue_investigations_are_flagged(as_user, rules, users):
    """Reported Thursday 18 June 2026; midsommarafton and the weekend are not working days, so the
    lex Sarah investigation had to start by Tuesday 23 June. Today is 26 June."""
    late = report(rules, users["anna"], category="lex_sarah", title="Inte påbörjad")
    started = report(rules, users["anna"], category="lex_sarah", title="Påbörjad i tid")
    change_status(rules, started.pk, users["chef"], "under_utredning")
    client = as_user("chef")
    page = client.get(reverse("deviations:lista")).content.decode()
    assert "Försenad: utredningen påbörjad senast 2026-06-23" in page
    assert "Utredningen klar och åtgärdad senast 2026-07-02" in page
    summary = client.get(reverse("deviations:export", kwargs={"table": "sammanfattning", "fmt": "csv"}))
    lines = summary.content.decode("utf-8-sig").splitlines()
    assert "Öppna avvikelser (alla år);2" in lines
    assert "Varav med en passerad tidsgräns;1" in lines
    assert "Lex Sarah-rapporter 2026;2" in lines
    detail = client.get(detail_url(late)).content.decode()
    assert "försenad" in detail and "2 arbetsdagar" in detail


def test_filters_by_status_category_and_unit(as_user, rules, users):
    report(rules, users["anna"], title="I G1")
    report(rules, users["chef"], unit_id="G2", category="ovrigt", title="I G2")
    client = as_user("chef")
    assert "I G2" not in client.get(reverse("deviations:lista") + "?enhet=G1").content.decode()
    assert "I G1" not in client.get(reverse("deviations:lista") + "?kategori=ovrigt").content.decode()
    assert "I G1" not in client.get(reverse("deviations:lista") + "?status=avslutad").content.decode()
    assert client.get(reverse("deviations:lista") + "?enhet=G3").status_code == 404


def test_views_are_logged_with_the_number_not_the_text(as_user, rules, users):
    deviation = report(rules, users["anna"], description="Något hände i gruppen.")
    client = as_user("ledare")
    client.get(detail_url(deviation))
    client.get(reverse("deviations:lista"))
    client.get(reverse("deviations:export", kwargs={"table": "avvikelser", "fmt": "csv"}))
    rows = list(AccessLog.objects.filter(username="ledare").order_by("id").values_list("action", "page", "detail"))
    assert rows == [
        ("view", "avvikelse", "avvikelse 2026-0001"),
        ("list", "avvikelse", "avvikelser: 2026-0001"),
        ("export", "avvikelse", "avvikelser: 2026-0001"),
    ]


def test_another_deviations_action_cannot_be_changed_through_this_one(as_user, rules, users):
    """The action id must belong to the deviation in the path: no acting on one through another."""
    mine, other = report(rules, users["anna"]), report(rules, users["anna"])
    for deviation in (mine, other):
        change_status(rules, deviation.pk, users["chef"], "under_utredning")
    action = add_action(rules, other.pk, users["chef"], text="Ny rutin.", responsible_unit_id="E",
                        due_date=dt.date(2026, 9, 1))
    client = as_user("chef")
    crossed = reverse("deviations:atgard-status", args=[mine.pk, action.pk])
    assert client.post(crossed, {"status": "klar"}).status_code == 404
    action.refresh_from_db()
    assert action.status == "oppen"
    own = reverse("deviations:atgard-status", args=[other.pk, action.pk])
    assert client.post(own, {"status": "klar"}).status_code == 302
    action.refresh_from_db()
    assert action.status == "klar"


def test_the_namnd_cannot_download_the_list_of_deviations(as_user, rules, users):
    report(rules, users["anna"])
    client = as_user("namnd")
    assert client.get(reverse("deviations:export", args=["avvikelser", "csv"])).status_code == 404
    assert client.get(reverse("deviations:export", args=["manad_kategori", "csv"])).status_code == 200
