"""A frame the disk cache lacks is made by one process at a time; the others read its file (issue 19).

Why: gunicorn's workers share the disk cache, not their memory, and a waiting page asks again of
any worker: each started the same computation. Two Snapshot objects stand for two processes
(flock locks belong to the open file, so two threads exclude each other as two processes do).
"""

from __future__ import annotations

import threading
import time

import polars as pl

from egenkontroll.pages import snapshot

VERSION = ("default", "sqlite", "test", 1, 7, "2026-12-07", "defs")


def make_snapshot() -> snapshot.Snapshot:
    units = pl.DataFrame({"unit_id": ["S"], "parent_id": [None], "name": ["Stad"], "level": ["stad"]},
                         schema={"unit_id": pl.Utf8, "parent_id": pl.Utf8, "name": pl.Utf8, "level": pl.Utf8})
    workers = pl.DataFrame({"caseworker_id": [], "name": []}, schema={"caseworker_id": pl.Utf8, "name": pl.Utf8})
    return snapshot.Snapshot("default", VERSION, units, workers)


def test_a_second_maker_waits_for_the_first_and_reads_its_file(tmp_path, monkeypatch):
    monkeypatch.setenv("EGK_WEB_CACHE_DIR", str(tmp_path))
    first, second = make_snapshot(), make_snapshot()
    made: list[str] = []
    started = threading.Event()

    def slow() -> pl.DataFrame:
        made.append("first")
        started.set()
        time.sleep(0.5)
        return pl.DataFrame({"n": [1, 2, 3]})

    def again() -> pl.DataFrame:
        made.append("second")
        return pl.DataFrame({"n": [9]})

    result: dict = {}
    maker = threading.Thread(target=lambda: result.setdefault("first", first.frame("items", ("k",), slow)))
    maker.start()
    assert started.wait(10)
    got = second.frame("items", ("k",), again)  # the first is still making it
    maker.join(10)
    assert made == ["first"]
    assert got.equals(pl.DataFrame({"n": [1, 2, 3]})) and result["first"].equals(got)


def test_a_probe_never_waits_for_another_maker(tmp_path, monkeypatch):
    monkeypatch.setenv("EGK_WEB_CACHE_DIR", str(tmp_path))
    first, second = make_snapshot(), make_snapshot()
    release, started = threading.Event(), threading.Event()

    def held() -> pl.DataFrame:
        started.set()
        assert release.wait(10)
        return pl.DataFrame({"n": [1]})

    maker = threading.Thread(target=lambda: first.frame("items", ("k",), held))
    maker.start()
    assert started.wait(10)
    began = time.monotonic()
    try:
        with snapshot.only_kept():
            second.frame("items", ("k",), held)
        raise AssertionError("a frame nobody has kept was returned to a probe")
    except snapshot.NotKept:
        pass
    finally:
        release.set()
        maker.join(10)
    assert time.monotonic() - began < 2
