"""The pages in a real browser: log in, drill from the city to a case, filter the work list,
download. axe-core on every page of every role: tests/browser/test_axe_every_page.py."""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in
from tests.overview.municipality import DAN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_and_drill_down_from_the_city_to_a_case(page):
    log_in(page, "inspektor")
    assert page.url.endswith("/oversikt/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Teststad")
    for unit in ("Norra förvaltningen", "Barn och unga", "Mottagningen", "Anna Andersson"):
        page.get_by_role("link", name=unit, exact=True).first.click()
        page.wait_for_load_state("networkidle")
        assert unit in page.get_by_role("heading", level=1).inner_text()
    crumbs = page.get_by_role("navigation", name="Du är här").inner_text()
    assert "Teststad" in crumbs and "Mottagningen" in crumbs
    # Öppna ärenden for anna: 2 — the number links to the cases behind it.
    row = page.get_by_role("row").filter(has_text="Öppna ärenden")
    row.get_by_role("link", name="2", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert "Underlag: Öppna ärenden" in page.get_by_role("heading", level=1).inner_text()
    page.get_by_role("link", name="C4", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", level=1).inner_text() == "Ärende C4"
    assert "Pojke, 7 år, ensamkommande" in page.inner_text("main")
    assert page.errors == []


def test_work_list_filters_and_download(page):
    log_in(page, "anna")
    assert page.url.endswith("/arbetslista/")
    table = page.locator("#tabell-frister tbody tr")
    assert table.count() == 5
    page.get_by_label("Försenad", exact=True).check()
    page.get_by_role("button", name="Visa").click()
    page.wait_for_load_state("networkidle")
    assert "status=forsenad" in page.url
    assert table.count() == 1
    assert "Skyddsbedömning" in table.first.inner_text()
    page.get_by_label("Försenad", exact=True).uncheck()
    page.get_by_label("Förhandsbedömning inom 14 dagar").check()
    page.get_by_role("button", name="Visa").click()
    page.wait_for_load_state("networkidle")
    assert table.count() == 2
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV").click()
    download = info.value
    assert download.suggested_filename == "arbetslista-2026-03-10-frister.csv"
    text = open(download.path(), encoding="utf-8-sig").read()
    assert text.splitlines()[0].startswith("Ärende;Skyldighet;Från;Frist;Dagar kvar")
    assert text.count("\n") == 3


def test_marking_an_obligation_from_the_work_list(page):
    log_in(page, "anna")
    rows = page.locator("#tabell-frister tbody tr")
    assert rows.count() == 5
    skydd = rows.filter(has_text="Skyddsbedömning")
    skydd.get_by_role("link", name="Markera…").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", level=1).inner_text() == "Markera skyldighet"
    assert "tas bort från arbetslistan" in page.inner_text("main")
    # Sent without a reason: the form says what is missing and nothing is marked.
    page.get_by_label("Registreringsfel").check()
    page.get_by_role("button", name="Markera skyldigheten").click()
    page.wait_for_load_state("networkidle")
    assert "Skriv en motivering." in page.get_by_role("alert").inner_text()
    page.get_by_label("Registreringsfel").check()
    page.get_by_label("Motivering").fill("Bedömd samma dag, registrerad i fel ärende.")
    page.get_by_role("button", name="Markera skyldigheten").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/arbetslista/")
    assert "är markerad som registreringsfel" in page.get_by_role("status").inner_text()
    assert rows.count() == 4
    assert rows.filter(has_text="Skyddsbedömning").count() == 0
    page.get_by_role("link", name="1 markerade som registreringsfel eller ej tillämpliga").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", level=1).inner_text() == "Datakvalitet"
    marked = page.locator("#tabell-markeringar tbody tr")
    assert marked.count() == 1
    assert "anna (handläggare)" in marked.first.inner_text()
    assert "registrerad i fel ärende" in marked.first.inner_text()
    assert page.errors == []


def test_keyboard_reaches_the_content_through_the_skip_link(page):
    log_in(page, "chef")
    page.goto(page.base + "/oversikt/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Hoppa till innehållet"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "innehall"


def test_charts_are_drawn_by_the_server_and_take_room_in_the_browser(page):
    log_in(page, "chef")
    page.goto(page.base + "/flode/")
    assert page.locator(".diagram-yta svg").count() >= 3
    box = page.locator("#diagram-flode svg").bounding_box()
    assert box["width"] > 500 and box["height"] > 250  # scaled to the page, not a collapsed element
    assert page.evaluate("document.scripts.length") == 0
    assert page.errors == []


def axe_violations(page, axe_script) -> list[dict]:
    page.add_script_tag(path=str(axe_script))
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:3]]}
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


def test_formula_name_is_plain_text_on_the_page(page):
    log_in(page, "chef")
    page.goto(page.base + "/oversikt/?enhet=G2")
    assert page.get_by_role("link", name=DAN, exact=True).count() == 1
