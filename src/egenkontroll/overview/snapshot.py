"""The stored case data as polars frames, loaded once per import, with key figures cached.

Why it exists: the key figures must be exactly those of `egenkontroll kpi` (the same
`core.kpis` engine, kpis.md), for any period and any as_of day. The engine is vectorised over
whole tables, so the pages hand it whole tables: events, org units and caseworkers are read
from the database once per import run (one SELECT each), obligations are evaluated per as_of
day by `core.obligations.evaluate`, and each computed figure table is kept for the next request.
A new import run (a nightly import) is noticed with one cheap query and replaces it all.

Thread-safe: gunicorn may run several threads per worker; one lock guards loading and the
caches, so two requests never compute the same thing twice at once.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import polars as pl

from egenkontroll.core import kpis, orgtree
from egenkontroll.core.obligations import Evaluation, evaluate
from egenkontroll.web.env import envint, envstr

# How many evaluations (one per as_of day) and figure tables a worker keeps.
EVALUATIONS_KEPT = envint("EGK_WEB_EVALUATIONS_KEPT", 4)
FIGURES_KEPT = envint("EGK_WEB_FIGURES_KEPT", 64)


class _Lru(OrderedDict):
    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def get_or_make(self, key, make):
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = self[key] = make()
        while len(self) > self.size:
            self.popitem(last=False)
        return value


@dataclass
class Snapshot:
    """One import's data as frames; `figures` and `evaluation` compute on demand and remember."""

    version: tuple
    events: pl.DataFrame
    org_units: pl.DataFrame
    caseworkers: pl.DataFrame
    catalogue: dict
    _evaluations: _Lru = field(default_factory=lambda: _Lru(EVALUATIONS_KEPT))
    _figures: _Lru = field(default_factory=lambda: _Lru(FIGURES_KEPT))

    def __post_init__(self):
        self.flat = orgtree.flatten(self.org_units)
        self.unit_names = dict(zip(self.flat["unit_id"], self.flat["name"], strict=True))
        self.unit_levels = dict(zip(self.flat["unit_id"], self.flat["level"], strict=True))
        self.parents = dict(zip(self.flat["unit_id"], self.flat["parent_id"], strict=True))
        self.caseworker_names = dict(
            zip(self.caseworkers["caseworker_id"], self.caseworkers["name"], strict=True)
        )
        self.first_day = self.events["date"].min() if self.events.height else None
        self.last_day = self.events["date"].max() if self.events.height else None

    def evaluation(self, as_of: dt.date) -> Evaluation:
        with _LOCK:
            return self._evaluations.get_or_make(as_of, lambda: evaluate(self.events, as_of))

    def figures(
        self,
        period_from: dt.date,
        period_to: dt.date,
        as_of: dt.date,
        breakdown: str | None = None,
        kpi_ids: tuple[str, ...] | None = None,
    ) -> pl.DataFrame:
        """`core.kpis.compute` for the whole tree (every unit and caseworker), cached."""
        key = (period_from, period_to, as_of, breakdown, kpi_ids)

        def make():
            ev = self.evaluation(as_of)
            return kpis.compute(
                self.events, ev.obligations, self.org_units, self.caseworkers, period_from, period_to, as_of,
                kpi_ids=list(kpi_ids) if kpi_ids else None, breakdown=breakdown, catalogue=self.catalogue,
                links=ev.links,
            )

        with _LOCK:
            return self._figures.get_or_make(key, make)

    # ------------------------------------------------------------------ the tree

    def ancestors(self, unit_id: str) -> list[str]:
        """Root first, the unit itself last."""
        chain = []
        current = unit_id
        while current is not None and current not in chain:
            chain.append(current)
            current = self.parents.get(current)
        return chain[::-1]

    def children(self, unit_id: str) -> list[str]:
        kids = self.flat.filter(pl.col("parent_id") == unit_id).sort("name", "unit_id")
        return kids["unit_id"].to_list()

    def subtree_ids(self, unit_id: str) -> list[str]:
        return orgtree.subtree(self.flat, unit_id)["unit_id"].to_list()

    def roots(self) -> list[str]:
        return orgtree.roots(self.flat)


_LOCK = threading.RLock()
_current: Snapshot | None = None


def targets_source():
    """A municipality's own targets (EGK_KPI_TARGETS_FILE, YAML `targets: {id: value}`), or none."""
    return envstr("EGK_KPI_TARGETS_FILE") or None


def data_version(alias: str = "default") -> tuple:
    """Which import the stored data comes from: the latest finished import run (one query)."""
    from egenkontroll.cases.models import ImportRun

    latest = (
        ImportRun.objects.using(alias).exclude(status="failed").order_by("-id").values_list("id", "started_at").first()
    )
    return (alias, *latest) if latest else (alias, None, None)


def current(alias: str = "default") -> Snapshot:
    """The snapshot of the stored data, reloaded when a new import run has finished."""
    global _current
    version = data_version(alias)
    with _LOCK:
        if _current is None or _current.version != version:
            _current = load(alias, version)
        return _current


def load(alias: str, version: tuple) -> Snapshot:
    from egenkontroll.cases.store import load_caseworkers, load_events, load_org_units

    return Snapshot(
        version=version,
        events=load_events(alias).rechunk(),
        org_units=load_org_units(alias),
        caseworkers=load_caseworkers(alias),
        catalogue=kpis.load_catalogue(targets=targets_source()),
    )


def forget() -> None:
    """Drop the cached snapshot (tests, and after an import in the same process)."""
    global _current
    with _LOCK:
        _current = None
