"""The committee report as one JSON document: built live for a draft, frozen when fastställd.

Why it exists: the page, the PDF and the workbook must show the same report, and a fastställd
report must show what was fastställt even after a re-import or a new target. So every reader
goes through `document(report)`: for a draft it is built now from the stored figures
(`Snapshot.figures` for the report month and the five before it, `as_of` = each month's last
day, judged by `target_misses`); for a fastställd report it is the copy written by `finalize`.
The document holds aggregated figures and the analyses only — never a case id or a person:
who wrote an analysis and who fastställde the report are role titles ("avdelningschef, Norra
förvaltningen"), the user accounts stay in the database rows.
Beside every exact value it holds `masked_value`, the cell as the nämnd's Översikt shows it
for that month (`masking`), so the masked view of a fastställd report is frozen with it.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.db import transaction
from django.utils import timezone

from egenkontroll.core import target_misses as TM
from egenkontroll.core.identity import mask
from egenkontroll.pages import snapshot
from egenkontroll.reports import masking
from egenkontroll.reports.models import DRAFT, FINAL, MonthlyReport, TargetMissAnalysis
from egenkontroll.reports.rights import EDIT_ROLES, FINALIZE_ROLES, role_title

# 2: every value has its masked_value beside it; role titles instead of user names.
VERSION = 2


class NotReady(ValueError):
    """The report cannot be fastställd yet (a target miss lacks its analysis)."""


def _number(value):
    """A JSON-safe number: NaN (no value) as None."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value


def month_frames(snap: snapshot.Snapshot, month: dt.date) -> dict[dt.date, pl.DataFrame]:
    """The figures of the report month and the months of its trend, each seen on its last day."""
    return {m: unit_figures(snap, m) for m in TM.trend_window(month)}


def unit_figures(snap: snapshot.Snapshot, month: dt.date) -> pl.DataFrame:
    """Every unit's figures of the month seen on its last day: a report is about units, never caseworkers."""
    return snap.figure_rows(month, TM.month_end(month), TM.month_end(month), snapshot.UNIT_ROWS)


def build(report: MonthlyReport, snap: snapshot.Snapshot | None = None) -> dict:
    """The live document of a report (without analyses; see `document`)."""
    snap = snap or snapshot.current()
    level = snap.unit_levels.get(report.unit_id)
    if level not in TM.REPORT_LEVELS:
        raise ValueError(f"enheten {report.unit_id!r} är ingen förvaltning eller stad i de inlästa uppgifterna")
    month = report.month
    frames = month_frames(snap, month)
    catalogue = snap.catalogue
    assessed = TM.assess({month: frames[month]}, catalogue, level).filter(pl.col("unit_id") == report.unit_id)
    found = TM.target_misses(frames, month, catalogue, level).filter(pl.col("unit_id") == report.unit_id)
    hidden = {m: masking.masked_figures(frame, catalogue, report.unit_id) for m, frame in frames.items()}
    by_kpi = {row["kpi"]: row for row in assessed.iter_rows(named=True)}
    figures = []
    for kpi in catalogue.values():
        row = by_kpi.get(kpi.id, {})
        figures.append(
            {
                **_kpi_fields(kpi),
                "value": _number(row.get("value")),
                "masked_value": _number(hidden[month].get(kpi.id)),
                "numerator": row.get("numerator"),
                "denominator": row.get("denominator"),
                "status": row.get("status"),
            }
        )
    found_rows = []
    for row in found.iter_rows(named=True):
        kpi = catalogue[row["kpi"]]
        found_rows.append(
            {
                **_kpi_fields(kpi),
                "value": _number(row["value"]),
                "masked_value": _number(hidden[month].get(kpi.id)),
                "numerator": row["numerator"],
                "denominator": row["denominator"],
                "recurring": bool(row["recurring"]),
                "trend": [
                    {
                        "month": t["month"].isoformat(),
                        "value": _number(t["value"]),
                        "masked_value": _number(hidden[t["month"]].get(kpi.id)),
                        "numerator": t["numerator"],
                        "denominator": t["denominator"],
                        "status": t["status"],
                    }
                    for t in row["trend"]
                ],
            }
        )
    return {
        "version": VERSION,
        "month": month.isoformat(),
        "period_from": month.isoformat(),
        "period_to": TM.month_end(month).isoformat(),
        "as_of": TM.month_end(month).isoformat(),
        "unit": {"id": report.unit_id, "name": snap.unit_names.get(report.unit_id, report.unit_id), "level": level},
        "import_run": _import_run(snap),
        "figures": figures,
        "target_misses": found_rows,
    }


