"""Issue 19: after an import (or a restart) the first visitor never waits for the obligations.

`warm_up` (run by `import`, `demo` and `serve`) leaves the pages' figures on disk; a fresh server
process (here: the snapshot forgotten, as after a restart) must answer the default views, the
periods offered as links (presets) and each figure's month-by-month trend from those files
alone. The proof is strict: evaluating obligations is made to fail in the "restarted" process.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from polars.testing import assert_frame_equal

from egenkontroll.core import rules
from egenkontroll.core.obligations import carry_forward as _carry_forward
from egenkontroll.core.obligations import evaluate as _evaluate
from egenkontroll.overview import warmup
from egenkontroll.pages import periods, snapshot
from tests.overview import municipality as M

D = dt.date


@pytest.fixture
def warmed(login, tmp_path, monkeypatch):
    monkeypatch.setenv("EGK_WEB_CACHE_DIR", str(tmp_path / "cache"))
    steps = warmup.warm_up(day=M.TODAY)
    snapshot.forget()  # a restart: nothing in memory, only the disk cache

    def no_evaluation(*args, **kwargs):
        raise AssertionError("obligations evaluated on a page the warm-up covered")

    monkeypatch.setattr(snapshot, "evaluate", no_evaluation)
    return steps


def _urls(client) -> list[str]:
    kpi_ids = list(snapshot.current().catalogue)
    base = ["/oversikt/", "/flode/", "/handlaggare/", "/nyckeltal/"]
    base += [reverse("overview:nyckeltal_detalj", kwargs={"kpi_id": k}) for k in kpi_ids]
    out = list(base)
    for _, start, end in periods.presets(M.TODAY):
        query = periods.query_string(fran=start.isoformat(), till=end.isoformat())
        out += [path + query for path in base]
    return out


def test_a_restarted_server_answers_the_default_views_and_presets_from_disk(warmed, login):
    client = login("inspektor")
    assert warmed > 0
    for url in _urls(client):
        response = client.get(url)
        assert response.status_code == 200, url


def test_a_restarted_server_counts_no_open_obligation_for_the_inspektors_work_list(warmed, login):
    """The whole organisation's Arbetslista counts every open obligation (1.9 s for a country, issue
    19): the warm-up kept its counts, so the first inspektör after a restart runs no COUNT."""
    client = login("inspektor")
    with CaptureQueriesContext(connection) as seen:
        assert client.get("/arbetslista/").status_code == 200
    assert not [q["sql"] for q in seen.captured_queries if "COUNT(" in q["sql"].upper()]


def test_a_trend_over_two_years_of_whole_months_is_kept_too(warmed, login, monkeypatch):
    """A period nobody asked for that spans whole months: its trend months come from disk; only
    the period's own figures need an evaluation (of its as_of day)."""
    calls = []
    monkeypatch.setattr(snapshot, "evaluate", lambda events, as_of: calls.append(as_of) or _evaluate(events, as_of))
    start = D(M.TODAY.year - 2, M.TODAY.month, 1) + dt.timedelta(days=31)
    start = D(start.year, start.month, 1)
    end = D(M.TODAY.year, M.TODAY.month, 1) - dt.timedelta(days=1)
    kpi_id = next(iter(snapshot.current().catalogue))
    response = login("chef").get(f"/nyckeltal/{kpi_id}/?fran={start}&till={end}")
    assert response.status_code == 200
    assert calls == [end]


def test_the_first_request_of_a_restarted_worker_finds_its_figures_read(warmed, login):
    """`warm_worker` (run by wsgi.py in each gunicorn worker) reads the kept figures' unit rows into
    memory: the period's, its breakdowns' and its trend months'; never a whole table (issue 19)."""
    read = warmup.warm_worker(day=M.TODAY)
    months = warmup.months(periods.Period(*periods.default_period(M.TODAY), M.TODAY))
    assert read == 1 + len(warmup.BREAKDOWNS) + len(months)
    kept = snapshot.current()._frames.items
    assert len(kept) == read and all(key[0] == "selected" and key[-1] == snapshot.UNIT_ROWS for key in kept)
    assert login("chef").get("/oversikt/").status_code == 200


