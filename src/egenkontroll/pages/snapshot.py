"""The stored case data as polars frames, and the key figures computed from them, kept for reuse.

Why it exists: the key figures must be exactly those of `egenkontroll kpi` (the same
`core.kpis` engine, kpis.md) for any period and any as_of day. The engine is vectorised over
whole tables, so the pages hand it whole tables: events are read from the database once per
import run, obligations are evaluated per as_of day by `core.obligations.evaluate`, and each
result is kept. At city scale (700,000 events) one evaluation takes seconds, so results are
kept twice: in memory, and as Parquet files under EGK_WEB_CACHE_DIR (the commands set
EGK_DATA_DIR/cache) shared by every server process and surviving restarts. `egenkontroll demo`
and `serve` compute the common views before the server starts (`warm_up`), so pages read files
of a few thousand rows instead of computing. A new import run (a nightly import) is noticed with
one cheap query and starts a fresh cache.

Thread-safe: gunicorn runs several threads per worker. Each cached value has its own lock,
so two requests never compute the same thing at once and a long computation never blocks a
request for something already computed.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import functools
import hashlib
import os
import shutil
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import polars as pl

from egenkontroll.core import kpi_catalogue, kpis, orgtree
from egenkontroll.core.marks import apply_marks
from egenkontroll.core.obligations import Evaluation, carry_forward, evaluate, with_links
from egenkontroll.core.rules import rules_file
from egenkontroll.core.schema import OBLIGATIONS
from egenkontroll.web.env import envint, envstr

# How many evaluations (one per as_of day, large) and frames a worker keeps in memory; each
# setting 0 (keep none) to KEPT_MAX, refused otherwise (a negative size broke the first page).
KEPT_MAX = 10_000
EVALUATIONS_KEPT = envint("EGK_WEB_EVALUATIONS_KEPT", 2, low=0, high=KEPT_MAX)
FRAMES_KEPT = envint("EGK_WEB_FRAMES_KEPT", 128, low=0, high=KEPT_MAX)
# ... and at most this many MiB of them: a figures table with its breakdown is up to 41 MiB at city
# scale and 492 MiB at national, so 128 of them could hold 5 GB, or 60 GB, in each worker.
FRAMES_MB = envint("EGK_WEB_FRAMES_MB", 2048, low=0, high=KEPT_MAX)
# The item sources of the period asked for last (kpis.Sources): a period's breakdowns and
# Underlag are asked for together. Each holds that period's selected items: about 100 MB at city
# scale, ten times that at national, per worker — hence one by default.
SOURCES_KEPT = envint("EGK_WEB_SOURCES_KEPT", 1, low=0, high=KEPT_MAX)


def cache_root() -> Path | None:
    """Where computed frames are kept on disk (EGK_WEB_CACHE_DIR); unset: in memory only.

    `egenkontroll demo` and `serve` set it to EGK_DATA_DIR/cache for the server they start.
    """
    configured = envstr("EGK_WEB_CACHE_DIR")
    return Path(configured) if configured else None


class NotKept(Exception):
    """A page needs a frame that is neither in memory nor on disk (raised inside `only_kept`)."""


_probing = threading.local()


@contextmanager
def only_kept():
    """Within it, this thread's pages are built from kept frames only: one that would have to be
    computed raises NotKept (pages/pending.py then computes the page in the background)."""
    _probing.on = True
    try:
        yield
    finally:
        _probing.on = False


def _refused() -> pl.DataFrame:
    raise NotKept


class Memo:
    """A bounded in-memory cache where each key is computed once, under its own lock.

    Bounded by count (`size`) and, with `weigh`, by the sum of the values' weights (`budget`):
    the least recently used go first, but the newest value is always kept."""

    def __init__(self, size: int, budget: int | None = None, weigh: Callable[[object], int] | None = None):
        self.size = size
        self.budget = budget
        self.weigh = weigh
        self.items: OrderedDict = OrderedDict()
        self.weights: dict = {}
        self.weight = 0
        self.lock = threading.Lock()
        self.key_locks: dict = {}

    def _keep(self, key, value) -> None:
        """Store `value` (the lock held) and drop the oldest values over the count or the budget."""
        self.items[key] = value
        self.weights[key] = self.weigh(value) if self.weigh else 0
        self.weight += self.weights[key]
        while len(self.items) > self.size or (
            self.budget is not None and self.weight > self.budget and len(self.items) > 1
        ):
            old, _ = self.items.popitem(last=False)
            self.weight -= self.weights.pop(old)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.weights.clear()
            self.weight = 0

    def peek(self, key):
        """The kept value of `key`, else None; never makes one, and leaves the order of use alone."""
        with self.lock:
            return self.items.get(key)

    def get(self, key, make: Callable, wait: bool = True):
        """The kept value of `key`, else `make()`'s (kept). Without `wait`, a key another thread is
        making raises NotKept at once instead of waiting for it (a page only probing what is kept
        must not sit behind the background computation it would be told to wait for)."""
        while True:
            with self.lock:
                if key in self.items:
                    self.items.move_to_end(key)
                    return self.items[key]
                key_lock = self.key_locks.setdefault(key, threading.Lock())
            if not key_lock.acquire(blocking=wait):
                raise NotKept
            try:
                with self.lock:
                    if key in self.items:
                        return self.items[key]
                    if self.key_locks.get(key) is not key_lock:
                        continue  # its maker gave up and dropped the lock while this one waited: take the new one
                try:
                    value = make()
                except BaseException:
                    with self.lock:
                        self.key_locks.pop(key, None)  # e.g. NotKept: no lock left behind per refused key
                    raise
                with self.lock:
                    self._keep(key, value)
                    self.key_locks.pop(key, None)
                return value
            finally:
                key_lock.release()


class Snapshot:
    """One import's data. Org units and caseworkers are read at once; events when first needed."""

    def __init__(
        self, alias: str, version: tuple, org_units: pl.DataFrame, caseworkers: pl.DataFrame,
        population: pl.DataFrame | None = None,
    ):
        self.alias = alias
        self.population = population  # children per area and year: the per-1,000 figures (issue 16)
        self.version = version
        self.org_units = org_units
        self.caseworkers = caseworkers
        self.catalogue = kpi_catalogue.configured_catalogue()
        self.flat = orgtree.flatten(org_units)
        self.unit_names = dict(zip(self.flat["unit_id"], self.flat["name"], strict=True))
        self.unit_levels = dict(zip(self.flat["unit_id"], self.flat["level"], strict=True))
        self.parents = dict(zip(self.flat["unit_id"], self.flat["parent_id"], strict=True))
        self.caseworker_names = dict(zip(caseworkers["caseworker_id"], caseworkers["name"], strict=True))
        self._evaluations = Memo(EVALUATIONS_KEPT)
        self._days = Memo(SOURCES_KEPT)  # a day's shared tables live as long as the sources using them
        self._frames = Memo(FRAMES_KEPT, FRAMES_MB << 20, _frame_bytes)
        self._sources = Memo(SOURCES_KEPT)
        self._events_lock = threading.Lock()

    @cached_property
    def _events(self) -> pl.DataFrame:
        """Through the disk cache like any frame: a server process reads the Parquet file the
        import's warm-up wrote (about 0.2 s at city scale) instead of the database (about 5 s).
        After a nightly import that listed the cases it changed, the previous run's file with
        those cases read again from the database (`_carried_events`)."""
        from egenkontroll.cases.store import load_events

        def make() -> pl.DataFrame:
            carried = self._carried_events()
            return _in_order(load_events(self.alias) if carried is None else carried)

        return self.frame("events", (), make).rechunk()

    @cached_property
    def carry(self) -> Carry | None:
        return _carried_over(self.alias, self.version)

    def _carried_events(self) -> pl.DataFrame | None:
        """The previous run's events with the changed cases replaced by their stored events, or None."""
        from django.db import transaction

        from egenkontroll.cases.bulk import temp_keys
        from egenkontroll.cases.store import load_events

        carry = self.carry
        previous = self._carried_path(("events",))
        if carry is None or carry.cases is None or previous is None:
            return None
        try:
            kept = pl.read_parquet(previous)
        except (OSError, pl.exceptions.ComputeError):
            return None
        cases = pl.Series("case_id", carry.cases, dtype=pl.Utf8)
        with transaction.atomic(using=self.alias), temp_keys(self.alias, "egk_snapshot_cases", cases) as table:
            fresh = load_events(self.alias, cases_table=table)
        return pl.concat([kept.filter(~pl.col("case_id").is_in(cases.implode())), fresh])

    def _carried_path(self, key: tuple) -> Path | None:
        """The previous run's cache file of `key`, when this run changed nothing it depends on."""
        root, carry = cache_root(), self.carry
        if root is None or carry is None:
            return None
        if key[0] == "figures" and not key[3] < carry.changed_from:
            return None
        if key[0] not in ("figures", "events"):
            return None
        path = root / _version_dir(carry.previous) / f"{key[0]}-{_file_digest(carry.previous, key)}.parquet"
        return path if path.is_file() else None

    @property
    def events(self) -> pl.DataFrame:
        with self._events_lock:
            return self._events

    @cached_property
    def staffing(self) -> pl.DataFrame | None:
        """The optional posts per unit and period (issue 16); None when no import brought any."""
        from egenkontroll.cases.store import load_staffing

        return load_staffing(self.alias)

    def evaluation(self, as_of: dt.date) -> Evaluation:
        return self._evaluations.get(as_of, lambda: self._evaluate(as_of))

    def _evaluate(self, as_of: dt.date) -> Evaluation:
        """The obligations on as_of: this run's kept ones (`keep_evaluation`), else the previous
        run's kept ones carried forward (`obligations.carry_forward`: only the cases this import
        changed, and those with later events, evaluated again), else an earlier day's of this
        process carried forward, else a full evaluation.

        Why: one evaluation takes about a second at city scale and half a minute at national; the
        warm-up after a nightly import and every server process that lists obligations (Underlag,
        Flöde, Planering) need today's (issue 19). The links are made again from the events
        either way (a twentieth of an evaluation)."""
        kept = self._evaluation_path(self.version, as_of)
        obligations = None if kept is None else _read_kept(kept)
        if obligations is not None:
            return with_links(obligations, self.events, as_of)
        earlier = self._carried_evaluation(as_of)
        if earlier is not None:
            return carry_forward(earlier[1], earlier[0], self.events, self.carry.cases, as_of)
        before = self._evaluation_before(as_of)
        if before is not None:
            return carry_forward(before.obligations, before.as_of, self.events, [], as_of)
        return evaluate(self.events, as_of)

    def _evaluation_before(self, as_of: dt.date) -> Evaluation | None:
        """The latest evaluation of an earlier day this process keeps (same events: no case changed).

        Why: the warm-up evaluates the last day of each month of a two-year trend in order, and
        a case with no event since the previous month's end is carried over: at city scale the
        24 months took 12.8 s instead of 17.5 s (bench/carry_months.py, issue 19)."""
        with self._evaluations.lock:
            earlier = [e for e in self._evaluations.items.values() if e.as_of < as_of]
        return max(earlier, key=lambda e: e.as_of, default=None)

    def keep_evaluation(self, as_of: dt.date) -> None:
        """Keep the evaluation on as_of on disk for this run's server processes and the next import's warm-up."""
        path = self._evaluation_path(self.version, as_of)
        if path is None or path.is_file():
            return
        _private_folder(cache_root(), path.parent)
        partial = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        self.evaluation(as_of).obligations.write_parquet(partial)
        partial.replace(path)

    def _evaluation_path(self, version: tuple, as_of: dt.date) -> Path | None:
        root = cache_root()
        if root is None:
            return None
        # the day in the name: the next run looks for the latest day on or before its own
        digest = _file_digest(version, ("evaluation", *OBLIGATIONS))[:16]
        return root / _version_dir(version) / f"evaluation-{digest}-{as_of:%Y%m%d}.parquet"

    def _carried_evaluation(self, as_of: dt.date) -> tuple[dt.date, pl.DataFrame] | None:
        """(its as_of, obligations) of the latest evaluation the previous run kept on or before as_of,
        when this run lists the cases it changed; else None."""
        carry = self.carry
        if carry is None or carry.cases is None:
            return None
        sample = self._evaluation_path(carry.previous, as_of)
        prefix = sample.name.rsplit("-", 1)[0]
        days = sorted(
            (dt.datetime.strptime(path.stem.rsplit("-", 1)[1], "%Y%m%d").date(), path)
            for path in sample.parent.glob(f"{prefix}-*.parquet")
        )
        for day, path in reversed(days):
            if day <= as_of:
                obligations = _read_kept(path)
                return None if obligations is None else (day, obligations)
        return None

    def marks_version(self) -> int:
        """The version of staff's marks (one cheap query): part of the key of every marked frame.

        Asked before a cached frame is looked up, so a frame on disk is found without evaluating
        the obligations it was made from (seconds at city scale, per as_of day)."""
        from egenkontroll.cases.marks import marks_version

        return marks_version(self.alias)

    def marked_obligations(self, as_of: dt.date, version: int | None = None) -> tuple[pl.DataFrame, int]:
        """The obligations on as_of with staff's marks applied (core/marks.py), and the marks' version.

        Marks change between imports, so they are not part of the evaluation: the few active
        marks are read (once per version) and applied to the cached evaluation; every frame
        made from the result has the version in its key.
        """
        from egenkontroll.cases.marks import active_marks

        version = self.marks_version() if version is None else version
        obligations = self.evaluation(as_of).obligations
        if version == 0:
            return obligations, version
        found = self.frame("marks", (version,), lambda: active_marks(self.alias))
        return apply_marks(obligations, found), version

    def frame(self, name: str, key: tuple, make: Callable[[], pl.DataFrame]) -> pl.DataFrame:
        """A computed frame, from memory, else from the disk cache, else made (and kept in both).

        Inside `only_kept()` a frame that would have to be made raises NotKept instead.
        """
        full = (name, *key)
        if getattr(_probing, "on", False):
            try:
                return self._frames.get(full, lambda: self._from_disk(full, _refused), wait=False)
            except NotKept:
                return self._on_disk(full)  # another thread may only be reading the kept file
        return self._frames.get(full, lambda: self._from_disk(full, make))

    def drop_frames(self) -> None:
        """Forget the frames kept in memory; the disk cache keeps them (the events stay: `events`).

        Why: the warm-up computes about sixty frames in one process, Underlag's items among them, and
        held each until the end — 13 GB at national scale, where the import itself peaks at 3 GB.
        """
        self._frames.clear()

    def _on_disk(self, key: tuple) -> pl.DataFrame:
        """The kept file of `key` read without its lock (`_read_kept`), else NotKept."""
        path = self._disk_path(key)
        found = None if path is None else _read_kept(path)
        if found is None:
            raise NotKept
        return found

    def kept(self, key: tuple, make: Callable[[], object]) -> object:
        """Any computed value of this import, kept in this process's memory only (not on disk):
        for results that are not frames, e.g. a planning scenario's simulations. Inside
        `only_kept()` one not in memory raises NotKept, as a frame does."""
        if getattr(_probing, "on", False):
            return self._frames.get(("kept", *key), _refused, wait=False)
        return self._frames.get(("kept", *key), make)

    def _disk_path(self, key: tuple) -> Path | None:
        root = cache_root()
        if root is None:
            return None
        return root / _version_dir(self.version) / f"{key[0]}-{_file_digest(self.version, key)}.parquet"

    def _from_disk(self, key: tuple, make: Callable[[], pl.DataFrame]) -> pl.DataFrame:
        root = cache_root()
        if root is None:
            return make()
        path = self._disk_path(key)
        found = _read_kept(path)
        if found is not None:
            return found
        _private_folder(root, path.parent)
        carried = self._carried_path(key) if key[0] == "figures" else None
        if carried is not None:
            try:
                os.link(carried, path)
                return pl.read_parquet(path)
            except (OSError, pl.exceptions.ComputeError):
                path.unlink(missing_ok=True)
        if make is _refused:
            return make()  # only probing what is kept: never wait for another process
        with _made_once(path):
            found = _read_kept(path)  # made by another process while this one waited
            if found is not None:
                return found
            value = make()
            partial = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            value.write_parquet(partial)
            partial.replace(path)
        return value

    def figures(
        self,
        period_from: dt.date,
        period_to: dt.date,
        as_of: dt.date,
        breakdown: str | None = None,
    ) -> pl.DataFrame:
        """`core.kpis.compute` for the whole tree (every unit and caseworker, every figure).

        Only the marks' version is read up front (it is part of the key): a kept frame costs
        no evaluation of the obligations.
        """
        key, make = self._figures_key(period_from, period_to, as_of, breakdown)
        return self.frame("figures", key, make)

    def _figures_key(self, period_from, period_to, as_of, breakdown) -> tuple[tuple, Callable[[], pl.DataFrame]]:
        marks = self.marks_version()

        def make():
            return kpis.compute(
                self.events, pl.DataFrame(), self.org_units, self.caseworkers, period_from, period_to, as_of,
                breakdown=breakdown, catalogue=self.catalogue,
                sources=self.sources(period_from, period_to, as_of, marks),
            )

        return (period_from, period_to, as_of, breakdown, marks), make

    def figure_rows(
        self,
        period_from: dt.date,
        period_to: dt.date,
        as_of: dt.date,
        rows: Rows,
        breakdown: str | None = None,
    ) -> pl.DataFrame:
        """The rows of `figures()` that `rows` selects (`selected`).

        Why: a page shows one node and its children, but the whole table holds every unit and
        caseworker (92 % of its rows are caseworkers'): 41 MiB in memory at city scale and 492 MiB
        at national, where a figure page reads 28 of them (its period, 24 trend months, three
        breakdowns) and two workers saturated on reading them (page p95 14.9 s; issue 19).
        Units are selected from every unit's rows, kept once per table (a tenth of it, 53 MiB at
        national scale with a breakdown): a page of another unit then reads nothing from disk.
        """
        if rows.node_type == "unit" and rows != UNIT_ROWS:
            return self.figure_rows(period_from, period_to, as_of, UNIT_ROWS, breakdown).filter(rows.expr())
        key, make = self._figures_key(period_from, period_to, as_of, breakdown)
        return self.selected("figures", key, make, rows, rows.expr())

    def selected(self, name: str, key: tuple, make: Callable[[], pl.DataFrame], selection, where: pl.Expr) -> pl.DataFrame:
        """The rows `where` of the frame `frame(name, key, make)`, without holding that frame whole.

        A kept file is scanned with `where` pushed down (at national scale a twentieth of reading
        it whole); the rows are kept in memory under `selection` (a hashable value naming
        `where`), the whole frame only in the process that made it."""
        full = (name, *key)
        probing = getattr(_probing, "on", False)
        try:
            return self._frames.get(("selected", *full, selection), lambda: self._select(full, make, where), wait=not probing)
        except NotKept:
            return self._scan_kept(full, where)  # another thread selects the same rows: read them too

    def _select(self, full: tuple, make: Callable[[], pl.DataFrame], where: pl.Expr) -> pl.DataFrame:
        """The rows from the whole frame in memory, else from its kept file, else from it made now."""
        whole = self._frames.peek(full)
        if whole is None:
            try:
                return self._scan_kept(full, where)
            except NotKept:
                whole = self.frame(full[0], full[1:], make)
        return whole.filter(where)

    def _scan_kept(self, full: tuple, where: pl.Expr) -> pl.DataFrame:
        """The rows `where` of the kept file of `full`, else NotKept (also for a file gone or damaged midway)."""
        path = self._disk_path(full)
        if path is None or not path.is_file():
            raise NotKept
        try:
            return pl.scan_parquet(path).filter(where).collect()
        except (OSError, pl.exceptions.ComputeError) as error:
            raise NotKept from error

    def sources(self, period_from: dt.date, period_to: dt.date, as_of: dt.date, marks: int) -> kpis.Sources:
        """The item sources of a period (`kpis.sources`), from the obligations with marks version `marks`,
        kept for the next figures and items of the same period (SOURCES_KEPT)."""

        def make() -> kpis.Sources:
            obligations, _ = self.marked_obligations(as_of, marks)
            return kpis.sources(
                self.events, obligations, self.org_units, self.caseworkers, period_from, period_to, as_of,
                links=self.evaluation(as_of).links, staffing=self.staffing, population=self.population,
                day=self.day(as_of),
            )

        return self._sources.get((period_from, period_to, as_of, marks), make)

    def day(self, as_of: dt.date) -> kpis.Day:
        """What every period ending on as_of shares (`kpis.Day`), kept like the period's sources
        (EGK_WEB_SOURCES_KEPT): with two kept, the national warm-up peaked 0.9 GB higher."""
        return self._days.get(as_of, lambda: kpis.Day(self.events, self.caseworkers, as_of,
                                                       links=self.evaluation(as_of).links))

    # ------------------------------------------------------------------ the tree

    def ancestors(self, unit_id: str) -> list[str]:
        """Root first, the unit itself last."""
        chain = []
        current = unit_id
        while current is not None and current not in chain:
            chain.append(current)
            current = self.parents.get(current)
        return chain[::-1]

    def subtree_ids(self, unit_id: str) -> list[str]:
        return orgtree.subtree(self.flat, unit_id)["unit_id"].to_list()

    def roots(self) -> list[str]:
        return orgtree.roots(self.flat)


