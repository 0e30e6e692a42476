"""Key figures for the pages: one node and its children, masked for the nämnd, and the items behind a number.

Why it exists: the Översikt and Nyckeltal pages show `core.kpis` figures (never their own
arithmetic) and link every number to the list of cases behind it. This module reads the
engine's long table for the nodes a page shows, applies the small-number rule of kpis.md
when the viewer may see masked figures only, and lists the items (events, obligations,
open cases, placed children) a figure counted with `core.kpis.items`, from the same
evaluated frames, so the list has exactly as many rows as the number says.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from egenkontroll.core import kpi_catalogue, kpis, smallnumbers
from egenkontroll.pages import labels
from egenkontroll.pages.periods import Period
from egenkontroll.pages.snapshot import Snapshot

# The table column kind of each catalogue unit (tables.KINDS).
KIND_OF_UNIT = {
    "antal": "int", "andel": "share", "dagar": "days", "kvot": "ratio", "dygn": "int", "kronor": "int", "per_1000": "ratio",
}
UNIT_LABEL = {
    "antal": "antal", "andel": "andel", "dagar": "dagar (median)", "kvot": "kvot", "dygn": "dygn", "kronor": "kronor",
    "per_1000": "per 1 000",
}
LEVEL_LABEL = {
    "stad": "Stad",
    "forvaltning": "Förvaltning",
    "avdelning": "Avdelning",
    "enhet": "Enhet",
    "grupp": "Grupp",
    kpis.CASEWORKER_LEVEL: "Handläggare",
}
BETTER_LABEL = {"higher": "högre är bättre", "lower": "lägre är bättre", "neutral": "volym (ingen riktning)"}
CATEGORY_LABEL = {
    "gender": {"F": "Flickor", "M": "Pojkar", "X": "Annat", "U": "Okänt"},
    "age_band": {"0-5": "0–5 år", "6-12": "6–12 år", "13-17": "13–17 år", "18-20": "18–20 år", "okand": "Okänd ålder"},
    "unaccompanied": {"ja": "Ensamkommande", "nej": "Ej ensamkommande"},
    "kind": {"anmalan": "Anmälningar", "ansokan": "Ansökningar", "information": "Övrig information"},
    "source": {**labels.SOURCES, "okand": "Okänd källa"},
    "placement_type": {k: v for k, v in labels.INTERVENTIONS.items() if k in kpis.PLACEMENTS},
    "regi": {"egen": "Egen regi", "kopt": "Köpt", "okand": "Okänd regi"},
}
BREAKDOWN_LABEL = {
    "gender": "Kön", "age_band": "Åldersgrupp", "unaccompanied": "Ensamkommande", "kind": "Typ av aktualisering",
    "source": "Källa", "placement_type": "Placeringsform", "regi": "Egen regi eller köpt",
}


@dataclass(frozen=True)
class Figure:
    """One node's value of one key figure, as the engine computed it."""

    numerator: int
    denominator: int | None
    value: float | None
    persons: int | None = None  # a sum's children (kpis.FIGURE_COLUMNS): its small-number base

    @property
    def base(self) -> int:
        """What the nämnd's small-number rule counts: a sum's children, else the numerator."""
        return int(self.numerator if self.persons is None else self.persons)


def node_figures(frame: pl.DataFrame, node_type: str, node_ids: list[str]) -> dict[str, dict[str, Figure]]:
    """node_id → kpi id → Figure, for totals (no breakdown category)."""
    rows = frame.filter(
        (pl.col("node_type") == node_type) & pl.col("node_id").is_in(node_ids) & pl.col("category").is_null()
    ).select("node_id", "kpi", "numerator", "denominator", "value", "persons")
    out: dict[str, dict[str, Figure]] = {n: {} for n in node_ids}
    for node_id, kpi_id, num, den, value, persons in rows.iter_rows():
        out[node_id][kpi_id] = Figure(num, den, value, persons)
    return out


