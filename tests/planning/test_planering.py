"""Planering: the page, its scenario form, the scope of units, masking for the nämnd and the downloads.

The municipality of tests/overview on 2026-03-10 (a Tuesday; week 1 = Monday 2026-03-16, ISO week
12), over the 26 weeks before: 5 reports, 3 decisions (2 "inleda"), 1 investigation concluded;
2 reports undecided, 1 investigation open, 1 other open case; anna, bo and cia active, dan until
2025-11-28: 626 caseworker-days (the window starts 2025-09-10). Capacity ≈ 0.10 decisions a week against 2 waiting.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

pytestmark = pytest.mark.django_db

WEEKLY_HEADERS = [
    "Vecka", "Veckan börjar", "Nya anmälningar", "Beslutade förhandsbedömningar", "Väntar på förhandsbedömning",
    "Förväntad väntetid (dagar)", "Inledda utredningar", "Avslutade utredningar", "Pågående utredningar",
    "Förväntad utredningstid (dagar)", "Handläggare", "Ärenden per handläggare", "14 dagar bryts",
    "4 månader bryts", "Över riktmärket",
]


def table(response, table_id: str):
    return next(t for t in [*response.context["tables"], *(c.table for c in response.context["charts"])] if t.id == table_id)


def test_the_page_shows_the_baseline_the_breaks_and_both_charts(login):
    response = login("chef").get("/planering/")
    assert response.status_code == 200
    b = response.context["baseline"]
    assert (b.unit_id, b.reports, b.decisions, b.undecided, b.open_investigations, b.caseworkers) == ("E", 5, 3, 2, 1, 3)
    assert b.caseworker_weeks == pytest.approx(626 / 7)
    assert response.context["sentences"][0] == "Fristen för förhandsbedömning (14 dagar) bryts vecka 12 2026 (om 1 vecka)."
    assert [c.id for c in response.context["charts"]] == [
        "frist14", "frist4m", "placeringar", "placeringstyper", "kostnad", "handlaggare",
    ]
    fb = response.context["charts"][0].figure
    limit = next(t for t in fb["data"] if t["name"].startswith("Frist"))
    assert limit["name"] == "Frist (14 dagar)" and set(limit["y"]) == {14}
    assert {t["name"]: set(t["y"]) for t in response.context["charts"][1].figure["data"]}["Frist (122 dagar)"] == {122}
    json.dumps(fb, allow_nan=False)  # a queue nobody works on is a gap, never Infinity in the page's JSON
    assert len(table(response, "veckor").rows) == 26
    assert b"Planering" in response.content and "Så räknar modellen" in response.content.decode()


def test_the_scenario_comes_from_the_query_string(login):
    response = login("chef").get("/planering/?veckor=4&topp=3&topp_fran=2&topp_veckor=1&personal=%2B3%402")
    rows = table(response, "veckor").rows
    assert [r["week"] for r in rows] == [
        "vecka 12 2026 (om 1 vecka)", "vecka 13 2026 (om 2 veckor)", "vecka 14 2026 (om 3 veckor)", "vecka 15 2026 (om 4 veckor)",
    ]
    assert [r["caseworkers"] for r in rows] == [3.0, 6.0, 6.0, 6.0]
    assert [round(r["inflow"], 2) for r in rows] == [0.19, 0.58, 0.19, 0.19]


def test_a_mistake_in_the_form_is_shown_not_computed(login):
    response = login("chef").get("/planering/?personal=tre")
    assert response.status_code == 200
    assert response.context["result"] is False
    assert "ändring@vecka" in response.content.decode()


def test_only_units_of_the_figure_scope(login):
    assert login("anna").get("/planering/?enhet=G1").status_code == 200
    assert login("anna").get("/planering/?enhet=G2").status_code == 404
    assert login("chef").get("/planering/?enhet=S").status_code == 404
    choices = [u for u, _ in login("chef").get("/planering/").context["form"].fields["enhet"].choices]
    assert choices == ["E", "G1", "G2"]
    assert login("admin").get("/planering/").status_code == 403


def test_the_committee_sees_when_limits_break_but_no_counts_or_rates(login):
    """Counts masked beside exact rates, caseworkers and times could be multiplied back: the nämnd gets neither."""
    response = login("namnd").get("/planering/?enhet=E&veckor=2")
    assert response.status_code == 200
    assert response.context["sentences"]  # when each limit breaks (or holds)
    assert response.context["tables"] == []
    page = response.content.decode()
    for hidden in ("Anmälningar per vecka", "Beslut per handläggarvecka", "Handläggarveckor", "Väntar på förhandsbedömning"):
        assert hidden not in page
    for chart in response.context["charts"][:2]:
        assert [c.key for c in chart.table.columns][2:] in (["wait_days", "band_low", "band_high", "fb_14d_bryts"],
                                                            ["investigation_days", "band_low", "band_high",
                                                             "utr_4m_bryts"])
        # the band (two traces), the expected time and the limit only, no queue line
        assert [t["name"].split(" ")[0] for t in chart.figure["data"][2:]] == ["Förväntad", "Frist"]
    assert login("namnd").get("/planering/ladda-ner/veckor.csv?enhet=E&veckor=2").status_code == 404
    assert login("namnd").get("/planering/ladda-ner/frist14.csv?enhet=E&veckor=2").status_code == 200
    chef = login("chef").get("/planering/?enhet=E&veckor=2")
    assert [t.id for t in chef.context["tables"]] == ["underlag", "veckor"]
    assert len(chef.context["charts"][0].figure["data"]) == 5  # band (2 traces), expected time, limit, queue


def test_the_weekly_table_downloads_as_csv_and_xlsx(login):
    client = login("chef")
    response = client.get("/planering/ladda-ner/veckor.csv?veckor=3")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="planering-E-veckor.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == WEEKLY_HEADERS and len(rows) == 4
    xlsx = client.get("/planering/ladda-ner/veckor.xlsx?veckor=3")
    assert xlsx["Content-Disposition"] == 'attachment; filename="planering-E-veckor.xlsx"'
    assert client.get("/planering/ladda-ner/veckor.csv?personal=tre").status_code == 404


def test_the_menu_offers_planering_to_roles_with_figures(login):
    labels = [item["label"] for item in login("anna").get("/oversikt/").context["nav"]]
    assert "Planering" in labels


def test_placements_and_cost_come_with_bands_and_the_page_says_how_to_read_them(login):
    response = login("chef").get("/planering/?veckor=4")
    charts = {c.id: c for c in response.context["charts"]}
    placed = charts["placeringar"]
    # Each series: low, high (filled to the low), mean — base and scenario.
    assert [t["name"] for t in placed.figure["data"]] == [
        "Bas, 95 %-band låg", "Bas, 95 %-band hög", "Bas", "Scenario, 95 %-band låg", "Scenario, 95 %-band hög", "Scenario",
    ]
    assert placed.figure["data"][1]["fill"] == "tonexty"
    rows = placed.table.rows
    assert len(rows) == 4 and all(r["scenario_low"] <= r["scenario_high"] for r in rows)
    # C3 is placed on as_of and no placement ended in the reference window: the child stays (low = 1)
    # and a rare new placement (one in the last 52 weeks) lifts the mean a little above 1.
    assert [r["bas_low"] for r in rows] == [1.0, 1.0, 1.0, 1.0]
    assert all(1.0 <= r["bas_mean"] < 1.2 for r in rows)
    assert "Så läser du banden" in response.content.decode()
    assert "exempelpriser" in response.content.decode()
    assert len(response.context["cost_sentences"]) == 2
    json.dumps(charts["kostnad"].figure, allow_nan=False)


def test_the_band_columns_download_as_csv(login):
    response = login("chef").get("/planering/ladda-ner/placeringar.csv?veckor=2")
    assert response.status_code == 200
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))  # Swedish Excel CSV
    assert header[2:] == ["Bas: medel", "Bas: 95 %-band låg", "Bas: 95 %-band hög", "Scenario: medel",
                          "Scenario: 95 %-band låg", "Scenario: 95 %-band hög"]
    assert login("chef").get("/planering/ladda-ner/kostnad.xlsx?veckor=2").status_code == 200


def test_the_2015_example_fills_the_unaccompanied_surge(login):
    response = login("chef").get("/planering/?exempel=2015")
    assert response.context["result"] is True
    rows = table(response, "veckor").rows
    assert len(rows) == 52  # the example's 52 weeks


def test_the_committee_sees_small_placement_counts_masked_and_no_caseworker_need(login):
    response = login("namnd").get("/planering/?enhet=E&veckor=2")
    ids = [c.id for c in response.context["charts"]]
    assert "handlaggare" not in ids and "placeringar" in ids
    placed = next(c for c in response.context["charts"] if c.id == "placeringar")
    assert {r["bas_mean"] for r in placed.table.rows} == {"<5"}  # one child: masked
    assert all(y is None for trace in placed.figure["data"] for y in trace["y"])
    cost = next(c for c in response.context["charts"] if c.id == "kostnad")
    assert {r["scenario_mean"] for r in cost.table.rows} == {"<5"}  # a price times one child: masked too
    assert response.context["placement_warnings"] == []
    assert login("namnd").get("/planering/ladda-ner/handlaggare.csv?enhet=E&veckor=2").status_code == 404


def test_a_scenario_is_saved_by_name_listed_and_opened_again(login):
    client = login("chef")
    response = client.post("/planering/spara/", {"namn": "Som 2015", "scenario": "enhet=G1&exempel=2015&personal=%2B2%404"})
    assert response.status_code == 302
    href = "/planering/?enhet=G1&exempel=2015&personal=%2B2%404"
    assert response["Location"] == href
    page = client.get("/planering/")
    assert [(s["name"], s["href"]) for s in page.context["saved"]] == [("Som 2015", href)]
    opened = client.get(page.context["saved"][0]["href"])
    assert len(table(opened, "veckor").rows) == 52 and table(opened, "veckor").rows[3]["caseworkers"] > 0
    # The same name again replaces the scenario; a name is required; a bad scenario is not saved.
    client.post("/planering/spara/", {"namn": "Som 2015", "scenario": "enhet=G1&veckor=3"})
    assert [s["href"] for s in client.get("/planering/").context["saved"]] == ["/planering/?enhet=G1&veckor=3"]
    client.post("/planering/spara/", {"namn": "", "scenario": "enhet=G1"})
    client.post("/planering/spara/", {"namn": "Fel", "scenario": "enhet=G1&personal=tre"})
    assert len(client.get("/planering/").context["saved"]) == 1


def test_saving_is_refused_to_the_committee_and_outside_the_scope(login):
    assert login("namnd").post("/planering/spara/", {"namn": "x", "scenario": "enhet=E"}).status_code == 403
    assert login("anna").post("/planering/spara/", {"namn": "x", "scenario": "enhet=G2"}).status_code == 404
    assert login("chef").get("/planering/spara/").status_code == 405
    assert login("namnd").get("/planering/?enhet=E").context["save_form"] is None


def test_the_save_form_carries_the_scenario_on_screen(login):
    page = login("chef").get("/planering/?veckor=3&topp=2").content.decode()
    assert 'name="scenario" value="veckor=3&amp;topp=2"' in page
    assert 'action="/planering/spara/"' in page and "csrfmiddlewaretoken" in page


def test_one_small_placement_type_hides_another_too_for_the_committee():
    """Means add up to "alla": with one type under 5 shown as <5, "alla" minus the rest would give it back."""
    import polars as pl

    from egenkontroll.planning.views import _type_floors

    rows = [(1, kind, low) for kind, low in (("familjehem", 40.0), ("hvb", 12.0), ("sis", 2.0), ("alla", 54.0))]
    frame = pl.DataFrame(rows, schema=["week", "placement", "low"], orient="row")
    floors = _type_floors(frame)
    assert {k: float(v[0]) for k, v in floors.items()} == {"familjehem": 40.0, "hvb": 0.0, "sis": 2.0}


def test_an_overlong_scenario_is_not_saved(login):
    client = login("chef")
    # a scenario longer than 1000 characters is refused whole, not cut and saved
    client.post("/planering/spara/", {"namn": "Lång", "scenario": "enhet=G1&veckor=3&x=" + "y" * 990})
    assert client.get("/planering/").context["saved"] == []


def test_the_unaccompanied_lag_is_chosen_on_the_form(login):
    client = login("chef")
    later = client.get("/planering/?veckor=3&ensamkommande=6&ensamkommande_fordrojning=3")
    assert later.context["cost_sentences"][0] == "De ensamkommande barnen i scenariot placeras 3 veckor efter att de kommer."
    data = client.get("/planering/?veckor=3&ensamkommande=6&ensamkommande_fordrojning=data")
    assert "samma vecka" in data.context["cost_sentences"][0]  # no unaccompanied child placed in the window
    wrong = client.get("/planering/?veckor=3&ensamkommande=6&ensamkommande_fordrojning=snart")
    assert wrong.context["result"] is False and "antal veckor (0–52)" in wrong.content.decode()


# ---------------------------------------------------------------- the scenario as PDF and workbook


def pdf_text(response) -> str:
    """The text of a downloaded PDF as laid out (poppler's pdftotext), whitespace folded."""
    import re
    import subprocess

    out = subprocess.run(["/usr/bin/pdftotext", "-layout", "-", "-"], input=response.content, capture_output=True,
                         check=True)
    return re.sub(r"\s+", " ", out.stdout.decode())


def workbook(response):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(response.content))


