"""No dead ends: every page a role may open is in its menu, the admin lands on user
administration, and 403/404/500 are Swedish pages in the frame with a way back (issue 13, item 3)."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings
from django.urls import path, reverse

from egenkontroll.web import urls as web_urls
from tests.access.cityfixture import build_city, make_users
from tests.access.test_url_matrix import USER_OF_ROLE
from tests.access.url_matrix import LOGGED_IN, URLS

pytestmark = pytest.mark.django_db

# A page: a URL without arguments a user reaches by navigation (not a download, POST or detail).
# Not the API (called with a key by programs, docs/api.md) nor the user's own sign-in pages, which
# the header's "Inloggning och säkerhet" link opens (tests/signin).
PAGES = {
    name: entry for name, entry in URLS.items()
    if not entry.kwargs and not entry.query and not entry.token and not name.startswith("signin:")
    and name not in ("login", "logout", "halsa", "overview:start", "access:logg-kontrollpunkt")  # a download
}
MENU = re.compile(r'<nav aria-label="Huvudmeny">(.*?)</nav>', re.S)


def menu_links(html: str) -> set[str]:
    found = MENU.search(html)
    return set(re.findall(r'href="([^"]+)"', found.group(1))) if found else set()


@pytest.fixture
def users():
    build_city()
    return make_users()


@pytest.mark.parametrize("role", LOGGED_IN)
def test_every_page_a_role_may_open_is_in_its_menu(client, users, role):
    client.force_login(users[USER_OF_ROLE[role]])
    may = {name: reverse(name) for name, entry in PAGES.items() if entry.statuses[role] == 200}
    assert may, role
    for name, url in may.items():
        response = client.get(url)
        assert response.status_code == 200, name
        if "text/html" not in response["Content-Type"]:
            continue
        links = menu_links(response.content.decode())
        missing = sorted(u for u in may.values() if u not in links)
        assert not missing, f"{role} på {url}: menyn saknar {missing}"
        forbidden = sorted(u for n, u in ((n, reverse(n)) for n in PAGES) if u in links and n not in may)
        assert not forbidden, f"{role} på {url}: menyn länkar till sidor rollen inte får öppna: {forbidden}"


def test_the_admin_lands_on_user_administration(client, users):
    client.force_login(users["admin"])
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("access:anvandare")
    assert "ingen roll som ger tillgång" not in response.content.decode()


def test_403_is_swedish_in_the_frame_with_a_way_back(client, users):
    client.force_login(users["namnd"])
    response = client.get(reverse("access:sok"))
    html = response.content.decode()
    assert response.status_code == 403
    assert "<h1>Ingen behörighet</h1>" in html and 'lang="sv"' in html
    assert 'href="/"' in html and reverse("overview:oversikt") in menu_links(html)
    assert "Forbidden" not in html


def test_404_is_swedish_in_the_frame_with_a_way_back(client, users):
    client.force_login(users["chef"])
    response = client.get("/finns-inte/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Sidan finns inte</h1>" in html and "Till startsidan" in html
    assert reverse("overview:arbetslista") in menu_links(html)
    assert "Not Found" not in html


def _boom(request):
    raise RuntimeError("test")


urlpatterns = [*web_urls.urlpatterns, path("krasch/", _boom)]
handler500 = web_urls.handler500


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_500_is_swedish_in_the_frame_with_a_way_back(client, users):
    client.raise_request_exception = False
    client.force_login(users["chef"])
    response = client.get("/krasch/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "<h1>Något gick fel</h1>" in html and "Till startsidan" in html and 'lang="sv"' in html
