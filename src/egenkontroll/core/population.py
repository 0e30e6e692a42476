"""The optional population table of an interchange dataset: children living in each area, by year and age.

Why it exists: national follow-up compares municipalities per 1,000 children (issue 16), so the
key figures need a denominator no case system holds. SCB publishes it (table BE0101N1,
"Folkmängden efter region, ålder och kön", population on 31 December); a city's own statistics
office publishes it per district. `population.csv` carries those figures in the layout of
docs/interchange.md ("Population"), and this module validates it row by row like the other
tables: one bad row is a reject with a Swedish reason, never a stopped import.

Ages are whole years (`17`) or bands (`0-17`, `100+`), so both one-year classes and published
bands load; the key figures use the rows whose band lies wholly inside the ages they ask for.
A unit and one of its ancestors must not both be given for the same year, since the figures add
the population up the tree and it would be counted twice.
"""

from __future__ import annotations

import polars as pl

from egenkontroll.core import orgtree, schema
from egenkontroll.core.interchange import ROW, UNKNOWN_UNIT, _apply, _Check, _required

TABLE = "population"
FILE = "population.csv"
COLUMNS = ("unit_id", "year", "age", "gender", "count")
REQUIRED = ("unit_id", "year", "age", "count")
MAX_AGE = 130  # an open band (`100+`) ends here
MAX_COUNT = 10_000_000  # more people than Sweden has: a typo or a wrong column
YEARS = (1900, 2100)

BAD_YEAR = f"ogiltigt år (ska vara ÅÅÅÅ, {YEARS[0]}–{YEARS[1]})"
BAD_AGE = f"ogiltig ålder (ett helt år 0–{MAX_AGE}, ett spann som 0-17 eller 100+)"
BAD_BAND = "ogiltigt åldersspann (från är större än till)"
BAD_GENDER = "ogiltigt kön (tillåtna: F, M, kvinnor, män eller tomt för alla)"
BAD_COUNT = f"ogiltigt antal (ska vara ett heltal 0–{MAX_COUNT:,})".replace(",", " ")
MIXED_GENDER = "kön anges för vissa rader men inte för alla i samma område och år"

# `17`, `17 år`, `0-17`, `0–17 år`, `100+`, `100+ år` (SCB writes "17 år" and "100+ år").
_AGE = r"^(\d{1,3})\s*(?:[-–]\s*(\d{1,3})|(\+))?\s*(?:år)?$"
_GENDERS = {"f": "F", "k": "F", "kvinnor": "F", "flickor": "F", "m": "M", "män": "M", "pojkar": "M"}
_ALL = ("totalt", "t", "samtliga")


def columns(frame: pl.DataFrame) -> pl.DataFrame:
    """The known columns of a raw population table (missing optional ones as nulls), with `_row`."""
    return frame.select(ROW, *[pl.col(c) if c in frame.columns else pl.lit(None, pl.Utf8).alias(c) for c in COLUMNS])


def validate(frame: pl.DataFrame, org_units: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Good rows (schema.POPULATION) and rejects (schema.REJECTS) of a raw population table.

    `frame` holds Utf8 columns as read (`columns`), `org_units` the accepted units.
    """
    age = pl.col("age").str.to_lowercase().str.extract_groups(_AGE)
    count_text = pl.col("count").str.replace_all(r"[\s\u00a0]", "")
    parsed = frame.with_columns(
        _from=age.struct.field("1").cast(pl.Int32, strict=False),
        _to=pl.when(age.struct.field("3").is_not_null()).then(pl.lit(MAX_AGE))
        .otherwise(pl.coalesce(age.struct.field("2"), age.struct.field("1")).cast(pl.Int32, strict=False)),
        _year=pl.col("year").cast(pl.Int32, strict=False),
        _count=count_text.cast(pl.Int64, strict=False),
        _gender=pl.col("gender").str.to_lowercase().replace_strict(_GENDERS, default=None, return_dtype=pl.Utf8),
    ).sort("unit_id", "_year", "_gender", "_from", ROW, nulls_last=True)
    gender_given = pl.col("gender").is_not_null() & ~pl.col("gender").str.to_lowercase().is_in(_ALL)
    area_year = ["unit_id", "_year"]
    key = ["unit_id", "_year", "_gender"]
    previous_to = pl.col("_to").shift().over(key)
    checks = [
        *_required(REQUIRED),
        _Check("unit_id", pl.col("unit_id").is_not_null() & ~pl.col("unit_id").is_in(org_units["unit_id"].implode()),
               UNKNOWN_UNIT),
        _Check("year", pl.col("year").is_not_null() & ~pl.col("_year").is_between(*YEARS).fill_null(False), BAD_YEAR),
        _Check("age", pl.col("age").is_not_null() & ~pl.col("_from").is_between(0, MAX_AGE).fill_null(False), BAD_AGE),
        _Check("age", pl.col("_from").is_not_null() & ~pl.col("_to").is_between(0, MAX_AGE).fill_null(False), BAD_AGE),
        _Check("age", pl.col("_from") > pl.col("_to"), BAD_BAND),
        _Check("gender", gender_given & pl.col("_gender").is_null(), BAD_GENDER),
        _Check("count", pl.col("count").is_not_null() & ~pl.col("_count").is_between(0, MAX_COUNT).fill_null(False), BAD_COUNT),
        _Check("gender", pl.col("_gender").is_not_null() & (~gender_given).any().over(area_year), MIXED_GENDER),
        _Check(
            "age",
            pl.col("_from") <= previous_to,
            pl.format("åldrarna överlappar rad {} (samma område, år och kön)", pl.col(ROW).shift().over(key)),
        ),
    ]
    good, rejects = _apply(parsed, checks, FILE)
    good, nested = _nested_areas(good, org_units)
    rows = good.select(
        "unit_id",
        pl.col("_year").alias("year"),
        pl.col("_from").alias("age_from"),
        pl.col("_to").alias("age_to"),
        pl.col("_gender").alias("gender"),
        pl.col("_count").alias("count"),
    )
    all_rejects = pl.concat([rejects, nested]).sort("row", maintain_order=True)
    return schema.conform(rows, schema.POPULATION), schema.conform(all_rejects, schema.REJECTS)


def _nested_areas(good: pl.DataFrame, org_units: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rejects the rows of a unit whose ancestor has rows for the same year (it would count twice)."""
    if good.is_empty() or org_units.is_empty():
        return good, schema.empty(schema.REJECTS)
    given = good.select("unit_id", "_year").unique()
    above = (
        orgtree.closure(orgtree.flatten(org_units))
        .filter(pl.col("ancestor_id") != pl.col("unit_id"))
        .join(given.rename({"unit_id": "ancestor_id"}), on="ancestor_id", how="inner")
        .group_by("unit_id", "_year")
        .agg(pl.col("ancestor_id").min())
    )
    marked = good.join(above, on=["unit_id", "_year"], how="left")
    bad = marked.filter(pl.col("ancestor_id").is_not_null())
    rejects = bad.select(
        file=pl.lit(FILE),
        row=pl.col(ROW),
        event_id=pl.lit(None, pl.Utf8),
        column=pl.lit("unit_id"),
        value=pl.col("unit_id"),
        reason=pl.format("befolkningen anges redan för den överordnade enheten {} samma år", "ancestor_id"),
    )
    return marked.filter(pl.col("ancestor_id").is_null()).drop("ancestor_id"), rejects
