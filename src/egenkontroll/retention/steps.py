"""Gallring: remove person-level data older than the municipality's retention periods.

Why it exists: Egenkontroll holds a follow-up copy of case data, and personal data may be kept
no longer than the purpose needs (GDPR art. 5.1 e; the periods are the nämnd's gallringsbeslut,
core/retention.yaml, docs/retention.md). Each kind of data is one step that can count what it
would remove (`--dry-run`) and remove it. Before any case is removed, the key figures of every
month before the horizon are archived, so the committee's history survives; fastställda
reports are frozen documents and are never touched. Nothing younger than its cut-off is touched.

Bulk statements, not row-by-row ORM deletes: a city's first gallring removes millions of rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connections, models, transaction
from django.utils import timezone

from egenkontroll.core import retention

INBOX_FOLDERS = ("klara", "misslyckade", "avvisade")
GALLRAD = "[gallrad]"


@dataclass
class StepResult:
    kind: str
    title: str
    cutoff: dt.date
    counts: dict[str, int] = field(default_factory=dict)
    note: str = ""

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def case_hash(case_id: str, key: bytes) -> str:
    """The keyed hash a removed case is remembered by (never its id)."""
    return hmac.new(key, b"retired-case:" + case_id.encode("utf-8"), hashlib.sha256).hexdigest()


def retired_case_ids(using: str, case_ids, key: bytes) -> set[str]:
    """Which of `case_ids` gallring removed (the import skips their events); one query when none were."""
    from egenkontroll.retention.models import RetiredCase

    if not RetiredCase.objects.using(using).exists():
        return set()
    by_hash = {case_hash(c, key): c for c in set(case_ids)}
    found = RetiredCase.objects.using(using).filter(case_hash__in=list(by_hash)).values_list("case_hash", flat=True)
    return {by_hash[h] for h in found.iterator(chunk_size=10_000)}


class Gallring:
    """All steps for one database and one day; `dry_run` counts without changing anything."""

    def __init__(self, alias: str, today: dt.date, *, periods=None, inbox: Path | None = None,
                 key: bytes | None = None, ran_by: str = "", report: Callable[[str], None] | None = None):
        self.alias = alias
        self.today = today
        self.periods = periods if periods is not None else retention.load()
        self.cutoffs = retention.cutoffs(today, self.periods)
        self.inbox = inbox
        self.key = key
        self.ran_by = ran_by
        self.report = report or (lambda text: None)

    # -- the run -------------------------------------------------------------------------------

    def plan(self) -> list[StepResult]:
        return [step(dry_run=True) for step in self._steps()]

    def carry_out(self) -> list[StepResult]:
        from egenkontroll.retention.models import RetentionRun

        if self.key is None:
            raise ValueError("gallring av ärenden kräver pseudonymnyckeln (EGK_PSEUDONYM_KEY_FILE)")
        with transaction.atomic(using=self.alias):
            self.run = RetentionRun.objects.using(self.alias).create(
                ran_at=timezone.now(), ran_by=self.ran_by, today=self.today,
                cutoffs={k: v.isoformat() for k, v in self.cutoffs.items()},
            )
            results = [step(dry_run=False) for step in self._steps()]
            self.run.counts = {r.kind: r.counts for r in results}
            self.run.save(update_fields=["counts", "figures_horizon"])
        # The pages' cache of the import before holds the removed cases too: gone with them (the
        # gallring is part of the cache's key, pages/snapshot.py, so nothing new is made from it).
        from egenkontroll.pages import snapshot

        snapshot.prune_disk_cache(snapshot.data_version(self.alias))
        return results

    def _steps(self):
        return (self.cases, self.rejected_rows, self.inbox_files, self.audit_protocols, self.deviation_texts,
                self.access_log)

    def _result(self, kind: str) -> StepResult:
        return StepResult(kind, self.periods[kind].title, self.cutoffs[kind])

    def _sql(self, sql: str, params=()) -> int:
        with connections[self.alias].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def _count(self, sql: str, params=()) -> int:
        with connections[self.alias].cursor() as cursor:
            cursor.execute(sql, params)
            return int(cursor.fetchone()[0])

    # -- cases -----------------------------------------------------------------------------------

    def cases(self, dry_run: bool) -> StepResult:
        """Closed cases whose last event is before the cut-off: every row that belongs to them."""
        from egenkontroll.cases.models import Case, Event, EventRevision, Obligation, Person

        result = self._result("arenden")
        cutoff = result.cutoff
        case, event, revision = Case._meta.db_table, Event._meta.db_table, EventRevision._meta.db_table
        obligation, person = Obligation._meta.db_table, Person._meta.db_table
        old = f"SELECT case_id FROM {case} WHERE closed_date IS NOT NULL AND closed_date < %s AND last_date < %s"  # noqa: S608
        params = (cutoff, cutoff)
        tables = {
            "skyldigheter": (obligation, f"case_id IN ({old})"),
            "versioner": (revision, f"event_id IN (SELECT event_id FROM {event} WHERE case_id IN ({old}))"),  # noqa: S608
            "händelser": (event, f"case_id IN ({old})"),
        }
        retired = Case.objects.using(self.alias).filter(closed_date__lt=cutoff, last_date__lt=cutoff)
        if dry_run:
            result.counts = {name: self._count(f"SELECT COUNT(*) FROM {table} WHERE {where}", params)  # noqa: S608
                             for name, (table, where) in tables.items()}
            result.counts["ärenden"] = retired.count()
            result.note = "nyckeltalen för månader före gallringen arkiveras först"
            return result
        if not retired.exists():
            result.counts = dict.fromkeys([*tables, "ärenden"], 0)
            return result
        result.counts["arkiverade nyckeltal"] = self._archive_figures(cutoff.replace(day=1))
        self._remember(retired)
        for name, (table, where) in tables.items():
            result.counts[name] = self._sql(f"DELETE FROM {table} WHERE {where}", params)  # noqa: S608
        result.counts["ärenden"] = self._sql(f"DELETE FROM {case} WHERE case_id IN ({old})", params)  # noqa: S608
        kept = Case._meta.get_field("person").column
        result.counts["personer"] = self._sql(
            f"DELETE FROM {person} WHERE person_key NOT IN (SELECT {kept} FROM {case} WHERE {kept} IS NOT NULL)"  # noqa: S608
        )
        return result

    def _remember(self, retired) -> None:
        from egenkontroll.retention.models import RetiredCase

        rows = [
            RetiredCase(case_hash=case_hash(case_id, self.key), closed_date=closed, run=self.run)
            for case_id, closed in retired.values_list("case_id", "closed_date").iterator(chunk_size=10_000)
        ]
        RetiredCase.objects.using(self.alias).bulk_create(rows, batch_size=5_000, ignore_conflicts=True)

    def _archive_figures(self, horizon: dt.date) -> int:
        """Every unit's figures for each month before `horizon` not archived yet."""
        from egenkontroll.retention.archive import archive_months

        count = archive_months(self.alias, self.today, horizon, self.run, report=self.report)
        self.run.figures_horizon = horizon
        return count

    # -- import leftovers ------------------------------------------------------------------------

    def rejected_rows(self, dry_run: bool) -> StepResult:
        from egenkontroll.cases.models import RejectedRow

        result = self._result("avvisade_rader")
        start = timezone.make_aware(dt.datetime.combine(result.cutoff, dt.time.min))
        rows = RejectedRow.objects.using(self.alias).filter(run__started_at__lt=start)
        if dry_run:
            result.counts["rader"] = rows.count()
        else:
            result.counts["rader"] = rows._raw_delete(self.alias)
        return result

    def inbox_files(self, dry_run: bool) -> StepResult:
        result = self._result("importfiler")
        if self.inbox is None:
            result.note = "ingen inkorg angiven (EGK_INBOX)"
            return result
        limit = dt.datetime.combine(result.cutoff, dt.time.min).timestamp()
        old = [entry for folder in INBOX_FOLDERS if (self.inbox / folder).is_dir()
               for entry in (self.inbox / folder).iterdir() if entry.lstat().st_mtime < limit]
        if not dry_run:
            for entry in old:
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
        result.counts["filer"] = len(old)
        return result

    # -- audits and deviations -------------------------------------------------------------------

    def audit_protocols(self, dry_run: bool) -> StepResult:
        """Closed audits: answers stay for the result tables, without case ids and comments."""
        from egenkontroll.audits.models import AuditAnswer, AuditCase

        result = self._result("granskningsprotokoll")
        start = timezone.make_aware(dt.datetime.combine(result.cutoff, dt.time.min))
        cases = AuditCase.objects.using(self.alias).filter(audit__closed_at__lt=start).exclude(
            case_id__startswith="gallrad-")
        comments = AuditAnswer.objects.using(self.alias).filter(audit_case__in=cases).exclude(comment="")
        if dry_run:
            result.counts = {"protokoll": cases.count(), "kommentarer": comments.count()}
            return result
        result.counts["kommentarer"] = comments.update(comment="")
        result.counts["protokoll"] = cases.update(
            case_id=models.functions.Concat(models.Value("gallrad-"), models.functions.Cast("pk", models.CharField())),
            qualifying_date=None,
        )
        return result

    def deviation_texts(self, dry_run: bool) -> StepResult:
        """Closed deviations: the register row, its dates and status history stay; free text goes."""
        from egenkontroll.deviations.models import Deviation, DeviationAction, DeviationEvent

        result = self._result("avvikelsetexter")
        closed = Deviation.objects.using(self.alias).filter(closed_on__lt=result.cutoff).exclude(description=GALLRAD)
        actions = DeviationAction.objects.using(self.alias).filter(deviation__in=closed)
        # The history is append-only for the app (HistoryQuerySet); gallring is its one exception.
        notes = models.QuerySet(DeviationEvent, using=self.alias).filter(deviation__in=closed).exclude(note="")
        if dry_run:
            result.counts = {"avvikelser": closed.count(), "åtgärder": actions.count(), "anteckningar": notes.count()}
            return result
        result.counts["anteckningar"] = notes.update(note="")
        result.counts["åtgärder"] = actions.update(text=GALLRAD)
        result.counts["avvikelser"] = closed.update(
            title=GALLRAD, description=GALLRAD, investigation_summary="", conclusion="",
        )
        return result

    # -- the access log --------------------------------------------------------------------------

    def access_log(self, dry_run: bool) -> StepResult:
        """Rows older than the period, after the chain is verified and its new base recorded.

        Only with an anchor outside the database (EGK_ACCESS_LOG_ANCHOR_FILE or _SYSLOG): the
        run writes a fresh anchor right after, so the shorter log is the anchored truth and any
        later removal is caught by `log verify`. Without one the log is kept whole.
        """
        from egenkontroll.access import anchor, hashchain
        from egenkontroll.access.models import AccessLog, AccessLogBase, AccessLogCase
        from egenkontroll.web.env import envbool

        result = self._result("atkomstlogg")
        start = timezone.make_aware(dt.datetime.combine(result.cutoff, dt.time.min))
        old = AccessLog.objects.using(self.alias).filter(at__lt=start)
        last = old.order_by("-seq").values_list("seq", "hash").first()
        result.counts["rader"] = old.count() if last else 0
        anchor_file = os.environ.get(anchor.FILE_ENV) or None
        to_syslog = envbool(anchor.SYSLOG_ENV, False)
        if not (anchor_file or to_syslog):
            result.note = "ingen ankarfil eller syslog för loggen (EGK_ACCESS_LOG_ANCHOR_FILE): loggen behålls hel"
            if not dry_run:
                result.counts["rader"] = 0
            return result
        if dry_run or not last:
            return result
        verification = hashchain.verify(using=self.alias)
        if not verification.ok:
            raise ValueError(f"åtkomstloggen är inte hel ({verification.problems[0]}): ingen gallring av loggen")
        seq, row_hash = last
        with transaction.atomic(using=self.alias):
            AccessLogBase.objects.using(self.alias).create(seq=seq, hash=row_hash, removed=result.counts["rader"],
                                                           at=timezone.now())
            AccessLogCase.objects.using(self.alias).filter(entry__seq__lte=seq)._raw_delete(self.alias)
            AccessLog.objects.using(self.alias).filter(seq__lte=seq)._raw_delete(self.alias)
            hashchain.append(user_id=None, username=self.ran_by, roles="", action="admin", page="gallring",
                             case_ids=(), detail=f"gallrade {result.counts['rader']} loggrader t.o.m. seq={seq}",
                             client="cli")
        line = anchor.signed_line(anchor.current(self.alias, source="gallring"))
        if anchor_file:
            anchor.append_to_file(line, anchor_file)
        if to_syslog:
            anchor.send_to_syslog(line)
        return result
