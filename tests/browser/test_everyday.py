"""Issue 13 in a real browser: no dead ends, asking before freezing, one form for the analyses,
values that agree with their verdict, Swedish CSV and charts (Debian's chromium, CSP intact)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from egenkontroll.reports.models import MonthlyReport, TargetMissAnalysis
from tests.browser.accesscity import open_as
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ENGLISH_MONTHS = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")


def menu(page):
    return page.get_by_role("navigation", name="Huvudmeny")


def test_the_admin_lands_on_user_administration_and_every_role_finds_its_pages(browser, live_server, axe_script,
                                                                               access_city):
    context, page = open_as(browser, live_server, axe_script, "admin")
    assert page.url.endswith(reverse("access:anvandare"))
    assert "ingen roll" not in page.get_by_role("heading", level=1).inner_text()
    context.close()
    context, page = open_as(browser, live_server, axe_script, "controller")
    menu(page).get_by_role("link", name="Sök ärende").click()
    assert page.url.endswith("/sok/")
    menu(page).get_by_role("link", name="Logguppföljning").click()
    assert page.url.endswith("/logguppfoljning/")
    assert menu(page).get_by_role("link", name="Logguppföljning").get_attribute("aria-current") == "page"
    page.goto(live_server.url + "/finns-inte/")
    assert page.get_by_role("heading", level=1).inner_text() == "Sidan finns inte"
    assert menu(page).get_by_role("link", name="Översikt").is_visible()
    page.get_by_role("link", name="Till startsidan").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/oversikt/")
    context.close()


def test_fastställ_asks_first_and_the_analyses_are_one_form(browser, live_server, axe_script, access_city):
    _, _, draft = access_city
    context, page = open_as(browser, live_server, axe_script, "controller")
    page.goto(live_server.url + reverse("reports:detalj", kwargs={"report_id": draft.pk}))
    causes = page.get_by_label("Orsak")
    assert causes.count() >= 1
    for i in range(causes.count()):
        causes.nth(i).fill(f"Orsak {i}")
        page.get_by_label("Vidtagna och planerade åtgärder").nth(i).fill(f"Åtgärd {i}")
    page.get_by_role("button", name="Spara analyserna").first.click()
    page.wait_for_load_state("networkidle")
    assert "Analyserna är sparade" in page.inner_text("main")
    assert TargetMissAnalysis.objects.filter(report=draft).count() == causes.count()  # every section kept
    page.get_by_role("button", name="Fastställ …").click()
    page.wait_for_load_state("networkidle")
    main = page.inner_text("main")
    assert "Fastställ går inte att ångra" in main and "visas för nämnden" in main
    page.get_by_role("link", name="Avbryt").click()
    page.wait_for_load_state("networkidle")
    assert MonthlyReport.objects.get(pk=draft.pk).status == "utkast"
    page.get_by_role("button", name="Fastställ …").click()
    page.get_by_role("button", name="Ja, fastställ rapporten").click()
    page.wait_for_load_state("networkidle")
    assert "Rapporten är fastställd" in page.inner_text("main")
    assert MonthlyReport.objects.get(pk=draft.pk).status == "faststalld"
    context.close()


def test_closing_an_audit_asks_first(browser, live_server, axe_script, access_city):
    _, made, _ = access_city
    context, page = open_as(browser, live_server, axe_script, "inspektor")
    page.goto(live_server.url + reverse("audits:detalj", kwargs={"audit_id": made["audit_id"]}))
    page.get_by_role("button", name="Avsluta granskningen …").click()
    page.wait_for_load_state("networkidle")
    assert "protokoll" in page.inner_text("main") and "kan inte längre ändras" in page.inner_text("main")
    page.get_by_role("button", name="Ja, avsluta granskningen").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("button", name="Öppna granskningen igen").is_visible()
    context.close()


def test_values_beside_a_target_show_the_decimal_that_decides(page):
    log_in(page, "chef")
    page.goto(page.base + "/oversikt/")
    rows = page.locator("#tabell-nyckeltal tbody tr")
    shares = [r for r in rows.all() if "\u00a0%" in r.locator("td").first.inner_text()]
    assert shares
    for row in shares:
        values = [c.inner_text() for c in row.locator("td").all()[1:]]
        shown = [v for v in values if re.search(r"\d", v) and "<" not in v]
        assert all(re.fullmatch(r"\d+,\d+\u00a0%.*", v.split("\n")[0].strip()) for v in shown), values


def test_csv_opens_in_swedish_excel(page):
    log_in(page, "chef")
    page.goto(page.base + "/oversikt/?enhet=G2")
    with page.expect_download() as info:
        page.locator("a[href*='nyckeltal.csv']").first.click()
    body = open(info.value.path(), "rb").read()
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    assert ";" in lines[0] and re.search(r";\d+,\d+(;|$)", "\n".join(lines[1:]), re.M)


def test_charts_speak_swedish_draw_the_target_and_mark_the_partial_month(page):
    log_in(page, "chef")
    page.goto(page.base + "/nyckeltal/fb_inom_14d_andel/?enhet=E")
    svg = page.locator("#diagram-trend svg").text_content()
    assert "Mål ≥\u00a0100\u00a0%" in svg or "Mål ≥ 100 %" in svg
    assert "ofullständig månad" in svg
    ticks = " ".join(page.locator("#diagram-trend .x-tick").all_text_contents())
    assert "nov 2025" in ticks and not ENGLISH_MONTHS.search(ticks)  # every other month where all do not fit
    assert "okt 2025" in " ".join(page.locator("#diagram-trend title").all_text_contents())
    page.goto(page.base + "/flode/")
    dates = " ".join(page.locator("#diagram-ko .x-tick").all_text_contents())
    assert dates and not re.search(r"\b(May|Oct)\b", dates)  # the month names sv and en do not share
    tips = page.locator("#diagram-ko title").all_text_contents()
    assert tips and all(re.search(r", \d{1,2} [a-zåäö]+ 20\d\d: \d", t) for t in tips)  # "…, 4 januari 2026: 12"
    assert re.search(r"vecka \d{1,2} 20\d\d", page.locator("#tabell-ko").text_content())
