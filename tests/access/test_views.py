"""The access pages: login and throttling, the personnummer search, users and roles, Logguppföljning."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from egenkontroll.access.hashchain import verify
from egenkontroll.access.models import AccessLog, LoginFailure, RoleAssignment
from egenkontroll.access.scoping import log_access
from egenkontroll.cases.models import Person
from egenkontroll.core.identity import Pseudonymizer
from tests.access.cityfixture import PASSWORD, build_city, make_users

KEY = "access-test-pseudonym-key-0123456789"
# A valid personnummer (Luhn) for the test child of case C3; never stored.
PNR = "20150312-9825"


@pytest.fixture
def users(db, monkeypatch):
    monkeypatch.setenv("EGK_PSEUDONYM_KEY", KEY)
    monkeypatch.delenv("EGK_PSEUDONYM_KEY_FILE", raising=False)
    build_city()
    person_key = Pseudonymizer(KEY.encode()).person_key(PNR)
    Person.objects.filter(person_key="PC3").update(person_key=person_key)
    from egenkontroll.cases.models import Case

    Case.objects.filter(case_id="C3").update(person_id=person_key)
    return make_users()


def login(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


# -- login, throttling, middleware ------------------------------------------------------------

def test_pages_need_a_login_and_the_login_page_is_public(users, client):
    assert client.get(reverse("access:sok")).url == "/login/?next=/sok/"
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert "Logga in" in page.content.decode()


def test_the_health_check_is_public_and_says_only_ok(users, client):
    response = client.get(reverse("halsa"))
    assert (response.status_code, response.content) == (200, b"ok\n")


def test_login_and_logout(users, client):
    assert login(client, "anna").status_code == 302
    assert client.get(reverse("access:sok")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("access:sok")).status_code == 302


def test_five_failures_lock_the_username_from_that_address(users, client, settings):
    settings.EGK_LOGIN_MAX_FAILURES = 5
    for _ in range(5):
        assert "Fel användarnamn eller lösenord." in login(client, "anna", "fel").content.decode()
    assert LoginFailure.objects.filter(username="anna", client="127.0.0.1").count() == 5
    locked = login(client, "anna")  # the right password, too late
    assert locked.status_code == 200
    assert "För många misslyckade inloggningar. Försök igen om 15 minuter." in locked.content.decode()
    other_address = client.post(reverse("login"), {"username": "anna", "password": PASSWORD},
                                REMOTE_ADDR="10.1.1.1")
    assert other_address.status_code == 302


def test_a_success_clears_the_failures(users, client):
    for _ in range(3):
        login(client, "anna", "fel")
    assert login(client, "anna").status_code == 302
    assert not LoginFailure.objects.exists()


def test_every_response_has_a_csp_without_inline_script(users, client):
    policy = client.get(reverse("login")).headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy


# -- find a case by personnummer ------------------------------------------------------------

def test_search_finds_the_case_within_scope_and_logs_without_the_number(users, client):
    client.force_login(users["ledare"])
    page = client.post(reverse("access:sok"), {"personnummer": PNR})
    text = page.content.decode()
    assert page.status_code == 200
    assert 'href="/arende/C3/"' in text
    assert "9825" not in text and "20150312" not in text
    entry = AccessLog.objects.get()
    assert (entry.action, entry.page, entry.case_ids) == ("search", "sok", '["C3"]')
    assert entry.detail == "sökning på personnummer, 1 träffar"
    assert verify().ok


def test_search_outside_scope_shows_nothing_and_logs_a_denied_match(users, client):
    client.force_login(users["anna"])
    page = client.post(reverse("access:sok"), {"personnummer": "201503129825"})
    assert "Inga ärenden inom din behörighet" in page.content.decode()
    assert list(AccessLog.objects.order_by("seq").values_list("action", "case_ids")) == [
        ("search", "[]"),
        ("denied", '["C3"]'),
    ]


def test_an_invalid_number_is_explained_and_not_echoed(users, client):
    client.force_login(users["ledare"])
    page = client.post(reverse("access:sok"), {"personnummer": "20150312-9826"})
    text = page.content.decode()
    assert "kontrollsiffran stämmer inte" in text
    assert "9826" not in text
    assert not AccessLog.objects.exists()


def test_search_is_refused_for_roles_without_person_level_access(users, client):
    client.force_login(users["namnd"])
    assert client.post(reverse("access:sok"), {"personnummer": PNR}).status_code == 403
    assert AccessLog.objects.get().action == "denied"


# -- users and roles --------------------------------------------------------------------------

def test_admin_creates_a_user_and_grants_a_role(users, client):
    client.force_login(users["admin"])
    created = client.post(reverse("access:anvandare-ny"), {"username": "nyanstalld", "password": "Bättre-lösen-2024!"})
    user = get_user_model().objects.get(username="nyanstalld")
    assert created.url == reverse("access:anvandare-detalj", kwargs={"user_id": user.pk})
    granted = client.post(created.url, {"atgard": "roll", "role": "handlaggare", "caseworker_id": "bo"})
    assert granted.status_code == 302
    assert list(RoleAssignment.objects.filter(user=user).values_list("role", "unit_id", "caseworker_id")) == [
        ("handlaggare", "G1", "bo")  # the group filled in from the caseworker
    ]
    assert list(AccessLog.objects.order_by("seq").values_list("action", "detail")) == [
        ("admin", "skapade användaren nyanstalld"),
        ("admin", "gav nyanstalld rollen handlaggare för G1 (handläggare bo)"),
    ]


def test_a_weak_password_and_a_handlaggare_without_caseworker_are_refused(users, client):
    client.force_login(users["admin"])
    weak = client.post(reverse("access:anvandare-ny"), {"username": "svag", "password": "12345678"})
    assert weak.status_code == 200
    assert not get_user_model().objects.filter(username="svag").exists()
    url = reverse("access:anvandare-detalj", kwargs={"user_id": users["namnd"].pk})
    page = client.post(url, {"atgard": "roll", "role": "handlaggare"})
    assert "Rollen handläggare kräver att handläggaren anges." in page.content.decode()


def test_admin_revokes_a_role_and_deactivates_a_user(users, client):
    client.force_login(users["admin"])
    grant = RoleAssignment.objects.get(user=users["chef"])
    client.post(reverse("access:roll-ta-bort", kwargs={"user_id": users["chef"].pk, "assignment_id": grant.pk}))
    assert not RoleAssignment.objects.filter(user=users["chef"]).exists()
    client.post(reverse("access:anvandare-detalj", kwargs={"user_id": users["chef"].pk}), {"atgard": "aktiv"})
    users["chef"].refresh_from_db()
    assert users["chef"].is_active is False


# -- Logguppföljning ----------------------------------------------------------------------------

def test_log_review_answers_who_viewed_a_case_and_what_a_user_viewed(users, client, rf):
    for name, cases in (("ledare", ["C3"]), ("chef", ["C4"]), ("avdchef", ["C5"])):
        request = rf.get("/")
        request.user = users[name]
        log_access(request, action="view", page="arende", case_ids=cases)
    client.force_login(users["controller"])  # department A1: cases C1–C4, users in A1
    by_case = client.get(reverse("access:logguppfoljning"), {"arende": "C3"}).context["case_rows"]
    assert [(r.username, r.case_ids) for r in by_case] == [("ledare", '["C3"]')]
    by_user = client.get(reverse("access:logguppfoljning"), {"anvandare": "avdchef"}).context["user_rows"]
    assert by_user == []  # department A2 is not the controller's
    client.force_login(users["inspektor"])
    by_user = client.get(reverse("access:logguppfoljning"), {"anvandare": "avdchef"}).context["user_rows"]
    assert [(r.username, r.case_ids) for r in by_user] == [("avdchef", '["C5"]')]


def test_log_review_flags_denied_attempts_and_many_cases_in_an_hour(users, client, rf, settings):
    settings.EGK_LOG_MANY_CASES_PER_HOUR = 3
    request = rf.get("/")
    request.user = users["anna"]
    for case_id in ("C1", "C2", "C6", "C1"):
        log_access(request, action="view", page="arende", case_ids=[case_id])
    for case_id in ("C3", "C4"):
        log_access(request, action="denied", page="arende", case_ids=[case_id])
    client.force_login(users["inspektor"])
    page = client.get(reverse("access:logguppfoljning"))
    assert [(d["username"], d["n"]) for d in page.context["denied"]] == [("anna", 2)]
    assert page.context["bursts"] == []  # 3 distinct cases is not more than 3
    settings.EGK_LOG_MANY_CASES_PER_HOUR = 2
    page = client.get(reverse("access:logguppfoljning"))
    assert [(b["entry__username"], b["n"]) for b in page.context["bursts"]] == [("anna", 3)]
