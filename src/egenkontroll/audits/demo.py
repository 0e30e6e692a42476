"""Audits in the demo municipality, so Granskning shows what it is for at first sight.

`egenkontroll demo` calls `create_demo_audit` after the demo users: a familjevård audit of the
last full half-year of the data, five cases per stadsdelsförvaltning, drawn by the inspektor,
with its protocols there to be filled in; and `create_finished_demo_audit`: the half-year
before, every protocol answered and the audit closed, so results by quality area and district
are on the page. Its answers are synthetic like the whole demo municipality (drawn from a seed,
mostly "ja"), never presented as findings about real work.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from egenkontroll.audits.creation import create_audit
from egenkontroll.audits.models import Audit, AuditAnswer
from egenkontroll.core.audits import eligible_cases, load_templates

DEMO_TEMPLATE = "familjevard"
DEMO_SEED = 2026
DEMO_PER_DISTRICT = 5
# The finished demo audit's answers: mostly yes, some no (the results must show something to act on).
ANSWER_WEIGHTS = {"ja": 0.72, "nej": 0.2, "ej_aktuellt": 0.08}


def demo_period(last_event: dt.date) -> tuple[dt.date, dt.date]:
    """The last full half-year before the month of the latest event."""
    end = last_event.replace(day=1) - dt.timedelta(days=1)
    first = end.year * 12 + end.month - 1 - 5
    return dt.date(first // 12, first % 12 + 1, 1), end


def create_demo_audit(alias: str = "default") -> Audit | None:
    """Create the demo audit once (None when one exists, or no inspektor or case qualifies)."""
    from egenkontroll.pages import snapshot

    inspector = get_user_model().objects.filter(username="inspektor").first()
    if inspector is None or Audit.objects.using(alias).exists():
        return None
    snap = snapshot.current(alias)
    if snap.events.is_empty():
        return None
    start, end = demo_period(snap.events["date"].max())
    template = load_templates()[DEMO_TEMPLATE]
    districts = snap.flat.filter(snap.flat["level"] == "forvaltning")["unit_id"].to_list()
    return create_audit(
        template, eligible_cases(snap.events, template.population, start, end), snap.org_units,
        period_from=start, period_to=end, level="forvaltning", per_district=DEMO_PER_DISTRICT, seed=DEMO_SEED,
        district_ids=districts, user=inspector,
    )


def create_finished_demo_audit(alias: str = "default") -> Audit | None:
    """The half-year before the started audit, every protocol answered, then closed (once)."""
    from egenkontroll.pages import snapshot

    inspector = get_user_model().objects.filter(username="inspektor").first()
    if inspector is None or Audit.objects.using(alias).exclude(closed_at=None).exists():
        return None
    snap = snapshot.current(alias)
    if snap.events.is_empty():
        return None
    started, _ = demo_period(snap.events["date"].max())
    start, end = demo_period(started)
    template = load_templates()[DEMO_TEMPLATE]
    districts = snap.flat.filter(snap.flat["level"] == "forvaltning")["unit_id"].to_list()
    audit = create_audit(
        template, eligible_cases(snap.events, template.population, start, end), snap.org_units,
        period_from=start, period_to=end, level="forvaltning", per_district=DEMO_PER_DISTRICT, seed=DEMO_SEED + 1,
        district_ids=districts, user=inspector,
    )
    if audit is None:
        return None
    rng = np.random.default_rng(DEMO_SEED)
    choices, weights = list(ANSWER_WEIGHTS), list(ANSWER_WEIGHTS.values())
    now = timezone.now()
    with transaction.atomic():
        for audit_case in audit.cases.all():
            AuditAnswer.objects.bulk_create(
                AuditAnswer(audit_case=audit_case, question_id=q.id, answer=str(rng.choice(choices, p=weights)))
                for q in template.questions
            )
            audit_case.reviewed_by, audit_case.reviewed_at, audit_case.complete = inspector, now, True
            audit_case.save(update_fields=["reviewed_by", "reviewed_at", "complete"])
        audit.closed_at, audit.closed_by = now, inspector
        audit.save(update_fields=["closed_at", "closed_by"])
    return audit
