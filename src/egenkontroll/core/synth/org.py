"""The synthetic organisation: districts of a scale, their units, and fictitious names.

Why: every figure is read per node of an organisation tree (stad → förvaltning → avdelning →
enhet → grupp). The shape of one district follows seed 003 (Spånga-Tensta 2015): an avdelning for
individ- och familjeomsorg with the enhet Barn och ungdom (mottagning, utredning barn, utredning
ungdom, ensamkommande barn) and the enhet Familjevård. The groups themselves are sized later,
from the workload (see staff.py). Names are invented; any likeness to a real place is chance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from egenkontroll.core.synth import params as P

_PREFIXES = ("Björk", "Ek", "Gran", "Lind", "Sjö", "Berg", "Ås", "Sand", "Strand", "Norr", "Sunn",
             "Väst", "Öst", "Hag", "Al", "Rön", "Vass", "Mo", "Ljung", "Tall", "Fur", "Ham", "Kvarn",
             "Hög")
_SUFFIXES = ("vik", "by", "sund", "torp", "hult", "köping", "näs", "berga", "dal", "holm", "fors",
             "tuna", "lunda", "hamra", "stad", "åker")
_FIRST_NAMES = ("Anna", "Maria", "Sara", "Emma", "Johanna", "Karin", "Linnea", "Elin", "Sofia",
                "Hanna", "Ida", "Lena", "Malin", "Amira", "Fatima", "Nora", "Erik", "Johan", "Anders",
                "Mikael", "Daniel", "Ali", "Jonas", "Oskar", "Peter", "Ahmed", "Viktor", "Simon",
                "Kerstin", "Helena", "Petra", "Camilla")
_LAST_NAMES = ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
               "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Lindberg", "Holm",
               "Berg", "Lund", "Sandberg", "Ek", "Nyström", "Hassan", "Mohammed", "Virtanen",
               "Kovač", "Lindqvist", "Engström", "Åberg", "Sjöberg", "Dahl", "Wallin", "Strand")


@dataclass(frozen=True)
class District:
    index: int  # position in the data set, 0-based
    code: str  # unit_id of the district (level `forvaltning`)
    name: str
    reports_per_year: float


@dataclass(frozen=True)
class Plan:
    scale: P.Scale
    root_id: str
    districts: tuple[District, ...]


def place_names(count: int) -> list[str]:
    """`count` distinct invented place names, the same for every seed."""
    names = [p + s for s in _SUFFIXES for p in _PREFIXES]
    step = 7  # coprime with the number of combinations: spreads neighbours apart
    return [names[(i * step) % len(names)].replace("ss", "s") for i in range(count)]


def person_names(rng: np.random.Generator, count: int) -> list[str]:
    first = rng.integers(0, len(_FIRST_NAMES), count)
    last = rng.integers(0, len(_LAST_NAMES), count)
    return [f"{_FIRST_NAMES[f]} {_LAST_NAMES[s]}" for f, s in zip(first, last, strict=True)]


def plan(scale_name: str, size_factor: float = 1.0) -> Plan:
    """The districts of a scale and how many reports a year each receives."""
    scale = P.scale(scale_name)
    if scale.name == "small":
        weights = np.array([1.0])
    elif scale.name == "city":
        weights = np.array(P.CITY_WEIGHTS)
    elif scale.name == "demo":
        weights = np.array(P.DEMO_WEIGHTS)
    else:
        weights = 1.0 / (np.arange(scale.districts) + P.NATIONAL_RANK_OFFSET)
    volumes = scale.reports_per_year * size_factor * weights / weights.sum()
    names = place_names(scale.districts + 1)
    districts = tuple(
        District(i, _district_code(scale.name, i), _district_name(scale, names[i + 1]), float(v))
        for i, v in enumerate(volumes)
    )
    root_id = {"small": "EKEBY", "demo": "EKSTAD", "city": "STORVIK", "national": "RIKET"}[scale.name]
    return Plan(scale, root_id, districts)


def _district_code(scale_name: str, i: int) -> str:
    return {"small": "D01", "demo": f"S{i + 1:02d}", "city": f"S{i + 1:02d}", "national": f"K{i + 1:03d}"}[scale_name]


def _district_name(scale: P.Scale, place: str) -> str:
    if scale.name in ("city", "demo"):
        return f"{place} {scale.district_label}"
    return f"{scale.district_label} {place}"


def fixed_units(p: Plan) -> list[dict]:
    """Root, districts, avdelningar and enheter (the groups come with the staffing)."""
    rows = [{"unit_id": p.root_id, "parent_id": None, "name": p.scale.root_name, "level": "stad"}]
    for d in p.districts:
        rows += [
            {"unit_id": d.code, "parent_id": p.root_id, "name": d.name, "level": "forvaltning"},
            {"unit_id": f"{d.code}-IFO", "parent_id": d.code, "name": "Individ- och familjeomsorg",
             "level": "avdelning"},
            {"unit_id": f"{d.code}-BU", "parent_id": f"{d.code}-IFO", "name": "Barn och ungdom",
             "level": "enhet"},
            {"unit_id": f"{d.code}-FV", "parent_id": f"{d.code}-IFO", "name": "Familjevård",
             "level": "enhet"},
        ]
    return rows
