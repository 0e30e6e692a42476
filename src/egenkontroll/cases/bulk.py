"""Whole tables in and out of the database, fast, on PostgreSQL and SQLite alike.

A city's export is hundreds of thousands of rows every night; row-by-row ORM saves would
take minutes. PostgreSQL gets COPY (psycopg 3) straight into the table, or into a staging
table followed by one set-based upsert; SQLite gets `executemany` in large batches. Reads
come back as polars frames in the column contracts of `core/schema.py`.

Everything here runs on the caller's connection and inside the caller's transaction.
Table and column names come from the models, never from input, so building SQL text from
them is safe; values always travel as parameters or COPY data.
"""
# ruff: noqa: S608

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import polars as pl
from django.db import connections

from egenkontroll.web.env import envint

# Rows per COPY or executemany batch (memory against round trips); progress is reported per batch.
BATCH_ROWS = envint("EGK_IMPORT_BATCH_ROWS", 50_000)
COPY_CHUNK_BYTES = 4 << 20

Progress = Callable[[int], None]
_TEXT_BOOLEANS = {"t": True, "true": True, "1": True, "f": False, "false": False, "0": False}


def read_frame(alias: str, sql: str, schema: dict) -> pl.DataFrame:
    """Run a SELECT whose columns are `schema`'s, in order, and return it in that contract."""
    connection = connections[alias]
    names = list(schema)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            frame = _copy_out(cursor.cursor, sql, names)
        else:
            cursor.execute(sql)
            rows = cursor.fetchall()
            frame = pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)
    return _conform(frame, schema)


def _copy_out(cursor, sql: str, names: list[str]) -> pl.DataFrame:
    buffer = io.BytesIO()
    with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
        for block in copy:
            buffer.write(block)
    if buffer.tell() == 0:
        return pl.DataFrame(schema=dict.fromkeys(names, pl.Utf8))
    buffer.seek(0)
    return pl.read_csv(buffer, has_header=False, new_columns=names, schema=dict.fromkeys(names, pl.Utf8))


def _conform(frame: pl.DataFrame, schema: dict) -> pl.DataFrame:
    """Cast what the driver returned (text, date objects, 0/1, 't'/'f') to the contract."""
    exprs = []
    for name, dtype in schema.items():
        column, source = pl.col(name), frame.schema[name]
        if source == pl.Utf8 and dtype == pl.Date:
            column = column.str.slice(0, 10).str.to_date("%Y-%m-%d")
        elif source == pl.Utf8 and dtype == pl.Boolean:
            column = column.str.to_lowercase().replace_strict(_TEXT_BOOLEANS, return_dtype=pl.Boolean)
        exprs.append(column.cast(dtype).alias(name))
    return frame.select(exprs)


def write_frame(
    alias: str,
    table: str,
    frame: pl.DataFrame,
    *,
    conflict: str | None = None,
    update: dict[str, str] | None = None,
    progress: Progress | None = None,
    rebuild_indexes: bool = False,
) -> None:
    """Insert every row of `frame` into `table` (columns named as in the frame).

    With `conflict` (a unique column) existing rows are updated instead: every other column
    is set from the new row, unless `update` gives an SQL expression for it (the new value
    is `excluded.<column>`, the old one `<table>.<column>`).

    `rebuild_indexes` drops the table's secondary indexes for the write and builds them again
    afterwards (constraint indexes stay): several times faster when the frame is large next
    to the table, as in a first import, but the table is locked for the rest of the
    transaction, so not for a nightly top-up of a live database.
    """
    if frame.is_empty():
        return
    connection = connections[alias]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in frame.columns)
    clause = _upsert_clause(table, frame.columns, conflict, update, quote)
    with without_indexes(alias, table, rebuild_indexes), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _pg_write(cursor.cursor, table, columns, clause, frame, progress)
        else:
            _sqlite_write(cursor, table, columns, clause, frame, progress)


@contextmanager
def without_indexes(alias: str, table: str, enabled: bool = True) -> Iterator[None]:
    """Drop `table`'s secondary indexes for the block and build them again after it.

    For a table written in several `write_frame` calls (one per chunk) the indexes are then
    built once, at the end, not dropped and rebuilt per chunk. Disabled, it does nothing.
    """
    if not enabled:
        yield
        return
    connection = connections[alias]
    with connection.cursor() as cursor:
        indexes = _drop_indexes(cursor, connection.vendor, table)
    yield
    with connection.cursor() as cursor:
        for definition in indexes:
            cursor.execute(definition)


def _drop_indexes(cursor, vendor: str, table: str) -> list[str]:
    """Drop the indexes of `table` that back no constraint; return their definitions."""
    if vendor == "postgresql":
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [table, table],
        )
    else:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
            [table],
        )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in indexes]


def _upsert_clause(table, names, conflict, update, quote) -> str:
    if conflict is None:
        return ""
    sets = {c: f"excluded.{quote(c)}" for c in names if c != conflict}
    sets.update(update or {})
    assignments = ", ".join(f"{quote(c)} = {expr}" for c, expr in sets.items())
    return f" ON CONFLICT ({quote(conflict)}) DO UPDATE SET {assignments}"


def _pg_write(cursor, table, columns, clause, frame, progress) -> None:
    if not clause:
        _pg_copy(cursor, table, columns, frame, progress)
        return
    cursor.execute(
        f"CREATE TEMP TABLE egk_stage ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA"
    )
    _pg_copy(cursor, "egk_stage", columns, frame, progress)
    cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM egk_stage{clause}")
    cursor.execute("DROP TABLE egk_stage")


def _pg_copy(cursor, table, columns, frame, progress) -> None:
    for part in frame.iter_slices(BATCH_ROWS):
        data = part.write_csv(include_header=False).encode("utf-8")
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
            for start in range(0, len(data), COPY_CHUNK_BYTES):
                copy.write(data[start : start + COPY_CHUNK_BYTES])
        if progress:
            progress(part.height)


def _sqlite_write(cursor, table, columns, clause, frame, progress) -> None:
    placeholders = ", ".join(["%s"] * frame.width)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders}){clause}"
    plain = frame.with_columns(
        [pl.col(c).cast(pl.Utf8) for c, t in frame.schema.items() if t == pl.Date]
        + [pl.col(c).cast(pl.Int8) for c, t in frame.schema.items() if t == pl.Boolean]
    )
    for part in plain.iter_slices(BATCH_ROWS):
        cursor.executemany(sql, part.rows())
        if progress:
            progress(part.height)


def execute(alias: str, sql: str, params: list | tuple = ()) -> int:
    """Run one statement on `alias`; returns the affected row count."""
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@contextmanager
def temp_keys(alias: str, name: str, keys: pl.Series) -> Iterator[str]:
    """A temporary one-column table `name(k)` holding the distinct `keys`, for joins and IN.

    Dropped after use; if the block fails, the rollback removes it.
    """
    suffix = " ON COMMIT DROP" if connections[alias].vendor == "postgresql" else ""
    execute(alias, f"CREATE TEMP TABLE {name} (k VARCHAR(255) PRIMARY KEY){suffix}")
    write_frame(alias, name, pl.DataFrame({"k": keys.drop_nulls().unique().cast(pl.Utf8)}))
    yield name
    execute(alias, f"DROP TABLE {name}")
