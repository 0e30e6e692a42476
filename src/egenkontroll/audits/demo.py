"""A started audit in the demo municipality, so Granskning shows what it is for at first sight.

`egenkontroll demo` calls `create_demo_audit` after the demo users: a familjevård audit of the
last full half-year of the data, five cases per stadsdelsförvaltning, drawn by the inspektor.
No answers are made up: the protocols are there to be filled in.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model

from egenkontroll.audits.creation import create_audit
from egenkontroll.audits.models import Audit
from egenkontroll.core.audits import eligible_cases, load_templates

DEMO_TEMPLATE = "familjevard"
DEMO_SEED = 2026
DEMO_PER_DISTRICT = 5


def demo_period(last_event: dt.date) -> tuple[dt.date, dt.date]:
    """The last full half-year before the month of the latest event."""
    end = last_event.replace(day=1) - dt.timedelta(days=1)
    first = end.year * 12 + end.month - 1 - 5
    return dt.date(first // 12, first % 12 + 1, 1), end


def create_demo_audit(alias: str = "default") -> Audit | None:
    """Create the demo audit once (None when one exists, or no inspektor or case qualifies)."""
    from egenkontroll.overview import snapshot

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
