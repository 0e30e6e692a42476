"""The rules of the deviation register (avvikelser, lex Sarah) as data: load, validate, apply.

Why it exists: which categories exist, which status may follow which, and how many days an
investigation may take are the municipality's choices (SOSFS 2011:5 says only "utan dröjsmål"),
so they live in deviation_rules.yaml — or the file named by EGK_DEVIATION_RULES_FILE — and are
checked here with an error that names the file and the entry. The due dates of the time limits
are computed here too, with the Swedish working days of `core.calendar`. A time limit runs from
the report, or — for the anmälan to IVO, due "snarast" (SoL 2025:400 27 kap. 6 §) — from the day
the case was judged allvarligt (or a påtaglig risk för ett allvarligt missförhållande). The
`lagrum` of the file are references with validity windows (`core.references`), each verified
or plainly "ej verifierad". Pure Python; no Django.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from egenkontroll.core import calendar
from egenkontroll.core.datafiles import configured_path, load_data_file
from egenkontroll.core.references import Reference, parse_references, reference_on

DEFAULT_FILE = Path(__file__).with_name("deviation_rules.yaml")
RULES_ENV = "EGK_DEVIATION_RULES_FILE"
FROM_REPORT = "rapport"  # counted from the day of the report
FROM_SERIOUS = "bedomning_allvarlig"  # counted from the day the case was judged allvarligt
COUNTED_FROM = (FROM_REPORT, FROM_SERIOUS)
UNTIL_IVO = "ivo_anmalan"  # met on the day of the anmälan to IVO


class DeviationRulesError(ValueError):
    """The rules file cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Category:
    id: str
    title: str
    description: str
    ivo: bool


@dataclass(frozen=True)
class Status:
    id: str
    title: str
    next: tuple[str, ...]
    closed: bool


@dataclass(frozen=True)
class TimeLimit:
    id: str
    title: str
    categories: tuple[str, ...]
    until_status: str  # "" when the limit is met by the anmälan to IVO instead
    days: int
    working_days: bool
    basis: str
    counted_from: str = FROM_REPORT
    until: str = ""  # UNTIL_IVO, or "" for until_status

    def due(self, start: dt.date) -> dt.date:
        """The last day to meet the limit, counted from `start` (the report, or the judgement)."""
        if self.working_days:
            day = calendar.add_working_days([start], self.days)[0]
        else:
            day = calendar.add_days([start], self.days)[0]
        return day.astype(dt.date)

    @property
    def length_text(self) -> str:
        return f"{self.days} {'arbetsdagar' if self.working_days else 'dagar'}"


@dataclass(frozen=True)
class LimitState:
    """One time limit of one deviation: its due date, the day it was met (if), and whether it broke."""

    limit: TimeLimit
    due: dt.date
    met_on: dt.date | None
    overdue: bool  # not met and the due date has passed
    late: bool  # met, but after the due date


@dataclass(frozen=True)
class Provision:
    """A provision the register follows (e.g. the anmälan to IVO), with its references by date."""

    id: str
    title: str
    references: tuple[Reference, ...]

    def on(self, day: dt.date) -> Reference | None:
        return reference_on(self.references, day)


