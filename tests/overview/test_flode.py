"""Flöde: the period's reports followed stage by stage (Sankey table), and the weekly backlog."""

from __future__ import annotations

import datetime as dt

import pytest

pytestmark = pytest.mark.django_db


def flows(response) -> list[tuple[str, str, object]]:
    chart = next(c for c in response.context["charts"] if c.id == "flode")
    return [(r["source"], r["target"], r["count"]) for r in chart.table.rows]


def test_the_reports_of_the_period_stage_by_stage(login):
    response = login("chef").get("/flode/")
    assert response.status_code == 200
    assert response.context["reports"] == 5
    assert flows(response) == [
        ("Anmälningar", "Inleda utredning", 2),  # C1, C3
        ("Anmälningar", "Inte inleda utredning", 1),  # C2
        ("Anmälningar", "Ännu inte beslutad", 2),  # C4, C5
        ("Inleda utredning", "Utredning pågår", 1),  # C1
        ("Inleda utredning", "Avslutad med insats", 1),  # C3
        ("Avslutad med insats", "Familjehem", 1),  # C3, 6 days after the conclusion
    ]
    sankey = next(c for c in response.context["charts"] if c.id == "flode").figure["data"][0]
    assert sankey["node"]["label"][0] == "Anmälningar"
    assert sankey["link"]["value"] == [2, 1, 2, 1, 1, 1]


def test_a_group_and_a_shorter_period(login):
    response = login("chef").get("/flode/?enhet=G2&fran=2025-10-01&till=2025-12-31&per=2025-12-31")
    # Only C3 (G2, 10-01); on 12-31 its investigation was still open.
    assert flows(response) == [("Anmälningar", "Inleda utredning", 1), ("Inleda utredning", "Utredning pågår", 1)]


def test_weekly_backlog_inflow_and_throughput(login):
    response = login("chef").get("/flode/")
    queue = next(c for c in response.context["charts"] if c.id == "ko").table.rows
    last = queue[-1]
    # Week of 03-09, seen on 03-10: C4 and C5 undecided; C1's investigation open.
    assert (last["week_end"], last["fb_open"], last["utr_open"]) == (dt.date(2026, 3, 10), 2, 1)
    flow = next(c for c in response.context["charts"] if c.id == "inflode").table.rows
    week = next(r for r in flow if r["week_end"] == dt.date(2026, 3, 8))
    # 03-02 – 03-08: C4 reported, C1 decided, C1's investigation opened.
    assert (week["fb_in"], week["fb_out"], week["utr_in"], week["utr_out"]) == (1, 1, 1, 0)


def test_the_committee_sees_small_flows_masked(login):
    response = login("namnd").get("/flode/?enhet=E")
    assert response.status_code == 200
    values = [count for _, _, count in flows(response)]
    assert all(v in ("<5", "x") for v in values)
    chart = next(c for c in response.context["charts"] if c.id == "flode")
    assert chart.figure["data"][0]["link"]["value"] == []  # nothing small is drawn


def test_charts_are_drawn_on_the_server_without_a_script(login):
    html = login("chef").get("/flode/").content.decode()
    assert "<script" not in html  # no script at all: the charts are SVG written by the server (issue 19)
    start = html.index('<div class="diagram-yta" id="diagram-ko">')
    chart = html[start : html.index("</svg>", start)]
    assert 'role="img"' in chart and "<title>Anmälningar som väntar på förhandsbedömning, " in chart
    assert html.count('<svg class="diagram-svg"') == 3  # the Sankey diagram and two weekly lines


def test_query_count_is_bounded(login, django_assert_max_num_queries):
    client = login("chef")
    client.get("/flode/")
    with django_assert_max_num_queries(11):  # +2: the page frame's data freshness (cases/status.py); +1: the marks' version
        assert client.get("/flode/?enhet=G1").status_code == 200
