"""Store a new audit with its drawn sample: one function for the page and the demo.

Why it exists: the audit and its sampled cases must be stored together or not at all, and the
page (`views/lista.py`) and the demo (`demo.py`) must store exactly what `core.audits` drew.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.db import transaction

from egenkontroll.audits.frozen_template import template_json
from egenkontroll.audits.models import Audit, AuditCase
from egenkontroll.core.audits import Template, draw_sample


def create_audit(
    template: Template,
    eligible: pl.DataFrame,
    org_units: pl.DataFrame,
    *,
    period_from: dt.date,
    period_to: dt.date,
    level: str,
    per_district: int,
    seed: int,
    district_ids: list[str],
    user,
) -> Audit | None:
    """Draw the sample among `eligible` and store it; None (nothing stored) when nothing was drawn."""
    sample = draw_sample(eligible, org_units, level, per_district, seed, district_ids=list(district_ids))
    if sample.is_empty():
        return None
    with transaction.atomic():
        audit = Audit.objects.create(
            template_id=template.id, title=template.title, template_snapshot=template_json(template),
            period_from=period_from, period_to=period_to,
            level=level, per_district=per_district, seed=seed, district_ids=sorted(district_ids), created_by=user,
        )
        AuditCase.objects.bulk_create(
            AuditCase(audit=audit, position=row["position"], case_id=row["case_id"], district_id=row["district_id"],
                      unit_id=row["unit_id"], gender=row["gender"], qualifying_date=row["qualifying_date"])
            for row in sample.iter_rows(named=True)
        )
    return audit