@dataclass(frozen=True)
class DeviationRules:
    categories: dict[str, Category]
    statuses: dict[str, Status]
    severities: dict[str, str]
    time_limits: tuple[TimeLimit, ...]
    provisions: tuple[Provision, ...] = ()

    @property
    def initial_status(self) -> str:
        return next(iter(self.statuses))

    def rank(self, status: str) -> int:
        return list(self.statuses).index(status)

    def may_change(self, old: str, new: str) -> bool:
        return old in self.statuses and new in self.statuses[old].next

    def is_closed(self, status: str) -> bool:
        return status in self.statuses and self.statuses[status].closed

    def limits_for(self, category: str) -> list[TimeLimit]:
        return [t for t in self.time_limits if category in t.categories]

    def limit_states(self, category: str, reported_on: dt.date, reached: dict[str, dt.date],
                     today: dt.date, serious_judged_on: dt.date | None = None,
                     ivo_reported_on: dt.date | None = None) -> list[LimitState]:
        """Each time limit of the category; `reached`: status → the first day the deviation had it.

        A limit counted from the judgement exists only once the case is judged allvarligt
        (`serious_judged_on`); it is met by the anmälan to IVO (`ivo_reported_on`).
        """
        out = []
        for limit in self.limits_for(category):
            if limit.counted_from == FROM_SERIOUS:
                if serious_judged_on is None:
                    continue
                start = serious_judged_on
            else:
                start = reported_on
            if limit.until == UNTIL_IVO:
                met_on = ivo_reported_on
            else:
                floor = self.rank(limit.until_status)
                met = [day for status, day in reached.items()
                       if status in self.statuses and self.rank(status) >= floor]
                met_on = min(met) if met else None
            due = limit.due(start)
            out.append(LimitState(limit, due, met_on, overdue=met_on is None and today > due,
                                  late=met_on is not None and met_on > due))
        return out

    def provision_on(self, provision_id: str, day: dt.date) -> Reference | None:
        """The reference of a provision in force on `day` (None: no such provision or window)."""
        found = next((p for p in self.provisions if p.id == provision_id), None)
        return found.on(day) if found else None


def load_rules(path: str | Path | None = None) -> DeviationRules:
    """The rules from `path`, else EGK_DEVIATION_RULES_FILE, else the shipped file (parsed once per version)."""
    return load_data_file(configured_path(path, RULES_ENV, DEFAULT_FILE), _parse_file, DeviationRulesError,
                          "reglerna för avvikelser")


def _parse_file(path: Path, data) -> DeviationRules:
    return parse_rules(data, str(path))


def parse_rules(data, source: str) -> DeviationRules:
    """Validate the parsed YAML; every error names `source` and the entry."""
    if not isinstance(data, dict):
        raise DeviationRulesError(f"{source}: filen ska vara en mappning med categories, statuses, severities, time_limits")
    unknown = set(data) - {"categories", "statuses", "severities", "time_limits", "lagrum"}
    if unknown:
        raise DeviationRulesError(f"{source}: okända fält: {', '.join(sorted(unknown))}")
    categories = {c.id: c for c in _entries(source, data, "categories", "kategorin", _category)}
    statuses = {s.id: s for s in _entries(source, data, "statuses", "statusen", _status)}
    severities = dict(_entries(source, data, "severities", "allvarlighetsgraden", _severity))
    for status in statuses.values():
        for target in status.next:
            if target not in statuses:
                raise DeviationRulesError(f"{source}: statusen {status.id}: okänd status i next: {target!r}")
    if not any(s.closed for s in statuses.values()):
        raise DeviationRulesError(f"{source}: statuses: ingen status har closed: true")
    limits = tuple(_entries(source, data, "time_limits", "tidsgränsen", _time_limit, required=False))
    for limit in limits:
        where = f"{source}: tidsgränsen {limit.id}"
        for category in limit.categories:
            if category not in categories:
                raise DeviationRulesError(f"{where}: okänd kategori {category!r}")
        if limit.until != UNTIL_IVO and limit.until_status not in statuses:
            raise DeviationRulesError(f"{where}: okänd status i until_status: {limit.until_status!r}")
        if (limit.counted_from == FROM_SERIOUS or limit.until == UNTIL_IVO) and not all(
                categories[c].ivo for c in limit.categories):
            raise DeviationRulesError(f"{where}: en tidsgräns för anmälan till IVO gäller bara kategorier med ivo: true")
    provisions = tuple(_entries(source, data, "lagrum", "lagrummet", _provision, required=False))
    return DeviationRules(categories, statuses, severities, limits, provisions)