def test_the_scenario_pdf_has_the_conclusions_the_bands_and_how_to_read_them(login):
    from egenkontroll.planning.exports import band_table

    client = login("chef")
    page = client.get("/planering/?veckor=4&topp=2")
    response = client.get("/planering/ladda-ner/scenario.pdf?veckor=4&topp=2")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="planering-E-scenario.pdf"'
    text = pdf_text(response)
    for line in page.context["sentences"] + page.context["cost_sentences"]:
        assert line in text
    assert "Så läser du banden" in text and "i 95 av 100 simuleringar" in text
    assert "Topp: faktor 2" in text  # the scenario in words
    placed = band_table(table(page, "placeringar"))
    first = placed.rows[0]
    # bas: C3 stays, the band 1–1 (see test_placements_and_cost_…): "1,0 (1,0–1,0)"-like cells
    assert first["bas_mean"].endswith("(1,0–1,0)") and f"{first['week']} {first['bas_mean']} {first['scenario_mean']}" in text
    assert "Handläggare: bemanningsplanen" in text and "Underlag" in text  # the chef sees it all


def test_the_nämnds_scenario_pdf_is_masked_as_its_page(login):
    client = login("namnd")
    page = client.get("/planering/?enhet=E&veckor=2")
    text = pdf_text(client.get("/planering/ladda-ner/scenario.pdf?enhet=E&veckor=2"))
    for line in page.context["sentences"]:
        assert line in text
    frist = table(page, "frist14").rows[0]
    assert f"{frist['wait_days']:.0f}" in text  # the expected wait, as on the page
    assert "<5" in text and "”<5”" in text  # masked counts and the note saying so
    # the period's cost is the hidden weekly costs added up: not shown either, on the page or on paper
    assert page.context["cost_sentences"] == [
        f"{label}: kostnaden visas inte för nämnden, eftersom någon vecka har färre än fem barn i en placeringsform."
        for label in ("Scenariot", "Basen")
    ]
    assert "mkr" not in text
    for hidden in ("Handläggare: bemanningsplanen", "Underlag:", "Väntar på förhandsbedömning", "Vecka för vecka",
                   "(1,0–1,0)", "Behov för fristerna"):
        assert hidden not in text
    # every placement and cost cell is "<5" (one child), never a number with its band
    for chart_id in ("placeringar", "placeringstyper", "kostnad"):
        assert {v for r in table(page, chart_id).rows for k, v in r.items() if k.endswith(("_mean", "_low", "_high"))} == {"<5"}


