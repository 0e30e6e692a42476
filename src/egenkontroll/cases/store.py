"""The database as a dataset: connect by URL, make the schema ready, read the tables back.

The command line names its database with `--db URL` (the same syntax as DATABASE_URL);
`connect` makes Django ready for it, whether or not Django was already set up (the web
process, the test suite). `load_dataset` hands the stored events, org units and caseworkers
back in the column contracts of `core/schema.py`, so `egenkontroll obligations --db` feeds
the rules engine exactly what `--data` would have.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import django
import polars as pl
from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.utils import DatabaseError

from egenkontroll.cases.bulk import read_frame
from egenkontroll.core import schema
from egenkontroll.web.env import database_from_url

SETTINGS_MODULE = "egenkontroll.web.settings"
_SAME_DATABASE = ("ENGINE", "NAME", "HOST", "PORT", "USER")

EVENT_COLUMNS = {c: t for c, t in schema.EVENTS.items() if c != "birth_date"}


class DatabaseUnavailable(Exception):
    """The database cannot be reached or used; the message is one line, in Swedish."""


def connect(url: str | None = None) -> str:
    """Make Django ready for the database at `url` (DATABASE_URL syntax); return its alias.

    Without `url`, the configured default database (DATABASE_URL, else SQLite in
    EGK_DATA_DIR). When Django is already set up with another default, the URL is added
    as an extra connection alias.
    """
    try:
        wanted = database_from_url(url) if url else None
    except ValueError as exc:
        raise DatabaseUnavailable(str(exc)) from exc
    if not apps.ready:
        if url and not settings.configured:
            os.environ["DATABASE_URL"] = url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
        django.setup()
    if wanted is None:
        return DEFAULT_DB_ALIAS
    for alias in connections.settings:
        current = connections.settings[alias]
        if all(str(current.get(k) or "") == str(wanted.get(k) or "") for k in _SAME_DATABASE):
            return alias
    alias = "egk_" + hashlib.sha256(url.encode()).hexdigest()[:12]
    configured = connections.configure_settings({DEFAULT_DB_ALIAS: wanted})[DEFAULT_DB_ALIAS]
    connections.settings[alias] = configured
    settings.DATABASES[alias] = configured
    return alias


def prepare_database(alias: str = DEFAULT_DB_ALIAS, *, create: bool = True) -> int:
    """Check the database can be used; migrate it when it is empty. Returns migrations applied.

    With `create=False` (readers) an empty or missing database is an error instead. A
    database that already holds tables but lacks some migrations is left alone: upgrading
    a production schema is a deliberate step (`egenkontroll migrate --db URL`).
    """
    connection = connections[alias]
    name = str(connection.settings_dict["NAME"])
    if not create and connection.vendor == "sqlite" and ":memory:" not in name and "mode=memory" not in name:
        if not Path(name).is_file():
            raise DatabaseUnavailable(f"databasfilen finns inte: {name}")
    try:
        connection.ensure_connection()
        executor = MigrationExecutor(connection)
    except DatabaseError as exc:
        raise DatabaseUnavailable(f"databasen kan inte nås: {_first_line(exc)}") from exc
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if not plan:
        return 0
    if executor.loader.applied_migrations:
        pending = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:3])
        raise DatabaseUnavailable(
            f"databasen saknar migreringar ({pending} …): kör `egenkontroll migrate --db URL`"
        )
    if not create:
        raise DatabaseUnavailable("databasen är tom: importera först med `egenkontroll import`")
    return migrate(alias)


def migrate(alias: str = DEFAULT_DB_ALIAS) -> int:
    """Apply every pending migration; returns how many were applied."""
    from django.core.management import call_command

    executor = MigrationExecutor(connections[alias])
    count = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    call_command("migrate", database=alias, verbosity=0, interactive=False)
    return count


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def load_events(alias: str = DEFAULT_DB_ALIAS, cases_table: str | None = None) -> pl.DataFrame:
    """Stored events in the schema.EVENTS contract, optionally only the cases in a key table.

    `birth_date` is the first day of the stored birth month: the day is not kept.
    """
    columns = ", ".join(f"e.{connections[alias].ops.quote_name(c)}" for c in EVENT_COLUMNS)
    where = f" WHERE e.case_id IN (SELECT k FROM {cases_table})" if cases_table else ""  # noqa: S608
    sql = (
        f"SELECT {columns}, p.birth_year, p.birth_month FROM cases_event e "  # noqa: S608
        f"LEFT JOIN cases_person p ON p.person_key = e.person_key{where} "
        "ORDER BY e.case_id, e.date, e.event_id"
    )
    frame = read_frame(alias, sql, {**EVENT_COLUMNS, "birth_year": pl.Int32, "birth_month": pl.Int32})
    birth = pl.date(pl.col("birth_year"), pl.col("birth_month"), 1)
    return frame.with_columns(birth_date=birth).select(list(schema.EVENTS))


def load_org_units(alias: str = DEFAULT_DB_ALIAS) -> pl.DataFrame:
    return read_frame(
        alias, "SELECT unit_id, parent_id, name, level FROM cases_orgunit ORDER BY unit_id", schema.ORG_UNITS
    )


def load_caseworkers(alias: str = DEFAULT_DB_ALIAS) -> pl.DataFrame:
    """Every stored caseworker period (schema.CASEWORKERS), as caseworkers.csv gave them.

    A caseworker imported before issue 16 has no periods: their one `cases_caseworker` row stands in.
    """
    return read_frame(
        alias,
        "SELECT p.caseworker_id, c.name, p.unit_id, p.title, p.start_date, p.end_date, p.employment "
        "FROM cases_caseworkerperiod p JOIN cases_caseworker c ON c.caseworker_id = p.caseworker_id "
        "UNION ALL "
        "SELECT caseworker_id, name, unit_id, title, start_date, end_date, employment FROM cases_caseworker c "
        "WHERE NOT EXISTS (SELECT 1 FROM cases_caseworkerperiod p WHERE p.caseworker_id = c.caseworker_id) "
        "ORDER BY 1, 5, 3",
        schema.CASEWORKERS,
    )


def load_staffing(alias: str = DEFAULT_DB_ALIAS) -> pl.DataFrame | None:
    """The stored posts per unit and period (schema.STAFFING), or None when no import brought any."""
    frame = read_frame(
        alias, "SELECT unit_id, start_date, end_date, posts FROM cases_staffing ORDER BY unit_id, start_date",
        schema.STAFFING,
    )
    return frame if frame.height else None


def load_dataset(db: str | None = None) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(events, org_units, caseworkers) as stored, in the schema.py contracts.

    `db` is a database URL (`sqlite:///…`, `postgresql://…`), a Django connection alias,
    or None for the configured default database.
    """
    alias = connect(db) if db is None or "://" in db else db
    prepare_database(alias, create=False)
    return load_events(alias), load_org_units(alias), load_caseworkers(alias)


def load_population(db: str | None = None) -> pl.DataFrame:
    """The stored population (schema.POPULATION): children per area, year and age, for the per-1,000 figures.

    `db` as in `load_dataset`, or a connection alias already prepared.
    """
    alias = connect(db) if db is None or "://" in db else db
    return read_frame(
        alias,
        "SELECT unit_id, year, age_from, age_to, gender, count FROM cases_population "
        "ORDER BY unit_id, year, age_from, gender",
        schema.POPULATION,
    )
