"""Small-number protection: every 1–4 hidden, and no hidden cell recomputable from the totals."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from egenkontroll.core.smallnumbers import mask_frame, suppress, with_totals


def recomputable(hidden: np.ndarray) -> list[tuple[int, int]]:
    """Hidden cells that row and column equations pin down (independent of the module's graph method).

    Row i says sum of its cells = its total cell; column j likewise. Only hidden cells are
    unknown. A hidden cell k is determined iff every solution of the homogeneous system has
    x_k = 0, i.e. iff dropping its column lowers the rank of the coefficient matrix.
    """
    n_rows, n_cols = hidden.shape
    cells = list(zip(*np.nonzero(hidden), strict=True))
    if not cells:
        return []
    a = np.zeros((n_rows + n_cols, len(cells)))
    for k, (r, c) in enumerate(cells):
        a[r, k] = -1.0 if c == n_cols - 1 else 1.0
        a[n_rows + c, k] = -1.0 if r == n_rows - 1 else 1.0
    rank = np.linalg.matrix_rank(a)
    return [cell for k, cell in enumerate(cells) if np.linalg.matrix_rank(np.delete(a, k, axis=1)) < rank]


def test_the_checker_sees_a_cell_given_away_by_its_total():
    table = with_totals([[3, 10], [12, 15]])
    only_primary = (table >= 1) & (table <= 4)
    assert recomputable(only_primary) == [(0, 0)]
    two_in_a_row = only_primary.copy()
    two_in_a_row[0, 1] = True  # the row no longer tells, but each column still does
    assert recomputable(two_in_a_row) == [(0, 0), (0, 1)]


def test_one_small_cell_takes_the_cheapest_rectangle_with_it():
    result = suppress(with_totals([[3, 10, 20], [12, 15, 30], [8, 9, 40]]))
    assert result.cells() == [
        ["<5", "x", "20", "33"],
        ["12", "15", "30", "57"],
        ["x", "x", "40", "57"],
        ["23", "34", "90", "147"],
    ]


def test_a_table_without_small_numbers_is_shown_as_is():
    result = suppress(with_totals([[0, 10], [12, 5]]))
    assert not result.hidden.any()
    assert result.cells() == [["0", "10", "10"], ["12", "5", "17"], ["12", "15", "27"]]


def test_a_small_total_is_hidden_too_and_protected():
    # A single column: each row total equals its cell, so hiding 2 means hiding its total,
    # and a second row must go with it.
    result = suppress(with_totals([[2], [7], [9]]))
    assert result.cells() == [["<5", "<5"], ["x", "x"], ["9", "9"], ["18", "18"]]
    assert recomputable(result.hidden) == []


def test_zero_cells_are_avoided_when_a_real_count_can_protect():
    result = suppress(with_totals([[2, 0, 6], [0, 0, 7]]))
    assert result.cells()[0][:3] == ["<5", "0", "x"]
    assert recomputable(result.hidden) == []


def test_inconsistent_totals_are_refused():
    with pytest.raises(ValueError, match="summor"):
        suppress([[1, 2, 4], [1, 2, 3]])
    with pytest.raises(ValueError, match="negativa"):
        suppress(with_totals([[-1, 2]]))


def test_mask_frame_adds_totals_and_keeps_labels():
    frame = pl.DataFrame({"enhet": ["Norr", "Söder", "Väster"], "F": [2, 10, 7], "M": [9, 11, 6]})
    shown = mask_frame(frame, "enhet")
    assert shown.columns == ["enhet", "F", "M", "Totalt"]
    assert shown["enhet"].to_list() == ["Norr", "Söder", "Väster", "Totalt"]
    assert shown.row(0) == ("Norr", "<5", "x", "11")
    assert shown.row(3) == ("Totalt", "19", "26", "45")


counts = st.integers(min_value=0, max_value=40) | st.integers(min_value=0, max_value=6)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 5).flatmap(lambda n: st.integers(1, 5).flatmap(
    lambda m: st.lists(st.lists(counts, min_size=m, max_size=m), min_size=n, max_size=n))))
def test_no_hidden_cell_can_be_recomputed_from_row_and_column_totals(inner):
    table = with_totals(inner)
    result = suppress(table)
    small = (table >= 1) & (table <= 4)
    assert (result.primary == small).all()
    assert recomputable(result.hidden) == []
    shown = np.array(result.cells(), dtype=object)
    assert (shown[~result.hidden] == table[~result.hidden].astype(str)).all()
    assert set(shown[result.primary]) <= {"<5"} and set(shown[result.secondary]) <= {"x"}


def test_a_cell_hidden_for_an_outside_reason_is_an_x_and_cannot_be_recomputed():
    """The open cases of a group of one caseworker (23) are hidden though not small, and protected."""
    table = with_totals([[23], [40], [31]])
    forced = np.zeros(table.shape, dtype=bool)
    forced[0, :] = True
    result = suppress(table, also_hide=forced)
    cells = result.cells()
    assert cells[0] == ["x", "x"]
    assert sum(row[0] == "x" for row in cells[:-1]) >= 2  # a second group hidden: 94 − shown ≠ 23
    assert cells[-1] == ["94", "94"]
