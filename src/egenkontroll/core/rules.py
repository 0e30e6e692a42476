"""Load and validate the rule catalogue (rules.yaml).

Why: the rules are law text kept as data. A municipality changes a local guideline by
editing a copy of the catalogue (EGK_RULES_FILE), so the file is checked field by field at
start-up and a mistake is reported with the rule id and the field, never half-applied.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from egenkontroll.core.datafiles import configured_path, load_data_file
from egenkontroll.core.references import Reference, parse_references, reference_on
from egenkontroll.core.schema import EVENT_TYPES, INTERVENTIONS, LEGAL_BASES, PLACEMENTS, REPORT_KINDS

DEFAULT_FILE = Path(__file__).with_name("rules.yaml")
RULES_ENV = "EGK_RULES_FILE"  # a municipality's own catalogue replaces the shipped one
KINDS = ("lag", "riktlinje")
LINKS = ("decision", "case", "investigation", "placement", "chain")
STEP_UNITS = ("days", "months", "years", "working_days")


class RuleError(ValueError):
    """The catalogue is malformed; the message names the file, the rule and the field."""


@dataclass(frozen=True)
class Step:
    """A distance in time: `n` of `unit` (days, months, years or working_days)."""

    unit: str
    n: int


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    kind: str
    references: tuple[Reference, ...]  # by trigger date; windows without overlap or gap
    trigger_event: str | None  # None: the trigger is an opened investigation
    interventions: tuple[str, ...] | None
    legal_bases: tuple[str, ...] | None
    satisfied_event: str
    link: str
    first: Step
    then: Step | None = None  # chains only
    roll: bool = False  # move a non-working due date to the next working day (1930:173)
    extensions: bool = False
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    enabled: bool = True
    warning_days: int = 0
    kinds: tuple[str, ...] | None = None  # anmalan triggers: only these kinds (schema.REPORT_KINDS)
    unless_investigating: bool = False  # no obligation while an investigation of the case is open
    open_placement: tuple[str, ...] | None = None  # one obligation per open placement of these kinds
    void_on: str | None = None  # an event of this type in the same placement ends the obligation
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_chain(self) -> bool:
        return self.link == "chain"

    def reference_on(self, trigger_date: dt.date) -> Reference | None:
        """The paragraph in force on the trigger date (SoL 2001:453 before 2025-07-01, 2025:400 after)."""
        return reference_on(self.references, trigger_date)

    @property
    def reference(self) -> str:
        """Every window's reference in one line, for listings that show the whole row."""
        if len(self.references) == 1 and self.references[0].valid_from is None and self.references[0].valid_to is None:
            return self.references[0].shown
        return "; ".join(f"{r.window}: {r.shown}" for r in self.references)


@dataclass(frozen=True)
class Catalogue:
    rules: tuple[Rule, ...]
    source: Path

    def ids(self) -> list[str]:
        """Rule ids in catalogue order, each once."""
        return list(dict.fromkeys(r.id for r in self.rules))

    def select(self, ids: list[str] | None = None, include_disabled: bool = False) -> Catalogue:
        unknown = set(ids or ()) - set(self.ids())
        if unknown:
            raise RuleError(f"okända regler: {', '.join(sorted(unknown))} (finns: {', '.join(self.ids())})")
        chosen = tuple(
            r for r in self.rules if (ids is None or r.id in ids) and (r.enabled or include_disabled)
        )
        return Catalogue(chosen, self.source)

    def warning_days(self) -> dict[str, int]:
        return {r.id: r.warning_days for r in self.rules}

    def row_on(self, rule_id: str, trigger_date: dt.date) -> Rule | None:
        """The row of `rule_id` that applies to a trigger on `trigger_date` (None: no row does)."""
        return next((r for r in self.rules if r.id == rule_id
                     and (r.valid_from is None or trigger_date >= r.valid_from)
                     and (r.valid_to is None or trigger_date <= r.valid_to)), None)

    def reference_for(self, rule_id: str, trigger_date: dt.date) -> Reference | None:
        """The reference an obligation of `rule_id` triggered on `trigger_date` reports."""
        row = self.row_on(rule_id, trigger_date)
        return row.reference_on(trigger_date) if row else None

    def unverified(self) -> list[tuple[Rule, Reference]]:
        """Every (row, reference) whose paragraph was not verified in the law text as published."""
        return [(r, ref) for r in self.rules for ref in r.references if not ref.verified]


