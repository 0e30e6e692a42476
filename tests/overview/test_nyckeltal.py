"""Nyckeltal: the catalogue as in its data file, a figure's monthly trend and breakdowns."""

from __future__ import annotations

import datetime as dt

import pytest

from egenkontroll.core.kpi_catalogue import load_catalogue

pytestmark = pytest.mark.django_db
# The test municipality's day is 2026-03-10: March is not over, and says so.
PARTIAL_MARCH = "mars 2026 (t.o.m. 10 mars, ofullständig)"


def test_catalogue_shows_every_definition_word_for_word(login):
    response = login("chef").get("/nyckeltal/")
    assert response.status_code == 200
    rows = response.context["tables"][0].rows
    catalogue = load_catalogue()
    assert [r["id"] for r in rows] == list(catalogue)
    assert all(r["description"] == catalogue[r["id"]].description for r in rows)
    assert next(r for r in rows if r["id"] == "utr_inom_4m_andel")["target"] == "≥\u00a080\u00a0%"


def test_monthly_trend(login):
    response = login("chef").get("/nyckeltal/anmalningar/?enhet=E")
    assert response.status_code == 200
    trend = next(c for c in response.context["charts"] if c.id == "trend").table.rows
    by_month = {r["month"]: r["value"] for r in trend}
    assert list(by_month)[0] == "mars 2025" and list(by_month)[-1] == PARTIAL_MARCH
    assert len(by_month) == 13
    # C3 in October, C2 in January, C1 and C5 in February, C4 in March.
    assert {m: v for m, v in by_month.items() if v} == {
        "oktober 2025": 1, "januari 2026": 1, "februari 2026": 2, PARTIAL_MARCH: 1,
    }
    assert response.context["value"] == "5"


def test_a_stock_figure_is_taken_on_each_months_last_day(login):
    response = login("chef").get("/nyckeltal/oppna_arenden/?enhet=E&fran=2026-01-01&till=2026-03-10")
    trend = {r["month"]: r["value"] for r in next(c for c in response.context["charts"] if c.id == "trend").table.rows}
    # 01-31: C2 (undecided until 01-30 … dismissed 01-30: closed) no; C3 open → 1.
    # 02-28: C1, C3, C5 → 3. 03-10: C1, C3, C4, C5 → 4.
    assert trend == {"januari 2026": 1, "februari 2026": 3, PARTIAL_MARCH: 4}


def test_breakdowns_by_gender_age_and_unaccompanied(login):
    response = login("chef").get("/nyckeltal/anmalningar/?enhet=E")
    charts = {c.id: {r["category"]: r["value"] for r in c.table.rows} for c in response.context["charts"][1:]}
    assert charts["per-gender"] == {"Flickor": 3, "Pojkar": 2, "Annat": 0, "Okänt": 0}
    assert charts["per-age_band"] == {"0–5 år": 0, "6–12 år": 2, "13–17 år": 3, "18–20 år": 0, "Okänd ålder": 0}
    assert charts["per-unaccompanied"] == {"Ensamkommande": 1, "Ej ensamkommande": 4}


def test_masked_breakdowns_for_the_committee(login):
    response = login("namnd").get("/nyckeltal/anmalningar/?enhet=E")
    charts = {c.id: {r["category"]: r["value"] for r in c.table.rows} for c in response.context["charts"][1:]}
    assert charts["per-gender"]["Flickor"] == "<5"
    assert "numerator" not in next(c for c in response.context["charts"] if c.id == "trend").table.rows[0]


def test_unknown_figure(login):
    assert login("chef").get("/nyckeltal/nosuch/").status_code == 404


def test_the_trend_draws_the_target_and_marks_the_partial_month(login):
    response = login("chef").get("/nyckeltal/fb_inom_14d_andel/?enhet=E")
    chart = next(c for c in response.context["charts"] if c.id == "trend")
    target = next(t for t in chart.figure["data"] if t["name"].startswith("Mål"))
    assert target["name"] == "Mål ≥\u00a0100\u00a0%" and set(target["y"]) == {1.0}
    series = chart.figure["data"][0]
    assert series["x"][-1] == "mar 2026" and series["x"][0] == "mar 2025"
    assert series["marker"]["symbol"][-1].endswith("-open") and not series["marker"]["symbol"][0].endswith("-open")
    assert chart.figure["layout"]["annotations"][0]["text"] == "ofullständig månad"
    assert chart.table.rows[-1]["month"] == PARTIAL_MARCH


