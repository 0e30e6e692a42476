"""One import run: an export in, events, persons, cases and obligations stored, all or nothing.

Municipalities import every night. The run must never leave the database half-written (it
is one transaction: killed at any moment, the database is as before and the next run does
the whole job), must be idempotent (each event's content hash decides whether it is new,
changed or unchanged; the diff is a polars join, not per-row queries), must account for
every row (read = imported + updated + unchanged + rejected) and must be fast at city scale
(bulk paths in `bulk.py`). Obligations are recomputed, in the same transaction, for every
case an imported event touched.
"""

from __future__ import annotations

import datetime as dt
import getpass
import logging
import socket
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

import polars as pl
from django.db import DatabaseError, connections, transaction
from django.utils import timezone

from egenkontroll.cases import derive, marks, rejects
from egenkontroll.cases.bulk import execute, read_frame, temp_keys, without_indexes, write_frame
from egenkontroll.cases.checks import CheckError, run_checks
from egenkontroll.cases.models import ImportRun
from egenkontroll.cases.store import (
    DatabaseUnavailable,
    load_caseworkers,
    load_events,
    load_org_units,
    load_population,
    load_staffing,
    prepare_database,
)
from egenkontroll.core import import_limits, profiles, schema
from egenkontroll.core.bounded_input import printable
from egenkontroll.core.import_limits import ImportLimits, LimitError
from egenkontroll.core.interchange import UNKNOWN_UNIT, Dataset, InterchangeError, read_dataset
from egenkontroll.core.obligations import evaluate
from egenkontroll.core.rules import RuleError
from egenkontroll.web.env import envint

logger = logging.getLogger(__name__)

_LOCK_KEY = 4_711_2025  # pg_advisory_xact_lock: one import at a time per database
# A large page cache keeps the indexes of a city's tables in memory during the bulk write.
SQLITE_PRAGMAS = ("PRAGMA cache_size = -262144",)
KEY_CHANGE_MIN = 10  # re-keyed known events before the key-change warning
# A unit missing from org_units.csv altogether is lost (exit 3) from this many events on; fewer
# are more likely a mistyped unit_id in a few rows, an ordinary reject.
LOST_UNIT_MIN_EVENTS = 10
# Events per part when obligations are computed and written (memory against per-part overhead).
CASE_PART_EVENTS = envint("EGK_IMPORT_CASE_PART_EVENTS", 500_000)
EVENT_SLICE_ROWS = 500_000  # new events turned into table rows at a time
# What `_analyse` refreshes on PostgreSQL (SQLite analyses the whole, small, schema at once).
# A run that writes fewer events than 1/ANALYSE_SHARE of those stored leaves the statistics as
# they were (they still describe the tables); ANALYZE reads every table, seconds at city scale.
ANALYSE_SHARE = 100
CHANGED_CASES_MAX = 20_000  # cases a run lists for the pages' cache; beyond, the cache starts anew
ANALYSED_TABLES = (
    "cases_orgunit", "cases_caseworker", "cases_person", "cases_case", "cases_event", "cases_eventrevision",
    "cases_obligation", "cases_rejectedrow", "cases_importrun",
)


class ImportFailed(Exception):
    """Nothing could be imported; the message is one line, in Swedish, without identities."""


class Reporter(Protocol):
    def phase(self, title: str, total: int | None = None) -> None: ...
    def advance(self, n: int) -> None: ...


class SilentReporter:
    def phase(self, title: str, total: int | None = None) -> None:
        pass

    def advance(self, n: int) -> None:
        pass


