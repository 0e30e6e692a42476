"""One demo user per role, placed on units and a caseworker of the imported data.

The demo (`python3 run.py demo`) needs logins that show each role's view of the same
municipality: the handläggare with the most cases, the group, unit and department above them,
and city-wide roles. Running it again resets the passwords and the role assignments.
"""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count

from egenkontroll.access import hashchain
from egenkontroll.access.models import ROLES, RoleAssignment
from egenkontroll.cases.models import Case, Caseworker, OrgUnit

DEMO_USERNAMES = {role: role for role in ROLES}


def _busiest_caseworker() -> Caseworker | None:
    busiest = (
        Case.objects.exclude(caseworker_id=None)
        .values("caseworker_id")
        .annotate(n=Count("id"))
        .order_by("-n", "caseworker_id")
        .first()
    )
    if busiest is not None:
        found = Caseworker.objects.filter(caseworker_id=busiest["caseworker_id"]).first()
        if found is not None:
            return found
    return Caseworker.objects.exclude(unit_id=None).order_by("caseworker_id").first()


def _ancestor(unit: OrgUnit | None, *levels: str) -> str | None:
    """The id of the unit's ancestor at the first of `levels` present, else the unit itself."""
    if unit is None:
        return None
    for level in levels:
        value = getattr(unit, f"{level}_id")
        if value:
            return value
    return unit.unit_id


def demo_placements() -> dict[str, tuple[str | None, str | None]]:
    """role -> (unit_id, caseworker_id) chosen from the imported data (None unit = whole city)."""
    caseworker = _busiest_caseworker()
    unit = OrgUnit.objects.filter(unit_id=caseworker.unit_id).first() if caseworker else None
    if unit is None:
        unit = OrgUnit.objects.order_by("-depth", "unit_id").first()
    group = _ancestor(unit, "grupp", "enhet")
    return {
        "handlaggare": (group, caseworker.caseworker_id if caseworker else None),
        "arbetsledare": (group, None),
        "enhetschef": (_ancestor(unit, "enhet", "avdelning"), None),
        "verksamhetscontroller": (_ancestor(unit, "avdelning", "forvaltning"), None),
        "avdelningschef": (_ancestor(unit, "avdelning", "forvaltning"), None),
        "inspektor": (None, None),
        "namnd": (None, None),
        "admin": (None, None),
    }


@transaction.atomic
def create_demo_users(password: str | None = None, operator: str = "demo") -> list[tuple[str, str, str, str | None]]:
    """Create or reset one user per role; returns (username, password, role, unit_id) per user.

    Without a password each user gets a fresh random one. The handläggare is skipped when the
    data has no caseworker. Every account created or reset is a row in the access log (action
    `admin`, by `operator`), like any other change to users and roles.
    """
    users = get_user_model()
    created = []
    for role, (unit_id, caseworker_id) in demo_placements().items():
        if role == "handlaggare" and caseworker_id is None:
            continue
        username = DEMO_USERNAMES[role]
        secret = password or secrets.token_urlsafe(12)
        user, new = users.objects.get_or_create(username=username)
        user.set_password(secret)
        user.is_active = True
        user.save()
        RoleAssignment.objects.filter(user=user).delete()
        RoleAssignment.objects.create(
            user=user, role=role, unit_id=unit_id, caseworker_id=caseworker_id, created_by="demo"
        )
        created.append((username, secret, role, unit_id))
        hashchain.append(
            user_id=None, username=operator, roles="", action="admin", page="kommandorad", case_ids=(), client="cli",
            detail=f"{'skapade' if new else 'återställde'} demoanvändaren {username}: nytt lösenord, "
                   f"rollen {role} för {unit_id or 'hela staden'}" + (f" (handläggare {caseworker_id})" if caseworker_id else ""),
        )
    return created
