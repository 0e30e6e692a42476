"""Översikt and Underlag: figures per node and drill-down, masking for the nämnd, the cases behind a number."""

from __future__ import annotations

import json

import pytest

from egenkontroll.access.models import AccessLog
from egenkontroll.pages import snapshot
from tests.overview.municipality import DAN

pytestmark = pytest.mark.django_db


def figure_row(response, title: str) -> dict:
    table = response.context["tables"][0]
    return next(r for r in table.rows if r["kpi"] == title)


def test_unit_head_sees_the_unit_and_its_groups(login):
    response = login("chef").get("/oversikt/")
    assert response.status_code == 200
    table = response.context["tables"][0]
    assert [c.header for c in table.columns] == [
        "Nyckeltal", "Mål", "Barn och unga (totalt)", "Mottagningen", "Utredningsgruppen",
    ]
    # Reports: C1, C2, C4, C5 registered at G1, C3 at G2.
    assert {k: v for k, v in figure_row(response, "Anmälningar").items() if k.startswith("n:")} == {
        "n:E": 5, "n:G1": 4, "n:G2": 1,
    }
    # Decided in the period: C1 inleda and C2 ej_inleda at G1, C3 inleda at G2.
    share = figure_row(response, "Andel förhandsbedömningar som lett till utredning")
    assert (share["n:E"], share["n:G1"], share["n:G2"]) == (pytest.approx(2 / 3), 0.5, 1.0)
    # Open on 03-10: C4, C5 with anna at G1; C1 (moved to bo) and C3 at G2. C2 is closed.
    assert figure_row(response, "Öppna ärenden")["n:E"] == 4
    assert figure_row(response, "Öppna ärenden")["n:G2"] == 2
    assert figure_row(response, "Placerade barn")["n:G2"] == 1
    assert figure_row(response, "Ärenden per handläggare")["n:E"] == 2.0
    # Every number links to the cases behind it; the breadcrumb starts at the user's unit.
    assert "/oversikt/underlag/?nyckeltal=anmalningar&amp;enhet=G1" in response.content.decode()
    assert response.context["crumbs"][0][0] == "Barn och unga"


def test_target_colour_is_also_said_in_words(login):
    response = login("chef").get("/oversikt/")
    html = response.content.decode()
    # 14 days: C2 decided late at G1 (1 of 2 on time, target 100 %); G2 1 of 1.
    table = response.context["tables"][0]
    row = next(i for i, r in enumerate(table.rows) if r["kpi"] == "Förhandsbedömningar inom 14 dagar")
    assert table.css[(row, "n:G1")] == "mal-miss"
    assert table.css[(row, "n:G2")] == "mal-ok"
    assert "(når inte målet)" in html


def test_drill_down_to_a_group_lists_its_caseworkers(login):
    response = login("chef").get("/oversikt/?enhet=G2")
    assert response.status_code == 200
    headers = [c.header for c in response.context["tables"][0].columns]
    # By name: dan's (a formula-like name) sorts first.
    assert headers[2:] == ["Utredningsgruppen (totalt)", DAN, "Bo Berg", "Cia Carlsson"]
    assert [label for label, _ in response.context["crumbs"]] == ["Barn och unga", "Utredningsgruppen"]
    row = figure_row(response, "Öppna ärenden")
    assert (row["n:G2"], row["n:bo"], row["n:cia"]) == (2, 2, 0)


def test_a_caseworker_column_and_breadcrumb(login):
    response = login("chef").get("/oversikt/?handlaggare=anna")
    assert response.status_code == 200
    assert [label for label, _ in response.context["crumbs"]] == ["Barn och unga", "Mottagningen", "Anna Andersson"]
    assert figure_row(response, "Öppna ärenden")["n:anna"] == 2


def test_units_outside_the_scope_are_not_found(login):
    client = login("ledare")  # arbetsledare of G1
    assert client.get("/oversikt/?enhet=G2").status_code == 404
    assert client.get("/oversikt/?handlaggare=bo").status_code == 404
    assert client.get("/oversikt/?enhet=nosuch").status_code == 404