@dataclass
class ImportSummary:
    """What a run did; `as_dict` is the `--format json` output."""

    rows_read: int
    imported: int
    updated: int
    unchanged: int
    rejected: int
    link_rejected: int = 0
    # unit_id -> its events, when every one was rejected because the unit is missing or rejected
    lost_units: dict[str, int] = field(default_factory=dict)
    rejected_org_units: int = 0
    rejected_caseworkers: int = 0
    rejected_staffing: int = 0  # rows of the optional staffing.csv (issue 16)
    rejected_population: int = 0  # rows of the optional population.csv (issue 16)
    population_rows: int = 0
    affected_cases: int = 0
    obligations: int = 0
    marks_lapsed: int = 0  # marks on obligations the new data contradicts (cases/marks.py)
    retired: int = 0  # rows of cases that gallring removed (docs/retention.md): skipped, not imported
    checks: dict[str, int] = field(default_factory=dict)
    run_id: int | None = None
    status: str = "ok"
    files: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    duration_seconds: float = 0.0

    @property
    def all_rejected(self) -> int:
        return (
            self.rejected + self.link_rejected + self.rejected_org_units + self.rejected_caseworkers
            + self.rejected_staffing
            + self.rejected_population
        )

    @property
    def exit_code(self) -> int:
        """0 all imported, 2 rows rejected, 3 a whole org unit's events rejected (docs/import.md)."""
        if self.lost_units:
            return 3
        return 2 if self.all_rejected else 0

    @property
    def loss_line(self) -> str | None:
        """The loud line a nightly job must not miss, when a whole unit's events were lost."""
        if not self.lost_units:
            return None
        shown = ", ".join(f"{unit} ({n})" for unit, n in list(self.lost_units.items())[:10])
        more = f" och {len(self.lost_units) - 10} till" if len(self.lost_units) > 10 else ""
        return (
            f"HELA ENHETER FÖRLORADE: {sum(self.lost_units.values())} händelser i {len(self.lost_units)} "
            f"enheter avvisades för att enheten saknas eller avvisades i org_units.csv: {shown}{more}"
        )

    def as_dict(self) -> dict:
        return asdict(self)


def run_import(
    path: str | Path,
    *,
    using: str = "default",
    profile: str | Path | None = None,
    rejects_path: str | Path | None = None,
    key: bytes | None = None,
    reporter: Reporter | None = None,
    user: str | None = None,
    limits: ImportLimits | None = None,
) -> ImportSummary:
    """Import the dataset at `path` into the database `using`, atomically.

    Raises ImportFailed (nothing imported) with a one-line reason naming the file; every such
    failure is also a run with status `failed` when the database can take it. Row problems
    are rejects in the summary, in the database and, with `rejects_path`, in a CSV file.
    `limits` bound what is read (default: the configured ones, core/import_limits.py).
    """
    reporter = reporter or SilentReporter()
    started, clock = timezone.now(), time.monotonic()
    run = _RunInfo(str(path), str(profile) if profile else None, user or _user(), started)
    name = printable(Path(path).name)
    try:
        prepare_database(using)
    except DatabaseUnavailable as exc:
        raise ImportFailed(str(exc)) from exc
    reporter.phase("Läser filer")
    try:
        dataset, conversion = _read(path, profile, key, limits or import_limits.from_env())
    except (InterchangeError, profiles.ProfileError, LimitError) as exc:
        raise _failed(using, run, str(exc), clock) from exc
    except OSError as exc:
        raise _failed(using, run, f"kan inte läsa {name}: {exc.strerror or type(exc).__name__}", clock) from exc
    except Exception as exc:  # the last line of defence: a recorded failure, never a traceback
        logger.exception("import of %s failed while reading", name)
        raise _failed(using, run, f"{name}: oväntat fel vid läsning ({type(exc).__name__})", clock) from exc
    try:
        return _store(using, dataset, conversion, run, rejects_path, reporter, clock)
    except ImportFailed as exc:
        raise _failed(using, run, f"{name}: {exc}", clock) from exc
    except (DatabaseError, RuleError, CheckError, OSError) as exc:
        raise _failed(using, run, f"{name}: {_one_line(exc)}", clock) from exc
    except Exception as exc:  # e.g. psycopg's own errors from COPY, which Django does not wrap
        logger.exception("import of %s failed while storing", name)
        raise _failed(using, run, f"{name}: databasen tog inte emot importen ({_one_line(exc)})", clock) from exc