def caseworkers_of(frame: pl.DataFrame, unit_id: str) -> list[tuple[str, str]]:
    """(caseworker id, name) of the caseworkers whose own unit is `unit_id`, by name."""
    rows = (
        frame.filter((pl.col("node_type") == "caseworker") & (pl.col("parent_id") == unit_id))
        .select("node_id", "name")
        .unique()
        .sort("name", "node_id", nulls_last=True)
    )
    return [(cid, name or cid) for cid, name in rows.iter_rows()]


def status(kpi: kpi_catalogue.Kpi, value) -> str:
    """CSS class for a value against its target: 'mal-ok', 'mal-miss' or ''."""
    if not isinstance(value, int | float):
        return ""
    return {"ok": "mal-ok", "miss": "mal-miss"}.get(kpi_catalogue.target_status(kpi, value), "")


def shown_value(kpi: kpi_catalogue.Kpi, fig: Figure | None):
    """The value a page shows: counts as integers, others as computed; None without data.

    A count the engine gave no value (optional data missing, a staffing figure on a caseworker's
    row: kpis._without_data) is None too, not 0.
    """
    if fig is None or kpi.kind == "count" and fig.value is None:
        return None
    if kpi.kind == "count":
        return int(fig.numerator)
    return fig.value


# ---------------------------------------------------------------- small numbers (the nämnd)


def masked_values(kpi: kpi_catalogue.Kpi, total: Figure | None, parts: list[Figure | None]) -> tuple[object, list[object]]:
    """The node's and its parts' values as shown outside the unit (kpis.md "Small numbers").

    Counts: 1–4 → "<5", and a second cell hidden ("x") wherever a hidden one could be
    derived from the node's total (smallnumbers.suppress, with what the parts do not cover as
    one more row). Shares, ratios and medians: hidden ("<5") when they rest on 1–4 items.
    Sums (placement dygn and kronor) add up like counts, so a hidden part could be worked out
    from the total: they are hidden wherever the counts of the children they rest on are (one
    child's five placements are one child: review of issue 16, finding 10).
    Rates per 1,000 likewise: the population is public (SCB), so a rate gives its count back
    (rate × population ÷ 1,000); they are hidden wherever their numerators would be as counts
    (review of issue 16, finding 2).
    """
    if kpi.kind in COUNT_LIKE:
        counts = [p.base if p else 0 for p in parts]
        shown_total, shown_parts = mask_counts(total.base if total else sum(counts), counts)
        return sum_cell(kpi, total, shown_total), [sum_cell(kpi, p, s) for p, s in zip(parts, shown_parts, strict=True)]
    if kpi.kind != "count":
        return small_base(kpi, total), [small_base(kpi, p) for p in parts]
    if total is not None and total.value is None:  # no value without the optional data (issue 16)
        return None, [None for _ in parts]
    counts = [int(p.numerator) if p else 0 for p in parts]
    return mask_counts(int(total.numerator) if total else sum(counts), counts)


# Figures whose cells give back a count that adds up over the parts: masked via that count.
COUNT_LIKE = ("sum", "rate")


def mask_counts(total: int, parts: list[int], hide: list[bool] | None = None) -> tuple[object, list[object]]:
    """A total and counts that are parts of it, as shown outside the unit ("<5", "x" or the number).

    What the parts do not cover of the total is one more (hidden) row, so that a masked part
    cannot be worked out as the total minus the others. `hide` marks parts to hide whatever
    their size (shown as "x", protected like the small ones).
    """
    rest = total - sum(parts)
    inner = [*parts, rest] if rest > 0 else list(parts)
    if not inner:
        inner = [total]
    table = smallnumbers.with_totals(np.array(inner, dtype=np.int64).reshape(-1, 1))
    forced = np.zeros(table.shape, dtype=bool)
    for i, flag in enumerate(hide or []):
        forced[i, :] = bool(flag)
    cells = smallnumbers.suppress(table, also_hide=forced).cells()
    return _count_cell(cells[-1][0]), [_count_cell(cells[i][0]) for i in range(len(parts))]