def _fail(path: Path, rule_id: str, msg: str) -> RuleError:
    return RuleError(f"{path}: regel {rule_id!r}: {msg}")


def _step(path: Path, rid: str, spec: dict, where: str) -> Step:
    units = [u for u in STEP_UNITS if u in spec]
    if len(units) != 1:
        raise _fail(path, rid, f"{where} ska ange exakt en av {', '.join(STEP_UNITS)}")
    n = spec[units[0]]
    if not isinstance(n, int) or n < 0:
        raise _fail(path, rid, f"{where}.{units[0]} ska vara ett heltal ≥ 0, inte {n!r}")
    return Step(units[0], n)


def _date(path: Path, rid: str, value, name: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise _fail(path, rid, f"{name} ska vara ett datum ÅÅÅÅ-MM-DD, inte {value!r}") from None


def _choices(path: Path, rid: str, values, allowed, name: str) -> tuple[str, ...] | None:
    if values is None:
        return None
    values = tuple(values)
    bad = [v for v in values if v not in allowed]
    if bad:
        raise _fail(path, rid, f"okänt värde i {name}: {', '.join(map(str, bad))}")
    return values


def _parse_rule(path: Path, raw: dict) -> Rule:
    rid = raw.get("id")
    if not rid:
        raise RuleError(f"{path}: en regel saknar id")
    for key in ("title", "kind", "trigger", "satisfied_by", "due"):
        if key not in raw:
            raise _fail(path, rid, f"fältet {key!r} saknas")
    if raw["kind"] not in KINDS:
        raise _fail(path, rid, f"kind ska vara lag eller riktlinje, inte {raw['kind']!r}")
    trigger, satisfied, due = raw["trigger"], raw["satisfied_by"], raw["due"]
    trigger_event = trigger.get("event_type")
    if trigger_event is None and trigger.get("investigation") != "opened":
        raise _fail(path, rid, "trigger ska ange event_type eller investigation: opened")
    if trigger_event is not None and trigger_event not in EVENT_TYPES:
        raise _fail(path, rid, f"okänd händelsetyp i trigger: {trigger_event!r}")
    if satisfied.get("event_type") not in EVENT_TYPES:
        raise _fail(path, rid, f"okänd händelsetyp i satisfied_by: {satisfied.get('event_type')!r}")
    if satisfied.get("link") not in LINKS:
        raise _fail(path, rid, f"satisfied_by.link ska vara en av {', '.join(LINKS)}")
    chain = satisfied["link"] == "chain"
    if chain:
        if "first" not in due or "then" not in due:
            raise _fail(path, rid, "en kedjeregel ska ange due.first och due.then")
        first, then = _step(path, rid, due["first"], "due.first"), _step(path, rid, due["then"], "due.then")
    else:
        first, then = _step(path, rid, due, "due"), None
    known_trigger = {"event_type", "investigation", "intervention", "legal_basis", "kind",
                     "unless_investigating", "open_placement"}
    if set(trigger) - known_trigger:
        raise _fail(path, rid, f"okänt fält i trigger: {', '.join(sorted(set(trigger) - known_trigger))}")
    if trigger.get("kind") is not None and trigger_event != "anmalan":
        raise _fail(path, rid, "trigger.kind gäller bara trigger event_type: anmalan")
    open_placement = trigger.get("open_placement")
    if open_placement is not None and (not isinstance(open_placement, dict) or "intervention" not in open_placement):
        raise _fail(path, rid, "trigger.open_placement ska ange intervention: [...]")
    if open_placement is not None and satisfied["link"] != "placement":
        raise _fail(path, rid, "trigger.open_placement kräver satisfied_by.link: placement")
    void_on = raw.get("void_on")
    if void_on is not None and void_on not in EVENT_TYPES:
        raise _fail(path, rid, f"okänd händelsetyp i void_on: {void_on!r}")
    if due.get("extensions") and trigger_event is not None:
        raise _fail(path, rid, "extensions gäller bara utredningar (trigger investigation: opened)")
    if raw["kind"] == "lag" and raw.get("enabled", True) is False:
        raise _fail(path, rid, "en lagregel (kind lag) kan inte stängas av: bara lokala riktlinjer kan det")
    valid_from = _date(path, rid, raw.get("valid_from"), "valid_from")
    valid_to = _date(path, rid, raw.get("valid_to"), "valid_to")
    if valid_from and valid_to and valid_to < valid_from:
        raise _fail(path, rid, "valid_to ligger före valid_from")
    references = _references(path, rid, raw, (valid_from, valid_to))
    return Rule(
        id=rid,
        title=raw["title"],
        kind=raw["kind"],
        references=references,
        trigger_event=trigger_event,
        interventions=_choices(path, rid, trigger.get("intervention"), INTERVENTIONS, "trigger.intervention"),
        legal_bases=_choices(path, rid, trigger.get("legal_basis"), LEGAL_BASES, "trigger.legal_basis"),
        satisfied_event=satisfied["event_type"],
        link=satisfied["link"],
        first=first,
        then=then,
        roll=due.get("roll") == "next_working_day",
        extensions=bool(due.get("extensions")),
        valid_from=valid_from,
        valid_to=valid_to,
        enabled=bool(raw.get("enabled", True)),
        warning_days=int(raw.get("warning_days", 0)),
        kinds=_choices(path, rid, trigger.get("kind"), REPORT_KINDS, "trigger.kind"),
        unless_investigating=bool(trigger.get("unless_investigating", False)),
        open_placement=_choices(path, rid, (open_placement or {}).get("intervention"), PLACEMENTS,
                                "trigger.open_placement.intervention") if open_placement is not None else None,
        void_on=void_on,
    )


def _references(path: Path, rid: str, raw: dict, covering: tuple[dt.date | None, dt.date | None]
                ) -> tuple[Reference, ...]:
    """`references:` (windows by trigger date), or the older single `reference:` text.

    A catalogue of the older form still loads: its one text counts for every date and, since
    nobody has said it was checked against the law text, as not verified.
    """
    if "references" in raw and "reference" in raw:
        raise _fail(path, rid, "ange antingen references eller reference, inte båda")
    if "references" in raw:
        return parse_references(raw["references"], lambda msg: _fail(path, rid, msg), covering)
    if not str(raw.get("reference") or "").strip():
        raise _fail(path, rid, "fältet 'references' saknas")
    return (Reference(" ".join(str(raw["reference"]).split()), verified=False),)


def _check_overlaps(path: Path, rules: list[Rule]) -> None:
    """Rows sharing an id must have disjoint validity, so a trigger date picks at most one."""
    by_id: dict[str, list[Rule]] = {}
    for r in rules:
        by_id.setdefault(r.id, []).append(r)
    for rid, rows in by_id.items():
        spans = sorted((r.valid_from or dt.date.min, r.valid_to or dt.date.max) for r in rows)
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            if start <= end:
                raise _fail(path, rid, "flera rader med samma id har överlappande giltighetstid")
        if len({(r.link, r.satisfied_event, r.kind) for r in rows}) > 1:
            raise _fail(path, rid, "rader med samma id ska ha samma kind och satisfied_by")


def rules_file() -> Path:
    """The catalogue file in use: EGK_RULES_FILE, else the shipped rules.yaml."""
    return configured_path(None, RULES_ENV, DEFAULT_FILE)


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """The catalogue from `path`, else EGK_RULES_FILE, else the shipped rules.yaml.

    Parsed once per file version (path and modification time), since every evaluation asks.
    """
    return load_data_file(configured_path(path, RULES_ENV, DEFAULT_FILE), _parse_catalogue, RuleError,
                          "regelkatalogen")


def _parse_catalogue(path: Path, data) -> Catalogue:
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise RuleError(f"{path}: filen ska ha en lista 'rules'")
    rules = [_parse_rule(path, raw) for raw in data["rules"]]
    _check_overlaps(path, rules)
    return Catalogue(tuple(rules), path)