def test_the_committee_sees_masked_figures_without_case_links(login):
    response = login("namnd").get("/oversikt/?enhet=E")
    assert response.status_code == 200
    row = figure_row(response, "Anmälningar")
    # 4 and 1 are small; both hidden, the total of 5 stays (nothing can be derived).
    assert (row["n:E"], row["n:G1"], row["n:G2"]) == (5, "<5", "<5")
    # A share of 3 decisions is hidden as resting on fewer than 5 items.
    assert figure_row(response, "Andel förhandsbedömningar som lett till utredning")["n:E"] == "<5"
    assert "/oversikt/underlag/" not in response.content.decode()
    # Caseworker columns are never shown to the nämnd.
    assert login("namnd").get("/oversikt/?handlaggare=anna").status_code == 404


def test_bad_dates_fall_back_with_a_swedish_message(login):
    response = login("chef").get("/oversikt/?fran=2026-13-01&till=2026-03-10")
    assert response.status_code == 200
    assert "inget datum" in response.content.decode()
    assert response.context["period"].start.isoformat() == "2025-03-11"


def test_underlag_lists_exactly_the_counted_cases(login):
    response = login("chef").get("/oversikt/underlag/?nyckeltal=anmalningar&enhet=G1")
    assert response.status_code == 200
    rows = response.context["tables"][0].rows
    assert sorted(r["case_id"] for r in rows) == ["C1", "C2", "C4", "C5"]
    assert response.context["total"] == 4
    log = AccessLog.objects.filter(page="underlag", action="list").latest("id")
    assert sorted(json.loads(log.case_ids)) == ["C1", "C2", "C4", "C5"]


def test_underlag_page_builds_only_the_rows_it_shows_and_the_download_has_all(login, monkeypatch):
    from egenkontroll.overview.views import oversikt

    monkeypatch.setattr(oversikt, "UNDERLAG_ROWS", 2)
    client = login("chef")
    page = client.get("/oversikt/underlag/?nyckeltal=anmalningar&enhet=G1")
    assert len(page.context["tables"][0].rows) == 2
    assert "Sidan visar de första 2 av 4 posterna" in page.content.decode()
    log = AccessLog.objects.filter(page="underlag", action="list").latest("id")
    assert len(json.loads(log.case_ids)) == 2  # only what was shown is logged as viewed
    download = client.get("/oversikt/underlag/ladda-ner/arenden.csv?nyckeltal=anmalningar&enhet=G1")
    assert download.status_code == 200
    assert sorted(line.split(";")[0] for line in download.content.decode("utf-8-sig").splitlines()[1:]) == [
        "C1", "C2", "C4", "C5",
    ]


def test_underlag_denominator_and_open_cases(login):
    client = login("chef")
    den = client.get("/oversikt/underlag/?nyckeltal=fb_inom_14d_andel&enhet=G1&del=namnare")
    assert sorted(r["case_id"] for r in den.context["tables"][0].rows) == ["C1", "C2"]
    num = client.get("/oversikt/underlag/?nyckeltal=fb_inom_14d_andel&enhet=G1")
    assert [r["case_id"] for r in num.context["tables"][0].rows] == ["C1"]
    open_cases = client.get("/oversikt/underlag/?nyckeltal=oppna_arenden&enhet=E")
    assert sorted(r["case_id"] for r in open_cases.context["tables"][0].rows) == ["C1", "C3", "C4", "C5"]


def test_underlag_hides_cases_outside_a_caseworkers_own(login):
    # anna sees G1's figures, but C1 has moved to bo: counted, not shown.
    response = login("anna").get("/oversikt/underlag/?nyckeltal=anmalningar&enhet=G1")
    assert sorted(r["case_id"] for r in response.context["tables"][0].rows) == ["C2", "C4", "C5"]
    assert response.context["hidden_count"] == 1


def test_underlag_of_the_whole_organisation_for_who_may_open_every_case(login):
    """An inspektör may open every case: nothing hidden, no case looked up (a country has millions)."""
    response = login("inspektor").get("/oversikt/underlag/?nyckeltal=anmalningar&enhet=S")
    assert sorted(r["case_id"] for r in response.context["tables"][0].rows) == ["C1", "C2", "C3", "C4", "C5"]
    assert (response.context["total"], response.context["hidden_count"]) == (5, 0)


