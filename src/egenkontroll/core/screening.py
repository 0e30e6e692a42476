"""The first look at every value: no control characters, no overlong values, no implausible dates.

These rules hold for every column of the three v1 tables before any rule of the contract is
applied, and reject the row (not the file) with a reason: one NUL byte in an `event_id` used
to fail PostgreSQL's COPY for the whole import while SQLite stored it; a 5 MB `outcome` was
kept as written; 9999-12-31 and 1800-01-01 passed as dates. The screened rows stay in the
table, flagged, so the contract's checks still see them (a duplicate of a screened row is
still a duplicate); `interchange._apply` keeps flagged rows out of the good ones.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from egenkontroll.core import schema
from egenkontroll.core.import_limits import ImportLimits

SCREENED = "_screened"
ROW = "_row"
# C0 controls (NUL, tab, line breaks …) and DEL: in no field of any table, tab and line breaks
# included — ids, codes and dates never hold them, and a name is one line.
CONTROL_CHARACTERS = r"[\x00-\x1f\x7f]"
CONTROL = "värdet innehåller ett styrtecken (t.ex. NUL, tabb eller radbrytning)"
CUT = "raden är avbruten: filen slutar mitt i raden"

ID_CHARS = 128  # the database's width of ids (cases.models.ID)
CODE_CHARS = 32  # the database's width of codes (cases.models.TOKEN)
PERSON_CHARS = 64
# The widest value each column may hold; `max_field_chars` narrows every one of them.
# A column not named here (a new optional one) gets CODE_CHARS until it is added.
FIELD_CHARS = {
    **dict.fromkeys(("event_id", "case_id", "unit_id", "parent_id", "caseworker_id", "ref"), ID_CHARS),
    "person": PERSON_CHARS,
    **dict.fromkeys(("name", "title"), 10**9),  # free text: only `max_field_chars`
}
# Date columns and whether the window's upper end applies: an HR export writes 9999-12-31 for
# an employment without end, so `end_date` is only held to the lower end.
DATE_COLUMNS = {"date": True, "until": True, "start_date": True, "end_date": False}
FIRST_COLUMN = {
    "org_units": "unit_id", "caseworkers": "caseworker_id", "events": "event_id", "staffing": "unit_id",
    "population": "unit_id",
}


def field_limit(column: str, limits: ImportLimits) -> int:
    return min(FIELD_CHARS.get(column, CODE_CHARS), limits.max_field_chars)


def screen(
    table: str, frame: pl.DataFrame, limits: ImportLimits, cut_row: int | None, today: dt.date | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The table with the `_screened` flag, and one reject per screened problem (in schema.REJECTS)."""
    columns = [c for c in frame.columns if c != ROW]
    low, high = limits.date_min, limits.date_max(today)
    problems: list[tuple[str, pl.Expr, pl.Expr]] = []
    if cut_row is not None:
        problems.append((FIRST_COLUMN[table], pl.col(ROW) == cut_row, pl.lit(CUT)))
    for column in columns:
        value = pl.col(column)
        problems.append((column, value.str.contains(CONTROL_CHARACTERS), pl.lit(CONTROL)))
        limit = field_limit(column, limits)
        problems.append((column, value.str.len_chars() > limit, pl.lit(f"värdet är för långt (högst {limit} tecken)")))
        if column in DATE_COLUMNS:
            date = value.str.to_date("%Y-%m-%d", strict=False)
            outside = (date < low) | ((date > high) if DATE_COLUMNS[column] else pl.lit(False))
            window = f"{low}–{high}" if DATE_COLUMNS[column] else f"från {low}"
            problems.append((
                column, outside,
                pl.lit(f"datumet ligger utanför det rimliga intervallet {window} "
                       "(gränserna EGK_IMPORT_DATE_MIN och EGK_IMPORT_FUTURE_DAYS)"),
            ))
    if not problems:
        return frame.with_columns(pl.lit(False).alias(SCREENED)), schema.empty(schema.REJECTS)
    # Each problem evaluated once, as a boolean column; only problems that occur are picked out
    # (a filter scans the whole table, and a clean national export has none).
    flags = frame.select(*[bad.fill_null(False).alias(f"_p{i}") for i, (_, bad, _) in enumerate(problems)])
    occurring = [i for i, found in enumerate(flags.select(pl.all().any()).row(0)) if found]
    file = f"{table}.csv"
    parts = [
        frame.filter(flags.get_column(f"_p{i}")).select(
            file=pl.lit(file),
            row=pl.col(ROW),
            event_id=pl.col("event_id").str.slice(0, ID_CHARS) if table == "events" else pl.lit(None, pl.Utf8),
            column=pl.lit(problems[i][0]),
            value=pl.col(problems[i][0]).str.slice(0, 1000),
            reason=problems[i][2],
        )
        for i in occurring
    ]
    rejects = schema.conform(pl.concat(parts), schema.REJECTS) if parts else schema.empty(schema.REJECTS)
    screened = flags.select(pl.any_horizontal(pl.all()).alias(SCREENED)).to_series()
    return frame.with_columns(screened), rejects