def _import_run(snap: snapshot.Snapshot) -> dict:
    """The import run the figures come from: `snapshot.data_version` is (database engine, name,
    host, port, import run id, its start, targets file, latest gallring, digest of the definitions);
    unpacked whole, so a change of that tuple fails here loudly rather than storing the wrong field."""
    _engine, _name, _host, _port, run_id, started_at, _targets, _gallring, _definitions = snap.version
    return {"id": run_id, "started_at": str(started_at)} if run_id is not None else {}


def _kpi_fields(kpi) -> dict:
    return {
        "kpi": kpi.id, "title": kpi.title, "unit": kpi.unit, "kind": kpi.kind, "better": kpi.better,
        "target": kpi.target,
    }


def analyses_of(report: MonthlyReport) -> dict[str, dict]:
    """kpi id → {cause, actions, author_role, updated_at} of the report's stored analyses."""
    return {
        a.kpi_id: {
            "cause": a.cause,
            "actions": a.actions,
            "author_role": a.author_role,
            "updated_at": a.updated_at.isoformat(),
        }
        for a in report.analyses.all()
    }


def document(report: MonthlyReport) -> dict:
    """The report as shown: the frozen copy when fastställd, else built now with the stored analyses."""
    if report.is_final:
        return report.frozen
    return {**build(report), "analyses": analyses_of(report)}


def missing_analyses(doc: dict) -> list[str]:
    """Titles of the target misses without both a cause and an action."""
    analyses = doc.get("analyses", {})
    return [
        d["title"]
        for d in doc["target_misses"]
        if not (analyses.get(d["kpi"], {}).get("cause", "").strip() and analyses.get(d["kpi"], {}).get("actions", "").strip())
    ]


def save_analysis(report: MonthlyReport, kpi_id: str, cause: str, actions: str, author) -> TargetMissAnalysis:
    """Store an analysis, anything looking like a personnummer masked (the text may reach the nämnd)."""
    analysis, _ = TargetMissAnalysis.objects.get_or_create(report=report, kpi_id=kpi_id, defaults={"author": author})
    analysis.cause = mask(cause.strip()) or ""
    analysis.actions = mask(actions.strip()) or ""
    analysis.author = author
    analysis.author_role = role_title(author, report.unit_id, EDIT_ROLES)
    analysis.save()
    return analysis


def finalize(report: MonthlyReport, user) -> MonthlyReport:
    """Freeze the document and mark the report fastställd; refuses while a target miss lacks an analysis.

    The status changes with an optimistic `filter(status=utkast).update(...)`: two users pressing
    Fastställ at once freeze it once, and the second is told it already was.
    """
    doc = document(report)
    missing = missing_analyses(doc)
    if missing:
        raise NotReady("analys saknas för: " + ", ".join(missing))
    doc["analyses"] = {k: v for k, v in doc["analyses"].items() if k in {d["kpi"] for d in doc["target_misses"]}}
    now = timezone.now()
    doc["finalized"] = {"at": now.isoformat(), "by_role": role_title(user, report.unit_id, FINALIZE_ROLES)}
    with transaction.atomic():
        changed = MonthlyReport.objects.filter(pk=report.pk, status=DRAFT).update(
            status=FINAL, frozen=doc, finalized_at=now, finalized_by=user
        )
    if not changed:
        raise NotReady("rapporten är redan fastställd")
    report.refresh_from_db()
    return report
