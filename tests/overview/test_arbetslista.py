"""Arbetslista: open deadlines by urgency, filters, sorting, the caseworker's own list, the log."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from egenkontroll.access.models import AccessLog
from egenkontroll.cases.importer import run_import
from egenkontroll.pages import snapshot
from tests.cases.factory import event, write_dataset
from tests.overview import municipality as M

pytestmark = pytest.mark.django_db


def rows(response) -> list[tuple[str, str, str]]:
    return [(r["case_id"], r["rule"], r["urgency"]) for r in response.context["tables"][0].rows]


def counts(response) -> dict[str, int]:
    return {key: n for key, _, n, _ in response.context["counts"]}


def test_a_caseworker_lands_on_their_own_work_list(login):
    client = login("anna")
    assert client.get("/").url == "/arbetslista/"
    response = client.get("/arbetslista/")
    assert response.status_code == 200
    # C4: protection assessment overdue since 03-06, both assessments due 03-19 (later);
    # C5: both assessments due 03-11, within their 3 and 2 warning days. C2 is fulfilled.
    assert counts(response) == {"forsenad": 1, "snart": 2, "kommande": 2}
    # What can still be saved first: soon due, then overdue (most recently broken first), then later.
    assert rows(response) == [
        ("C5", "Förhandsbedömning inom 10 arbetsdagar", "Snart förfallen"),
        ("C5", "Förhandsbedömning inom 14 dagar", "Snart förfallen"),
        ("C4", "Skyddsbedömning genast (samma eller nästa dag)", "Försenad"),
        ("C4", "Förhandsbedömning inom 10 arbetsdagar", "Kommande"),
        ("C4", "Förhandsbedömning inom 14 dagar", "Kommande"),
    ]
    overdue = response.context["tables"][0].rows[2]
    assert overdue["days_left"] == -4  # due 03-06, today 03-10
    log = AccessLog.objects.filter(page="arbetslista").latest("id")
    assert (log.action, sorted(json.loads(log.case_ids))) == ("list", ["C4", "C5"])


def test_filters_by_urgency_and_rule(login):
    client = login("anna")
    overdue = client.get("/arbetslista/?status=forsenad")
    assert rows(overdue) == [("C4", "Skyddsbedömning genast (samma eller nästa dag)", "Försenad")]
    assert counts(overdue) == {"forsenad": 1, "snart": 2, "kommande": 2}  # counts ignore the urgency filter
    by_rule = client.get("/arbetslista/?regel=forhandsbedomning_14d&status=snart&status=kommande")
    assert [r[0] for r in rows(by_rule)] == ["C5", "C4"]
    assert counts(by_rule) == {"forsenad": 0, "snart": 1, "kommande": 1}


def test_sorting(login):
    response = login("anna").get("/arbetslista/?sortera=-frist")
    due = [r["due_date"] for r in response.context["tables"][0].rows]
    assert due == sorted(due, reverse=True)


def test_a_unit_head_filters_by_group_and_caseworker(login):
    client = login("chef")
    whole = client.get("/arbetslista/")
    # E: anna's five plus bo's: C1 investigation (due 07-03), C3 övervägande (07-27), vårdnads-
    # överflyttning (2028-01-26) and the next visit (05-20).
    assert sum(counts(whole).values()) == 9
    group = client.get("/arbetslista/?enhet=G2")
    assert sorted({r[0] for r in rows(group)}) == ["C1", "C3"]
    assert sum(counts(client.get("/arbetslista/?handlaggare=bo")).values()) == 4


def test_closed_cases_only_on_request(login):
    # C2 was closed with nothing open; the filter is on the case, so nothing of C2 either way,
    # but the option is kept in the query string of the urgency links.
    response = login("anna").get("/arbetslista/?avslutade=ja")
    assert sum(counts(response).values()) == 5
    assert all("avslutade=ja" in url for _, _, _, url in response.context["counts"])


def test_caseworkers_see_only_their_own_cases(login):
    # bo asking for G1 (anna's group) gets nothing of anna's.
    response = login("bo").get("/arbetslista/?enhet=G1")
    assert rows(response) == []


def test_the_committee_has_no_work_list(login):
    assert login("namnd").get("/arbetslista/").status_code == 403


def test_pages_of_a_long_list(login, monkeypatch):
    from egenkontroll.overview.views import arbetslista

    monkeypatch.setattr(arbetslista, "PAGE_ROWS", 2)
    client = login("anna")
    first = client.get("/arbetslista/")
    assert len(first.context["tables"][0].rows) == 2
    assert first.context["pages"]["next"] == "?sida=2"
    last = client.get("/arbetslista/?sida=3")
    assert len(last.context["tables"][0].rows) == 1


def test_query_count_is_bounded(login, django_assert_max_num_queries):
    """Six queries for the page (urgency counts, one page of rows, unit and caseworker choices, the
    user's marking grants and their units) whatever the number of rows; the rest is session, user,
    roles, the hash-chained access log and the two of the page frame's data freshness ("Data t.o.m.",
    cases/status.py)."""
    client = login("chef")
    with django_assert_max_num_queries(21):
        assert client.get("/arbetslista/?enhet=E&regel=utredning_4m").status_code == 200


def _counted(client) -> tuple[dict[str, int], int]:
    """The counts of the inspektör's whole work list, and how many COUNT queries made them."""
    with CaptureQueriesContext(connection) as seen:
        response = client.get("/arbetslista/")
    return counts(response), sum("COUNT(" in q["sql"].upper() for q in seen.captured_queries)


