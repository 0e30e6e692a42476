"""Another district's fastställd report, for every role of the access tests' city (as the URL matrix reads it).

The URL matrix has one row per URL; its report rows use förvaltning F, where every user with a
unit works. Here the report is F2's: only the city-wide roles read it, everyone else is told it
is not there (404), the administrator without a figure role 403.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.access.cityfixture import build_city, make_users
from tests.access.test_url_matrix import USER_OF_ROLE
from tests.access.url_matrix import ROLES, expect
from tests.reports.cityreport import other_district_final

CITY_WIDE = ("inspektor", "namnd")


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("reports:detalj", {}),
        ("reports:export", {"table": "rapport", "fmt": "pdf"}),
        ("reports:export", {"table": "rapport", "fmt": "xlsx"}),
    ],
)
def test_another_districts_fastställd_report_is_not_found(db, client, name, extra):
    build_city()
    users = make_users()
    url = reverse(name, kwargs={"report_id": other_district_final(users)["report_id"], **extra})
    got = {}
    for role in ROLES:
        client.logout()
        if role != "anonymous":
            client.force_login(users[USER_OF_ROLE[role]])
        got[role] = client.get(url).status_code
    assert got == expect(CITY_WIDE, other=404, admin=403)


def test_the_list_does_not_offer_it_either(db, client):
    build_city()
    users = make_users()
    report_id = other_district_final(users)["report_id"]
    for username in ("anna", "ledare", "chef", "controller", "avdchef"):
        client.force_login(users[username])
        assert f"/rapport/{report_id}/" not in client.get("/rapport/").content.decode(), username
    client.force_login(users["namnd"])
    assert f"/rapport/{report_id}/" in client.get("/rapport/").content.decode()
