"""axe-core on every page for every role, with the app's Content-Security-Policy intact.

The pages are those of the role × URL table (tests/access/url_matrix.py) that the role opens
with 200 and that are pages (not downloads), plus what the table cannot list: a draft report,
the confirmation pages and the error pages. axe is added as an init script (the DevTools
protocol, which a CSP does not govern), so the pages run exactly as users get them; every
WCAG 2.0/2.1 A and AA rule must pass, of any impact.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tests.access.test_url_matrix import USER_OF_ROLE
from tests.access.url_matrix import LOGGED_IN, URLS
from tests.browser.accesscity import axe_check, open_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOT_PAGES = ("login", "logout", "halsa", "overview:start", "access:logg-kontrollpunkt")  # the last: a download


def pages_of(role: str, users: dict, made: dict) -> list[str]:
    """Every page of the URL table this role opens (200), with its arguments filled in."""
    out = []
    for name, entry in URLS.items():
        if name in NOT_PAGES or entry.token or "fmt" in entry.kwargs or entry.statuses[role] != 200:  # API: JSON
            continue
        kwargs = {}
        for key, value in entry.kwargs.items():
            if isinstance(value, str) and value.startswith("@"):
                value = users[value[1:]].pk
            elif isinstance(value, str) and value.startswith("#"):
                value = made[value[1:]]
            kwargs[key] = value
        out.append(reverse(name, kwargs=kwargs) + entry.query)
    return out


@pytest.mark.parametrize("role", LOGGED_IN)
def test_every_page_of_every_role_passes_axe_with_the_csp_intact(browser, live_server, axe_script, access_city, role):
    users, made, draft = access_city
    context, page = open_as(browser, live_server, axe_script, USER_OF_ROLE[role])
    paths = pages_of(role, users, made) + ["/finns-inte/"]
    if role in ("enhetschef", "verksamhetscontroller", "avdelningschef", "inspektor"):
        paths.append(reverse("reports:detalj", kwargs={"report_id": draft.pk}))
    if role == "inspektor":  # Översikt of a group and of one caseworker: layouts the table's root page lacks
        paths += [reverse("overview:oversikt") + "?enhet=G2", reverse("overview:oversikt") + "?handlaggare=anna"]
    found, visited = {}, []
    for path in paths:
        response = page.goto(live_server.url + path)  # returns at the load event: no page fetches after it
        assert response.headers.get("content-security-policy", "").startswith("default-src 'self'"), path
        visited.append((path, response.status))
        violations = axe_check(page)
        if violations:
            found[path] = violations
    if role == "verksamhetscontroller":  # the confirmation page before fastställ
        page.goto(live_server.url + reverse("reports:detalj", kwargs={"report_id": draft.pk}))
        page.get_by_role("button", name="Fastställ …").click()
        page.wait_for_load_state("networkidle")
        assert page.get_by_role("heading", level=1).inner_text().startswith("Fastställa nämndrapporten")
        violations = axe_check(page)
        if violations:
            found["fastställ (bekräfta)"] = violations
    context.close()
    assert len(visited) >= 3, visited
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)
    assert not page.csp_errors, page.csp_errors


def test_the_login_page_passes_axe(browser, live_server, axe_script, access_city):
    context = browser.new_context(locale="sv-SE")
    context.add_init_script(path=str(axe_script))
    page = context.new_page()
    page.goto(live_server.url + "/login/")
    assert axe_check(page) == []
    context.close()