@dataclass(frozen=True)
class Rows:
    """Which rows of a figures table a page reads (`Snapshot.figure_rows`); None selects any.

    A value, not an expression, so that the selection is part of the key its rows are kept under."""

    node_type: str | None = None
    node_ids: tuple[str, ...] | None = None
    parent_id: str | None = None
    kpi: str | None = None

    def expr(self) -> pl.Expr:
        return _rows_expr(self)


@functools.lru_cache(maxsize=1024)
def _rows_expr(rows: Rows) -> pl.Expr:
    """The filter of `rows`, built once per selection: a trend asks for the same one every month,
    and building the expression cost more than filtering a unit's rows with it."""
    conditions = [pl.lit(True)]
    if rows.node_type is not None:
        conditions.append(pl.col("node_type") == rows.node_type)
    if rows.node_ids is not None:
        conditions.append(pl.col("node_id").is_in(pl.Series(rows.node_ids, dtype=pl.Utf8).implode()))
    if rows.parent_id is not None:
        conditions.append(pl.col("parent_id") == rows.parent_id)
    if rows.kpi is not None:
        conditions.append(pl.col("kpi") == rows.kpi)
    return pl.all_horizontal(conditions)


UNIT_ROWS = Rows("unit")  # every unit's rows: what the pages of units select from


