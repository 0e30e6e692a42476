"""The report's figures as the nämnd sees them: Översikt's masking of the city page, month by month.

Why it exists: the nämnd reads the city's report and every förvaltning's report of a month. With
primary suppression alone ("<5" for 1–4) a hidden förvaltning count is the city's count minus
the other förvaltningar's. Översikt hides such a complementary cell too ("x", secondary
suppression over the city and its förvaltningar: `pages.figures.masked_values`). So the
report masks every figure exactly as the nämnd's Översikt page of the city shows it for the
same month (period = the month, `as_of` = its last day): the city as the total, each förvaltning
as a column. Every report of the month then shows the same cells, no report can be subtracted
from another, and the report never shows more than Översikt does.
"""

from __future__ import annotations

import polars as pl

from egenkontroll.pages import figures as F


def _units(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter((pl.col("node_type") == "unit") & pl.col("category").is_null())


def _table_of(frame: pl.DataFrame, unit_id: str) -> tuple[str, list[str]]:
    """(total node, its child columns) of the Översikt page on which `unit_id`'s cell stands.

    A förvaltning stands as a column of its city's page; the city (or a förvaltning without a
    city above it) as the total of its own page. Columns in Översikt's order (name, id).
    """
    units = _units(frame).select("node_id", "name", "level", "parent_id").unique()
    own = units.filter(pl.col("node_id") == unit_id)
    parent = own["parent_id"][0] if own.height else None
    total = parent if parent and own["level"][0] != "stad" else unit_id
    children = units.filter(pl.col("parent_id") == total).sort("name", "node_id", nulls_last=True)
    return total, children["node_id"].to_list()


def masked_figures(frame: pl.DataFrame, catalogue, unit_id: str) -> dict[str, object]:
    """kpi id → the value of `unit_id` as the nämnd's Översikt shows it for `frame`'s period.

    A number, "<5" (a small count or a figure resting on 1–4 items), "x" (hidden so that a "<5"
    cannot be worked out) or None (no value).
    """
    total, children = _table_of(frame, unit_id)
    nodes = [total, *children]
    figures = F.node_figures(frame, "unit", nodes)
    position = nodes.index(unit_id)
    out: dict[str, object] = {}
    for kpi in catalogue.values():
        figs = [figures[n].get(kpi.id) for n in nodes]
        if children:
            shown_total, parts = F.masked_values(kpi, figs[0], figs[1:])
            values = [shown_total, *parts]
        else:
            values = [F.small_base(kpi, figs[0])]
        out[kpi.id] = values[position]
    return out


def is_hidden(value) -> bool:
    """A masked cell ("<5" or "x"): it must carry no status, colour or trend that could reveal it."""
    return isinstance(value, str)
