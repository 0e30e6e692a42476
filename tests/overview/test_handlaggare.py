"""Handläggare: caseloads against the norm, groups, turnover per quarter, vacancies."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def table(response, table_id: str):
    return next(t for t in response.context["tables"] if t.id == table_id)


def test_caseloads_per_caseworker_and_group(login):
    response = login("chef").get("/handlaggare/")
    assert response.status_code == 200
    people = {r["name"]: r["open_cases"] for r in table(response, "handlaggare").rows}
    # On 03-10: anna has C4 and C5, bo C1 and C3, cia none; dan left 2025-11-28 with nothing open.
    assert people == {"Anna Andersson": 2, "Bo Berg": 2, "Cia Carlsson": 0}
    groups = {r["group"]: r for r in table(response, "grupper").rows}
    g2 = groups["Utredningsgruppen"]
    assert (g2["caseworkers"], g2["open_cases"], g2["mean"], g2["maximum"], g2["over_norm"]) == (2, 2, 1.0, 2, 0)
    # dan's place in G2 is not taken by a later starter (cia started before he left).
    assert (g2["vacancies"], groups["Mottagningen"]["vacancies"]) == (1, 0)
    assert response.context["norm"] == 20.0


def test_turnover_per_quarter(login):
    response = login("chef").get("/handlaggare/")
    chart = next(c for c in response.context["charts"] if c.id == "personalrorlighet")
    quarters = {r["quarter"]: (r["started"], r["left"]) for r in chart.table.rows}
    assert list(quarters) == ["2025 K1", "2025 K2", "2025 K3", "2025 K4", "2026 K1"]
    assert quarters["2025 K2"] == (1, 0)  # cia
    assert quarters["2025 K4"] == (0, 1)  # dan


def test_the_norm_follows_the_targets_file(login, tmp_path, monkeypatch):
    targets = tmp_path / "mal.yaml"
    targets.write_text("targets:\n  arenden_per_handlaggare: 1\n", encoding="utf-8")
    monkeypatch.setenv("EGK_KPI_TARGETS_FILE", str(targets))
    response = login("chef").get("/handlaggare/")
    over = {r["name"]: r["over"] for r in table(response, "handlaggare").rows}
    assert over == {"Anna Andersson": 1, "Bo Berg": 1, "Cia Carlsson": 0}
    assert response.context["over_norm"] == 2


def test_the_committee_sees_groups_only(login):
    response = login("namnd").get("/handlaggare/?enhet=E")
    assert response.status_code == 200
    assert [t.id for t in response.context["tables"]] == ["grupper"]
    assert "Anna Andersson" not in response.content.decode()
    groups = {r["group"]: r for r in table(response, "grupper").rows}
    assert groups["Mottagningen"]["open_cases"] == "<5"
    assert login("namnd").get("/handlaggare/ladda-ner/handlaggare.csv").status_code == 404


def test_a_caseworker_sees_their_group(login):
    response = login("bo").get("/handlaggare/")
    names = {r["name"] for r in table(response, "handlaggare").rows}
    assert names == {"Bo Berg", "Cia Carlsson"}


def test_query_count_is_bounded(login, django_assert_max_num_queries):
    client = login("chef")
    client.get("/handlaggare/")
    with django_assert_max_num_queries(12):  # +2: the page frame's data freshness (cases/status.py)
        assert client.get("/handlaggare/?enhet=G2").status_code == 200


def test_one_box_per_unit_below_the_chosen_in_name_order_each_ascending(login):
    """The boxes split the caseworkers in one pass (issue 19): per unit below the chosen one, in
    the order of the units' names, each box's caseloads ascending, the table beside it alike."""
    response = login("chef").get("/handlaggare/")
    chart = next(c for c in response.context["charts"] if c.id == "fordelning")
    shown = [(r["bucket"], r["name"], r["open_cases"]) for r in chart.table.rows]
    assert shown == [
        ("Mottagningen", "Anna Andersson", 2),
        ("Utredningsgruppen", "Cia Carlsson", 0),
        ("Utredningsgruppen", "Bo Berg", 2),
    ]


def test_the_inspektor_sees_every_caseworker_by_name(login):
    """A scope over the whole organisation names everyone the page counts, without asking the
    database for each id (a country's 20,000 were one IN list, issue 19)."""
    everyone = login("inspektor").get("/handlaggare/")
    assert {r["name"] for r in table(everyone, "handlaggare").rows} == {"Anna Andersson", "Bo Berg", "Cia Carlsson"}
    assert {r["name"] for r in table(login("ledare").get("/handlaggare/"), "handlaggare").rows} == {"Anna Andersson"}


def test_the_group_table_shows_its_first_rows_and_its_download_has_all(login, monkeypatch):
    """A country's ~3,000 groups were most of the page (issue 19); the nämnd's table ends with its
    total row, so it is never cut."""
    from egenkontroll.overview.views import handlaggare

    monkeypatch.setattr(handlaggare, "GROUP_ROWS", 1)
    client = login("chef")
    page = client.get("/handlaggare/")
    groups = table(page, "grupper")
    assert len(groups.rows) == 2 and groups.truncated
    body = page.content.decode().split('id="tabell-grupper"')[1].split("</table>")[0]
    assert body.count("<tr") == 1 + 1  # the header and the first group
    download = client.get("/handlaggare/ladda-ner/grupper.csv")
    assert len(download.content.decode("utf-8-sig").strip().splitlines()) == 1 + 2
    assert not table(login("namnd").get("/handlaggare/"), "grupper").truncated