def _failed(using: str, run: _RunInfo, reason: str, clock: float) -> ImportFailed:
    """Record the failed run and return the error to raise."""
    _record_failure(using, run, reason, clock)
    return ImportFailed(reason)


@dataclass
class _RunInfo:
    source: str
    profile: str | None
    user: str
    started: dt.datetime


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "okänd"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}".rstrip(": ")


def _read(
    path: str | Path, profile: str | Path | None, key: bytes | None, limits: ImportLimits
) -> tuple[Dataset, profiles.Conversion | None]:
    """Read a v1 dataset, or an export through an import profile.

    With a profile, events carry the export's row numbers; the conversion is returned so
    that rejects can name the export's files and rows too.
    """
    if profile is None:
        return read_dataset(path, key=key, limits=limits), None
    return profiles.read_export(profile, path, key=key, limits=limits)


def _store(
    using: str,
    dataset: Dataset,
    conversion: profiles.Conversion | None,
    run: _RunInfo,
    rejects_path: str | Path | None,
    reporter: Reporter,
    clock: float,
) -> ImportSummary:
    events, long_events = rejects.too_long(dataset.events, "events")
    dataset.events = dataset.events.clear()  # only `events` holds the rows from here: one copy, not two
    org_units, long_units = rejects.too_long(dataset.org_units, "org_units")
    caseworkers, long_workers = rejects.too_long(dataset.caseworkers, "caseworkers")
    refused = rejects.staged(pl.concat([dataset.rejects, long_events, long_units, long_workers]), "read")
    events = events.with_columns(derive.content_hashes(events))
    summary = ImportSummary(
        rows_read=dataset.rows_read, imported=0, updated=0, unchanged=0,
        rejected=rejects.distinct_rows(refused, "events.csv"),
        rejected_org_units=rejects.distinct_rows(refused, "org_units.csv"),
        rejected_caseworkers=rejects.distinct_rows(refused, "caseworkers.csv"),
        rejected_staffing=rejects.distinct_rows(refused, "staffing.csv"),
        rejected_population=rejects.distinct_rows(refused, "population.csv"),
        population_rows=dataset.population.height,
        lost_units=_lost_units(refused, dataset.rejected_unit_ids),
        files=dataset.files, warnings=dataset.warnings,
    )
    if conversion is not None:
        refused = profiles.to_source(refused, conversion)
    with transaction.atomic(using=using):
        record = _open_run(using, run, dataset)
        summary.run_id = record.pk
        events, summary.retired = _without_retired(using, events)
        reporter.phase("Jämför med databasen")
        new, changed, unchanged = _diff(using, events)
        del events  # `new` and `changed` hold what is written
        summary.imported, summary.updated, summary.unchanged = new.height, changed.height, unchanged
        _check_accounting(summary)
        summary.warnings += _key_warning(changed, unchanged)
        affected = pl.concat([new["case_id"], changed["case_id"], changed["old_case_id"]]).unique()
        summary.affected_cases = affected.len()
        kept = _clear_affected(using, affected, pl.concat([new["event_id"], changed["event_id"]]))
        stored_count = _count(using, "cases_event")
        tree_before = _tree(using)  # a change here may move any figure: no narrow refresh
        write_frame(using, "cases_orgunit", derive.org_unit_rows(org_units), conflict="unit_id")
        write_frame(using, "cases_caseworker", _current_rows(caseworkers), conflict="caseworker_id")
        _replace_periods(using, caseworkers)
        summary.warnings += _replace_staffing(using, dataset.staffing)
        _write_population(using, dataset.population, record.pk)
        tree_same = all(_same(a, b) for a, b in zip(tree_before, _tree(using), strict=True))
        persons_same, old_dates = _write_events(using, new, changed, record.pk, stored_count, reporter)
        record.changed_from, record.changed_cases = _changes(
            stored_count > 0 and tree_same and persons_same, affected, [new["date"], changed["date"], old_dates]
        )
        link_rejects, summary.obligations = _recompute_cases(using, kept, new, changed, reporter)
        summary.marks_lapsed = marks.lapse_contradicted(using, affected.to_list(), record.pk)
        summary.link_rejected = rejects.distinct_rows(link_rejects, "events.csv", by="event_id")
        refused = pl.concat([refused, rejects.staged(link_rejects, "link")])
        reporter.phase("Datakontroller")
        summary.checks = {f.check.id: f.count for f in run_checks(using)}
        rejects.write(using, refused, record.pk, rejects_path)
        summary.status = "rejects" if summary.all_rejected else "ok"
        summary.duration_seconds = round(time.monotonic() - clock, 3)
        if summary.loss_line:
            summary.warnings.insert(0, summary.loss_line)
            record.message = summary.loss_line
        _close_run(record, summary)
    if (summary.imported + summary.updated) * ANALYSE_SHARE >= stored_count:
        reporter.phase("Uppdaterar databasens statistik")
        summary.warnings += _analyse(using)
    reporter.phase("Klart")
    return summary