def test_a_period_nobody_asked_for_is_computed(login, tmp_path, monkeypatch):
    """Outside the warmed periods the pages still compute (and keep) their figures."""
    monkeypatch.setenv("EGK_WEB_CACHE_DIR", str(tmp_path / "cache"))
    client = login("chef")
    response = client.get("/oversikt/?fran=2026-01-01&till=2026-01-31")
    assert response.status_code == 200
    assert any((tmp_path / "cache").rglob("figures-*.parquet"))


def test_the_warm_up_keeps_no_frame_in_memory_once_it_is_on_disk(login, tmp_path, monkeypatch):
    """Each step's frames are on disk when the step ends: kept in memory as well, sixty of them
    held 13 GB at national scale (the import itself 3 GB)."""
    monkeypatch.setenv("EGK_WEB_CACHE_DIR", str(tmp_path / "cache"))
    before, after = [], []
    real = snapshot.Snapshot.drop_frames

    def measured(self):
        before.append(len(self._frames.items))
        real(self)
        after.append(len(self._frames.items))

    monkeypatch.setattr(snapshot.Snapshot, "drop_frames", measured)
    steps = warmup.warm_up(day=M.TODAY)
    assert len(after) == steps and set(after) == {0}
    assert max(before) > 0  # the steps did keep frames in memory until they were dropped
    assert not snapshot.current()._frames.items
    assert len(list((tmp_path / "cache").rglob("figures-*.parquet"))) > 0


def test_a_restarted_worker_lists_the_days_obligations_without_evaluating_them(warmed, login):
    """The warm-up keeps the day's evaluation on disk (issue 19): pages that list obligations
    answer a fresh process from it, and it is exactly what an evaluation gives."""
    client = login("inspektor")
    kpi_id = "utr_inom_4m_andel"
    for url in ("/arbetslista/", f"/oversikt/underlag/?nyckeltal={kpi_id}&enhet={snapshot.current().roots()[0]}"):
        assert client.get(url).status_code == 200, url
    snap = snapshot.current()
    kept, full = snap.evaluation(M.TODAY), _evaluate(snap.events, M.TODAY)
    assert kept.obligations.height > 0
    assert_frame_equal(kept.obligations, full.obligations, check_exact=True)
    assert_frame_equal(kept.rejects, full.rejects, check_exact=True)


def test_another_rules_file_is_another_cache_key(tmp_path, monkeypatch, login):
    """Figures and evaluations kept under one rule catalogue are never served under another
    (a municipality's own EGK_RULES_FILE, docs/rules.md)."""
    before = snapshot.data_version()
    own = tmp_path / "regler.yaml"
    own.write_text(rules.DEFAULT_FILE.read_text(encoding="utf-8") + "\n# lokal ändring\n", encoding="utf-8")
    monkeypatch.setenv(rules.RULES_ENV, str(own))
    assert snapshot.data_version() != before


def test_a_later_day_is_carried_forward_from_an_earlier_one_in_memory(login, monkeypatch):
    """The warm-up's months go in order of their last day: each evaluation after the first is
    the previous one carried forward, and exactly what an evaluation of its own gives."""
    carried = []
    monkeypatch.setattr(snapshot, "carry_forward", lambda *a: carried.append(a[1]) or _carry_forward(*a))
    snapshot.forget()
    snap = snapshot.current()
    first, later = M.TODAY - dt.timedelta(days=75), M.TODAY - dt.timedelta(days=14)
    snap.evaluation(first)
    got, full = snap.evaluation(later), _evaluate(snap.events, later)
    assert carried == [first]
    assert full.obligations.height > 0
    assert_frame_equal(got.obligations, full.obligations, check_exact=True)
    snap.evaluation(first - dt.timedelta(days=30))  # an earlier day than any kept: evaluated in full
    assert carried == [first]