def _frame_bytes(value: object) -> int:
    return value.estimated_size() if isinstance(value, pl.DataFrame) else 0


def _read_kept(path: Path) -> pl.DataFrame | None:
    """The cache file at `path`, or None when there is none; an unreadable one is removed (it is
    made again). Files are only ever replaced whole, so no lock is needed to read one."""
    if not path.is_file():
        return None
    try:
        return pl.read_parquet(path)
    except (OSError, pl.exceptions.ComputeError):
        path.unlink(missing_ok=True)
        return None


@contextmanager
def _made_once(path: Path):
    """Held while this process makes the cache file `path`; another process about to make the same
    file waits, then reads it.

    Why: gunicorn's workers (and the import's warm-up) share the disk cache but not their memory.
    A new period's waiting page asks again every two seconds, each time of any worker, and each
    worker asked started the same computation: up to four times the CPU for one period on a
    machine that has two cores (issue 19). flock locks belong to the open file, so two threads of
    one process exclude each other here too; what a frame is made from (the events, the marks) are
    other files, always taken after it, so no two makers wait on each other.
    """
    with open(path.with_suffix(".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _file_digest(version: tuple, key: tuple) -> str:
    return hashlib.sha256(repr((version, key)).encode()).hexdigest()[:32]


def _in_order(events: pl.DataFrame) -> pl.DataFrame:
    """Events in one order whichever way they were read (the database's collation may differ)."""
    return events.sort("case_id", "date", "event_id")


@dataclass(frozen=True)
class Carry:
    """What a new import run may take over from the previous run's disk cache (issue 19).

    `previous` is that run's version; figures on an as_of before `changed_from` are unchanged;
    the events differ only in `cases` (None: unknown, read them all).
    """

    previous: tuple
    changed_from: dt.date
    cases: list[str] | None


def _carried_over(alias: str, version: tuple) -> Carry | None:
    """The Carry from the run before `version`'s, when its cache is on disk and the run says what it changed."""
    from egenkontroll.cases.models import ImportRun

    root, run_id = cache_root(), version[4]
    if root is None or run_id is None:
        return None
    runs = list(
        ImportRun.objects.using(alias).exclude(status="failed").filter(id__lte=run_id).order_by("-id")
        .values_list("id", "started_at", "changed_from", "changed_cases")[:2]
    )
    if len(runs) < 2 or runs[0][0] != run_id or runs[0][2] is None:
        return None
    previous = (*version[:4], runs[1][0], runs[1][1], *version[6:])
    if not (root / _version_dir(previous)).is_dir():
        return None
    return Carry(previous, runs[0][2], runs[0][3])


def _private_folder(root: Path, folder: Path) -> None:
    """Create `folder` under `root` with every level below `root` open to this account only:
    the cached tables hold pseudonymised person-level data, as the database does. (`root`
    itself is the operator's choice and is left as it is.)"""
    folder.mkdir(parents=True, exist_ok=True)
    level = folder
    while level != root and root in level.parents:
        if level.stat().st_mode & 0o077:
            level.chmod(0o700)
        level = level.parent


def _version_dir(version: tuple) -> Path:
    """database/import: one folder per database, in it one per import run (see prune_disk_cache)."""
    database, run = version[:4], version
    return Path(_digest(database)) / _digest(run)


def _digest(value: tuple) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()[:16]


def prune_disk_cache(version: tuple) -> int:
    """Delete the disk cache of this database's earlier import runs; returns how many were deleted.

    Why: every import run starts a fresh cache folder, so a nightly import would otherwise add
    one a night for ever. Only folders of the same database are touched (several databases may
    share EGK_WEB_CACHE_DIR). A server still answering from an earlier run just recomputes:
    a cache file that vanishes while being read is treated as missing.
    """
    root = cache_root()
    if root is None:
        return 0
    current = root / _version_dir(version)
    removed = 0
    for folder in current.parent.glob("*"):
        if folder.is_dir() and folder != current:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


_LOAD_LOCK = threading.Lock()
_current: Snapshot | None = None


def data_version(alias: str = "default") -> tuple:
    """Which database and import the stored data comes from (one query): the cache's key."""
    from django.db import connections
    from django.db.models import Subquery

    from egenkontroll.cases.models import ImportRun
    from egenkontroll.retention.models import RetentionRun

    # A gallring removes cases without an import: no frame made before it may be shown or carried
    # on, so the latest one is part of the key (in the same query).
    gallring = Subquery(RetentionRun.objects.using(alias).order_by("-id").values("id")[:1])
    latest = (
        ImportRun.objects.using(alias).exclude(status="failed").order_by("-id").annotate(gallring=gallring)
        .values_list("id", "started_at", "gallring").first()
    )
    settings = connections[alias].settings_dict
    where = (settings.get("ENGINE"), str(settings.get("NAME")), settings.get("HOST"), settings.get("PORT"))
    run_id, started_at, gallring_id = latest or (None, None, None)
    return (*where, run_id, started_at, kpi_catalogue.targets_file(), gallring_id, _definitions())


def _definitions() -> str:
    """A digest of what the figures are computed by besides the data: the catalogue, the targets
    file, the price list and the rules (a municipality's own EGK_RULES_FILE may change). A new
    price list, rule or catalogue is a new cache key, so no figure computed under the old ones
    is served (they are read on every request: files, not SQL).
    The figures' columns are in it too: a frame kept by an older version never meets newer code."""
    from egenkontroll.core import costs

    digest = hashlib.sha256(repr(kpis.FIGURE_COLUMNS).encode())
    for path in (kpi_catalogue.CATALOGUE_PATH, kpi_catalogue.targets_file(), costs.prices_path(), rules_file()):
        if path:
            try:
                stat = Path(path).stat()
            except OSError:
                continue
            digest.update(_file_digest_cached(str(path), stat.st_mtime_ns, stat.st_size).encode())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=16)
def _file_digest_cached(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def current(alias: str = "default") -> Snapshot:
    """The snapshot of the stored data, replaced when a new import run has finished."""
    global _current
    version = data_version(alias)
    with _LOAD_LOCK:
        if _current is None or _current.version != version:
            from egenkontroll.cases.store import load_caseworkers, load_org_units, load_population

            _current = Snapshot(
                alias, version, load_org_units(alias), load_caseworkers(alias), load_population(alias)
            )
        return _current


def forget() -> None:
    """Drop the snapshot held in memory (tests; the disk cache is keyed by import and stays valid)."""
    global _current
    with _LOAD_LOCK:
        _current = None
