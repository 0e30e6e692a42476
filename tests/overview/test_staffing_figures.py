"""Issue 16 on Översikt: turnover, vacancies, consultants and caseloads per post, masked for the nämnd.

The page-test municipality (municipality.py) seen on 2026-03-10, with employment forms and posts:
cohort on 2025-03-10 is anna (G1), bo and dan (G2); dan left 2025-11-28, cia (a consultant)
started 2025-05-05. Posts from 2025-01-01: G1 2, G2 3. Open cases: C4, C5 at G1; C1, C3 at G2.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from egenkontroll.access.models import AccessLog, RoleAssignment
from egenkontroll.cases.importer import run_import
from tests.cases.factory import write_csv, write_dataset
from tests.overview import municipality as M
from tests.overview.conftest import KEY, PASSWORD, USERS

pytestmark = pytest.mark.django_db

FORMS = {"anna": "tillsvidare", "bo": "tillsvidare", "cia": "konsult", "dan": "tillsvidare"}
CASEWORKERS = [(*M.CASEWORKERS[0], "employment")] + [(*row, FORMS[row[0]]) for row in M.CASEWORKERS[1:]]
POSTS = [("unit_id", "start_date", "posts"), ("G1", "2025-01-01", "2"), ("G2", "2025-01-01", "3")]


@pytest.fixture
def municipality(db, tmp_path, monkeypatch):
    """The page municipality with employment forms and a staffing table (overrides conftest's)."""
    monkeypatch.setenv("EGK_PSEUDONYM_KEY", KEY)
    monkeypatch.delenv("EGK_PSEUDONYM_KEY_FILE", raising=False)
    path = write_dataset(tmp_path / "data", M.events(), org_units=M.ORG_UNITS, caseworkers=CASEWORKERS)
    write_csv(path / "staffing.csv", POSTS)
    summary = run_import(path)
    assert summary.all_rejected == 0
    for username, (role, unit_id, caseworker_id) in USERS.items():
        user = get_user_model().objects.create_user(username, password=PASSWORD)
        RoleAssignment.objects.create(user=user, role=role, unit_id=unit_id, caseworker_id=caseworker_id)
    return summary


def row(response, title: str) -> tuple:
    table = response.context["tables"][0]
    found = next(r for r in table.rows if r["kpi"] == title)
    return tuple(found[k] for k in found if k.startswith("n:"))


def test_the_unit_head_sees_turnover_vacancies_and_caseloads_per_group(login):
    response = login("chef").get("/oversikt/")  # columns: E (total), G1, G2
    assert row(response, "Personalomsättning") == (pytest.approx(1 / 3), 0.0, 0.5)  # dan left G2
    assert row(response, "Handläggare i tjänst") == (3, 1, 2)
    assert row(response, "Konsulter") == (1, 0, 1)
    assert row(response, "Tjänster") == (5, 2, 3)
    assert row(response, "Vakanta tjänster") == (3, 1, 2)  # cia, a consultant, fills no post
    assert row(response, "Ärenden per handläggare i tjänst") == (pytest.approx(4 / 3), 2.0, 1.0)
    assert row(response, "Ärenden per tjänst") == (0.8, 1.0, pytest.approx(2 / 3))
    assert row(response, "Öppna ärenden utan handläggare") == (0, 0, 0)


def test_a_caseworker_has_no_turnover_but_a_caseload(login):
    response = login("chef").get("/oversikt/?enhet=G2")  # G2 (total), dan, bo, cia
    assert row(response, "Personalomsättning")[1:] == (None, None, None)
    assert row(response, "Ärenden per handläggare i tjänst")[2] == 2.0  # bo: C1, C3


def test_the_leavers_behind_the_turnover_are_listed(login):
    response = login("chef").get("/oversikt/underlag/?nyckeltal=personalomsattning&enhet=G2")
    assert response.status_code == 200
    rows = response.context["tables"][0].rows
    assert [(r["caseworker"], str(r["date"]), r["employment"]) for r in rows] == [(M.DAN, "2025-11-28", "Tillsvidare")]


def test_the_namnd_sees_the_staffing_figures_masked(login):
    response = login("namnd").get("/oversikt/?enhet=E")
    assert row(response, "Personalomsättning")[0] == "<5"  # a share of 3 caseworkers
    assert row(response, "Vakanta tjänster") == ("<5", "<5", "<5")
    assert row(response, "Tjänster")[0] == 5


@pytest.mark.parametrize("kpi", ["personalomsattning", "vakanta_tjanster", "dagar_utan_handlaggare_median"])
def test_the_figure_pages_and_downloads_of_the_staffing_figures_work(login, kpi):
    client = login("chef")
    assert client.get(f"/nyckeltal/{kpi}/?enhet=E").status_code == 200
    assert client.get("/nyckeltal/").status_code == 200
    assert client.get(f"/oversikt/underlag/?nyckeltal={kpi}&enhet=E").status_code == 200
    assert login("namnd").get(f"/nyckeltal/{kpi}/?enhet=E").status_code == 200


def test_a_caseworker_sees_only_their_own_staffing_row_and_the_log_names_whom_it_showed(login):
    """Review finding 3: bo sees G2's figures, but at person level only his own cases and himself."""
    response = login("bo").get("/oversikt/underlag/?nyckeltal=handlaggare_i_tjanst&enhet=G2")
    assert response.status_code == 200
    assert [r["caseworker"] for r in response.context["tables"][0].rows] == ["Bo Berg"]  # not cia
    assert (response.context["total"], response.context["hidden_count"]) == (2, 1)
    entry = AccessLog.objects.filter(username="bo", page="underlag").latest("seq")
    assert entry.detail == "handläggare: bo"
    chef = login("chef").get("/oversikt/underlag/?nyckeltal=handlaggare_i_tjanst&enhet=G2")
    assert sorted(r["caseworker"] for r in chef.context["tables"][0].rows) == ["Bo Berg", "Cia Carlsson"]
    assert AccessLog.objects.filter(username="chef", page="underlag").latest("seq").detail == "handläggare: bo, cia"


def test_the_posts_behind_a_vacancy_figure_are_one_row_per_unit_with_their_number(login):
    """Review finding 9: a unit's posts are one row weighing their number; the page counts what they stand for."""
    response = login("chef").get("/oversikt/underlag/?nyckeltal=vakanta_tjanster&enhet=E")
    rows = response.context["tables"][0].rows
    assert sorted((r["unit"], r["weight"]) for r in rows) == [("Mottagningen", 1), ("Utredningsgruppen", 2)]
    assert response.context["total"] == 3