def sum_cell(kpi: kpis.Kpi, fig: Figure | None, masked_count):
    """A sum's or rate's cell: hidden ("<5", "x") where the count it rests on is, else its value.

    Without a value (a rate where no population is given) the cell is empty, never "<5".
    """
    if fig is None or fig.value is None:
        return None
    return masked_count if isinstance(masked_count, str) else shown_value(kpi, fig)


def _count_cell(text: str):
    return int(text) if text.isdigit() else text


def small_base(kpi: kpi_catalogue.Kpi, fig: Figure | None):
    """A share, ratio or median resting on 1–4 items as "<5"; otherwise the value (counts too)."""
    if fig is None or fig.value is None:
        return None
    base = fig.denominator if kpi.kind in ("share", "ratio") else fig.base
    if base is not None and smallnumbers.SMALL_MIN <= base <= smallnumbers.SMALL_MAX:
        return smallnumbers.PRIMARY_TEXT
    return shown_value(kpi, fig)


def masked_series(values: list[int]) -> list[object]:
    """Counts with no total shown beside them (a weekly series): 1–4 → "<5" only."""
    return [smallnumbers.PRIMARY_TEXT if smallnumbers.SMALL_MIN <= v <= smallnumbers.SMALL_MAX else v for v in values]


# ---------------------------------------------------------------- the items behind a number


def listable_denominator(kpi: kpi_catalogue.Kpi) -> bool:
    """Whether the denominator is a list of items (Underlag); a population (per 1,000) is not."""
    return kpi.denominator is not None and kpi.denominator.source != "population"

def items(snap: Snapshot, kpi: kpi_catalogue.Kpi, part: str, period: Period, node_type: str, node_id: str) -> pl.DataFrame:
    """The items a figure's numerator (`part='num'`) or denominator ('den') counted for one node.

    `core.kpis.items` over the same evaluated frames as the figures: one row per counted item
    (kpis.ITEM_COLUMNS), so the rows' `weight` (1 but for a unit's posts) adds up to the figure's numerator/denominator. The whole
    tree's items are computed once per figure, part and period, and kept (snapshot).
    """
    marks = snap.marks_version()  # the obligations are evaluated only when the items are not kept
    if node_type == "caseworker":
        where = pl.col("caseworker_id") == node_id
    else:
        where = in_subtree(snap, node_id)
    return snap.selected(
        "items", (kpi.id, part, period.start, period.end, period.as_of, marks),
        lambda: all_items(snap, kpi, part, period, marks), (node_type, node_id), where,
    )


def all_items(snap: Snapshot, kpi: kpi_catalogue.Kpi, part: str, period: Period, marks: int) -> pl.DataFrame:
    """`items` for the whole tree, from the obligations with staff's marks (version `marks`) applied."""
    if part == "den" and not listable_denominator(kpi):
        return pl.DataFrame(schema=kpis.ITEM_COLUMNS)
    return kpis.items(
        snap.events, pl.DataFrame(), snap.org_units, snap.caseworkers, kpi.id, period.start, period.end, period.as_of,
        part="numerator" if part == "num" else "denominator", catalogue=snap.catalogue,
        sources=snap.sources(period.start, period.end, period.as_of, marks),
    )


def in_subtree(snap: Snapshot, unit_id: str) -> pl.Expr:
    """Items of units in the subtree; at the root also those of units missing from the tree."""
    ids = snap.subtree_ids(unit_id)
    inside = pl.col("unit_id").is_in(pl.Series(ids, dtype=pl.Utf8).implode())
    if unit_id in snap.roots():
        inside |= ~pl.col("unit_id").is_in(snap.flat["unit_id"].implode()) | pl.col("unit_id").is_null()
    return inside
