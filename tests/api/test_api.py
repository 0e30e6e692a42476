"""The read-only API v1: a valid OpenAPI document, keys that act as their account, the page's
figures for a BI client over plain HTTP, the nämnd's masked, problem+json errors, every call logged."""

from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.test import Client
from django.utils import timezone
from openapi_spec_validator import validate

from egenkontroll.access.models import AccessLog
from egenkontroll.api import urls as api_urls
from egenkontroll.api.models import ApiToken
from tests.access.cityfixture import build_city, make_users

pytestmark = pytest.mark.django_db
PERIOD = "fran=2024-01-01&till=2024-03-31"


@pytest.fixture
def users(db):
    build_city()
    return make_users()


def key(user, name="bi", days=30) -> str:
    return ApiToken.issue(user, name, "test", days)[1]


def call(client: Client, url: str, token: str | None = None, **extra):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(url, headers=headers, **extra)


def test_the_openapi_document_is_valid_and_lists_every_endpoint(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    document = response.json()
    validate(document)
    routes = {"/" + str(p.pattern) if str(p.pattern) else "/" for p in api_urls.urlpatterns}
    assert set(document["paths"]) == routes


def page_csv(client: Client, user, query: str) -> list[dict]:
    client.force_login(user)
    response = client.get(f"/oversikt/ladda-ner/underlag.csv?{query}")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    delimiter = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


def number(text: str):
    text = (text or "").replace("\u00a0", "").replace(" ", "").replace(",", ".").rstrip("%")
    try:
        return float(text)
    except ValueError:
        return text or None


def test_a_bi_client_over_plain_http_reads_the_figure_the_page_shows(users, live_server):
    token = key(users["chef"])
    url, rows, total = f"{live_server.url}/api/v1/nyckeltal/varden?enhet=E1&limit=50&{PERIOD}", [], None
    while url:  # as Power BI follows the next page's link
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310 (loopback live server)
            assert reply.headers["Content-Type"].startswith("application/json")
            body = json.load(reply)
        rows += body["data"]
        total = body["paging"]["total"]
        url = body["paging"]["next"] and urllib.parse.urljoin(live_server.url, body["paging"]["next"])
    api = {(r["enhet_id"], r["nyckeltal"]): r for r in rows}
    assert total == len(rows) == len(api) > 50
    page = page_csv(Client(), users["chef"], f"enhet=E1&{PERIOD}")
    header = list(page[0])
    id_col, kpi_col, num_col = header[2], header[3], header[5]
    compared = 0
    for row in page:
        ours = api[(row[id_col], row[kpi_col])]
        assert number(row[num_col]) == (ours["taljare"] if ours["taljare"] is None else float(ours["taljare"]))
        compared += 1
    assert compared == len(api)
    assert api[("E1", "anmalningar")]["varde"] == api[("E1", "anmalningar")]["taljare"] > 0


def test_the_nämnds_key_gets_masked_values_and_no_numerators(users, client):
    body = call(client, f"/api/v1/nyckeltal/varden?{PERIOD}", key(users["namnd"])).json()
    assert body["data"]
    for row in body["data"]:
        assert "taljare" not in row and "namnare" not in row
        if row["nyckeltal"] in ("anmalningar", "oppna_arenden", "placerade_barn") and row["varde"] is not None:
            assert not 1 <= row["varde"] <= 4, row
    assert any(row["maskerat"] for row in body["data"])
    assert call(client, "/api/v1/arbetslista", key(users["namnd"], "b")).status_code == 403


def test_errors_are_problem_json_in_swedish(users, client):
    missing = call(client, "/api/v1/enheter")
    assert missing.status_code == 401 and missing["Content-Type"].startswith("application/problem+json")
    assert missing["WWW-Authenticate"].startswith("Bearer") and missing.json()["status"] == 401
    assert call(client, "/api/v1/enheter", "egk_fel").status_code == 401
    expired, token = ApiToken.issue(users["chef"], "gammal", "test", 1)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timezone.timedelta(seconds=1))
    assert call(client, "/api/v1/enheter", token).status_code == 401
    revoked, token = ApiToken.issue(users["chef"], "återkallad", "test", 1)
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    assert call(client, "/api/v1/enheter", token).status_code == 401
    good = key(users["chef"])
    unknown = call(client, "/api/v1/enheter?sida=2", good)
    assert unknown.status_code == 400 and "sida" in unknown.json()["detail"]
    assert call(client, "/api/v1/enheter?limit=5000", good).status_code == 400
    assert call(client, "/api/v1/nyckeltal/varden?fran=igår", good).status_code == 400
    assert call(client, "/api/v1/nyckeltal/varden?enhet=G3", good).status_code == 404  # outside E1
    assert client.post("/api/v1/enheter", headers={"Authorization": f"Bearer {good}"}).status_code == 405


def test_a_browser_session_is_not_a_key(users, client):
    client.force_login(users["chef"])
    assert client.get("/api/v1/enheter").status_code == 401


def test_paging_follows_next_to_the_end(users, client):
    token = key(users["inspektor"])
    seen, url = [], "/api/v1/enheter?limit=2"
    while url:
        body = call(client, url, token).json()
        seen += [u["unit_id"] for u in body["data"]]
        url = body["paging"]["next"]
    assert len(seen) == len(set(seen)) == body["paging"]["total"] > 2


def test_every_call_is_logged_and_case_rows_name_their_cases(users, client):
    before = AccessLog.objects.count()
    token = key(users["chef"])
    rows = call(client, "/api/v1/arbetslista?enhet=E1", token).json()["data"]
    assert rows and {"case_id", "frist", "bradska", "dagar_kvar"} <= set(rows[0])
    call(client, "/api/v1/arbetslista/antal", token)
    logged = list(AccessLog.objects.order_by("seq")[before:])
    assert [(e.page, e.action, e.username) for e in logged] == [
        ("api:arbetslista", "export", "chef"), ("api:arbetslista_antal", "export", "chef")]
    assert sorted(logged[0].cases.values_list("case_id", flat=True)) == sorted({r["case_id"] for r in rows})
