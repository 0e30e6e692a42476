"""How fresh the data is: the date it runs to and whether last night's import ran.

Why: a manager reading a red row must know whether it is today's truth or a failed night's.
Every page shows "Data t.o.m." and, when the newest import failed or no import has succeeded
for EGK_IMPORT_STALE_HOURS, a banner saying so. Two small queries: the recent runs and the latest
case date, the second only once per import run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max
from django.utils import timezone

from egenkontroll.web.env import envint

STALE_HOURS_ENV = "EGK_IMPORT_STALE_HOURS"
RECENT_RUNS = 30


@dataclass(frozen=True)
class ImportStatus:
    data_until: dt.date | None
    last_ok_at: dt.datetime | None
    alert: str  # empty when all is well


# The latest case date changes only with an import run: kept per database and run, so that a page
# pays for the recent runs (an indexed query it makes anyway) and not for a scan of every case:
# 51 ms at city scale on PostgreSQL, ten times that at national, on every page and every re-ask
# of a waiting page (issue 19).
_kept_until: dict[str, tuple[tuple, dt.date | None]] = {}


def _data_until(using: str, run: dict) -> dt.date | None:
    from egenkontroll.cases.models import Case

    key = (run["id"], run["status"], run["started_at"], run["finished_at"])
    kept = _kept_until.get(using)
    if kept is not None and kept[0] == key:
        return kept[1]
    value = Case.objects.using(using).aggregate(last=Max("last_date"))["last"]
    _kept_until[using] = (key, value)
    return value


def forget() -> None:
    """Drop the kept dates (tests that change cases without an import run)."""
    _kept_until.clear()


def import_status(using: str = "default", now: dt.datetime | None = None) -> ImportStatus:
    from egenkontroll.cases.models import ImportRun

    now = now or timezone.now()
    # One query for the recent runs (a failed night is rarely followed by dozens more), one for the date.
    runs = list(ImportRun.objects.using(using).order_by("-started_at", "-id")
                .values("id", "status", "started_at", "finished_at")[:RECENT_RUNS])
    if not runs:
        return ImportStatus(None, None, "Ingen import har gjorts: sidorna har inga uppgifter ännu.")
    newest = runs[0]
    last_ok = next((r for r in runs if r["status"] != "failed"), None)
    data_until = _data_until(using, newest) if last_ok else None
    ok_at = (last_ok["finished_at"] or last_ok["started_at"]) if last_ok else None
    alert = ""
    if newest["status"] == "failed":
        when = timezone.localtime(newest["started_at"]).strftime("%Y-%m-%d %H:%M")
        alert = f"Den senaste importen ({when}) misslyckades: uppgifterna är från en tidigare import."
    else:
        stale = envint(STALE_HOURS_ENV, 36)
        if stale and ok_at and now - ok_at > dt.timedelta(hours=stale):
            alert = (f"Ingen import har lyckats på {int((now - ok_at).total_seconds() // 3600)} timmar: "
                     "nattens import har inte körts.")
    return ImportStatus(data_until, ok_at, alert)


def context(request) -> dict:
    """Template context for every page of a signed-in user (settings: context processors)."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    status = import_status()
    return {"data_until": status.data_until, "import_alert": status.alert}
