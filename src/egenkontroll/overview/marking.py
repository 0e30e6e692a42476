"""Who may mark an obligation as registreringsfel or ej tillämplig (docs/security.md).

Why it exists: a mark takes an obligation off the work list and out of the overdue figures, so
only those responsible for the case may make it: a handläggare for their own cases, an
arbetsledare or enhetschef for the cases of their units. Others with person-level access
(verksamhetscontroller, avdelningschef, the read-only inspektor) see marks but do not make them.
"""

from __future__ import annotations

from dataclasses import dataclass

from egenkontroll.access.scoping import grant_reach, request_scope, subtree, user_grants

UNIT_MARK_ROLES = frozenset({"arbetsledare", "enhetschef"})
MARK_ROLES = UNIT_MARK_ROLES | {"handlaggare"}


@dataclass(frozen=True)
class MarkingRight:
    """The units (None = the whole city) and own caseworker ids a user may mark obligations of."""

    units: frozenset[str] | None
    caseworker_ids: frozenset[str]
    unit_role: str | None

    @property
    def any(self) -> bool:
        return self.units is None or bool(self.units) or bool(self.caseworker_ids)

    def unit_ids(self) -> set[str] | None:
        """Every unit in the marking reach (one query), None = every unit."""
        if self.units is None:
            return None
        return set(subtree(self.units).values_list("unit_id", flat=True)) if self.units else set()

    def role_for(self, unit_id: str | None, caseworker_id: str | None, units: set[str] | None = None) -> str | None:
        """The role by which the user may mark an obligation of this unit and caseworker, or None."""
        if caseworker_id and caseworker_id in self.caseworker_ids:
            return "handlaggare"
        if self.unit_role is None:
            return None
        units = self.unit_ids() if units is None else units
        if units is None or (unit_id is not None and unit_id in units):
            return self.unit_role
        return None


def marking_right(request) -> MarkingRight:
    scope = request_scope(request)
    if not scope.person_level or not scope.roles & MARK_ROLES:
        return MarkingRight(frozenset(), frozenset(), None)
    held = scope.roles & UNIT_MARK_ROLES
    units = grant_reach(user_grants(scope.user_id), UNIT_MARK_ROLES) if held else frozenset()
    role = "enhetschef" if "enhetschef" in held else ("arbetsledare" if held else None)
    own = scope.caseworker_ids if "handlaggare" in scope.roles else frozenset()
    return MarkingRight(units, frozenset(own), role)