def test_underlag_is_person_level(login):
    assert login("namnd").get("/oversikt/underlag/?nyckeltal=anmalningar&enhet=E").status_code == 403
    assert login("chef").get("/oversikt/underlag/?nyckeltal=nosuch&enhet=E").status_code == 404


def test_figures_are_those_of_the_kpi_engine(municipality):
    """The page reads core.kpis.compute for the period: the same numbers as `egenkontroll kpi`."""
    from egenkontroll.core import kpis
    from egenkontroll.core.obligations import evaluate
    from tests.overview.municipality import PERIOD, TODAY

    snap = snapshot.current()
    frame = snap.figures(*PERIOD, TODAY)
    ev = evaluate(snap.events, TODAY)
    direct = kpis.compute(snap.events, ev.obligations, snap.org_units, snap.caseworkers, *PERIOD, TODAY)
    assert frame.equals(direct)


def test_query_count_is_bounded(login, django_assert_max_num_queries):
    client = login("chef")
    client.get("/oversikt/")  # the snapshot loads once per import
    with django_assert_max_num_queries(14):  # +2: the page frame's data freshness (cases/status.py)
        assert client.get("/oversikt/?enhet=G2").status_code == 200
    # Two more for the version of staff's marks (core/marks.py), two for the frame's data freshness.
    with django_assert_max_num_queries(20):
        assert client.get("/oversikt/underlag/?nyckeltal=oppna_arenden&enhet=E").status_code == 200


def test_a_scope_of_two_groups_shows_both_side_by_side(login, municipality):
    from django.contrib.auth import get_user_model

    from egenkontroll.access.models import RoleAssignment
    from tests.overview.conftest import PASSWORD

    user = get_user_model().objects.create_user("tva", password=PASSWORD)
    for group in ("G1", "G2"):
        RoleAssignment.objects.create(user=user, role="arbetsledare", unit_id=group)
    response = login("tva").get("/oversikt/")
    assert [c.header for c in response.context["tables"][0].columns] == [
        "Nyckeltal", "Mål", "Mottagningen", "Utredningsgruppen",
    ]
    assert {k: v for k, v in figure_row(response, "Anmälningar").items() if k.startswith("n:")} == {"n:G1": 4, "n:G2": 1}


def test_the_long_table_shows_its_first_rows_and_its_download_has_all(login, monkeypatch):
    """At a country's root the folded long table was 7,500 rows, nine tenths of the page (issue 19)."""
    from egenkontroll.overview.views import oversikt

    monkeypatch.setattr(oversikt, "LONG_ROWS", 5)
    client = login("chef")
    page = client.get("/oversikt/")
    long = page.context["tables"][1]
    assert long.id == "underlag" and len(long.rows) > 5 and long.truncated
    html = page.content.decode()
    body = html.split('id="tabell-underlag"')[1].split("</table>")[0]
    assert body.count("<tr") == 1 + 5  # the header and five rows
    assert f"de första 5 av {len(long.rows)} raderna" in html
    download = client.get("/oversikt/ladda-ner/underlag.csv")
    assert download.status_code == 200
    assert len(download.content.decode("utf-8-sig").strip().splitlines()) == 1 + len(long.rows)


def test_underlag_links_are_those_of_all_parameters_encoded_at_once(db):
    """The cells' links are built per node and period once (a country's root has 7,500 of them)."""
    import datetime as dt

    from django.urls import reverse

    from egenkontroll.core import kpi_catalogue
    from egenkontroll.overview.views.oversikt import Node, _underlag_urls, node_params
    from egenkontroll.pages.periods import Period, query_string

    nodes = [Node("unit", "Norr & Söder/1", "N", "enhet"), Node("caseworker", "a b+c", "A", "handlaggare")]
    period = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), dt.date(2025, 12, 31))
    url = _underlag_urls(nodes, period)
    for kpi in list(kpi_catalogue.configured_catalogue().values())[:3]:
        for node in nodes:
            expected = reverse("overview:underlag") + query_string(nyckeltal=kpi.id, **node_params(node), **period.params())
            assert url(kpi, node) == expected
