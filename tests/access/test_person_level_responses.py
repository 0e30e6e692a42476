"""Person-level responses: never cached, a refusal is one log line, and any case id opens."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import resolve, reverse

from egenkontroll.access.models import AccessLog
from egenkontroll.cases.models import Case, Event, ImportRun, Obligation, Person
from tests.access.cityfixture import build_city, make_users
from tests.access.test_no_personnummer_in_logs import configured_output  # noqa: F401  (fixture)
from tests.access.test_url_matrix import USER_OF_ROLE
from tests.access.url_matrix import PERSON_LEVEL, URLS

# Person-level URLs the walk must reach (a walk that silently skipped them would prove nothing).
MUST_COVER = {
    "overview:arende", "overview:arende_export", "overview:arbetslista", "overview:arbetslista_export",
    "overview:underlag", "overview:underlag_export", "audits:protokoll", "deviations:detalj", "access:sok",
}


def _url(name: str, users: dict) -> str:
    entry = URLS[name]
    made = entry.setup(users) if entry.setup else {}
    kwargs = {k: users[v[1:]].pk if isinstance(v, str) and v.startswith("@") else v for k, v in entry.kwargs.items()}
    kwargs = {k: made[v[1:]] if isinstance(v, str) and v.startswith("#") else v for k, v in kwargs.items()}
    return reverse(name, kwargs=kwargs) + entry.query


@pytest.mark.parametrize("name", sorted(URLS))
def test_every_logged_or_person_level_response_is_no_store(db, client, name):
    """Walk the URL matrix: whatever a person-level role opens that is logged or person level is no-store."""
    build_city()
    users = make_users()
    if "assignment_id" in URLS[name].kwargs:
        pytest.skip("POST-only administration")
    url = _url(name, users)
    marked = getattr(resolve(url.split("?")[0]).func, "egk_access", ("",))[0] == "person_level"
    person_level = marked or name in MUST_COVER
    checked = []
    for role in PERSON_LEVEL:
        if URLS[name].statuses[role] != 200:
            continue
        client.force_login(users[USER_OF_ROLE[role]])
        before = AccessLog.objects.count()
        response = client.get(url)
        logged = AccessLog.objects.count() > before
        if person_level or logged:
            assert "no-store" in response.get("Cache-Control", ""), (name, role, response.get("Cache-Control"))
            checked.append(role)
    if name in MUST_COVER:
        assert checked, f"{name}: no person-level response was checked"


def test_the_walk_covers_the_person_level_urls():
    assert MUST_COVER <= set(URLS)


def test_a_refused_request_is_one_log_line_without_a_traceback(db, client, configured_output):  # noqa: F811
    build_city()
    users = make_users()
    client.force_login(users["namnd"])
    assert client.get(reverse("overview:arbetslista")).status_code == 403
    client.force_login(users["avdchef"])
    assert client.get(reverse("overview:arende", kwargs={"case_id": "C3"})).status_code == 404
    written = configured_output.getvalue()
    assert "Traceback" not in written
    lines = [line for line in written.splitlines() if line.strip()]
    assert lines == ["Forbidden (Permission denied): /arbetslista/", "Not Found: /arende/C3/"]


def test_a_case_id_with_a_slash_opens_with_its_download(db, client):
    build_city()
    users = make_users()
    case_id = "IFO/2024/0017"
    Person.objects.create(person_key="P-slash", birth_year=2016)
    Case.objects.create(case_id=case_id, person_id="P-slash", unit_id="G1", caseworker_id="anna",
                        first_date=date(2024, 1, 1), last_date=date(2024, 2, 1), event_count=1)
    run = ImportRun.objects.first()
    Event.objects.create(event_id="E-slash", case_id=case_id, person_id="P-slash", event_type="anmalan",
                         date=date(2024, 1, 1), unit_id="G1", caseworker_id="anna", content_hash="x", import_run=run)
    Obligation.objects.create(case_id=case_id, rule="skyddsbedomning", trigger_event_id="E-slash",
                              trigger_date=date(2024, 1, 1), due_date=date(2024, 1, 15), status="open",
                              unit_id="G1", caseworker_id="anna", person_id="P-slash")
    client.force_login(users["chef"])
    page = reverse("overview:arende", kwargs={"case_id": case_id})
    assert page == "/arende/IFO/2024/0017/"
    response = client.get(page)
    assert response.status_code == 200
    assert case_id in response.content.decode()
    download = reverse("overview:arende_export", kwargs={"case_id": case_id, "table": "frister", "fmt": "csv"})
    assert download in response.content.decode()
    exported = client.get(download)
    assert exported.status_code == 200 and b"skyddsbed" in exported.content.lower()
    assert AccessLog.objects.filter(action="view", cases__case_id=case_id).exists()
    # long overdue: in the work list's tail, one click away from its default view (issue 13)
    assert client.get(reverse("overview:arbetslista") + "?forfallna=alla").content.decode().count(page) >= 1