# C3's familjehem from 2026-01-26, still open on 2026-03-10 (regi not said): 6 + 28 + 10 = 44 dygn.
PLACEMENT_PERIOD = "?enhet=E&fran=2026-01-01&till=2026-03-10"


def test_placement_days_and_cost_by_type_and_regi(login):
    from egenkontroll.core import costs

    response = login("chef").get(f"/nyckeltal/placeringsdygn/{PLACEMENT_PERIOD}")
    assert response.context["value"] == "44"
    charts = {c.id: {r["category"]: r["value"] for r in c.table.rows} for c in response.context["charts"][1:]}
    assert charts["per-placement_type"]["Familjehem"] == 44 and charts["per-placement_type"]["HVB"] == 0
    assert charts["per-regi"] == {"Egen regi": 0, "Köpt": 0, "Okänd regi": 44}
    price = costs.load_prices().price("familjehem", None)
    cost = login("chef").get(f"/nyckeltal/placeringskostnad/{PLACEMENT_PERIOD}")
    assert cost.context["value"] == f"{round(44 * price):,}".replace(",", "\u00a0")


def test_placement_figures_resting_on_few_placements_are_hidden_from_the_committee(login):
    response = login("namnd").get(f"/nyckeltal/placeringskostnad/{PLACEMENT_PERIOD}")
    assert response.context["value"] == "<5"  # one placement
    charts = {c.id: {r["category"]: r["value"] for r in c.table.rows} for c in response.context["charts"][1:]}
    assert charts["per-regi"]["Okänd regi"] == "<5"


def test_the_placements_behind_the_cost(login):
    from egenkontroll.core import costs

    response = login("chef").get(f"/oversikt/underlag/?nyckeltal=placeringskostnad&{PLACEMENT_PERIOD[1:]}")
    assert response.status_code == 200
    rows = response.context["tables"][0].rows
    price = costs.load_prices().price("familjehem", None)
    assert [(r["case_id"], r["what"], r["detail"], r["days"], r["kronor"]) for r in rows] == [
        ("C3", "Familjehem", "Okänd regi", 44, round(44 * price)),
    ]


def test_a_cost_figure_says_which_price_list_priced_it(login, tmp_path, monkeypatch):
    page = login("chef").get(f"/nyckeltal/placeringskostnad/{PLACEMENT_PERIOD}")
    assert page.context["price_note"].startswith("exempelpriserna som följer med programmet")
    assert "Prislista" in page.content.decode()
    assert login("chef").get(f"/nyckeltal/placeringsdygn/{PLACEMENT_PERIOD}").context["price_note"] == ""


def test_a_new_periods_item_sources_are_made_once_for_its_figures_and_breakdowns(login, monkeypatch):
    """A figure's page of a period nobody asked for: the period's selections (kpis.Sources, about
    0.6 s at city scale) are made once for its figures and every breakdown, though its trend's
    clipped first and last months need sources of their own in between (issue 19)."""
    from egenkontroll.core import kpis

    made: list[tuple] = []
    real = kpis.sources

    def counted(events, obligations, org_units, caseworkers, period_from, period_to, as_of, **kwargs):
        made.append((period_from, period_to, as_of))
        return real(events, obligations, org_units, caseworkers, period_from, period_to, as_of, **kwargs)

    monkeypatch.setattr(kpis, "sources", counted)
    response = login("chef").get("/nyckeltal/anmalningar/?enhet=E&fran=2025-10-15&till=2026-02-20")
    assert response.status_code == 200 and len(response.context["charts"]) == 5  # trend + four breakdowns
    period = (dt.date(2025, 10, 15), dt.date(2026, 2, 20), dt.date(2026, 2, 20))
    assert made.count(period) == 1
    assert (dt.date(2025, 10, 15), dt.date(2025, 10, 31), dt.date(2025, 10, 31)) in made  # the clipped first month
