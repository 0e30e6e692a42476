"""Small interchange v1 datasets for the import tests, written as real CSV files.

`write_dataset` writes the three files from plain rows; `city` makes a municipality of
`n_cases` children, each case walking the same path (report → assessment → investigation
→ for every third case a foster-home placement), so counts can be worked out by hand.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

EVENT_HEADER = [
    "event_id", "case_id", "person", "gender", "event_type", "date", "unit_id", "caseworker_id",
    "ref", "outcome", "intervention", "legal_basis", "until", "source", "unaccompanied",
]
ORG_UNITS = [
    ("unit_id", "parent_id", "name", "level"),
    ("S", "", "Exempelstad", "stad"),
    ("F1", "S", "Norra stadsdelsförvaltningen", "forvaltning"),
    ("A1", "F1", "Avdelning barn och unga", "avdelning"),
    ("E1", "A1", "Enhet utredning", "enhet"),
    ("G1", "E1", "Grupp 1", "grupp"),
    ("G2", "E1", "Grupp 2", "grupp"),
]
CASEWORKERS = [
    ("caseworker_id", "name", "unit_id", "title", "start_date", "end_date"),
    ("cw1", "Åsa Öberg", "G1", "socialsekreterare", "2020-01-01", ""),
    ("cw2", "Erik Ärlig", "G2", "socialsekreterare", "2021-09-01", "2024-03-31"),
    ("cw3", "Lind, Karin", "G2", "samordnare", "", ""),
]


def luhn_digit(nine: str) -> int:
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d // 10 + d % 10
    return (10 - total % 10) % 10


def personnummer(birth: dt.date, serial: int) -> str:
    """A valid personnummer `YYYYMMDD-NNNC` (serial 0–999; odd third digit = boy)."""
    nine = f"{birth:%y%m%d}{serial:03d}"
    return f"{birth:%Y%m%d}-{serial:03d}{luhn_digit(nine)}"


def event(event_id, case_id, person, event_type, date, unit="G1", caseworker="cw1", **extra) -> dict:
    return {
        "event_id": event_id, "case_id": case_id, "person": person, "event_type": event_type,
        "date": str(date), "unit_id": unit, "caseworker_id": caseworker, **extra,
    }


def write_csv(path: Path, rows: list, header: list[str] | None = None) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if header is None:
            writer.writerows(rows)
        else:
            writer.writerow(header)
            writer.writerows([[row.get(c, "") for c in header] for row in rows])


def write_dataset(directory: Path, events: list[dict], org_units=ORG_UNITS, caseworkers=CASEWORKERS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    write_csv(directory / "org_units.csv", org_units)
    write_csv(directory / "caseworkers.csv", caseworkers)
    optional = [c for c in ("regi",) if any(c in e for e in events)]  # v1 columns a file may leave out
    write_csv(directory / "events.csv", events, EVENT_HEADER + optional)
    return directory


def case_events(i: int, start: dt.date) -> list[dict]:
    """One case: 6 events, plus 4 placement events when i % 3 == 0 (hand-countable)."""
    case, person = f"C{i}", personnummer(dt.date(2012, 1, 1) + dt.timedelta(days=i % 2000), i % 1000)
    unit, worker = ("G1", "cw1") if i % 2 else ("G2", "cw3")
    day = start + dt.timedelta(days=i % 200)
    rows = [
        event(f"{case}-a", case, person, "anmalan", day, unit, worker, source="skola"),
        event(f"{case}-s", case, person, "skyddsbedomning", day, unit, worker, outcome="ej_akut"),
        event(f"{case}-f", case, person, "forhandsbedomning", day + dt.timedelta(days=10), unit, worker,
              ref=f"{case}-a", outcome="inleda"),
        event(f"{case}-u", case, person, "utredning_inledd", day + dt.timedelta(days=10), unit, worker),
        event(f"{case}-x", case, person, "utredning_avslutad", day + dt.timedelta(days=100), unit, worker,
              outcome="insats" if i % 3 == 0 else "ingen_insats"),
    ]
    if i % 3 == 0:
        placed = day + dt.timedelta(days=101)
        rows += [
            event(f"{case}-p", case, person, "insats_start", placed, unit, worker,
                  intervention="familjehem", legal_basis="SoL"),
            event(f"{case}-v", case, person, "vardplan", placed, unit, worker, ref=f"{case}-p"),
            event(f"{case}-b", case, person, "besok", placed + dt.timedelta(days=60), unit, worker, ref=f"{case}-p"),
            event(f"{case}-e", case, person, "insats_slut", placed + dt.timedelta(days=150), unit, worker,
                  ref=f"{case}-p"),
        ]
    rows.append(event(f"{case}-z", case, person, "arende_avslutat", day + dt.timedelta(days=300), unit, worker))
    return rows


def city(n_cases: int, start: dt.date = dt.date(2023, 1, 2)) -> list[dict]:
    return [row for i in range(1, n_cases + 1) for row in case_events(i, start)]


def city_size(n_cases: int) -> int:
    """How many events `city(n_cases)` makes: 6 per case, 4 more for every third case."""
    return 6 * n_cases + 4 * (n_cases // 3)
