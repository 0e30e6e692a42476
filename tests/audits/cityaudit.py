"""An audit in the access tests' city (tests/access/cityfixture.py), stored directly.

Template barnavardsutredning at the level avdelning: district A1 holds C1–C4 (groups G1, G2),
district A2 holds C5 and C6 (group G3). One open finding for district A1 with E1 responsible.
"""

from __future__ import annotations

from datetime import date

from egenkontroll.audits.frozen_template import template_json
from egenkontroll.audits.models import Audit, AuditCase, AuditFinding
from egenkontroll.core.audits import load_templates
from tests.access.cityfixture import CASES

DISTRICT_OF_GROUP = {"G1": "A1", "G2": "A1", "G3": "A2"}


def city_audit(users: dict) -> dict:
    """Creates the audit; returns the ids the URL matrix fills in (`#audit_id`, `#finding_id`)."""
    audit = Audit.objects.create(
        template_id="barnavardsutredning", title="Barnavårdsutredning",
        template_snapshot=template_json(load_templates()["barnavardsutredning"]), period_from=date(2024, 1, 1),
        period_to=date(2024, 12, 31), level="avdelning", per_district=10, seed=7, district_ids=["A1", "A2"],
        created_by=users["inspektor"],
    )
    positions: dict[str, int] = {}
    for case_id, group, _ in CASES:
        district = DISTRICT_OF_GROUP[group]
        positions[district] = positions.get(district, 0) + 1
        AuditCase.objects.create(audit=audit, position=positions[district], case_id=case_id, district_id=district,
                                 unit_id=group, gender="F")
    finding = AuditFinding.objects.create(
        audit=audit, area="trygghet_sakerhet", district_id="A1", text="Skyddsbedömningar saknas.",
        action="Rutin ses över.", responsible_unit_id="E1", created_by=users["inspektor"],
    )
    return {"audit_id": audit.pk, "finding_id": finding.pk}
