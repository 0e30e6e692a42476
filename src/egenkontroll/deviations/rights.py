"""Who may see, report and follow up which deviations, on top of the one scoping layer (`access.scoping`).

Why it exists: a deviation is not a case, so `Scope.cases` cannot answer for it, but its reach
comes from the same role assignments, each act over the units of the roles that may perform it:

- read (list, detail, downloads of the list): arbetsledare, enhetschef, verksamhetscontroller and
  avdelningschef over their subtrees, the inspektor over the whole city (read only), and every
  reporter the deviations they reported themselves. A handläggare sees only their own reports:
  a lex Sarah report may concern a colleague, and the group's other reports are not theirs to read;
- report: every person-level role except the read-only inspektor, for a unit in the subtrees of
  their assignments (a handläggare for their group);
- investigate (status changes, utredning and bedömning, the anmälan to IVO, actions):
  enhetschef, avdelningschef and verksamhetscontroller for deviations in their subtrees;
- the nämnd: counts only, masked for small numbers, never a title or a description;
- admin without another role: nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from egenkontroll.access.scoping import Scope, grant_reach, reach_covers, subtree, user_grants
from egenkontroll.cases.models import OrgUnit

READER_ROLES = frozenset({"arbetsledare", "enhetschef", "verksamhetscontroller", "avdelningschef", "inspektor"})
REPORTER_ROLES = frozenset({"handlaggare", "arbetsledare", "enhetschef", "verksamhetscontroller", "avdelningschef"})
INVESTIGATOR_ROLES = frozenset({"enhetschef", "avdelningschef", "verksamhetscontroller"})
# The role recorded with a lex Sarah bedömning when a user holds several over the unit: the
# highest in the line (a delegation names a role, and the history shows the role, not the person).
JUDGING_ORDER = ("avdelningschef", "verksamhetscontroller", "enhetschef")


def in_reach(reach: frozenset[str] | None, unit_id: str | None) -> bool:
    """The unit lies in the subtrees of `reach` (None = the whole city); no unit is in no reach."""
    return unit_id is not None and reach_covers(reach, [unit_id])


@dataclass(frozen=True)
class DeviationRights:
    scope: Scope
    read_reach: frozenset[str] | None
    report_reach: frozenset[str] | None
    investigate_reach: frozenset[str] | None
    grants: tuple[tuple[str, str | None], ...] = ()

    @property
    def person_level(self) -> bool:
        """Sees deviations one by one (titles, descriptions); the nämnd sees counts only."""
        return self.scope.person_level

    @property
    def counts_only(self) -> bool:
        return not self.scope.person_level and self.scope.has_figures

    @property
    def may_report(self) -> bool:
        return self.person_level and (self.report_reach is None or bool(self.report_reach))

    @property
    def is_investigator(self) -> bool:
        return self.investigate_reach is None or bool(self.investigate_reach)

    def visible(self, qs: QuerySet) -> QuerySet:
        if not self.person_level:
            return qs.none()
        if self.read_reach is None:
            return qs
        q = Q(reported_by_id=self.scope.user_id)
        if self.read_reach:
            q |= Q(unit_id__in=subtree(self.read_reach))
        return qs.filter(q)

    def may_investigate(self, deviation) -> bool:
        return self.person_level and self.is_investigator and in_reach(self.investigate_reach, deviation.unit_id)

    def judging_role(self, deviation) -> str:
        """The role in which this user judges the deviation: an investigator role reaching its unit."""
        for role in JUDGING_ORDER:
            reach = grant_reach(self.grants, frozenset({role}))
            if (reach is None or reach) and in_reach(reach, deviation.unit_id):
                return role
        return ""

    def report_units(self) -> list[tuple[str, str]]:
        return _units(self.report_reach) if self.may_report else []

    def action_units(self) -> list[tuple[str, str]]:
        """Units an investigator may make responsible for an action: their own reach."""
        return _units(self.investigate_reach) if self.is_investigator else []

    def filter_units(self) -> list[tuple[str, str]]:
        """Units offered in the list's filter: where the user reads or reports."""
        if not self.person_level:
            return []
        if self.read_reach is None or self.report_reach is None:
            return _units(None)
        return _units(self.read_reach | self.report_reach)


def _units(reach: frozenset[str] | None) -> list[tuple[str, str]]:
    units = OrgUnit.objects.filter(unit_id__in=subtree(reach)).exclude(level="stad").order_by("name", "unit_id")
    return list(units.values_list("unit_id", "name"))


def rights_for(scope: Scope) -> DeviationRights:
    grants = user_grants(scope.user_id)
    return DeviationRights(
        scope=scope,
        read_reach=grant_reach(grants, READER_ROLES),
        report_reach=grant_reach(grants, REPORTER_ROLES),
        investigate_reach=grant_reach(grants, INVESTIGATOR_ROLES),
        grants=tuple(grants),
    )
