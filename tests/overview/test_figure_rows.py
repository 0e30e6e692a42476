"""Issue 19: a page reads the figure rows it shows, never the whole table of every caseworker.

`Snapshot.figure_rows` must give exactly the rows of `figures()` its selection names, in the
same order, whether the whole table is in memory, only on disk (a restarted worker: the kept file
scanned with the selection pushed down) or not made yet; and a worker that reads a kept table
that way must not hold the whole table afterwards. Underlag's items are selected the same way.
"""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from egenkontroll.pages import figures as F
from egenkontroll.pages import periods, snapshot
from egenkontroll.pages.snapshot import Rows
from tests.overview import municipality as M

START, END = M.PERIOD
SELECTIONS = [
    Rows(),
    Rows("unit"),
    Rows("unit", ("E",)),
    Rows("unit", ("E", "G1", "no-such-unit")),
    Rows("unit", parent_id="E"),
    Rows("caseworker", parent_id="G1"),
    Rows("caseworker", kpi="oppna_arenden"),
    Rows("unit", ("G2",), kpi="anmalningar"),
    Rows("caseworker", ()),
]


def _whole_tables(snap, breakdown=None):
    return snap.figures(START, END, M.TODAY, breakdown=breakdown)


@pytest.mark.parametrize("breakdown", [None, "gender"])
@pytest.mark.parametrize("where", ["memory", "disk", "nowhere"])
def test_the_rows_selected_are_those_of_the_whole_table(login, tmp_path, monkeypatch, where, breakdown):
    login("chef")
    monkeypatch.setenv("EGK_WEB_CACHE_DIR", str(tmp_path / "cache"))
    expected = _whole_tables(snapshot.current(), breakdown)
    if where == "nowhere":
        monkeypatch.delenv("EGK_WEB_CACHE_DIR")
    if where != "memory":
        snapshot.forget()
    snap = snapshot.current()
    assert expected.height > 0
    for rows in SELECTIONS:
        got = snap.figure_rows(START, END, M.TODAY, rows, breakdown=breakdown)
        assert_frame_equal(got, expected.filter(rows.expr()))
    assert snap.figure_rows(START, END, M.TODAY, Rows("unit", ("E",)), breakdown=breakdown).height > 0


@pytest.fixture
def restarted(login, tmp_path, monkeypatch):
    """The period's figures kept on disk, then a fresh snapshot (a restarted worker)."""
    login("chef")
    monkeypatch.setenv("EGK_WEB_CACHE_DIR", str(tmp_path / "cache"))
    _whole_tables(snapshot.current())
    snapshot.forget()
    return snapshot.current()


def test_a_restarted_worker_keeps_the_rows_it_read_not_the_whole_table(restarted, monkeypatch):
    snap = restarted
    monkeypatch.setattr(snapshot.kpis, "compute", _never)
    snap.figure_rows(START, END, M.TODAY, Rows("unit", ("E",)))
    kept = list(snap._frames.items)
    assert kept and all(key[0] == "selected" for key in kept), kept


def test_probing_reads_kept_rows_and_refuses_rows_not_kept(restarted):
    snap = restarted
    with snapshot.only_kept():
        assert snap.figure_rows(START, END, M.TODAY, Rows("unit", ("E",))).height > 0
        with pytest.raises(snapshot.NotKept):
            snap.figure_rows(START, END, M.TODAY, Rows("unit", ("E",)), breakdown="age_band")


def test_a_damaged_kept_file_is_made_again(login, tmp_path, monkeypatch):
    login("chef")
    monkeypatch.setenv("EGK_WEB_CACHE_DIR", str(tmp_path / "cache"))
    snap = snapshot.current()
    expected = _whole_tables(snap)
    path = snap._disk_path(("figures", START, END, M.TODAY, None, snap.marks_version()))
    path.write_bytes(b"not parquet")
    snapshot.forget()
    got = snapshot.current().figure_rows(START, END, M.TODAY, Rows("unit"))
    assert_frame_equal(got, expected.filter(Rows("unit").expr()))


def _never(*args, **kwargs):
    raise AssertionError("figures computed although a kept file holds them")


@pytest.mark.parametrize("where", ["memory", "disk"])
def test_underlag_items_are_selected_as_from_the_whole_tree(login, tmp_path, monkeypatch, where):
    """Underlag reads one node's items from the kept items of the whole tree (`Snapshot.selected`)."""
    login("chef")
    monkeypatch.setenv("EGK_WEB_CACHE_DIR", str(tmp_path / "cache"))
    snap = snapshot.current()
    period = periods.Period(START, END, M.TODAY)
    kpi = snap.catalogue["anmalningar"]
    whole = F.all_items(snap, kpi, "num", period, snap.marks_version())
    F.items(snap, kpi, "num", period, "unit", "E")  # made and kept whole
    if where == "disk":
        snapshot.forget()
        snap = snapshot.current()
    nodes = [("unit", "E"), ("unit", "G1"), ("unit", snap.roots()[0]), ("caseworker", "anna"), ("caseworker", "nobody")]
    for node_type, node_id in nodes:
        expected = whole.filter(pl.col("caseworker_id") == node_id) if node_type == "caseworker" else \
            whole.filter(F.in_subtree(snap, node_id))
        assert_frame_equal(F.items(snap, kpi, "num", period, node_type, node_id), expected)
    assert F.items(snap, kpi, "num", period, "unit", "E").height > 0
    assert F.items(snap, kpi, "num", period, "caseworker", "anna").height > 0