def _current_rows(caseworkers: pl.DataFrame) -> pl.DataFrame:
    """One row per caseworker for `cases_caseworker`: the one starting last (an open start first).

    caseworkers.csv may give a caseworker several rows (one per unit and period); two rows of one
    id in one upsert would make PostgreSQL refuse the whole import. Every row is kept in
    `cases_caseworkerperiod` (issue 16).
    """
    return (
        caseworkers.sort("start_date", nulls_last=False, maintain_order=True)
        .unique("caseworker_id", keep="last", maintain_order=True)
    )


def _replace_periods(using: str, caseworkers: pl.DataFrame) -> None:
    """Every caseworkers.csv row of the caseworkers in this export replaces their stored periods;
    caseworkers the export leaves out keep theirs, as they keep their `cases_caseworker` row."""
    if caseworkers.is_empty():
        return
    periods = caseworkers.select("caseworker_id", "unit_id", "title", "start_date", "end_date", "employment")
    with temp_keys(using, "egk_cw_keys", periods["caseworker_id"]) as keys:
        execute(using, f"DELETE FROM cases_caseworkerperiod WHERE caseworker_id IN (SELECT k FROM {keys})")  # noqa: S608
    write_frame(using, "cases_caseworkerperiod", periods)


def _replace_staffing(using: str, staffing: pl.DataFrame | None) -> list[str]:
    """An export with staffing.csv replaces the stored posts; one without leaves them (issue 16).

    A staffing.csv without one accepted row (every row rejected, or only the header) leaves
    them too, with a warning: a broken HR export must not wipe the posts the figures rest on.
    """
    if staffing is None:
        return []
    if staffing.is_empty():
        return ["staffing.csv gav inga godkända rader: de tjänster som redan fanns lagrade behålls"]
    execute(using, "DELETE FROM cases_staffing")
    write_frame(using, "cases_staffing", staffing.select(list(schema.STAFFING)))
    return []


def _changes(
    narrow: bool, affected: pl.Series, dates: list[pl.Series]
) -> tuple[dt.date | None, list[str] | None]:
    """(changed_from, changed_cases) of the run (the ImportRun fields): what the pages' cache must redo.

    Without `narrow` (a first import, or org units, caseworkers, posts, population or a known person changed) the
    answer is (None, None): every figure may have changed.
    """
    if not narrow:
        return None, None
    earliest = pl.concat(dates).min()
    cases = sorted(affected.drop_nulls().to_list())
    return (earliest or dt.date.max), (cases if len(cases) <= CHANGED_CASES_MAX else None)


