"""The access tests' city (every role, an audit, a fastställd report, a draft, a deviation) for
browser tests, and the helpers to log in and run axe-core with the app's CSP intact."""

from __future__ import annotations

from datetime import date

import pytest

from egenkontroll.reports.models import MonthlyReport
from tests.access.cityfixture import PASSWORD, build_city, make_users
from tests.audits.cityaudit import city_audit
from tests.deviations.citydeviation import city_deviation
from tests.reports.cityreport import city_final

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def access_city(transactional_db):
    build_city()
    users = make_users()
    made = {**city_audit(users), **city_final(users), **city_deviation(users)}
    draft = MonthlyReport.objects.create(month=date(2024, 2, 1), unit_id="F", created_by=users["controller"])
    return users, made, draft


def axe_check(page) -> list[dict]:
    result = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations", WCAG_AA
    )
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:3]]} for v in result]


def open_as(browser, live_server, axe_script, username: str):
    context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
    context.add_init_script(path=str(axe_script))
    page = context.new_page()
    csp_errors = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.csp_errors = csp_errors
    page.goto(live_server.url + "/login/")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_load_state("networkidle")
    return context, page


