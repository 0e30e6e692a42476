"""The key-figure catalogue (kpis.yaml): loading, validation, targets, and whether a value meets its target.

Why it exists apart from the engine (core/kpis.py): what a figure *is* — its title, unit,
target and which items its numerator and denominator select — is data reviewed like law text,
read by every page, the committee report and the CLI, most of which never compute a figure.
A municipality's own targets (EGK_KPI_TARGETS_FILE) override the defaults here, in one place.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import yaml

from egenkontroll.core.datafiles import load_yaml
from egenkontroll.core.schema import (
    EMPLOYMENT_FORMS,
    EVENT_TYPES,
    GENDERS,
    OUTCOMES,
    PLACEMENTS,
    REGI,
    REPORT_KINDS,
    STATUSES,
)
from egenkontroll.core.schema import SOURCES as REPORT_SOURCES

CATALOGUE_PATH = Path(__file__).with_name("kpis.yaml")
# A municipality's own targets (docs/configuration.md), read by `configured_catalogue`.
TARGETS_ENV = "EGK_KPI_TARGETS_FILE"

# The contract ids of shared/spec/kpis.md, in the order pages show them.
KPI_IDS = (
    "anmalningar", "aktualiseringar", "anmalan_inledd_andel", "fb_inom_14d_andel", "fb_inom_10ad_andel", "fb_dagar_median",
    "fb_forsenade", "utr_inom_4m_andel", "utr_forlangning_andel", "utr_dagar_median", "utr_forsenade",
    "overvagande_i_tid_andel", "besok_i_tid_andel", "placerade_barn", "oppna_arenden",
    "arenden_per_handlaggare", "markerade_skyldigheter",
    # issue 16: the figures a nämnd compares with other municipalities (docs/key-figures.md)
    "aktualiseringar_per_1000", "ateraktualiserade_andel", "besok_4_per_ar_andel",
)
# Issue 16 (staffing, docs/key-figures.md "Bemanning"): not in shared/spec/kpis.md's first list.
KPI_IDS += (
    "personalomsattning", "handlaggare_i_tjanst", "konsulter", "tjanster", "vakanta_tjanster",
    "arenden_per_arbetande_handlaggare", "arenden_per_tjanst", "oppna_arenden_utan_handlaggare",
    "placerade_barn_utan_handlaggare", "dagar_utan_handlaggare_median",
)
KPI_IDS += (
    # issue 16: a figure for every rule that had none
    "skyddsbedomning_i_tid_andel", "vardplan_i_tid_andel", "genomforandeplan_i_tid_andel",
    "vardnadsoverflyttning_i_tid_andel", "lvu_understallning_i_tid_andel", "lvu_ansokan_i_tid_andel",
    "lvu14_overvagande_i_tid_andel", "jourhem_i_tid_andel",
    # issue 16: placement days and their cost, by placement type and egen regi / köpt
    "placeringsdygn", "placeringskostnad",
)
# The contract rule ids of shared/spec/rules.md that a selection may name.
RULE_IDS = (
    "forhandsbedomning_14d", "utredning_4m", "overvagande_6m", "omprovning_6m", "vardnadsoverflyttning_2ar",
    "skyddsbedomning_1d", "forhandsbedomning_10ad", "besok_3m", "genomforandeplan_1m", "vardplan_placering",
    "lvu_understallning_1v", "lvu_ansokan_4v", "lvu14_overvagande_3m", "jourhem_2m",
)

KIND_OF_UNIT = {
    "antal": "count", "andel": "share", "dagar": "median_days", "kvot": "ratio", "dygn": "sum", "kronor": "sum",
    "per_1000": "rate",
}
# Kinds whose value is numerator / denominator (a rate: × 1000).
DIVIDED_KINDS = ("share", "ratio", "rate")
BETTER = ("higher", "lower", "neutral")

AGE_BANDS = (("0-5", 0, 5), ("6-12", 6, 12), ("13-17", 13, 17), ("18-20", 18, 20))
UNKNOWN_AGE = "okand"
BREAKDOWNS = {
    "gender": GENDERS,
    "age_band": (*(band for band, _, _ in AGE_BANDS), UNKNOWN_AGE),
    "unaccompanied": ("ja", "nej"),
    # per counted event (aktualiseringar): how the committee learned of the child, and from whom
    "kind": REPORT_KINDS,
    "source": (*REPORT_SOURCES, "okand"),
    # per counted placement (placement_days): its type, and whether it is the municipality's own
    # (egen regi) or bought (köpt); okand where the insats_start does not say
    "placement_type": PLACEMENTS,
    "regi": (*REGI, "okand"),
}
# Breakdowns read from the counted event itself rather than from the person.
EVENT_BREAKDOWNS = ("kind", "source", "placement_type", "regi")

SOURCES = (
    "events", "obligations", "open_cases", "placements", "placement_days", "staff", "posts", "population", "closures",
    "placed_year",
)
_COMMON_FIELDS = {"source", "period_field", "has_caseworker", "attribute_to", "distinct"}
_SOURCE_FIELDS = {
    "events": _COMMON_FIELDS | {"event_type", "outcome", "kind", "ages"},
    "obligations": _COMMON_FIELDS | {"rule", "status", "limit", "extended", "days"},
    "open_cases": _COMMON_FIELDS | {"unassigned", "days"},
    "placements": _COMMON_FIELDS | {"unassigned", "days"},
    "placement_days": _COMMON_FIELDS | {"sum"},
    "staff": {"source", "period_field", "staff", "employment"},
    "posts": {"source", "period_field", "vacant"},
    "population": {"source", "period_field", "ages"},
    "closures": _COMMON_FIELDS | {"months", "reentered"},
    "placed_year": _COMMON_FIELDS | {"months", "visits_at_least"},
}
_PERIOD_FIELDS = {
    "events": ("date",),
    "obligations": ("trigger_date", "due_date", "fulfilled_date", "as_of"),
    "open_cases": ("as_of",),
    "placements": ("as_of",),
    "placement_days": ("dygn",),
    "staff": ("as_of",),
    "posts": ("as_of",),
    "population": ("year",),
    "closures": ("follow_up_end",),
    "placed_year": ("year_end",),
}
# What a `sum` figure adds up over its items: their dygn in the period, or what those cost.
SUMS = ("dygn", "kronor")
_DAY_FIELDS = ("trigger_date", "due_date", "fulfilled_date")
# The day fields of the case sources: since when the case has been without a caseworker, as_of.
_CASE_DAY_FIELDS = ("unassigned_since", "as_of")
# staff: who counts (source staff): employed in the unit on as_of; employed in it a year before
# (the turnover cohort); of that cohort, no longer employed in the unit on as_of.
STAFF_STATES = ("employed", "cohort", "left")
_KPI_FIELDS = {
    "id", "title", "description", "unit", "kind", "better", "target", "breakdowns", "numerator", "denominator",
    "national",
}
# A national definition of a figure (Kolada, Öppna jämförelser): where it is published, its id
# there, whether the id was checked against the publisher, how ours differs, and `complement`
# when the national figure is the other side of ours (not re-entered vs re-entered).
_NATIONAL_FIELDS = {"source", "id", "title", "verified", "differs", "complement"}
_ALL_OUTCOMES = tuple(sorted({o for values in OUTCOMES.values() for o in values}))


class KpiCatalogueError(ValueError):
    """The catalogue or a targets file does not follow the documented schema."""


@dataclass(frozen=True)
class National:
    """Where a figure is defined nationally, and how far ours follows that definition."""

    source: str
    id: str | None
    title: str | None
    verified: bool
    differs: str | None
    complement: bool = False
@dataclass(frozen=True)
class Selection:
    """Which items a numerator or denominator counts (see the header of kpis.yaml)."""

    source: str
    period_field: str
    event_type: tuple[str, ...] = ()
    outcome: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()  # anmalan events of these kinds only (empty kind counts as anmalan)
    rule: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    limit_months: int | None = None
    limit_compare: str | None = None
    extended: bool | None = None
    days: tuple[str, str] | None = None
    has_caseworker: bool = False
    attribute_to: str = "responsible"
    distinct: str | None = None
    unassigned: bool = False  # open_cases / placements: only cases without a working caseworker
    staff: str | None = None  # staff: one of STAFF_STATES
    employment: tuple[str, ...] = ()  # staff: of these employment forms only
    vacant: bool = False  # posts: only the posts no employee fills
    ages: tuple[int, int] | None = None  # children of these ages (whole years, both included)
    months: int | None = None  # the follow-up (closures) or the year (placed_year), in months
    reentered: bool | None = None  # closures: a new aktualisering within `months`
    visits_at_least: int | None = None  # placed_year: at least this many visits in the year
    sum: str | None = None  # dygn | kronor: what a sum figure adds up (placement_days)


@dataclass(frozen=True)
class Kpi:
    id: str
    title: str
    description: str
    unit: str
    kind: str
    better: str
    target: float | None
    breakdowns: tuple[str, ...]
    numerator: Selection
    denominator: Selection | None
    national: National | None = None


# ---------------------------------------------------------------- catalogue


def load_catalogue(path: Path | str = CATALOGUE_PATH, targets: Path | str | Mapping | None = None) -> dict[str, Kpi]:
    """The validated catalogue, id → Kpi in file order; `targets` overrides default targets.

    `targets` is a YAML file (or an already loaded mapping) of the form `targets: {id: value}`.
    """
    catalogue = _load_catalogue_file(str(path))
    if targets is None:
        return dict(catalogue)
    where, overrides = _read_targets(targets)
    out = dict(catalogue)
    for kpi_id, value in overrides.items():
        if kpi_id not in out:
            raise KpiCatalogueError(f"{where}: okänt nyckeltal {kpi_id!r} (kända: {', '.join(out)})")
        out[kpi_id] = replace(out[kpi_id], target=_target(value, out[kpi_id].unit, f"{where}: {kpi_id}"))
    return out


def targets_file() -> str | None:
    """The municipality's targets file named by EGK_KPI_TARGETS_FILE, or None."""
    return os.environ.get(TARGETS_ENV) or None


