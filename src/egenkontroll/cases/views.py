"""Importer: every import run with its time, rows, rejects, status and what changed.

Why: the municipality's IT and the controllers must see that last night's import ran, and the
rows it refused, without reading a cron log. The rejects download holds masked values, event
ids and reasons; it is written to the access log like every other export of row-level data.
"""

from __future__ import annotations

from pathlib import PurePath

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from egenkontroll.access.scoping import import_reviewer_required, log_access
from egenkontroll.cases.models import ImportRun, RejectedRow
from egenkontroll.cases.status import import_status
from egenkontroll.pages import downloads
from egenkontroll.pages.frame import download_links, render_app_page
from egenkontroll.pages.tables import Column, Table

RUNS_SHOWN = 60
STATUS_LABELS = {"ok": "Klar", "rejects": "Klar, med avvisade rader", "failed": "Misslyckades", "running": "Pågår"}


def _runs_table(runs) -> Table:
    table = Table("korningar", "Importer, senaste först", [
        Column("started", "Start"), Column("status", "Status"), Column("source", "Fil"),
        Column("duration", "Tid (s)", "ratio"), Column("rows_read", "Rader lästa", "int"),
        Column("imported", "Nya", "int"), Column("updated", "Ändrade", "int"), Column("unchanged", "Oförändrade", "int"),
        Column("rejected", "Avvisade", "int"), Column("retired", "Gallrade", "int"),
        Column("affected", "Berörda ärenden", "int"),
        Column("obligations", "Skyldigheter omräknade", "int"), Column("message", "Meddelande"),
    ])
    for index, run in enumerate(runs):
        table.rows.append({
            "started": timezone.localtime(run.started_at).strftime("%Y-%m-%d %H:%M"),
            "status": STATUS_LABELS.get(run.status, run.status),
            "source": PurePath(run.source).name,
            "duration": run.duration_seconds,
            "rows_read": run.rows_read, "imported": run.imported, "updated": run.updated, "unchanged": run.unchanged,
            "rejected": run.rejected + run.link_rejected, "retired": run.retired, "affected": run.affected_cases,
            "obligations": run.obligations, "message": run.message,
        })
        if run.rejected + run.link_rejected:
            table.links[(index, "rejected")] = reverse("cases:avvisade", kwargs={"run_id": run.pk, "fmt": "csv"})
    return table


@import_reviewer_required()
def importer(request):
    runs = list(ImportRun.objects.defer("changed_cases").order_by("-started_at", "-id")[:RUNS_SHOWN])
    status = import_status()
    rejected = [r for r in runs if r.rejected + r.link_rejected][:10]
    return render_app_page(request, "cases/importer.html", "Importer", {
        "status": status, "newest": runs[0] if runs else None, "newest_label": STATUS_LABELS.get(runs[0].status) if runs else "",
        "table": _runs_table(runs),
        "reject_links": [(timezone.localtime(r.started_at).strftime("%Y-%m-%d %H:%M"), r.rejected + r.link_rejected,
                          download_links(lambda fmt, pk=r.pk: reverse("cases:avvisade", kwargs={"run_id": pk, "fmt": fmt})))
                         for r in rejected],
    }, current="importer")


@import_reviewer_required()
def rejects_download(request, run_id: int, fmt: str):
    run = get_object_or_404(ImportRun, pk=run_id)
    table = Table("avvisade", "Avvisade rader", [
        Column("stage", "Steg"), Column("file", "Fil"), Column("row", "Rad", "int"), Column("event_id", "Händelse-id", "id"),
        Column("column", "Kolumn"), Column("value", "Värde (maskerat)"), Column("reason", "Skäl"),
    ])
    table.rows = list(RejectedRow.objects.filter(run=run).order_by("file", "row", "id").values(
        "stage", "file", "row", "event_id", "column", "value", "reason"))
    log_access(request, action="export", page="importer",
               detail=f"avvisade rader från importen {run.pk} ({len(table.rows)} rader)")
    response = downloads.response(table, fmt, f"avvisade-rader-import-{run.pk}")
    response["Cache-Control"] = "no-store"
    return response
