"""The helper that computes new periods apart from the server (pages/apart.py, issue 19): it forks
per job, which is safe only while polars' thread pool has not started in it."""

from __future__ import annotations

import subprocess
import sys
import threading
from contextlib import ExitStack

import pytest

from egenkontroll.pages import apart


def test_polars_worker_threads_are_seen_once_the_pool_has_started():
    import polars as pl

    assert pl.DataFrame({"a": range(200_000)}).select(pl.col("a").sum()).item() == sum(range(200_000))
    assert apart._pool_started()


def test_importing_polars_and_every_module_starts_no_pool():
    """What the helper does before it forks: import, never compute (pages/apart.py `_prepare`)."""
    code = ("import polars, egenkontroll.core.kpis, egenkontroll.core.obligations\n"
            "from egenkontroll.pages import apart\nprint(apart._pool_started())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_jobs_take_a_free_slot_and_wait_when_every_slot_is_taken(tmp_path, monkeypatch, jobs):
    """EGK_PAGE_JOBS jobs compute at once over all the server's helpers (lock files in the cache folder)."""
    monkeypatch.setenv(apart.JOBS_VARIABLE, jobs)
    entered = threading.Event()

    def one_more():
        with apart._slot(tmp_path):
            entered.set()

    with ExitStack() as held:
        for _ in range(int(jobs)):
            held.enter_context(apart._slot(tmp_path))  # each open of a lock file excludes the others
        waiting = threading.Thread(target=one_more, daemon=True)
        waiting.start()
        assert not entered.wait(0.5), "a job started although every slot was taken"
    assert entered.wait(30), "the waiting job never got the freed slot"
    assert sorted(p.name for p in tmp_path.glob("apart-*.lock")) == [f"apart-{n}.lock" for n in range(int(jobs))]


@pytest.mark.parametrize("value", ["0", "9", "två"])
def test_a_number_of_jobs_outside_1_to_8_is_refused(tmp_path, monkeypatch, value):
    monkeypatch.setenv(apart.JOBS_VARIABLE, value)
    with pytest.raises(ValueError, match=apart.JOBS_VARIABLE), apart._slot(tmp_path):
        pass


def test_a_helper_that_answers_too_late_is_stopped_with_its_forks(monkeypatch, caplog):
    """`ask` waits JOB_SECONDS_MAX at most; then the helper's whole process group is killed and the
    server's thread computes the page (None)."""
    monkeypatch.setattr(apart, "HELPER", [sys.executable, "-c", "import time; time.sleep(60)"])
    monkeypatch.setattr(apart, "JOB_SECONDS_MAX", 1)
    monkeypatch.setattr(apart, "_helper", None)
    with caplog.at_level("WARNING", logger="egenkontroll.pages.apart"):
        assert apart.ask(19, {"path": "/oversikt/", "query": "", "user": 1}) is None
    assert "took over 1 s apart: the helper is stopped" in caplog.text
    assert apart._helper is None


def test_a_job_too_long_to_be_a_link_is_not_sent(monkeypatch):
    monkeypatch.setattr(apart, "HELPER", [sys.executable, "-c", "raise SystemExit('never started')"])
    monkeypatch.setattr(apart, "_helper", None)
    assert apart.ask(19, {"path": "/oversikt/", "query": "a=" + "x" * apart.JOB_BYTES_MAX, "user": 1}) is None
    assert apart._helper is None


def test_a_helper_answers_each_job_on_one_line(monkeypatch):
    """The protocol with a stand-in helper that echoes a job's answer: one JSON line per job, the
    same helper kept for the next job."""
    echo = ("import json, sys\nfor line in sys.stdin:\n"
            "    print(json.dumps({'status': 0, 'nice': 19, 'seconds': len(json.loads(line)['path'])}), flush=True)")
    monkeypatch.setattr(apart, "HELPER", [sys.executable, "-c", echo])
    monkeypatch.setattr(apart, "_helper", None)
    try:
        assert apart.ask(19, {"path": "/flode/", "query": "", "user": 1}) == {"status": 0, "nice": 19, "seconds": 7}
        first = apart._helper
        assert apart.ask(19, {"path": "/oversikt/", "query": "", "user": 1})["seconds"] == 10
        assert apart._helper is first
    finally:
        if apart._helper is not None:
            apart._stop(apart._helper)
