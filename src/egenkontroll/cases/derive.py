"""From interchange tables to the rows the database stores, over whole frames at once.

Pure polars, no database: the importer hands these functions what it read and writes
what they return. Kept apart so each derivation (flattened org tree, persons, case
summaries, obligation rows, content hashes) is tested on small hand-made frames.
"""

from __future__ import annotations

import hashlib

import polars as pl

from egenkontroll.cases.models import LEVEL_FIELDS
from egenkontroll.core import orgtree, schema

# `kind` (issue 11) is added to the text only when it is not the default, so that every event
# stored before it existed keeps its digest and a re-import finds it unchanged. `regi` (issue 16)
# likewise only when given.
HASHED_COLUMNS = [c for c in schema.EVENTS if c not in ("row", "kind", "regi")]
_NULL = "\u2400"
_SEPARATOR = "\u241f"
HASH_SLICE_ROWS = 250_000


def content_hashes(events: pl.DataFrame) -> pl.Series:
    """A stable digest of each event's content (every column but its row number).

    The digest is stored and compared across releases, so it is computed with hashlib
    over a canonical text form rather than with polars' hash, which may change between
    polars versions. That is one pass over the rows in Python; it costs about a second for
    a city's 300,000 events.
    """
    base = pl.concat_str(
        [pl.col(c).cast(pl.Utf8).fill_null(_NULL) for c in HASHED_COLUMNS], separator=_SEPARATOR
    )
    kind = pl.col("kind") if "kind" in events.columns else pl.lit(None, pl.Utf8)
    other_kind = kind.is_not_null() & (kind != schema.DEFAULT_REPORT_KIND)
    with_kind = pl.when(other_kind).then(pl.concat_str([base, pl.lit(_SEPARATOR + "kind="), kind])).otherwise(base)
    regi = pl.col("regi") if "regi" in events.columns else pl.lit(None, pl.Utf8)
    text = pl.when(regi.is_not_null()).then(pl.concat_str([with_kind, pl.lit(_SEPARATOR + "regi="), regi])).otherwise(
        with_kind
    )
    # In slices: the canonical text of a whole national export at once would take gigabytes. The
    # UTF-8 bytes come from polars and the hex from polars: only the digest itself runs in Python.
    # The digests are chunked as the frame is, so that adding them as a column does not make
    # every later select of the frame copy all of it to line its chunks up again.
    blake2b = hashlib.blake2b

    def digests(part: pl.DataFrame) -> pl.Series:
        values = part.select(text.cast(pl.Binary)).to_series()
        return pl.Series("content_hash", [blake2b(v, digest_size=16).digest() for v in values], dtype=pl.Binary)

    chunks, start = [], 0
    for length in events.get_column(events.columns[0]).chunk_lengths() if events.height else []:
        chunk = events.slice(start, length)
        parts = [digests(part) for part in chunk.iter_slices(HASH_SLICE_ROWS)] or [digests(chunk)]
        chunks.append(pl.concat(parts).bin.encode("hex"))
        start += length
    return pl.concat(chunks, rechunk=False) if chunks else pl.Series("content_hash", [], dtype=pl.Utf8)


def org_unit_rows(units: pl.DataFrame) -> pl.DataFrame:
    """Org units with their depth and the id of their ancestor (or themselves) at each level."""
    flat = orgtree.flatten(units)
    return flat.select(
        *schema.ORG_UNITS,
        pl.col("depth").cast(pl.Int16),
        *[pl.col(level).alias(field) for level, field in zip(schema.LEVELS, LEVEL_FIELDS, strict=True)],
    )


def person_rows(events: pl.DataFrame) -> pl.DataFrame:
    """One row per person: latest known gender, birth year and month, ever unaccompanied."""
    # Only the columns used are sorted: a first import passes every event it read.
    ordered = (
        events.select("person_key", "date", "event_id", "gender", "birth_date", "unaccompanied")
        .filter(pl.col("person_key").is_not_null())
        .sort("date", "event_id")
    )
    return ordered.group_by("person_key").agg(
        pl.col("gender").drop_nulls().last(),
        pl.col("birth_date").drop_nulls().first().dt.year().cast(pl.Int16).alias("birth_year"),
        pl.col("birth_date").drop_nulls().first().dt.month().cast(pl.Int16).alias("birth_month"),
        pl.col("unaccompanied").fill_null(False).any().alias("unaccompanied"),
    )


def case_rows(events: pl.DataFrame) -> pl.DataFrame:
    """One row per case: who, where, first and last event, and when it closed.

    Unit and caseworker are those named by the latest event that names one. A case counts
    as closed from its latest `arende_avslutat` unless another event follows it.
    """
    ordered = events.select(
        "case_id", "person_key", "unit_id", "caseworker_id", "date", "event_id", "event_type"
    ).sort("date", "event_id")
    closure = pl.col("event_type") == "arende_avslutat"
    last_closure = pl.col("date").filter(closure).max()
    last_other = pl.col("date").filter(~closure).max()
    return ordered.group_by("case_id").agg(
        pl.col("person_key").drop_nulls().last(),
        pl.col("unit_id").drop_nulls().last(),
        pl.col("caseworker_id").drop_nulls().last(),
        pl.col("date").min().alias("first_date"),
        pl.col("date").max().alias("last_date"),
        pl.when(last_other.is_null() | (last_closure >= last_other)).then(last_closure).alias("closed_date"),
        pl.len().cast(pl.Int32).alias("event_count"),
    )


def obligation_rows(obligations: pl.DataFrame) -> pl.DataFrame:
    """Obligations as stored: `pending` and `overdue` become `open` (decided at query time)."""
    is_open = pl.col("status").is_in(["pending", "overdue"])
    return obligations.select(
        [c for c in schema.OBLIGATIONS if c not in ("status", "days_late")]
        + [
            pl.when(is_open).then(pl.lit("open")).otherwise(pl.col("status")).alias("status"),
            pl.when(is_open).then(None).otherwise(pl.col("days_late")).alias("days_late"),
        ]
    ).with_columns(pl.col("extended").fill_null(False))


def event_rows(events: pl.DataFrame, run_id: int) -> pl.DataFrame:
    """Events in the columns of the event table (birth date lives on the person)."""
    return events.select(
        [c for c in schema.EVENTS if c != "birth_date"] + ["content_hash"]
    ).with_columns(pl.lit(run_id, dtype=pl.Int64).alias("import_run_id"))
