"""A small municipality for access tests: two departments, three groups, three caseworkers, six cases.

    stad S
    └── förvaltning F
        ├── avdelning A1
        │   └── enhet E1
        │       ├── grupp G1   caseworkers anna (cases C1, C2), bo (case C3)
        │       └── grupp G2   caseworker cecilia (case C4)
        └── avdelning A2
            └── enhet E2
                └── grupp G3   (cases C5 without caseworker, C6 by anna after she moved)

C6 sits in G3 but anna is its caseworker: anna sees it as her own case, G1's leaders do not.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model

from egenkontroll.access.models import RoleAssignment
from egenkontroll.cases.models import Case, Caseworker, Event, ImportRun, Obligation, OrgUnit, Person

TREE = [
    # unit, parent, level, (stad, forvaltning, avdelning, enhet, grupp)
    ("S", None, "stad", ("S", None, None, None, None)),
    ("F", "S", "forvaltning", ("S", "F", None, None, None)),
    ("A1", "F", "avdelning", ("S", "F", "A1", None, None)),
    ("A2", "F", "avdelning", ("S", "F", "A2", None, None)),
    ("E1", "A1", "enhet", ("S", "F", "A1", "E1", None)),
    ("E2", "A2", "enhet", ("S", "F", "A2", "E2", None)),
    ("G1", "E1", "grupp", ("S", "F", "A1", "E1", "G1")),
    ("G2", "E1", "grupp", ("S", "F", "A1", "E1", "G2")),
    ("G3", "E2", "grupp", ("S", "F", "A2", "E2", "G3")),
]
CASEWORKERS = [("anna", "G1"), ("bo", "G1"), ("cecilia", "G2")]
CASES = [
    ("C1", "G1", "anna"),
    ("C2", "G1", "anna"),
    ("C3", "G1", "bo"),
    ("C4", "G2", "cecilia"),
    ("C5", "G3", None),
    ("C6", "G3", "anna"),
]
PASSWORD = "Kommunen-testlösen-2024"  # noqa: S105

# username -> [(role, unit_id, caseworker_id)]
USERS = {
    "anna": [("handlaggare", "G1", "anna")],
    "bo": [("handlaggare", "G1", "bo")],
    "ledare": [("arbetsledare", "G1", None)],
    "chef": [("enhetschef", "E1", None)],
    "controller": [("verksamhetscontroller", "A1", None)],
    "avdchef": [("avdelningschef", "A2", None)],
    "inspektor": [("inspektor", None, None)],
    "namnd": [("namnd", None, None)],
    "admin": [("admin", None, None)],
    "dubbel": [("handlaggare", "G1", "cecilia"), ("enhetschef", "E2", None)],
}


def build_city() -> None:
    levels = ("stad", "forvaltning", "avdelning", "enhet", "grupp")
    OrgUnit.objects.bulk_create(
        OrgUnit(
            unit_id=uid, parent_id=parent, name=f"Enhet {uid}", level=level, depth=depth,
            **{f"{lvl}_id": v for lvl, v in zip(levels, flat, strict=True)},
        )
        for depth, (uid, parent, level, flat) in enumerate(TREE)
    )
    Caseworker.objects.bulk_create(Caseworker(caseworker_id=cw, name=cw.title(), unit_id=g) for cw, g in CASEWORKERS)
    Person.objects.bulk_create(Person(person_key=f"P{cid}", birth_year=2015) for cid, _, _ in CASES)
    Case.objects.bulk_create(
        Case(case_id=cid, person_id=f"P{cid}", unit_id=unit, caseworker_id=cw, first_date=date(2024, 1, 1),
             last_date=date(2024, 2, 1), event_count=1)
        for cid, unit, cw in CASES
    )
    run = ImportRun.objects.create(started_at="2024-03-01T10:00:00Z", user="test", host="test", source="test",
                                   status="ok")
    Event.objects.bulk_create(
        Event(event_id=f"E{cid}", case_id=cid, person_id=f"P{cid}", event_type="anmalan", date=date(2024, 1, 1),
              unit_id=unit, caseworker_id=cw, content_hash="x", import_run=run)
        for cid, unit, cw in CASES
    )
    Obligation.objects.bulk_create(
        Obligation(case_id=cid, rule="skyddsbedomning", trigger_event_id=f"E{cid}", trigger_date=date(2024, 1, 1),
                   due_date=date(2024, 1, 15), status="open", unit_id=unit, caseworker_id=cw, person_id=f"P{cid}")
        for cid, unit, cw in CASES
    )


def make_users() -> dict:
    users = {}
    for name, grants in USERS.items():
        user = get_user_model().objects.create_user(name, password=PASSWORD)
        for role, unit, cw in grants:
            RoleAssignment.objects.create(user=user, role=role, unit_id=unit, caseworker_id=cw)
        users[name] = user
    return users