def configured_catalogue() -> dict[str, Kpi]:
    """The catalogue with the municipality's own targets (EGK_KPI_TARGETS_FILE) when set.

    The one place the web app and `egenkontroll kpi` take the catalogue from, both at start-up,
    so a broken targets file stops them with the same message (naming the variable and the file).
    """
    path = targets_file()
    try:
        return load_catalogue(targets=path)
    except KpiCatalogueError as exc:
        if path is None:
            raise
        raise KpiCatalogueError(f"{TARGETS_ENV}: {exc}") from exc


@lru_cache(maxsize=8)
def _load_catalogue_file(path: str) -> tuple[tuple[str, Kpi], ...]:
    try:
        data = load_yaml(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise KpiCatalogueError(f"{path}: kan inte läsas: {exc}") from exc
    if not isinstance(data, dict) or data.get("version") != 1 or not isinstance(data.get("kpis"), list):
        raise KpiCatalogueError(f"{path}: ska ha 'version: 1' och en lista 'kpis'")
    kpis = [_parse_kpi(entry, f"{path}: post {i + 1}") for i, entry in enumerate(data["kpis"])]
    ids = [k.id for k in kpis]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise KpiCatalogueError(f"{path}: id förekommer flera gånger: {', '.join(duplicated)}")
    missing = [i for i in KPI_IDS if i not in ids]
    if missing:
        raise KpiCatalogueError(f"{path}: nyckeltal ur kontraktet saknas: {', '.join(missing)}")
    return tuple((k.id, k) for k in kpis)


def _parse_kpi(entry, where: str) -> Kpi:
    if not isinstance(entry, dict):
        raise KpiCatalogueError(f"{where}: ska vara en mappning med fälten {', '.join(sorted(_KPI_FIELDS))}")
    kpi_id = entry.get("id")
    if kpi_id not in KPI_IDS:
        raise KpiCatalogueError(f"{where}: okänt id {kpi_id!r} (kontraktets id: {', '.join(KPI_IDS)})")
    where = f"{where} ({kpi_id})"
    _check_fields(entry, _KPI_FIELDS, where)
    for field in ("title", "description"):
        if not isinstance(entry.get(field), str) or not entry[field].strip():
            raise KpiCatalogueError(f"{where}: '{field}' saknas")
    unit, kind = entry.get("unit"), entry.get("kind")
    if unit not in KIND_OF_UNIT:
        raise KpiCatalogueError(f"{where}: unit {unit!r} ska vara en av {', '.join(KIND_OF_UNIT)}")
    if kind != KIND_OF_UNIT[unit]:
        raise KpiCatalogueError(f"{where}: kind {kind!r} passar inte unit {unit!r} (ska vara {KIND_OF_UNIT[unit]})")
    if entry.get("better") not in BETTER:
        raise KpiCatalogueError(f"{where}: better {entry.get('better')!r} ska vara en av {', '.join(BETTER)}")
    breakdowns = tuple(entry.get("breakdowns") or ())
    unknown = [b for b in breakdowns if b not in BREAKDOWNS]
    if unknown:
        raise KpiCatalogueError(f"{where}: okänd nedbrytning {unknown} (tillåtna: {', '.join(BREAKDOWNS)})")
    needs_denominator = kind in DIVIDED_KINDS
    if needs_denominator != (entry.get("denominator") is not None):
        state = "krävs" if needs_denominator else "ska saknas"
        raise KpiCatalogueError(f"{where}: denominator {state} för kind {kind}")
    numerator = _parse_selection(entry.get("numerator"), f"{where}: numerator")
    if (kind == "median_days") != (numerator.days is not None):
        raise KpiCatalogueError(f"{where}: numerator.days anges för, och bara för, kind median_days")
    if (kind == "sum") != (numerator.sum is not None) or (kind == "sum" and numerator.sum != unit):
        raise KpiCatalogueError(f"{where}: numerator.sum anges för, och bara för, kind sum, och är dess unit")
    denominator = entry.get("denominator")
    if isinstance(entry.get("numerator"), dict) and entry["numerator"].get("source") == "population":
        raise KpiCatalogueError(f"{where}: befolkningen (source population) kan bara vara nämnare")
    if isinstance(denominator, dict) and denominator.get("source") == "population":
        person_level = [b for b in breakdowns if b not in EVENT_BREAKDOWNS]
        if kind != "rate" or person_level:
            raise KpiCatalogueError(
                f"{where}: befolkningen som nämnare kräver kind rate och tillåter bara nedbrytningarna "
                f"{', '.join(EVENT_BREAKDOWNS)}"
            )
    return Kpi(
        id=kpi_id,
        title=entry["title"].strip(),
        description=" ".join(entry["description"].split()),
        unit=unit,
        kind=kind,
        better=entry["better"],
        target=_target(entry.get("target"), unit, where),
        breakdowns=breakdowns,
        numerator=numerator,
        denominator=_parse_selection(denominator, f"{where}: denominator") if denominator is not None else None,
        national=_parse_national(entry.get("national"), f"{where}: national"),
    )


def _parse_national(raw, where: str) -> National | None:
    """The optional `national` mapping of a figure (see the header of kpis.yaml)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise KpiCatalogueError(f"{where}: ska vara en mappning med fälten {', '.join(sorted(_NATIONAL_FIELDS))}")
    _check_fields(raw, _NATIONAL_FIELDS, where)
    if not isinstance(raw.get("source"), str) or not isinstance(raw.get("verified"), bool):
        raise KpiCatalogueError(f"{where}: 'source' (text) och 'verified' (true/false) krävs")
    for field in ("id", "title", "differs"):
        if raw.get(field) is not None and not isinstance(raw[field], str):
            raise KpiCatalogueError(f"{where}: {field} ska vara text")
    return National(
        source=raw["source"],
        id=raw.get("id"),
        title=raw.get("title"),
        verified=raw["verified"],
        differs=" ".join(raw["differs"].split()) if raw.get("differs") else None,
        complement=bool(raw.get("complement", False)),
    )


def _parse_selection(raw, where: str) -> Selection:
    if not isinstance(raw, dict):
        raise KpiCatalogueError(f"{where}: ska vara en mappning med minst 'source' och 'period_field'")
    source = raw.get("source")
    if source not in SOURCES:
        raise KpiCatalogueError(f"{where}: source {source!r} ska vara en av {', '.join(SOURCES)}")
    _check_fields(raw, _SOURCE_FIELDS[source], where)
    period_field = raw.get("period_field")
    if period_field not in _PERIOD_FIELDS[source]:
        allowed = ", ".join(_PERIOD_FIELDS[source])
        raise KpiCatalogueError(f"{where}: period_field {period_field!r} ska vara en av {allowed} för {source}")
    limit = raw.get("limit")
    if limit is not None and (
        not isinstance(limit, dict)
        or set(limit) != {"months", "compare"}
        or not isinstance(limit["months"], int)
        or limit["compare"] not in ("within", "beyond")
    ):
        raise KpiCatalogueError(f"{where}: limit ska vara {{months: N, compare: within|beyond}}")
    days = raw.get("days")
    day_fields = _DAY_FIELDS if source == "obligations" else _CASE_DAY_FIELDS
    if days is not None and (not isinstance(days, list) or len(days) != 2 or not set(days) <= set(day_fields)):
        raise KpiCatalogueError(f"{where}: days ska vara [från, till] bland {', '.join(day_fields)}")
    if source == "staff" and raw.get("staff") not in STAFF_STATES:
        raise KpiCatalogueError(f"{where}: staff ska vara en av {', '.join(STAFF_STATES)}")
    for field in ("extended", "has_caseworker", "unassigned", "vacant"):
        if field in raw and not isinstance(raw[field], bool):
            raise KpiCatalogueError(f"{where}: {field} ska vara true eller false")
    if raw.get("attribute_to", "responsible") not in ("responsible", "caseworker_unit"):
        raise KpiCatalogueError(f"{where}: attribute_to ska vara responsible eller caseworker_unit")
    if raw.get("distinct") not in (None, "person", "caseworker"):
        raise KpiCatalogueError(f"{where}: distinct ska vara person eller caseworker")
    ages = raw.get("ages")
    if ages is not None and (
        not isinstance(ages, list) or len(ages) != 2 or not all(isinstance(a, int) and a >= 0 for a in ages)
        or ages[0] > ages[1]
    ):
        raise KpiCatalogueError(f"{where}: ages ska vara [från, till] i hela år, från ≤ till")
    for field in ("months", "visits_at_least"):
        if field in raw and (not isinstance(raw[field], int) or isinstance(raw[field], bool) or raw[field] < 1):
            raise KpiCatalogueError(f"{where}: {field} ska vara ett heltal ≥ 1")
    if source in ("closures", "placed_year") and "months" not in raw:
        raise KpiCatalogueError(f"{where}: months krävs för source {source}")
    if source == "population" and ages is None:
        raise KpiCatalogueError(f"{where}: ages krävs för source population")
    if "reentered" in raw and not isinstance(raw["reentered"], bool):
        raise KpiCatalogueError(f"{where}: reentered ska vara true eller false")
    if source == "events" and not raw.get("event_type"):
        raise KpiCatalogueError(f"{where}: event_type krävs för source events")
    if source == "obligations" and not raw.get("rule"):
        raise KpiCatalogueError(f"{where}: rule krävs för source obligations")
    if raw.get("sum") not in (None, *SUMS):
        raise KpiCatalogueError(f"{where}: sum ska vara en av {', '.join(SUMS)}")
    return Selection(
        source=source,
        period_field=period_field,
        event_type=_values(raw, "event_type", EVENT_TYPES, where),
        outcome=_values(raw, "outcome", _ALL_OUTCOMES, where),
        kind=_values(raw, "kind", REPORT_KINDS, where),
        rule=_values(raw, "rule", RULE_IDS, where),
        status=_values(raw, "status", STATUSES, where),
        limit_months=limit["months"] if limit else None,
        limit_compare=limit["compare"] if limit else None,
        extended=raw.get("extended"),
        days=tuple(days) if days else None,
        has_caseworker=raw.get("has_caseworker", False),
        ages=tuple(ages) if ages else None,
        months=raw.get("months"),
        reentered=raw.get("reentered"),
        visits_at_least=raw.get("visits_at_least"),
        attribute_to=raw.get("attribute_to", "responsible"),
        distinct=raw.get("distinct"),
        sum=raw.get("sum"),
        unassigned=raw.get("unassigned", False),
        staff=raw.get("staff"),
        employment=_values(raw, "employment", EMPLOYMENT_FORMS, where),
        vacant=raw.get("vacant", False),
    )


def _check_fields(raw: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise KpiCatalogueError(f"{where}: okänt fält {', '.join(unknown)} (tillåtna: {', '.join(sorted(allowed))})")


def _values(raw: dict, field: str, allowed, where: str) -> tuple[str, ...]:
    values = raw.get(field) or []
    if not isinstance(values, list):
        raise KpiCatalogueError(f"{where}: {field} ska vara en lista")
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise KpiCatalogueError(f"{where}: okänt värde i {field}: {unknown} (tillåtna: {', '.join(allowed)})")
    return tuple(values)


def _target(value, unit: str, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise KpiCatalogueError(f"{where}: target {value!r} ska vara ett tal ≥ 0 eller null")
    if unit == "andel" and value > 1:
        raise KpiCatalogueError(f"{where}: target {value!r} är en andel och ska ligga mellan 0 och 1")
    return float(value)


def _read_targets(targets) -> tuple[str, Mapping]:
    if isinstance(targets, Mapping):
        where, data = "targets", targets
    else:
        where = str(targets)
        try:
            data = load_yaml(Path(targets).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise KpiCatalogueError(f"{where}: kan inte läsas: {exc}") from exc
    if not isinstance(data, Mapping) or set(data) != {"targets"} or not isinstance(data["targets"], Mapping):
        raise KpiCatalogueError(f"{where}: ska ha exakt en nyckel 'targets' med nyckeltal: målvärde")
    return where, data["targets"]


def target_status(kpi: Kpi, value: float | None) -> str | None:
    """'ok' when the value meets the target, 'miss' when not, None without a target or value."""
    if value is None or kpi.target is None or kpi.better == "neutral":
        return None
    meets = value >= kpi.target if kpi.better == "higher" else value <= kpi.target
    return "ok" if meets else "miss"