def test_the_scenario_workbook_carries_bands_and_masking(login):
    chef = workbook(login("chef").get("/planering/ladda-ner/scenario.xlsx?veckor=3"))
    assert chef.sheetnames == ["Scenario", "14 dagar", "4 månader", "Placerade barn", "Placeringsformer", "Kostnad",
                               "Handläggare", "Underlag", "Vecka för vecka"]
    rows = list(chef["Placerade barn"].iter_rows(values_only=True))
    assert rows[0][2:] == ("Bas: medel", "Bas: 95 %-band låg", "Bas: 95 %-band hög", "Scenario: medel",
                           "Scenario: 95 %-band låg", "Scenario: 95 %-band hög")
    assert len(rows) == 4 and rows[1][3] == 1.0  # the base's low end: C3 stays placed
    summary = [r for r in chef["Scenario"].iter_rows(values_only=True)]
    assert ("Veckor framåt", "3") in summary and any(r[0] == "Så läser du banden" for r in summary)
    namnd = login("namnd")
    book = workbook(namnd.get("/planering/ladda-ner/scenario.xlsx?enhet=E&veckor=3"))
    assert book.sheetnames == ["Scenario", "14 dagar", "4 månader", "Placerade barn", "Placeringsformer", "Kostnad"]
    for sheet in ("Placerade barn", "Placeringsformer", "Kostnad"):
        values = {v for row in list(book[sheet].iter_rows(values_only=True))[1:] for v in row[2:]}
        assert values == {"<5"}, sheet
    # the single-table download of the nämnd: the same band columns, the same masking
    single = workbook(namnd.get("/planering/ladda-ner/placeringar.xlsx?enhet=E&veckor=3")).active
    rows = list(single.iter_rows(values_only=True))
    assert rows[0][2:5] == ("Bas: medel", "Bas: 95 %-band låg", "Bas: 95 %-band hög")
    assert {v for row in rows[1:] for v in row[2:]} == {"<5"}
    assert namnd.get("/planering/ladda-ner/scenario.pdf?enhet=E&personal=tre").status_code == 404
    assert namnd.get("/planering/ladda-ner/scenario.csv?enhet=E").status_code == 404
def test_the_same_question_is_simulated_once_per_import(login, monkeypatch):
    """Issue 19: the seeded simulations of a scenario are kept; the page answers the same again."""
    from egenkontroll.core import surge_plan

    runs = []
    plan = surge_plan.plan
    monkeypatch.setattr(surge_plan, "plan", lambda *a, **k: runs.append(1) or plan(*a, **k))
    client = login("chef")
    first = client.get("/planering/")
    again = client.get("/planering/")
    assert first.status_code == again.status_code == 200 and len(runs) == 1
    assert first.context["cost_sentences"] == again.context["cost_sentences"]
    assert client.get("/planering/?topp=3&topp_fran=2").status_code == 200 and len(runs) == 2
