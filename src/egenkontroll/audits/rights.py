"""Who may do what in an audit, on top of the one scoping layer (`access.scoping`).

Why it exists: `Scope` answers which cases and figures a user may see; an audit adds acts —
drawing a sample, answering a protocol, adding and closing findings — that only some roles
may perform, each over the units of *that* role's assignments (a user who is
verksamhetscontroller over one department and enhetschef of a unit elsewhere audits only the
department). The reach of each act is computed here from the role assignments:

- auditors (`inspektor`: the whole city; `verksamhetscontroller`: their subtree) create audits,
  fill protocols and add or close findings, for districts and cases in that reach;
- `enhetschef` and `avdelningschef` close (or reopen) findings whose responsible unit lies in
  their subtree;
- every role with figures reads the results; a user whose figure scope does not cover every
  district of an audit (and the nämnd always) sees the counts masked for small numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from egenkontroll.access.scoping import Scope, grant_reach, reach_covers, user_grants

AUDITOR_ROLES = frozenset({"inspektor", "verksamhetscontroller"})
FINDING_CLOSER_ROLES = frozenset({"enhetschef", "avdelningschef"})


@dataclass(frozen=True)
class AuditRights:
    scope: Scope
    audit_reach: frozenset[str] | None
    close_reach: frozenset[str] | None

    @property
    def is_auditor(self) -> bool:
        return self.audit_reach is None or bool(self.audit_reach)

    def audits_unit(self, unit_id: str | None) -> bool:
        return self.is_auditor and reach_covers(self.audit_reach, [unit_id])

    def may_review(self, audit_case) -> bool:
        """Fill the protocol of a sampled case: an auditor whose reach holds its district and who sees the case."""
        return self.audits_unit(audit_case.district_id) and self.scope.can_see_case(audit_case.case_id)

    def may_close(self, finding) -> bool:
        """Mark a finding åtgärdad or open it again."""
        if self.audits_unit(finding.responsible_unit_id) or self.audits_unit(finding.district_id):
            return True
        return finding.responsible_unit_id is not None and reach_covers(self.close_reach, [finding.responsible_unit_id])

    def exact_counts(self, district_ids: Iterable[str]) -> bool:
        """Exact counts only for a figure scope covering every district; otherwise masked."""
        return not self.scope.masked and reach_covers(self.scope.unit_ids, district_ids)


def rights_for(scope: Scope) -> AuditRights:
    grants = user_grants(scope.user_id)
    return AuditRights(
        scope=scope,
        audit_reach=grant_reach(grants, AUDITOR_ROLES),
        close_reach=grant_reach(grants, FINDING_CLOSER_ROLES),
    )
