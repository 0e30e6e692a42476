"""Ärende: the timeline of one case, age and gender but never the personnummer; scope and log."""

from __future__ import annotations

import json

import pytest

from egenkontroll.access.models import AccessLog
from tests.overview.municipality import PERSONS

pytestmark = pytest.mark.django_db


def test_case_timeline_with_events_and_deadlines(login):
    response = login("bo").get("/arende/C3/")
    assert response.status_code == 200
    open_obligations, events, done = response.context["tables"]
    # Open obligations come first, then the events, then what is fulfilled or void.
    assert [t.id for t in response.context["tables"]] == ["frister", "handelser", "avslutade"]
    assert {r["status"] for r in open_obligations.rows} <= {"Pågående", "Försenad"}
    assert [r["event"] for r in events.rows] == [
        "Anmälan", "Skyddsbedömning", "Förhandsbedömning", "Utredning inledd", "Utredning avslutad",
        "Insats påbörjad", "Vårdplan", "Genomförandeplan", "Besök hos placerat barn",
    ]
    assert events.rows[5]["detail"] == "Familjehem, SoL"
    by_rule = {(r["rule"], r["due_date"].isoformat()): r["status"] for r in [*open_obligations.rows, *done.rows]}
    # The investigation 10-08 → 01-20 was due 2026-02-09 (02-08 a Sunday, 1930:173).
    assert by_rule[("Utredning avslutad inom fyra månader", "2026-02-09")] == "Uppfylld i tid"
    # Visits every three months: 01-26 → due 04-26, done 02-20; the next is due 05-20.
    assert by_rule[("Besök hos placerat barn var tredje månad", "2026-04-26")] == "Uppfylld i tid"
    assert by_rule[("Besök hos placerat barn var tredje månad", "2026-05-20")] == "Pågående"
    # Born June 2010: 15 on 2026-03-10. A girl.
    assert response.context["age"] == 15
    assert response.context["gender"] == "Flicka"


def test_no_personnummer_anywhere_on_the_page(login):
    html = login("bo").get("/arende/C3/").content.decode()
    number = PERSONS["C3"]
    assert number not in html
    assert number.replace("-", "") not in html
    assert number[2:] not in html


def test_an_overdue_deadline_counts_days_late_to_today(login):
    response = login("anna").get("/arende/C4/")
    rows = {r["rule"]: r for r in response.context["tables"][0].rows}
    skydd = rows["Skyddsbedömning genast (samma eller nästa dag)"]
    assert (skydd["status"], skydd["days_late"]) == ("Försenad", 4)
    assert response.context["overdue_count"] == 1


def test_a_case_outside_the_scope_is_not_found_and_the_attempt_logged(login):
    assert login("anna").get("/arende/C3/").status_code == 404
    denied = AccessLog.objects.filter(action="denied").latest("id")
    assert (denied.page, json.loads(denied.case_ids)) == ("arende", ["C3"])
    assert login("anna").get("/arende/NOSUCH/").status_code == 404


def test_viewing_a_case_is_logged(login):
    login("chef").get("/arende/C1/")
    entry = AccessLog.objects.filter(page="arende", action="view").latest("id")
    assert (entry.username, json.loads(entry.case_ids)) == ("chef", ["C1"])


def test_query_count_is_bounded(login, django_assert_max_num_queries):
    """Nine queries for the case (scope, person, events, obligations, unit and caseworker names,
    the marks' history, the user's marking grants and their units) however long its history; the
    rest is session, user, roles and the access log."""
    client = login("chef")
    with django_assert_max_num_queries(24):  # +2: the page frame's data freshness (cases/status.py)
        assert client.get("/arende/C3/").status_code == 200


def test_each_deadline_shows_the_paragraph_in_force_on_its_trigger_date(login):
    """C3's investigation opened 2025-10-08: SoL (2025:400), not the repealed 2001:453."""
    import datetime as dt

    from egenkontroll.overview.queries import reference_shown

    tables = login("bo").get("/arende/C3/").context["tables"]
    by_rule = {r["rule"]: r["reference"] for t in tables for r in t.rows if "reference" in r}
    assert by_rule["Utredning avslutad inom fyra månader"].startswith("Socialtjänstlagen (2025:400) 20 kap. 3 §")
    assert "ej verifierad" not in by_rule["Utredning avslutad inom fyra månader"]
    # the day before the new act: the old paragraph, said plainly to be unverified
    old = reference_shown("utredning_4m", dt.date(2025, 6, 30))
    assert old.startswith("Socialtjänstlagen (2001:453) 11 kap. 2 §") and old.endswith("(ej verifierad)")