def _entries(source: str, data: dict, key: str, noun: str, parse, required: bool = True) -> list:
    raw = data.get(key)
    if raw is None and not required:
        return []
    if not isinstance(raw, list) or not raw:
        raise DeviationRulesError(f"{source}: '{key}' ska vara en icke-tom lista")
    out, seen = [], set()
    for item in raw:
        if not isinstance(item, dict):
            raise DeviationRulesError(f"{source}: {key}: varje post ska vara en mappning med id och title")
        entry_id = _text(f"{source}: en post i {key}", item, "id")
        where = f"{source}: {noun} {entry_id}"
        if entry_id in seen:
            raise DeviationRulesError(f"{where}: id förekommer flera gånger")
        seen.add(entry_id)
        out.append(parse(where, item))
    return out


def _known(where: str, raw: dict, allowed: set[str]) -> None:
    unknown = set(raw) - allowed
    if unknown:
        raise DeviationRulesError(f"{where}: okända fält: {', '.join(sorted(unknown))}")


def _text(where: str, raw: dict, key: str, required: bool = True) -> str:
    value = raw.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise DeviationRulesError(f"{where}: '{key}' saknas eller är tomt")
    return " ".join(value.split())


def _flag(where: str, raw: dict, key: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise DeviationRulesError(f"{where}: '{key}' ska vara true eller false")
    return value


def _id_list(where: str, raw: dict, key: str, allow_empty: bool) -> tuple[str, ...]:
    value = raw.get(key)
    if not isinstance(value, list) or (not value and not allow_empty) or not all(isinstance(v, str) for v in value):
        raise DeviationRulesError(f"{where}: '{key}' ska vara en lista med id")
    return tuple(value)


def _category(where: str, raw: dict) -> Category:
    _known(where, raw, {"id", "title", "description", "ivo"})
    return Category(raw["id"], _text(where, raw, "title"), _text(where, raw, "description", False),
                    _flag(where, raw, "ivo"))


def _status(where: str, raw: dict) -> Status:
    _known(where, raw, {"id", "title", "next", "closed"})
    return Status(raw["id"], _text(where, raw, "title"), _id_list(where, raw, "next", allow_empty=True),
                  _flag(where, raw, "closed"))


def _severity(where: str, raw: dict) -> tuple[str, str]:
    _known(where, raw, {"id", "title"})
    return raw["id"], _text(where, raw, "title")


def _time_limit(where: str, raw: dict) -> TimeLimit:
    _known(where, raw, {"id", "title", "categories", "until_status", "until", "counted_from", "days",
                        "working_days", "basis"})
    days = raw.get("days")
    if not isinstance(days, int) or isinstance(days, bool) or not 0 < days <= 366:
        raise DeviationRulesError(f"{where}: 'days' ska vara ett heltal 1–366, inte {days!r}")
    counted_from = raw.get("counted_from", FROM_REPORT)
    if counted_from not in COUNTED_FROM:
        raise DeviationRulesError(f"{where}: 'counted_from' ska vara en av {', '.join(COUNTED_FROM)}, inte {counted_from!r}")
    until = raw.get("until", "")
    if until not in ("", UNTIL_IVO):
        raise DeviationRulesError(f"{where}: 'until' kan bara vara {UNTIL_IVO}, inte {until!r}")
    if bool(until) == ("until_status" in raw):
        raise DeviationRulesError(f"{where}: ange antingen 'until_status' eller 'until: {UNTIL_IVO}'")
    return TimeLimit(
        id=raw["id"], title=_text(where, raw, "title"), categories=_id_list(where, raw, "categories", allow_empty=False),
        until_status="" if until else _text(where, raw, "until_status"), days=days,
        working_days=_flag(where, raw, "working_days"), basis=_text(where, raw, "basis"),
        counted_from=counted_from, until=until,
    )


def _provision(where: str, raw: dict) -> Provision:
    _known(where, raw, {"id", "title", "references"})

    def fail(msg: str) -> DeviationRulesError:
        return DeviationRulesError(f"{where}: {msg}")

    return Provision(raw["id"], _text(where, raw, "title"), parse_references(raw.get("references"), fail))
