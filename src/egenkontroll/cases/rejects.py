"""Rejected rows: made uniform, counted, traced back to the export, stored and written.

Every row an import cannot use must be accounted for, with its reason, in the database and
in the `--rejects` CSV, without ever showing an identity number. The reader, the profile
conversion, the database's column widths and the rules engine's linking all reject rows;
this module gives them one shape (schema.REJECTS plus the `stage`) and one way out.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from egenkontroll.cases.bulk import write_frame
from egenkontroll.cases.models import ID
from egenkontroll.core import schema
from egenkontroll.core.identity import mask_expr

REJECT_COLUMNS = [*schema.REJECTS, "stage"]
ID_COLUMNS = {
    "events": ("event_id", "case_id", "unit_id", "caseworker_id", "ref"),
    "org_units": ("unit_id", "parent_id"),
    "caseworkers": ("caseworker_id", "unit_id"),
}
TOO_LONG = f"värdet är för långt (högst {ID} tecken)"


def too_long(frame: pl.DataFrame, table: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows whose ids exceed the database's column width become rejects instead of an error."""
    columns = ID_COLUMNS[table]
    long = [pl.col(c).str.len_chars() > ID for c in columns]
    bad = pl.any_horizontal(long).fill_null(False)
    has_row = "row" in frame.columns
    rejects = pl.concat(
        [
            frame.filter(pl.col(c).str.len_chars() > ID).select(
                file=pl.lit(f"{table}.csv"),
                row=pl.col("row") if has_row else pl.lit(None, pl.Int64),
                event_id=pl.col("event_id").str.slice(0, ID) if table == "events" else pl.lit(None, pl.Utf8),
                column=pl.lit(c),
                value=pl.col(c).str.slice(0, 40) + "…",
                reason=pl.lit(TOO_LONG),
            )
            for c in columns
        ]
    )
    # Nearly always nothing is too long: then no filtered copy of a national events table.
    kept = frame.filter(~bad) if rejects.height else frame
    return kept, schema.conform(rejects, schema.REJECTS)


def staged(rejects: pl.DataFrame, stage: str) -> pl.DataFrame:
    """Rejects as stored: masked values, and an over-long event_id cut to fit its column."""
    event_id = pl.col("event_id")
    return schema.conform(rejects, schema.REJECTS).with_columns(
        pl.lit(stage).alias("stage"),
        mask_expr(pl.col("value")).alias("value"),
        pl.when(event_id.str.len_chars() > ID).then(event_id.str.slice(0, ID - 1) + "…").otherwise(event_id),
    )


def distinct_rows(rejects: pl.DataFrame, file: str, by: str = "row") -> int:
    return rejects.filter(pl.col("file") == file).select(pl.col(by).n_unique()).item()


def write(using: str, rejects: pl.DataFrame, run_id: int, path: str | Path | None) -> None:
    """Rejects into the database and, when asked, a CSV (values masked, formula-safe)."""
    rows = rejects.select(REJECT_COLUMNS).with_columns(pl.lit(run_id).alias("run_id"))
    write_frame(using, "cases_rejectedrow", rows)
    if path is not None:
        formula = pl.col("value").str.contains(r"^[=+\-@\t\r]")
        safe = rows.drop("run_id").with_columns(
            pl.when(formula).then("'" + pl.col("value")).otherwise(pl.col("value")).alias("value")
        )
        safe.write_csv(Path(path))
