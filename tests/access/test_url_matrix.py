"""Every named URL × every role gets the status the policy in `url_matrix.URLS` says."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from egenkontroll.access.models import RoleAssignment
from egenkontroll.api.models import ApiToken
from tests.access.cityfixture import build_city, make_users
from tests.access.url_matrix import ROLES, URLS

# The user of the city fixture who holds each role (anonymous: nobody logged in).
USER_OF_ROLE = {
    "handlaggare": "anna",
    "arbetsledare": "ledare",
    "enhetschef": "chef",
    "verksamhetscontroller": "controller",
    "avdelningschef": "avdchef",
    "inspektor": "inspektor",
    "namnd": "namnd",
    "admin": "admin",
}


def named_urls(resolver=None, namespace: str = "") -> dict[str, str]:
    """name -> route for every pattern in the URL configuration ('' name for unnamed ones)."""
    found: dict[str, str] = {}
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found |= {name: f"{pattern.pattern}{route}" for name, route in named_urls(pattern, inner).items()}
        elif isinstance(pattern, URLPattern):
            found[f"{namespace}{pattern.name}" if pattern.name else f"<unnamed {pattern.pattern}>"] = str(pattern.pattern)
    return found


def test_every_url_has_an_entry_and_every_entry_a_url():
    urls = named_urls()
    missing = sorted(set(urls) - set(URLS))
    stale = sorted(set(URLS) - set(urls))
    hint = "\n".join(f'    "{name}": Entry(expect(...)),  # {urls[name]}' for name in missing)
    assert not missing, f"URL utan rad i tests/access/url_matrix.py (lägg till):\n{hint}"
    assert not stale, f"rader i url_matrix.py för URL:er som inte finns: {stale}"


@pytest.mark.parametrize("name", sorted(URLS))
def test_role_matrix(db, client, name):
    build_city()
    users = make_users()
    entry = URLS[name]
    made = entry.setup(users) if entry.setup else {}
    kwargs = {k: users[v[1:]].pk if isinstance(v, str) and v.startswith("@") else v for k, v in entry.kwargs.items()}
    kwargs = {k: made[v[1:]] if isinstance(v, str) and v.startswith("#") else v for k, v in kwargs.items()}
    if "assignment_id" in kwargs:
        kwargs["assignment_id"] = RoleAssignment.objects.get(user_id=kwargs["user_id"]).pk
    url = reverse(name, kwargs=kwargs) + entry.query
    got = {}
    for role in ROLES:
        client.logout()
        headers = {}
        if role != "anonymous" and entry.token:  # the API: a service-account key, never a session
            headers["Authorization"] = "Bearer " + ApiToken.issue(users[USER_OF_ROLE[role]], "matris", "test", 1)[1]
        elif role != "anonymous":
            client.force_login(users[USER_OF_ROLE[role]])
        got[role] = client.get(url, headers=headers).status_code
    assert got == entry.statuses
