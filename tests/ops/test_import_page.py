"""Importer: the runs with rows, rejects and status for admin and controller; "Data t.o.m." and a
banner on every page when the newest import failed or none has succeeded for a day and a half."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone

from egenkontroll.access.models import AccessLog
from egenkontroll.cases.importer import ImportFailed, run_import
from egenkontroll.cases.models import ImportRun
from tests.access.cityfixture import make_users
from tests.cases.factory import city, write_dataset
from tests.webfixtures import fast_password_hasher, fresh_snapshot  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(db):
    return make_users()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def imported(tmp_path, users):
    rows = city(6)
    rows.append(dict(rows[0], event_id="X-bad", date="2023-13-45"))
    run_import(write_dataset(tmp_path / "d", rows))
    return ImportRun.objects.get()


def test_the_page_lists_each_run_with_its_counts_for_admin_and_controller_only(imported, users):
    for name in ("admin", "controller"):
        page = client_for(users[name]).get("/importer/")
        assert page.status_code == 200
        text = page.content.decode()
        assert "Klar, med avvisade rader" in text and f"/importer/{imported.pk}/avvisade.csv" in text
        assert str(imported.rows_read) in text
    for name in ("anna", "chef", "namnd", "inspektor"):
        assert client_for(users[name]).get("/importer/").status_code == 403


def test_the_rejects_download_is_masked_not_cached_and_logged(imported, users):
    response = client_for(users["controller"]).get(f"/importer/{imported.pk}/avvisade.csv")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";" if text.count(";") > text.count(",") else ","))
    assert len(rows) == 2 and "X-bad" in rows[1]
    log = AccessLog.objects.order_by("-seq").first()
    assert (log.action, log.page, log.username) == ("export", "importer", "controller")


def test_every_page_says_how_far_the_data_runs(imported, users):
    page = client_for(users["chef"]).get("/oversikt/").content.decode()
    last = max(r["date"] for r in city(6))
    assert f"Data t.o.m. {last}" in page
    assert 'class="importlarm"' not in page


def test_the_data_date_is_read_once_per_import_run_and_follows_the_next_one(imported, tmp_path,
                                                                           django_assert_num_queries):
    """The latest case date scanned every case on every page (51 ms at city scale on PostgreSQL):
    now once per import run, the recent runs' query telling when it changed (issue 19)."""
    from egenkontroll.cases.status import import_status

    last = dt.date.fromisoformat(max(r["date"] for r in city(6)))
    with django_assert_num_queries(2):
        assert import_status().data_until == last
    with django_assert_num_queries(1):
        assert import_status().data_until == last
    newest = max(city(6), key=lambda r: r["date"])
    later = dict(newest, event_id=f"{newest['event_id']}-2", date=(last + dt.timedelta(days=3)).isoformat())
    assert run_import(write_dataset(tmp_path / "later", [*city(6), later])).rejected == 0
    with django_assert_num_queries(2):
        assert import_status().data_until == last + dt.timedelta(days=3)


def test_a_failed_newest_import_puts_a_banner_on_every_page(imported, users, tmp_path):
    with pytest.raises(ImportFailed):
        run_import(tmp_path / "finns-inte")
    assert ImportRun.objects.filter(status="failed").count() == 1
    for url, user in (("/oversikt/", "chef"), ("/arbetslista/", "anna"), ("/importer/", "admin")):
        page = client_for(users[user]).get(url).content.decode()
        assert "Den senaste importen" in page and "misslyckades" in page, url


def test_no_successful_import_for_36_hours_is_announced(imported, users, monkeypatch):
    ImportRun.objects.update(finished_at=timezone.now() - dt.timedelta(hours=40))
    page = client_for(users["chef"]).get("/oversikt/").content.decode()
    assert "Ingen import har lyckats på 40 timmar" in page
    monkeypatch.setenv("EGK_IMPORT_STALE_HOURS", "0")
    assert "Ingen import har lyckats" not in client_for(users["chef"]).get("/oversikt/").content.decode()