def test_the_counts_are_kept_with_the_import_and_shared_by_every_server_process(login, monkeypatch, tmp_path):
    """A whole country's counts took 1.9 s a visit (issue 19): counted once per import, day and marks,
    kept on disk for every process, and counted again when an import changes the obligations."""
    monkeypatch.setenv("EGK_WEB_CACHE_DIR", str(tmp_path / "cache"))
    client = login("inspektor")
    first, counted = _counted(client)
    assert counted == 1
    assert first["forsenad"] == 1  # C4's protection assessment, due 03-06
    assert _counted(client) == (first, 0)
    snapshot.forget()  # another server process: nothing in memory, the counts read from the shared disk
    assert _counted(client) == (first, 0)
    # The nightly import brings the protection assessment C4 was missing: one overdue fewer.
    fixed = [*M.events(), event("c4s", "C4", M.PERSONS["C4"], "skyddsbedomning", dt.date(2026, 3, 5), "G1", "anna",
                                outcome="ej_akut")]
    assert run_import(write_dataset(tmp_path / "fixed", fixed, org_units=M.ORG_UNITS, caseworkers=M.CASEWORKERS)).rejected == 0
    after, counted = _counted(client)
    assert counted == 1
    assert after["forsenad"] == first["forsenad"] - 1


def test_a_narrower_scope_counts_at_once(login, monkeypatch, tmp_path):
    """Only a scope over the whole organisation keeps its counts: a caseworker's own list counts in
    milliseconds, and kept, every caseworker's would crowd the figures out of the kept frames."""
    monkeypatch.setenv("EGK_WEB_CACHE_DIR", str(tmp_path / "cache"))
    client = login("anna")
    first, counted = _counted(client)
    assert counted == 1
    assert _counted(client) == (first, 1)
    assert not list((tmp_path / "cache").rglob("worklist-counts-*"))


def test_the_default_order_holds_over_every_row(municipality):
    """The `atgard` segments, each read as an index range (the soon-due one bounded by the longest
    warning, issue 19), give every open obligation once: soon due soonest first, then overdue most
    recently broken first, then later ones soonest first."""
    from egenkontroll.cases.models import Obligation
    from egenkontroll.overview import queries

    today = M.TODAY
    rows, counts = queries.work_list(Obligation.objects.all(), today, queries.WorkListFilter(horizon="alla"))
    got = [(r["case_id"], r["rule"], r["due_date"]) for r in rows[0:10_000]]
    warning = queries.warning_days()
    every = Obligation.objects.filter(status="open", case__closed_date__isnull=True).values_list("case_id", "rule", "due_date")

    def place(row):
        case_id, rule, due = row
        if due < today:
            return (1, -due.toordinal(), case_id, rule)
        if warning.get(rule, 0) > 0 and due <= today + dt.timedelta(days=warning[rule]):
            return (0, due.toordinal(), case_id, rule)
        return (2, due.toordinal(), case_id, rule)

    assert got == sorted(every, key=place)
    assert len(got) == counts["forsenad"] + counts["snart"] + counts["kommande"] > 0


def test_the_choice_lists_are_escaped_and_keep_the_choice():
    """`{% options %}` writes a country's 3,360 units in Python (issue 19), escaped as the template
    language would, the chosen one selected."""
    from django.template import Context, Template

    page = Template("{% load valj %}{% options units chosen %}").render(
        Context({"units": [("G1", "Mottagningen", "grupp"), ("G<2>", 'Bo & "Barn"', "grupp")], "chosen": "G<2>"})
    )
    assert page == (
        '<option value="G1">Mottagningen</option>'
        '<option value="G&lt;2&gt;" selected>Bo &amp; &quot;Barn&quot;</option>'
    )


def test_the_work_list_keeps_the_chosen_unit_in_its_filter(login):
    page = login("chef").get("/arbetslista/?enhet=G2").content.decode()
    assert '<option value="G2" selected>Utredningsgruppen</option>' in page
    assert '<option value="G1">Mottagningen</option>' in page
