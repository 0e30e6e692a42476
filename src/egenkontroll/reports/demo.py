"""Committee reports in the demo municipality: fastställda for past months, a draft for the last.

Why it exists: a new user opening Nämndrapport should see what the nämnd gets — reports by
exception, each target miss with its analysis — not an empty list. `egenkontroll demo` calls
`create_demo_reports` after the demo users: for every förvaltning and the city, the three months
before the last full month are fastställda (analyses written in the enhetschef's name, fastställd
by the verksamhetscontroller), and the last full month is a draft to try the work on. The
analyses are demo text, marked as such, like the synthetic municipality itself.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model

from egenkontroll.core.target_misses import last_full_month, previous_month
from egenkontroll.reports import document as docs
from egenkontroll.reports.models import MonthlyReport

FINALIZED_MONTHS = 3
DEMO_CAUSE = (
    "(Demotext) Fler anmälningar än vanligt under månaden och två vakanta tjänster i mottagningen; "
    "ärenden fördelades senare än rutinen anger."
)
DEMO_ACTIONS = (
    "(Demotext) Veckovis genomgång av ärenden nära fristen i arbetsledningen; en tjänst tillsätts "
    "med konsult till dess. Uppföljning i nästa månadsrapport."
)


def create_demo_reports(last_event: dt.date) -> list[MonthlyReport]:
    """The demo reports (once: nothing is made when any report exists)."""
    from egenkontroll.pages import snapshot

    users = get_user_model().objects
    writer, approver = users.filter(username="enhetschef").first(), users.filter(username="verksamhetscontroller").first()
    if writer is None or approver is None or MonthlyReport.objects.exists():
        return []
    snap = snapshot.current()
    units = [u for u, level in snap.unit_levels.items() if level in ("forvaltning", "stad")]
    draft_month = last_full_month(last_event + dt.timedelta(days=1))
    months = [draft_month]
    for _ in range(FINALIZED_MONTHS):
        months.append(previous_month(months[-1]))
    made = []
    for unit_id in sorted(units):
        for month in months[1:]:
            report = MonthlyReport.objects.create(month=month, unit_id=unit_id, created_by=writer)
            for miss in docs.build(report, snap)["target_misses"]:
                docs.save_analysis(report, miss["kpi"], DEMO_CAUSE, DEMO_ACTIONS, writer)
            made.append(docs.finalize(report, approver))
        made.append(MonthlyReport.objects.create(month=draft_month, unit_id=unit_id, created_by=writer))
    return made