def _tree(using: str) -> tuple[pl.DataFrame | None, ...]:
    """What every figure may rest on besides the events: org units, caseworker periods, posts, population."""
    return load_org_units(using), load_caseworkers(using), load_staffing(using), load_population(using)


def _same(before: pl.DataFrame | None, after: pl.DataFrame | None) -> bool:
    return (before is None and after is None) or (
        before is not None and after is not None and before.equals(after)
    )


def _analyse(using: str) -> list[str]:
    """Refresh the query planner's statistics of the tables an import writes, after it committed.

    Without them SQLite does not use the partial index on open obligations per unit (the work
    list is 10× slower at city scale) and PostgreSQL plans a fresh import's tables blind until
    autovacuum comes by. A failure here leaves the committed import as it is: a warning only.
    """
    vendor = connections[using].vendor
    sql = "ANALYZE" if vendor == "sqlite" else f"ANALYZE {', '.join(ANALYSED_TABLES)}"
    try:
        with connections[using].cursor() as cursor:
            cursor.execute(sql)
    except DatabaseError as exc:
        return [f"databasens statistik kunde inte uppdateras ({_one_line(exc)}); sidorna kan bli långsammare"]
    return []


def _lost_units(refused: pl.DataFrame, rejected_unit_ids: set[str]) -> dict[str, int]:
    """Units every event of which was rejected for the unit itself: its org_units.csv row was
    rejected, or it is missing there and named by at least LOST_UNIT_MIN_EVENTS events.

    The unit check rejects all or none of a unit's events, so these are whole units lost.
    """
    lost = (
        refused.filter((pl.col("file") == "events.csv") & (pl.col("column") == "unit_id")
                       & (pl.col("reason") == UNKNOWN_UNIT))
        .group_by("value").agg(pl.col("row").n_unique().alias("events"))
        .filter(pl.col("value").is_in(sorted(rejected_unit_ids)) | (pl.col("events") >= LOST_UNIT_MIN_EVENTS))
        .sort(["events", "value"], descending=[True, False])
    )
    return dict(lost.iter_rows())


