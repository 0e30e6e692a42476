"""Small-number protection for figures that leave the unit (committee report, published exports).

Why it exists: a table of counts about children can identify a child when a cell is small.
shared/spec/kpis.md: a cell with 1–4 persons is shown as "<5" (primary suppression), and more
cells are hidden so that no hidden cell can be worked out from the row and column totals
(secondary suppression). Inside the unit, authorised staff see exact numbers; this module is
applied only on the way out.

The table is taken *with* its totals: the last row and the last column are sums. A hidden cell
can be recomputed from the totals exactly when, in the graph whose nodes are the rows and
columns (totals included) and whose edges are the hidden cells, its edge is a bridge — it lies
on no cycle. (Each row and column gives one linear equation; the unknowns are the hidden cells,
and the solutions of the homogeneous system are the cycles.) So secondary suppression repeats:
find a hidden cell that is a bridge, hide the cheapest rectangle through it, until none is left.
Cost = the values hidden, avoiding zero cells where possible (they would read as "<5").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

SMALL_MIN, SMALL_MAX = 1, 4
PRIMARY_TEXT = "<5"
# A cell hidden only so that a "<5" cannot be derived; its value may be any size.
SECONDARY_TEXT = "x"
TOTAL_LABEL = "Totalt"


@dataclass(frozen=True)
class Suppression:
    """The table with totals and which cells are hidden (primary: 1–4; secondary: protect them)."""

    table: np.ndarray
    primary: np.ndarray
    secondary: np.ndarray

    @property
    def hidden(self) -> np.ndarray:
        return self.primary | self.secondary

    def cells(self) -> list[list[str]]:
        """The table as shown: numbers, "<5" or "x"."""
        shown = self.table.astype(str).astype(object)
        shown[self.secondary] = SECONDARY_TEXT
        shown[self.primary] = PRIMARY_TEXT
        return shown.tolist()


def with_totals(counts) -> np.ndarray:
    """Appends a total column and a total row to an n × m table of counts."""
    inner = np.asarray(counts, dtype=np.int64)
    if inner.ndim != 2 or 0 in inner.shape:
        raise ValueError("en tabell med minst en rad och en kolumn behövs")
    rows = np.hstack([inner, inner.sum(axis=1, keepdims=True)])
    return np.vstack([rows, rows.sum(axis=0, keepdims=True)])


def suppress(table, also_hide=None) -> Suppression:
    """Primary and secondary suppression of a table whose last row and column are totals.

    `also_hide` (a boolean array of the table's shape) hides cells for a reason outside the
    table — e.g. the open cases of a group of 1–4 caseworkers, which tell one person's caseload.
    They are shown as "x" and protected from recomputation like the small cells.
    """
    t = np.asarray(table, dtype=np.int64)
    _check(t)
    primary = (t >= SMALL_MIN) & (t <= SMALL_MAX)
    hidden = primary.copy()
    if also_hide is not None:
        hidden |= np.asarray(also_hide, dtype=bool)
    zero_penalty = 4 * int(t[-1, -1]) + 1
    cost = np.where(t == 0, zero_penalty, t)
    while (cell := _exposed_cell(hidden)) is not None:
        _hide_rectangle(hidden, cost, *cell)
    return Suppression(table=t, primary=primary, secondary=hidden & ~primary)


def _check(t: np.ndarray) -> None:
    if t.ndim != 2 or t.shape[0] < 2 or t.shape[1] < 2:
        raise ValueError("tabellen ska ha minst en rad och en kolumn utöver totalraden och totalkolumnen")
    if (t < 0).any():
        raise ValueError("antal kan inte vara negativa")
    if not (np.array_equal(t[:-1, :-1].sum(axis=1), t[:-1, -1]) and np.array_equal(t[:-1, :].sum(axis=0), t[-1, :])):
        raise ValueError("sista raden och kolumnen ska vara summor av de övriga")


def _exposed_cell(hidden: np.ndarray) -> tuple[int, int] | None:
    """A hidden cell that lies on no cycle of hidden cells (a bridge), or None."""
    n_rows, n_cols = hidden.shape
    adjacency: list[list[tuple[int, int]]] = [[] for _ in range(n_rows + n_cols)]
    for edge, (r, c) in enumerate(zip(*np.nonzero(hidden), strict=True)):
        adjacency[r].append((n_rows + c, edge))
        adjacency[n_rows + c].append((r, edge))
    bridge = _first_bridge(adjacency)
    if bridge is None:
        return None
    a, b = bridge
    return (a, b - n_rows) if a < n_rows else (b, a - n_rows)


def _first_bridge(adjacency: list[list[tuple[int, int]]]) -> tuple[int, int] | None:
    """Tarjan's bridge search, iterative (no recursion limit), returning the first bridge found."""
    order = [-1] * len(adjacency)
    low = [0] * len(adjacency)
    counter = 0
    for start in range(len(adjacency)):
        if order[start] >= 0 or not adjacency[start]:
            continue
        order[start] = low[start] = counter
        counter += 1
        stack = [(start, -1, iter(adjacency[start]))]
        while stack:
            node, via, neighbours = stack[-1]
            advanced = False
            for nxt, edge in neighbours:
                if edge == via:
                    continue
                if order[nxt] < 0:
                    order[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append((nxt, edge, iter(adjacency[nxt])))
                    advanced = True
                    break
                low[node] = min(low[node], order[nxt])
            if advanced:
                continue
            stack.pop()
            if stack:
                parent = stack[-1][0]
                low[parent] = min(low[parent], low[node])
                if low[node] > order[parent]:
                    return parent, node
    return None


def _hide_rectangle(hidden: np.ndarray, cost: np.ndarray, r: int, c: int) -> None:
    """Hides the cheapest (r', c') so that (r, c), (r, c'), (r', c), (r', c') form a cycle."""
    open_cost = np.where(hidden, 0, cost)
    total = open_cost[r, :][None, :] + open_cost[:, c][:, None] + open_cost
    total[r, :] = np.iinfo(np.int64).max
    total[:, c] = np.iinfo(np.int64).max
    r2, c2 = np.unravel_index(np.argmin(total), total.shape)
    hidden[r, c2] = hidden[r2, c] = hidden[r2, c2] = True


def mask_frame(df: pl.DataFrame, index: str) -> pl.DataFrame:
    """A label column plus count columns → the same table with totals added, as shown outside the unit."""
    value_columns = [c for c in df.columns if c != index]
    result = suppress(with_totals(df.select(value_columns).to_numpy()))
    labels = [*map(str, df[index].to_list()), TOTAL_LABEL]
    columns = [*value_columns, TOTAL_LABEL]
    shown = result.cells()
    return pl.DataFrame(
        {index: labels, **{col: [row[j] for row in shown] for j, col in enumerate(columns)}},
        schema={index: pl.Utf8, **dict.fromkeys(columns, pl.Utf8)},
    )
