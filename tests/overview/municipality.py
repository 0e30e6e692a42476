"""A small municipality for the page tests, every figure on the pages worked out by hand.

Today is Tuesday 2026-03-10; the default period is 2025-03-11 – 2026-03-10, seen on 2026-03-10.

    S  Teststad (stad)
    └── F  Norra förvaltningen (forvaltning)
        └── E  Barn och unga (enhet)
            ├── G1 Mottagningen (grupp)        anna
            └── G2 Utredningsgruppen (grupp)   bo, cia (from 2025-05-05), dan (left 2025-11-28)

    C1 girl, 10 at report. Reported 02-23 at G1 (anna), protection assessed the same day, decided
       "inleda" 03-02 (on time); moved to bo (G2) 03-03 and investigation opened 03-03 → open.
    C2 boy, 14. Reported 01-12 at G1 (anna), decided "ej_inleda" 01-30 (late: due 01-26);
       case closed 02-02.
    C3 girl, 15. Reported 2025-10-01 at G2 (bo), "inleda" 10-08, investigation 10-08 – 2026-01-20
       (insats, within four months); foster home (familjehem, SoL) from 01-26 with vårdplan the
       same day, genomförandeplan 02-10 and a visit 02-20 → open, placed.
    C4 boy, 7, unaccompanied. Reported 03-05 at G1 (anna), no protection assessment (overdue since
       03-06), undecided (due 03-19) → open.
    C5 girl, 17. Reported 02-25 at G1 (anna), protection assessed, undecided: due 03-11, within
       the warning days of both assessment rules → "snart förfallen".

Work list of anna on 03-10: försenad 1 (C4 skydd), snart 2 (C5 14 d and 10 wd), kommande 2 (C4).
"""

from __future__ import annotations

import datetime as dt

from tests.cases.factory import event, personnummer

TODAY = dt.date(2026, 3, 10)
PERIOD = (dt.date(2025, 3, 11), dt.date(2026, 3, 10))

ORG_UNITS = [
    ("unit_id", "parent_id", "name", "level"),
    ("S", "", "Teststad", "stad"),
    ("F", "S", "Norra förvaltningen", "forvaltning"),
    ("E", "F", "Barn och unga", "enhet"),
    ("G1", "E", "Mottagningen", "grupp"),
    ("G2", "E", "Utredningsgruppen", "grupp"),
]
# dan's name starts like a spreadsheet formula: downloads must neutralise it.
DAN = '=HYPERLINK("http://exempel.invalid","dan")'
CASEWORKERS = [
    ("caseworker_id", "name", "unit_id", "title", "start_date", "end_date"),
    ("anna", "Anna Andersson", "G1", "socialsekreterare", "2020-01-01", ""),
    ("bo", "Bo Berg", "G2", "socialsekreterare", "2021-01-01", ""),
    ("cia", "Cia Carlsson", "G2", "socialsekreterare", "2025-05-05", ""),
    ("dan", DAN, "G2", "socialsekreterare", "2019-01-01", "2025-11-28"),
]
PERSONS = {
    "C1": personnummer(dt.date(2015, 5, 10), 2),  # even third digit: girl
    "C2": personnummer(dt.date(2012, 1, 15), 13),
    "C3": personnummer(dt.date(2010, 6, 1), 24),
    "C4": personnummer(dt.date(2019, 2, 2), 35),
    "C5": personnummer(dt.date(2008, 8, 8), 46),
}


def events() -> list[dict]:
    d = dt.date
    p = PERSONS
    return [
        event("c1a", "C1", p["C1"], "anmalan", d(2026, 2, 23), "G1", "anna", source="skola"),
        event("c1s", "C1", p["C1"], "skyddsbedomning", d(2026, 2, 23), "G1", "anna", outcome="ej_akut"),
        event("c1f", "C1", p["C1"], "forhandsbedomning", d(2026, 3, 2), "G1", "anna", ref="c1a", outcome="inleda"),
        event("c1h", "C1", p["C1"], "handlaggare", d(2026, 3, 3), "G2", "bo"),
        event("c1u", "C1", p["C1"], "utredning_inledd", d(2026, 3, 3), "G2", "bo"),
        event("c2a", "C2", p["C2"], "anmalan", d(2026, 1, 12), "G1", "anna", source="polis"),
        event("c2s", "C2", p["C2"], "skyddsbedomning", d(2026, 1, 12), "G1", "anna", outcome="ej_akut"),
        event("c2f", "C2", p["C2"], "forhandsbedomning", d(2026, 1, 30), "G1", "anna", ref="c2a", outcome="ej_inleda"),
        event("c2z", "C2", p["C2"], "arende_avslutat", d(2026, 2, 2), "G1", "anna"),
        event("c3a", "C3", p["C3"], "anmalan", d(2025, 10, 1), "G2", "bo", source="skola"),
        event("c3s", "C3", p["C3"], "skyddsbedomning", d(2025, 10, 1), "G2", "bo", outcome="ej_akut"),
        event("c3f", "C3", p["C3"], "forhandsbedomning", d(2025, 10, 8), "G2", "bo", ref="c3a", outcome="inleda"),
        event("c3u", "C3", p["C3"], "utredning_inledd", d(2025, 10, 8), "G2", "bo"),
        event("c3x", "C3", p["C3"], "utredning_avslutad", d(2026, 1, 20), "G2", "bo", outcome="insats"),
        event("c3i", "C3", p["C3"], "insats_start", d(2026, 1, 26), "G2", "bo", intervention="familjehem",
              legal_basis="SoL"),
        event("c3v", "C3", p["C3"], "vardplan", d(2026, 1, 26), "G2", "bo", ref="c3i"),
        event("c3g", "C3", p["C3"], "genomforandeplan", d(2026, 2, 10), "G2", "bo", ref="c3i"),
        event("c3b", "C3", p["C3"], "besok", d(2026, 2, 20), "G2", "bo", ref="c3i"),
        event("c4a", "C4", p["C4"], "anmalan", d(2026, 3, 5), "G1", "anna", source="polis", unaccompanied="1"),
        event("c5a", "C5", p["C5"], "anmalan", d(2026, 2, 25), "G1", "anna", source="skola"),
        event("c5s", "C5", p["C5"], "skyddsbedomning", d(2026, 2, 25), "G1", "anna", outcome="ej_akut"),
    ]