def _without_retired(using: str, events: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """The events minus those of cases gallring removed (a full export still carries them)."""
    from egenkontroll.core.identity import load_key
    from egenkontroll.retention.steps import retired_case_ids

    retired = retired_case_ids(using, events["case_id"].unique().to_list(), load_key())
    if not retired:
        return events, 0
    kept = events.filter(~pl.col("case_id").is_in(list(retired)))
    return kept, events.height - kept.height


def _check_accounting(summary: ImportSummary) -> None:
    accounted = summary.imported + summary.updated + summary.unchanged + summary.rejected + summary.retired
    if accounted != summary.rows_read:
        raise ImportFailed(
            f"räkningen går inte ihop: {summary.rows_read} rader lästa men {accounted} redovisade"
        )


def _open_run(using: str, run: _RunInfo, dataset: Dataset) -> ImportRun:
    """The run's row, written first: on SQLite that takes the write lock for the whole run."""
    if connections[using].vendor == "postgresql":
        execute(using, "SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    else:
        for pragma in SQLITE_PRAGMAS:
            execute(using, pragma)
    return ImportRun.objects.using(using).create(
        started_at=run.started, user=run.user[:200], host=socket.gethostname()[:200], source=run.source,
        files=dataset.files, profile=run.profile, status="ok", encodings=dataset.encodings,
        warnings=dataset.warnings,
    )


def _close_run(record: ImportRun, summary: ImportSummary) -> None:
    for name in (
        "rows_read", "imported", "updated", "unchanged", "rejected", "link_rejected", "retired",
        "affected_cases", "obligations", "checks", "status", "duration_seconds", "warnings",
    ):
        setattr(record, name, getattr(summary, name))
    record.finished_at = timezone.now()
    record.save()


def _record_failure(using: str, run: _RunInfo, reason: str, clock: float) -> None:
    """Keep a trace of a failed run when the database can take it; never mask the failure."""
    try:
        with transaction.atomic(using=using):
            ImportRun.objects.using(using).create(
                started_at=run.started, finished_at=timezone.now(), user=run.user[:200],
                host=socket.gethostname()[:200], source=run.source, profile=run.profile,
                status="failed", message=reason, duration_seconds=round(time.monotonic() - clock, 3),
            )
    except DatabaseError:
        pass


def _diff(using: str, events: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Split the import into new and changed events (with the changed ones' old case) by content hash.

    `changed` has the columns `old_hash`, `old_case_id` and `old_person_key`; `new` may lack them.
    """
    stored = read_frame(using, "SELECT event_id, content_hash FROM cases_event",
                        {"event_id": pl.Utf8, "old_hash": pl.Utf8})
    if stored.is_empty():
        # A first import: every event is new, taken as it is. No filtered copy, and no null `old_*`
        # columns either (broadcast over a national table they cost more than a gigabyte).
        changed = events.clear().with_columns(
            pl.lit(None, pl.Utf8).alias(c) for c in ("old_hash", "old_case_id", "old_person_key")
        )
        return events, changed, 0
    joined = events.join(stored, on="event_id", how="left")
    before = {"old_case_id": pl.Utf8, "old_person_key": pl.Utf8}
    new = joined.filter(pl.col("old_hash").is_null()).with_columns(
        [pl.lit(None, dtype).alias(name) for name, dtype in before.items()]
    )
    changed = joined.filter(pl.col("old_hash").is_not_null() & (pl.col("old_hash") != pl.col("content_hash")))
    unchanged = joined.height - new.height - changed.height
    if changed.is_empty():
        return new, changed.with_columns([pl.lit(None, dtype).alias(name) for name, dtype in before.items()]), unchanged
    # Only the few changed events need their stored case and person (reading them for all costs seconds).
    with temp_keys(using, "egk_changed_before", changed["event_id"]) as keys:
        old = read_frame(
            using,
            f"SELECT event_id, case_id, person_key FROM cases_event WHERE event_id IN (SELECT k FROM {keys})",  # noqa: S608
            {"event_id": pl.Utf8, **before},
        )
    return new, changed.join(old, on="event_id", how="left"), unchanged


def _key_warning(changed: pl.DataFrame, unchanged: int) -> list[str]:
    """Warn when most known events got a new pseudonym: the key has probably been changed."""
    rekeyed = changed.filter(pl.col("old_person_key") != pl.col("person_key")).height
    if rekeyed < KEY_CHANGE_MIN or rekeyed * 2 < unchanged + changed.height:
        return []
    return [
        f"{rekeyed} kända händelser fick en ny pseudonym: har pseudonymnyckeln bytts? "
        "Med fel nyckel blir varje barn en ny person (se docs/interchange.md, nyckeln)."
    ]


def _write_events(
    using: str, new: pl.DataFrame, changed: pl.DataFrame, run_id: int, stored_count: int, reporter: Reporter
) -> tuple[bool, pl.Series]:
    """New and changed events (the replaced versions kept as revisions), and their persons.

    Returns whether every person known before kept their stored row, and the replaced
    versions' dates (what a changed event moved away from).
    """
    reporter.phase("Skriver händelser", total=new.height + changed.height)
    old_dates = pl.Series("date", [], dtype=pl.Date)
    if changed.height:
        with temp_keys(using, "egk_changed", changed["event_id"]) as keys:
            columns = [c for c in derive.event_rows(changed, run_id).columns if c != "import_run_id"]
            previous = read_frame(
                using,
                f"SELECT {', '.join(_quoted(using, columns))} FROM cases_event "  # noqa: S608
                f"WHERE event_id IN (SELECT k FROM {keys})",
                {c: schema.EVENTS.get(c, pl.Utf8) for c in columns},
            )
        revisions = previous.select(
            "event_id",
            pl.col("content_hash").alias("previous_hash"),
            pl.struct(pl.exclude("content_hash")).struct.json_encode().alias("previous"),
        ).join(changed.select("event_id", pl.col("content_hash").alias("new_hash")), on="event_id")
        write_frame(using, "cases_eventrevision", revisions.with_columns(pl.lit(run_id).alias("run_id")))
        old_dates = previous["date"]
        write_frame(using, "cases_event", derive.event_rows(changed, run_id), conflict="event_id",
                    progress=reporter.advance)
    # In slices: adding the run id to a whole national table at once copies every column of it.
    with without_indexes(using, "cases_event", new.height > stored_count):
        for part in new.iter_slices(EVENT_SLICE_ROWS):
            write_frame(using, "cases_event", derive.event_rows(part, run_id), progress=reporter.advance)
    persons = derive.person_rows(pl.concat([new.select(list(schema.EVENTS)), changed.select(list(schema.EVENTS))]))
    known_before = _persons(using, persons["person_key"]) if stored_count else None
    keep = "COALESCE(excluded.{0}, cases_person.{0})"
    # Into an empty table (a first import) nothing can conflict: a plain COPY, no staging upsert.
    write_frame(
        using, "cases_person", persons, conflict=None if _all_empty(using, ("cases_person",)) else "person_key",
        update={
            "gender": keep.format("gender"),
            "birth_year": keep.format("birth_year"),
            "birth_month": keep.format("birth_month"),
            "unaccompanied": "excluded.unaccompanied OR cases_person.unaccompanied",
        },
    )
    if known_before is None:
        return False, old_dates
    return known_before.equals(_persons(using, known_before["person_key"])), old_dates


def _persons(using: str, keys: pl.Series) -> pl.DataFrame:
    """The stored person rows of `keys`, in key order."""
    with temp_keys(using, "egk_persons", keys) as table:
        return read_frame(
            using,
            "SELECT person_key, gender, birth_year, birth_month, unaccompanied FROM cases_person "  # noqa: S608
            f"WHERE person_key IN (SELECT k FROM {table}) ORDER BY person_key",
            {"person_key": pl.Utf8, "gender": pl.Utf8, "birth_year": pl.Int16, "birth_month": pl.Int16,
             "unaccompanied": pl.Boolean},
        )


def _quoted(using: str, columns: list[str]) -> list[str]:
    return [connections[using].ops.quote_name(c) for c in columns]


def _clear_affected(using: str, affected: pl.Series, replaced: pl.Series) -> pl.DataFrame:
    """Remove the affected cases' summaries and obligations; return their events that stay.

    Read before the new events are written, so a first import reads nothing back and a
    nightly one only the few cases it touches.
    """
    if affected.is_empty() or _all_empty(using, ("cases_event", "cases_case", "cases_obligation")):
        return schema.empty(schema.EVENTS)  # e.g. a first import: nothing to read back or delete
    with temp_keys(using, "egk_affected", affected) as keys:
        stored = load_events(using, cases_table=keys)
        execute(using, f"DELETE FROM cases_case WHERE case_id IN (SELECT k FROM {keys})")  # noqa: S608
        execute(using, f"DELETE FROM cases_obligation WHERE case_id IN (SELECT k FROM {keys})")  # noqa: S608
    return stored.filter(~pl.col("event_id").is_in(replaced.implode()))


def _recompute_cases(
    using: str, kept: pl.DataFrame, new: pl.DataFrame, changed: pl.DataFrame, reporter: Reporter
) -> tuple[pl.DataFrame, int]:
    """Case summaries and obligations of every affected case, from its events as now stored.

    Returns the rows the rules engine could not link, and how many obligations were stored.
    The events are exactly what `store.load_events` would now return (birth dates to the
    month), so the stored obligations are those `egenkontroll obligations --db` computes.

    Every rule speaks of one case's events only, so the cases are evaluated and written in
    parts of about CASE_PART_EVENTS events, in case_id order: a national first import then
    never holds the rules engine's working tables, or the obligations, of every case at once.
    The stored rows (and their order) are those of one evaluation over all the cases.
    """
    written = pl.concat([new.select(list(schema.EVENTS)), changed.select(list(schema.EVENTS))]).with_columns(
        pl.col("birth_date").dt.truncate("1mo")
    )
    events = pl.concat([kept, written])
    del written
    if events.is_empty():
        return schema.empty(schema.REJECTS), 0
    # Every known event counts (also any dated after today); open ones are stored as `open`.
    as_of = max(dt.date.today(), events["date"].max())
    bounds = _case_parts(events)
    # One phase for both: the parts are computed and written in turn (the total is not known before).
    reporter.phase("Skriver skyldigheter")
    link_rejects, stored = [], 0
    # Indexes are built once after the last part when the write is large next to the table.
    with without_indexes(using, "cases_case", events.height > _count(using, "cases_case")), \
            without_indexes(using, "cases_obligation", events.height > _count(using, "cases_obligation")):
        for low, high in zip(bounds, [*bounds[1:], None], strict=True):
            in_part = pl.col("case_id") >= low
            part = events.filter(in_part if high is None else in_part & (pl.col("case_id") < high))
            part = part.sort("case_id", "date", "event_id")
            write_frame(using, "cases_case", derive.case_rows(part))
            evaluation = evaluate(part, as_of)
            obligations = derive.obligation_rows(evaluation.obligations)
            write_frame(using, "cases_obligation", obligations, progress=reporter.advance)
            link_rejects.append(evaluation.rejects)
            stored += obligations.height
            del part, evaluation, obligations
    # One evaluation lists the unknown-ref rejects of all cases before the ambiguous ones
    # (core/linking.py); the parts' lists, in case order, are put back in that order.
    rejected = pl.concat(link_rejects).sort("reason", descending=True, maintain_order=True)
    return rejected, stored


def _case_parts(events: pl.DataFrame) -> list[str]:
    """The first case_id of each part of about CASE_PART_EVENTS events (whole cases, in case_id order)."""
    # On the column, not the frame: a group-by of the whole national frame takes 1.8 GB more.
    per_case = events.get_column("case_id").value_counts(name="len").sort("case_id")
    part = (per_case["len"].cum_sum() - per_case["len"]) // CASE_PART_EVENTS
    return per_case.filter(part != part.shift(1, fill_value=-1))["case_id"].to_list()


def _all_empty(using: str, tables: tuple[str, ...]) -> bool:
    with connections[using].cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608
            if cursor.fetchone() is not None:
                return False
    return True


def _write_population(using: str, population: pl.DataFrame, run_id: int) -> None:
    """Replace the stored population of each area and year the file gives (issue 16); none given: keep it.

    An area's figures of a year also replace that year's figures of every area above or below
    it (review finding 5): after loading districts where the city was loaded before (or the
    reverse), the newest import alone describes the year, and no child is counted twice.
    """
    if population.is_empty():
        return
    from egenkontroll.cases.models import Population
    from egenkontroll.core import orgtree

    given = population.select("unit_id", "year").unique()
    closure = orgtree.closure(orgtree.flatten(load_org_units(using)))
    related = pl.concat([
        closure.join(given, on="unit_id").select(pl.col("ancestor_id").alias("unit_id"), "year"),
        closure.join(given.rename({"unit_id": "ancestor_id"}), on="ancestor_id").select("unit_id", "year"),
        given,
    ]).unique().sort("year", "unit_id")
    for year, units in related.group_by("year", maintain_order=True):
        Population.objects.using(using).filter(year=year[0], unit_id__in=units["unit_id"].to_list()).delete()
    write_frame(using, "cases_population", population.with_columns(run_id=pl.lit(run_id, pl.Int64)))


def _count(using: str, table: str) -> int:
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
        return cursor.fetchone()[0]
