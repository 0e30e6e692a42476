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


def test_a_probe_reads_a_kept_file_another_thread_is_reading(tmp_path, monkeypatch):
    """The frame's lock is held by a thread that only reads the kept file: the probe reads it too
    instead of answering "räknas fram" for a frame that is on disk (review of issue 19)."""
    monkeypatch.setenv("EGK_WEB_CACHE_DIR", str(tmp_path))
    snap = make_snapshot()
    snap.frame("items", ("k",), lambda: pl.DataFrame({"n": [4]}))  # kept on disk
    snap._frames.items.clear()  # as in a worker that has not read it yet
    reading, done = threading.Event(), threading.Event()
    read = snapshot.pl.read_parquet

    def slow_read(path, *args, **kwargs):
        if threading.current_thread().name == "reader":
            reading.set()
            assert done.wait(10)
        return read(path, *args, **kwargs)

    monkeypatch.setattr(snapshot.pl, "read_parquet", slow_read)
    reader = threading.Thread(target=lambda: snap.frame("items", ("k",), lambda: pl.DataFrame()), name="reader")
    reader.start()
    assert reading.wait(10)
    try:
        with snapshot.only_kept():
            assert snap.frame("items", ("k",), lambda: pl.DataFrame()).equals(pl.DataFrame({"n": [4]}))
    finally:
        done.set()
        reader.join(10)


def test_a_maker_waiting_behind_a_failed_probe_keeps_the_key_to_itself():
    """A probe that gives up drops the key's lock; a thread that was waiting on that lock must not
    make the value beside a later caller holding a new lock (review of issue 19: two makers at once)."""
    memo = snapshot.Memo(8)
    in_probe, fail_probe = threading.Event(), threading.Event()
    making, most, count = [0], [0], threading.Lock()

    def probe_make():
        in_probe.set()
        assert fail_probe.wait(10)
        raise snapshot.NotKept

    def slow_make():
        with count:
            making[0] += 1
            most[0] = max(most[0], making[0])
        time.sleep(0.5)
        with count:
            making[0] -= 1
        return "figures"

    def probe():
        try:
            memo.get("f", probe_make, wait=False)
        except snapshot.NotKept:
            pass

    prober = threading.Thread(target=probe)
    prober.start()
    assert in_probe.wait(10)
    waiter = threading.Thread(target=lambda: memo.get("f", slow_make))
    waiter.start()
    time.sleep(0.2)  # the waiter blocks on the probe's lock
    fail_probe.set()
    prober.join(10)
    time.sleep(0.1)
    later = threading.Thread(target=lambda: memo.get("f", slow_make))
    later.start()
    waiter.join(10)
    later.join(10)
    assert most[0] == 1
    assert memo.get("f", slow_make) == "figures"


def test_an_unreadable_cache_file_is_made_again(tmp_path, monkeypatch):
    """A damaged file (a disk that filled up, say) is neither shown nor kept: a probe is told it is
    not kept, and the next maker removes it and writes the table again."""
    monkeypatch.setenv("EGK_WEB_CACHE_DIR", str(tmp_path))
    snap = make_snapshot()
    snap.frame("items", ("k",), lambda: pl.DataFrame({"n": [1]}))
    path = snap._disk_path(("items", "k"))
    path.write_bytes(b"not parquet")
    snap._frames.items.clear()
    try:
        with snapshot.only_kept():
            snap.frame("items", ("k",), lambda: pl.DataFrame({"n": [2]}))
        raise AssertionError("a damaged file was returned to a probe")
    except snapshot.NotKept:
        pass
    assert snap.frame("items", ("k",), lambda: pl.DataFrame({"n": [2]})).equals(pl.DataFrame({"n": [2]}))
    assert pl.read_parquet(path).equals(pl.DataFrame({"n": [2]}))


def test_the_kept_frames_are_bounded_by_their_size_as_well_as_their_number():
    """EGK_WEB_FRAMES_MB: a figures table is up to 41 MiB at city scale and 492 MiB at national, so
    128 of them (EGK_WEB_FRAMES_KEPT) could hold 5 or 60 GB per worker. The least recently used go
    first; the newest is kept even when it alone is over the budget."""
    memo = snapshot.Memo(128, 2_500, snapshot._frame_bytes)
    frame = pl.DataFrame({"n": range(100)})  # 800 bytes
    for key in "abc":
        memo.get(key, frame.clone)
    memo.get("a", lambda: None)  # used again: the most recent
    memo.get("d", frame.clone)
    assert list(memo.items) == ["c", "a", "d"] and memo.weight == 2_400
    big = pl.DataFrame({"n": range(1_000)})
    memo.get("e", big.clone)
    assert list(memo.items) == ["e"] and memo.weight == 8_000
    memo.clear()
    assert not memo.items and memo.weight == 0
