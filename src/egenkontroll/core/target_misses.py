"""Which key figures miss their target in a month: the target misses the committee report explains.

Why it exists: every month the social services report to the nämnd by exception — only the
figures that miss their target, each with a written analysis. Deciding what a target miss is must
be one rule, the same as the coloured cells of the pages (`core.kpi_catalogue.target_status`), applied to
the engine's own figures (`core.kpis.compute`, one frame per month, `as_of` = the month's last
day), never to arithmetic of its own. This module is pure polars, without Django, so the rule is
tested on hand-made frames.

A figure of a unit at the report level misses its target in a month when it has a target, a direction
(`better` is not `neutral`), a value (a share with no denominator has none), and the value is
below a `higher` target or above a `lower` one. It is *återkommande* when it missed the previous
month too. Each target miss carries the same figure for the months before it (the trend).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import polars as pl

from egenkontroll.core.kpi_catalogue import Kpi

# The report covers a stadsdelsförvaltning or the whole city.
REPORT_LEVELS = ("forvaltning", "stad")
# The report month and the five before it.
TREND_MONTHS = 6

ASSESSED_COLUMNS = {
    "month": pl.Date,
    "unit_id": pl.Utf8,
    "unit_name": pl.Utf8,
    "kpi": pl.Utf8,
    "value": pl.Float64,
    "numerator": pl.Int64,
    "denominator": pl.Int64,
    "target": pl.Float64,
    "better": pl.Utf8,
    "status": pl.Utf8,
}
TREND_FIELDS = ("month", "value", "numerator", "denominator", "status")


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def previous_month(month: dt.date) -> dt.date:
    return month_start(month_start(month) - dt.timedelta(days=1))


def last_full_month(today: dt.date) -> dt.date:
    """The month before `today`'s: the one a report is usually written for."""
    return previous_month(today)


def trend_window(month: dt.date, months: int = TREND_MONTHS) -> list[dt.date]:
    """First days of the `months` months ending with `month`, oldest first."""
    out = [month_start(month)]
    while len(out) < months:
        out.append(previous_month(out[-1]))
    return out[::-1]


def catalogue_frame(catalogue: Mapping[str, Kpi]) -> pl.DataFrame:
    """kpi, target, better and the catalogue order, as a frame to join the figures to."""
    kpis = list(catalogue.values())
    return pl.DataFrame(
        {
            "kpi": [k.id for k in kpis],
            "target": [k.target for k in kpis],
            "better": [k.better for k in kpis],
            "_order": list(range(len(kpis))),
        },
        schema={"kpi": pl.Utf8, "target": pl.Float64, "better": pl.Utf8, "_order": pl.Int64},
    )


def status_expr(value: pl.Expr, target: pl.Expr, better: pl.Expr) -> pl.Expr:
    """'ok', 'miss' or null: `core.kpi_catalogue.target_status` over whole columns."""
    judged = value.is_not_null() & value.is_not_nan() & target.is_not_null() & (better != "neutral")
    meets = pl.when(better == "higher").then(value >= target).otherwise(value <= target)
    return pl.when(judged).then(pl.when(meets).then(pl.lit("ok")).otherwise(pl.lit("miss"))).otherwise(None)


def assess(frames: Mapping[dt.date, pl.DataFrame], catalogue: Mapping[str, Kpi], level: str) -> pl.DataFrame:
    """Every figure of every unit at `level` in every month of `frames`, judged against its target.

    `frames` maps a month's first day to that month's figures (`kpis.compute` / `Snapshot.figures`
    with period = the month and as_of = its last day). Columns ASSESSED_COLUMNS, in month, unit
    and catalogue order; figures not in `catalogue` are left out.
    """
    if level not in REPORT_LEVELS:
        raise ValueError(f"okänd rapportnivå {level!r} (tillåtna: {', '.join(REPORT_LEVELS)})")
    parts = [
        frame.filter(
            (pl.col("node_type") == "unit") & (pl.col("level") == level) & pl.col("category").is_null()
        ).select(
            pl.lit(month_start(month)).alias("month"),
            pl.col("node_id").alias("unit_id"),
            pl.col("name").alias("unit_name"),
            "kpi",
            "value",
            "numerator",
            "denominator",
        )
        for month, frame in frames.items()
    ]
    if not parts:
        return pl.DataFrame(schema=ASSESSED_COLUMNS)
    rows = pl.concat(parts).join(catalogue_frame(catalogue), on="kpi", how="inner")
    return (
        rows.with_columns(status=status_expr(pl.col("value"), pl.col("target"), pl.col("better")))
        .sort("month", "unit_id", "_order")
        .select([pl.col(c).cast(t) for c, t in ASSESSED_COLUMNS.items()])
    )


def target_misses(
    frames: Mapping[dt.date, pl.DataFrame],
    month: dt.date,
    catalogue: Mapping[str, Kpi],
    level: str,
    trend_months: int = TREND_MONTHS,
) -> pl.DataFrame:
    """The figures of units at `level` that miss their target in `month`, with trend and recurrence.

    One row per (unit, figure) missing in `month`: unit_id, unit_name, kpi, value, target,
    better, numerator, denominator, `recurring` (missed in the previous month as well) and
    `trend`, a list of {month, value, numerator, denominator, status} for the `trend_months`
    months ending with `month`, oldest first (values null for a month missing from `frames`).
    Rows come in unit and catalogue order.
    """
    month = month_start(month)
    window = trend_window(month, trend_months)
    assessed = assess({m: f for m, f in frames.items() if month_start(m) in window}, catalogue, level)
    order = catalogue_frame(catalogue).select("kpi", "_order")
    missed = assessed.filter((pl.col("month") == month) & (pl.col("status") == "miss")).drop("month", "status")
    before = (
        assessed.filter((pl.col("month") == previous_month(month)) & (pl.col("status") == "miss"))
        .select("unit_id", "kpi", pl.lit(True).alias("recurring"))
    )
    grid = missed.select("unit_id", "kpi").join(pl.DataFrame({"month": window}, schema={"month": pl.Date}), how="cross")
    trend = (
        grid.join(assessed.select("unit_id", "kpi", *TREND_FIELDS), on=["unit_id", "kpi", "month"], how="left")
        .sort("month")
        .group_by("unit_id", "kpi", maintain_order=True)
        .agg(pl.struct(*TREND_FIELDS).alias("trend"))
    )
    return (
        missed.join(before, on=["unit_id", "kpi"], how="left")
        .join(trend, on=["unit_id", "kpi"], how="left")
        .join(order, on="kpi", how="left")
        .with_columns(pl.col("recurring").fill_null(False))
        .sort("unit_id", "_order")
        .select(
            "unit_id", "unit_name", "kpi", "value", "target", "better", "numerator", "denominator", "recurring", "trend"
        )
    )
