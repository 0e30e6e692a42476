"""Object level: a caseworker guessing another caseworker's case id, in a page or a download, gets nothing,
and the attempt is in the access log as denied."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from egenkontroll.access.hashchain import verify
from egenkontroll.access.models import AccessLog
from tests.access.cityfixture import build_city, make_users


@pytest.fixture
def users(db):
    build_city()
    return make_users()


def shown(response) -> bytes:
    """The page without its CSRF tokens: a random token may hold "C3" by chance (1 run in 60 failed so)."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", response.content)


GUESSES = [
    ("overview:arende", {"case_id": "C3"}),
    ("overview:arende_export", {"case_id": "C3", "table": "frister", "fmt": "csv"}),
    ("overview:arende_export", {"case_id": "C3", "table": "handelser", "fmt": "xlsx"}),
    ("overview:arende", {"case_id": "C4"}),
    ("overview:arende", {"case_id": "finns-inte"}),
]


@pytest.mark.parametrize("name,kwargs", GUESSES)
def test_another_caseworkers_case_is_not_found_and_logged_as_denied(users, client, name, kwargs):
    client.force_login(users["anna"])
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 404
    assert kwargs["case_id"].encode() not in shown(response)
    entry = AccessLog.objects.get()
    assert (entry.action, entry.username, entry.case_ids) == ("denied", "anna", f'["{kwargs["case_id"]}"]')
    assert verify().ok


def test_own_case_opens_and_is_logged_as_a_view(users, client):
    client.force_login(users["anna"])
    assert client.get(reverse("overview:arende", kwargs={"case_id": "C6"})).status_code == 200
    entry = AccessLog.objects.get()
    assert (entry.action, entry.page, entry.case_ids, entry.client) == ("view", "arende", '["C6"]', "127.0.0.1")


def test_own_download_is_logged_as_an_export(users, client):
    client.force_login(users["anna"])
    url = reverse("overview:arende_export", kwargs={"case_id": "C1", "table": "frister", "fmt": "csv"})
    response = client.get(url)
    assert response.status_code == 200
    assert list(AccessLog.objects.values_list("action", "case_ids")) == [("export", '["C1"]')]


def test_work_list_shows_and_logs_only_own_cases(users, client):
    client.force_login(users["anna"])
    # Every overdue obligation (the city's are years old: beyond the default horizon).
    response = client.get(reverse("overview:arbetslista") + "?forfallna=alla")
    assert response.status_code == 200
    entry = AccessLog.objects.get()
    assert (entry.action, entry.case_ids) == ("list", '["C1", "C2", "C6"]')
    assert b"C3" not in shown(response) and b"C4" not in shown(response)


def test_namnd_gets_403_on_person_level_pages_and_it_is_logged(users, client):
    client.force_login(users["namnd"])
    assert client.get(reverse("overview:arbetslista")).status_code == 403
    assert client.get(reverse("overview:arende", kwargs={"case_id": "C1"})).status_code == 403
    assert list(AccessLog.objects.order_by("seq").values_list("action", "page", "case_ids")) == [
        ("denied", "arbetslista", "[]"),
        ("denied", "arende", '["C1"]'),
    ]


def test_the_items_behind_a_group_figure_are_only_own_cases_for_a_caseworker(users, client):
    query = "?nyckeltal=anmalningar&enhet=G1&fran=2024-01-01&till=2024-12-31"
    client.force_login(users["anna"])
    assert client.get(reverse("overview:underlag") + query).status_code == 200
    assert AccessLog.objects.get().case_ids == '["C1", "C2"]'
    client.force_login(users["ledare"])
    client.get(reverse("overview:underlag") + query)
    assert AccessLog.objects.order_by("seq").last().case_ids == '["C1", "C2", "C3"]'
