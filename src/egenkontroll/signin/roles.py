"""Optional role mapping: the identity provider's groups → Egenkontroll roles and scopes.

Off by default (EGK_SSO_ROLE_MAPPING=0): single sign-on says who the user is, and the roles
granted in Egenkontroll (Användare och roller, `egenkontroll users grant`) are the only source
of what they may see. When the municipality turns it on, EGK_SSO_GROUP_ROLES names, per group,
the role and unit it gives:

    EGK_SSO_GROUP_ROLES="sg-egk-chef-e1=enhetschef@E1; sg-egk-inspektor=inspektor; sg-egk-namnd=namnd"

At every single sign-on the assignments the mapping made earlier (marked `created_by` =
"idp-grupp") are brought in line with the groups in the token or assertion: added, or removed
when the group is gone. Assignments an administrator granted by hand are never touched. The
handläggare role needs a caseworker id, which a group cannot carry: it cannot be mapped.
Every change is a row in the access log (action `admin`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from egenkontroll.access import hashchain
from egenkontroll.access.models import ROLES, RoleAssignment
from egenkontroll.access.scoping import client_address

MAPPED_BY = "idp-grupp"
# A group must name the unit for these: a forgotten "@unit" would otherwise reach the whole city.
UNIT_ROLES = frozenset({"arbetsledare", "enhetschef", "verksamhetscontroller", "avdelningschef"})
MAX_GROUPS = 500  # a token with more groups than this is cut (Entra ID sends at most 200 in a token)


@dataclass(frozen=True)
class Grant:
    role: str
    unit_id: str | None


def parse_group_roles(text: str) -> dict[str, frozenset[Grant]]:
    """`group=role[@unit]; …` → {group: grants}. Raises ImproperlyConfigured naming the bad entry."""
    table: dict[str, set[Grant]] = {}
    for raw in (part.strip() for part in text.replace("\n", ";").split(";")):
        if not raw:
            continue
        group, sep, target = raw.rpartition("=")
        role, _, unit = target.strip().partition("@")
        role, group = role.strip(), group.strip()
        if not sep or not group or role not in ROLES:
            raise ImproperlyConfigured(f"EGK_SSO_GROUP_ROLES: ogiltig rad {raw!r} (grupp=roll[@enhet])")
        if role == "handlaggare":
            raise ImproperlyConfigured(
                f"EGK_SSO_GROUP_ROLES: {raw!r}: handläggarrollen kräver ett handläggar-id och ges i Egenkontroll"
            )
        unit_id = None if role == "inspektor" else (unit.strip() or None)
        if role in UNIT_ROLES and unit_id is None:
            raise ImproperlyConfigured(f"EGK_SSO_GROUP_ROLES: {raw!r}: rollen {role} kräver en enhet (roll@enhet)")
        table.setdefault(group, set()).add(Grant(role, unit_id))
    return {group: frozenset(grants) for group, grants in table.items()}


def groups_from(value) -> list[str]:
    """A claim or attribute value (a list, or one string) as a list of group names."""
    if value is None:
        return []
    values = [value] if isinstance(value, str) else list(value)
    return [str(v)[:256] for v in values[:MAX_GROUPS]]


def sync_roles(request, user, groups, source: str) -> None:
    """Bring the mapped assignments of `user` in line with `groups` (only when mapping is on)."""
    if not getattr(settings, "EGK_SSO_ROLE_MAPPING", False):
        return
    table = parse_group_roles(getattr(settings, "EGK_SSO_GROUP_ROLES", ""))
    wanted = {grant for group in groups_from(groups) for grant in table.get(group, ())}
    with transaction.atomic():
        mapped = RoleAssignment.objects.select_for_update().filter(user=user, created_by=MAPPED_BY)
        have = {Grant(a.role, a.unit_id): a for a in mapped}
        for grant in sorted(set(have) - wanted, key=str):
            have[grant].delete()
            _log(request, user, f"rollmappning ({source}): tog bort {grant.role} för {grant.unit_id or 'hela staden'}")
        for grant in sorted(wanted - set(have), key=str):
            RoleAssignment.objects.get_or_create(
                user=user, role=grant.role, unit_id=grant.unit_id, caseworker_id=None,
                defaults={"created_by": MAPPED_BY},
            )
            _log(request, user, f"rollmappning ({source}): gav {grant.role} för {grant.unit_id or 'hela staden'}")


def _log(request, user, detail: str) -> None:
    hashchain.append(
        user_id=user.pk, username=user.get_username(), roles="", action="admin", page="inloggning",
        case_ids=(), detail=detail, client=client_address(request) if request is not None else "",
    )
