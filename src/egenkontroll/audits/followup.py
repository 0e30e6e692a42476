"""An audit beside the events (pre-filled answers, agreement) and beside last year's audit of the same template.

Why it exists: the inspectors want to know where the case system already answers a question
(and how often the reviewers agree with it), and whether the districts improved since the last
audit of the same theme — question by question, by the same template and question ids. Both are
aggregated tables (no case ids) built with `pages.tables.Table`; the pre-filled answers of
single cases are shown on the protocol page, which is person-level and logged.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from egenkontroll.audits.models import Audit, AuditCase
from egenkontroll.audits.tables import Results, answers_frame
from egenkontroll.core.audit_prefill import agreement, system_answers
from egenkontroll.core.audits import ALL_DISTRICTS, PREFILLS, Template
from egenkontroll.pages.tables import Column, Table


def prefilled(audit: Audit, template: Template, case_ids: list[str] | None = None) -> pl.DataFrame:
    """The system's answers for the audit's sampled cases (or the given ones) from the stored events and obligations."""
    from egenkontroll.cases.models import Event, Obligation

    if not any(q.prefill for q in template.questions):
        return pl.DataFrame(schema={"case_id": pl.Utf8, "question_id": pl.Utf8, "answer": pl.Utf8})
    if case_ids is None:
        case_ids = list(AuditCase.objects.filter(audit=audit).values_list("case_id", flat=True))
    events = pl.DataFrame(
        list(Event.objects.filter(case_id__in=case_ids, event_type__in=["vardplan", "genomforandeplan", "besok"])
             .values_list("case_id", "event_type", "date")),
        schema={"case_id": pl.Utf8, "event_type": pl.Utf8, "date": pl.Date}, orient="row",
    )
    today = dt.date.today()
    obligations = pl.DataFrame(
        list(Obligation.objects.filter(case_id__in=case_ids, rule="overvagande_6m").with_current_status(today)
             .values_list("case_id", "rule", "due_date", "current_status")),
        schema={"case_id": pl.Utf8, "rule": pl.Utf8, "due_date": pl.Date, "status": pl.Utf8}, orient="row",
    )
    return system_answers(template, case_ids, events, obligations, audit.period_from, audit.period_to)


def agreement_table(audit: Audit, template: Template) -> Table | None:
    """Per pre-filled question: cases compared, agreeing, share agreeing (reviewer vs the events)."""
    questions = [q for q in template.questions if q.prefill]
    if not questions:
        return None
    reviewer = answers_frame(audit, template).select("case_id", "question_id", "answer")
    found = {row["question_id"]: row for row in agreement(reviewer, prefilled(audit, template)).iter_rows(named=True)}
    table = Table(
        id="overensstammelse",
        caption="Granskarens svar jämfört med vad händelserna visar",
        columns=[Column("question", "Fråga"), Column("source", "Händelserna visar"), Column("jamforda", "Jämförda", "int"),
                 Column("overens", "Överens", "int"), Column("andel", "Andel överens", "share")],
        note=" Jämförda: ärenden där granskaren har svarat. Skiljer sig svaren, läs ärendet: händelserna kan sakna "
             "en registrering, eller granskaren ett dokument.",
    )
    for q in questions:
        row = found.get(q.id, {"jamforda": 0, "overens": 0, "andel_overens": None})
        table.add({"question": q.short, "source": PREFILLS[q.prefill], "jamforda": row["jamforda"],
                   "overens": row["overens"], "andel": row["andel_overens"]})
    return table


def previous_audit(audit: Audit) -> Audit | None:
    """The latest earlier audit of the same template (by period), to compare with."""
    return (
        Audit.objects.filter(template_id=audit.template_id, period_to__lt=audit.period_from)
        .exclude(pk=audit.pk).order_by("-period_to", "-created_at").first()
    )


def comparison_table(current: Results, earlier: Results, template: Template, earlier_audit: Audit) -> Table:
    """Question by question (same ids): andel ja now and in the earlier audit, all districts together."""
    table = Table(
        id="jamforelse",
        caption=f"Jämfört med granskningen {earlier_audit.period_from:%Y-%m-%d}–{earlier_audit.period_to:%Y-%m-%d}",
        columns=[Column("question", "Fråga"), Column("now", "Andel ja nu", "share"),
                 Column("before", "Andel ja förra gången", "share"), Column("change", "Förändring")],
        note=" Jämförs på frågans id: en fråga som inte fanns förra gången visas med –.",
    )
    for q in template.questions:
        if q.kind != "fraga":
            continue
        now = (current.cell(ALL_DISTRICTS, "question", q.id, "alla") or {}).get("andel_ja")
        before = (earlier.cell(ALL_DISTRICTS, "question", q.id, "alla") or {}).get("andel_ja")
        change = "–"
        if now is not None and before is not None:
            points = round((now - before) * 100)
            change = f"{points:+d} procentenheter" if points else "oförändrad"
        table.add({"question": q.short, "now": now, "before": before, "change": change})
    return table
