"""Who may read, write and fastställa a committee report, on top of the one scoping layer.

A report belongs to one stadsdelsförvaltning or to the whole city. A role assignment *reaches*
a report unit when its unit covers the report unit (the unit itself, an ancestor, or the whole
city) or, for a förvaltning's report, lies inside that förvaltning: the report is about the
district its staff work in. The city's report is reached only by assignments covering the city.
Each act is reached through the assignments of the roles allowed that act (a user who is
enhetschef in one district and handläggare in another writes analyses only for the first):

| act | roles |
|---|---|
| read a fastställd report | every role with figures: handläggare, arbetsledare, enhetschef, verksamhetscontroller, avdelningschef, inspektor (whole city), nämnd (whole city, masked) |
| read a draft (utkast) | enhetschef, verksamhetscontroller, avdelningschef, inspektor |
| open a draft, write analyses | enhetschef, verksamhetscontroller, avdelningschef |
| fastställa | verksamhetscontroller, avdelningschef |

Handläggare and arbetsledare read the fastställda reports of their district but not drafts: a
draft is the managers' working document and may still change; what the district has told the
nämnd is what concerns them. An administrator without another role gets 403 (no figures), as on
every page with figures. A reader whose figure scope does not cover the whole report unit (a
group's staff reading their district's report), and the nämnd always, sees small numbers masked.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied

from egenkontroll.access.models import RoleAssignment
from egenkontroll.access.scoping import FIGURE_ROLES, Scope, grant_reach, request_scope, user_grants
from egenkontroll.cases.models import OrgUnit
from egenkontroll.core.target_misses import REPORT_LEVELS
from egenkontroll.pages.frame import ROLE_LABELS
from egenkontroll.reports.models import MonthlyReport

READ_FINAL_ROLES = FIGURE_ROLES
READ_DRAFT_ROLES = frozenset({"enhetschef", "verksamhetscontroller", "avdelningschef", "inspektor"})
EDIT_ROLES = frozenset({"enhetschef", "verksamhetscontroller", "avdelningschef"})
FINALIZE_ROLES = frozenset({"verksamhetscontroller", "avdelningschef"})


def _reach(grants: list[tuple[str, str | None]], roles: frozenset[str]) -> frozenset[str] | None:
    """The report units (förvaltningar, the city) the grants of `roles` reach; None = all of them."""
    units = grant_reach(grants, roles)
    if not units:
        return units
    reached: set[str] = set()
    for unit_id, level, stad_id, forvaltning_id in OrgUnit.objects.filter(unit_id__in=sorted(units)).values_list(
        "unit_id", "level", "stad_id", "forvaltning_id"
    ):
        if level in REPORT_LEVELS:
            reached.add(unit_id)
        if forvaltning_id:
            reached.add(forvaltning_id)
        if level == "stad" or stad_id == unit_id:  # the whole city: every district
            reached.update(
                OrgUnit.objects.filter(stad_id=unit_id, level__in=REPORT_LEVELS).values_list("unit_id", flat=True)
            )
    return frozenset(reached)


def _in(reach: frozenset[str] | None, unit_id: str) -> bool:
    return reach is None or unit_id in reach


@dataclass(frozen=True)
class ReportRights:
    scope: Scope
    read_final: frozenset[str] | None
    read_draft: frozenset[str] | None
    edit: frozenset[str] | None
    finalize: frozenset[str] | None

    @property
    def may_use(self) -> bool:
        """Any report page at all (the list): every role with figures."""
        return may_use_reports(self.scope)

    @property
    def may_open_some(self) -> bool:
        return self.edit is None or bool(self.edit)

    def may_read(self, report: MonthlyReport) -> bool:
        reach = self.read_final if report.is_final else self.read_draft
        return _in(reach, report.unit_id)

    def may_open(self, unit_id: str) -> bool:
        """Open (create) the draft of a month for this unit."""
        return _in(self.edit, unit_id)

    def may_edit(self, report: MonthlyReport) -> bool:
        return not report.is_final and _in(self.edit, report.unit_id)

    def may_finalize(self, report: MonthlyReport) -> bool:
        return not report.is_final and _in(self.finalize, report.unit_id)

    def masked(self, unit_id: str) -> bool:
        """Small numbers masked: the nämnd always; anyone whose figure scope does not cover the unit."""
        return self.scope.masked or not self.scope.can_see_unit(unit_id)

    def report_units(self) -> list[tuple[str, str, str]]:
        """(unit_id, name, level) of every report unit the user may read some report of, city first."""
        reach = self.read_final
        units = OrgUnit.objects.filter(level__in=REPORT_LEVELS)
        if reach is not None:
            units = units.filter(unit_id__in=sorted(reach))
        rows = units.values_list("unit_id", "name", "level")
        return sorted(rows, key=lambda r: (REPORT_LEVELS.index(r[2]) * -1, r[1] or "", r[0]))


def rights_for(scope: Scope) -> ReportRights:
    grants = user_grants(scope.user_id)
    return ReportRights(
        scope=scope,
        read_final=_reach(grants, READ_FINAL_ROLES),
        read_draft=_reach(grants, READ_DRAFT_ROLES),
        edit=_reach(grants, EDIT_ROLES),
        finalize=_reach(grants, FINALIZE_ROLES),
    )


def role_title(user, unit_id: str, roles: frozenset[str]) -> str:
    """"verksamhetscontroller, Norra förvaltningen": the role, and its unit, through which `user`
    acts on the report of `unit_id` ('' if none of `roles` reaches it).

    Why: the report reaches the nämnd, and no person is named in it; the role says in which
    capacity an analysis was written or the report fastställd. The user stays in the database row.
    """
    grants = RoleAssignment.objects.filter(user=user, role__in=sorted(roles)).order_by("pk")
    for role, grant_unit in grants.values_list("role", "unit_id"):
        if _in(_reach([(role, grant_unit)], roles), unit_id):
            name = OrgUnit.objects.filter(unit_id=grant_unit).values_list("name", flat=True).first() if grant_unit else ""
            return f"{ROLE_LABELS.get(role, role)}, {name or grant_unit or 'hela staden'}"
    return ""


def rights(request) -> ReportRights:
    cached = getattr(request, "egk_report_rights", None)
    if cached is None:
        cached = request.egk_report_rights = rights_for(request_scope(request))
    return cached


def may_use_reports(scope: Scope) -> bool:
    """Any report page at all: every role with figures (also asked by the menu, web/menu.py)."""
    return scope.has_figures


def reports_required(page: str):
    """A report page: every role with figures; 403 for an administrator without another role."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if not rights(request).may_use:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.egk_access = ("aggregate", page)
        wrapped.egk_may = may_use_reports
        return wrapped

    return decorate
