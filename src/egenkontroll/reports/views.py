"""Nämndrapport: the monthly report by exception to the committee, from draft to fastställd.

Why it exists: every month the social services tell the nämnd which key figures missed their
target and why (seeds 001 and 004: results are reported to the socialnämnd, with the measures
taken). Today that is written by hand from figures copied out of several systems. Here the
target misses come from the same engine as every page (`target_misses`), managers write the analysis
(orsak, vidtagna och planerade åtgärder) beside each one, and a verksamhetscontroller or
avdelningschef fastställer the report, which freezes it (`document.finalize`). Who may do what
is in `rights`. The pages hold aggregated figures only, never a case or a person.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse

from egenkontroll.access.scoping import request_scope
from egenkontroll.core import target_misses as TM
from egenkontroll.pages import downloads, periods, snapshot
from egenkontroll.pages.downloads import ascii_filename
from egenkontroll.pages.frame import confirmation, confirmed, render_app_page
from egenkontroll.pages.tables import MASK_NOTE, Column, Table
from egenkontroll.reports import document as docs
from egenkontroll.reports import exports
from egenkontroll.reports import presentation as P
from egenkontroll.reports.forms import TEXT_MAX, AnalysisForm, NewReportForm, offered_months
from egenkontroll.reports.models import STATUS_LABELS, MonthlyReport
from egenkontroll.reports.rights import reports_required, rights

PAGE = "rapport"
DOWNLOADS = (("pdf", "PDF"), ("xlsx", "Excel (XLSX)"))


def _render(request, template: str, title: str, context: dict, status: int = 200):
    return render_app_page(request, template, title, context, PAGE, status)


# ---------------------------------------------------------------- the list


def _draft_counts(months: set[dt.date]) -> dict[tuple[dt.date, str], int]:
    """(month, unit) → target misses of the month at the förvaltningar and the city, computed now."""
    if not months:
        return {}
    snap = snapshot.current()
    counts = {}
    for month in sorted(months):
        frame = docs.unit_figures(snap, month)
        for level in TM.REPORT_LEVELS:
            missed = (
                TM.assess({month: frame}, snap.catalogue, level)
                .filter(pl.col("status") == "miss")
                .group_by("unit_id")
                .len()
            )
            counts |= {(month, unit_id): n for unit_id, n in missed.iter_rows()}
    return counts


def _cell_text(report: MonthlyReport, count: int | None) -> str:
    found = "–" if count is None else f"{count} {'avvikelse' if count == 1 else 'avvikelser'}"
    return f"{STATUS_LABELS[report.status]}, {found}"


def overview_table(request) -> Table:
    """Months (the last twelve and any older with a report) × report units: status and target misses."""
    r = rights(request)
    units = r.report_units()
    unit_ids = [u for u, _, _ in units]
    reports = {
        (rep.month, rep.unit_id): rep
        for rep in MonthlyReport.objects.filter(unit_id__in=unit_ids)
        if r.may_read(rep)
    }
    months = sorted(set(offered_months(periods.today())) | {m for m, _ in reports}, reverse=True)
    drafts = {m for (m, _), rep in reports.items() if not rep.is_final}
    live = _draft_counts(drafts)
    table = Table(
        id="rapporter",
        caption="Nämndrapporter per månad",
        columns=[Column("month", "Månad")] + [Column(u, name or u) for u, name, _ in units],
    )
    for month in months:
        row, links = {"month": P.month_label(month)}, {}
        for unit_id in unit_ids:
            rep = reports.get((month, unit_id))
            if rep is None:
                row[unit_id] = "ej påbörjad"
                continue
            count = len(rep.frozen["target_misses"]) if rep.is_final else live.get((month, unit_id), 0)
            row[unit_id] = _cell_text(rep, count)
            links[unit_id] = reverse("reports:detalj", kwargs={"report_id": rep.pk})
        table.add(row, links=links)
    return table


def _new_form(request, data=None) -> NewReportForm | None:
    r = rights(request)
    units = [(u, name or u) for u, name, _ in r.report_units() if r.may_open(u)]
    if not units:
        return None
    return NewReportForm(data, today=periods.today(), units=units)


@reports_required(PAGE)
def lista(request):
    return _render_list(request, _new_form(request))


def _render_list(request, form, status: int = 200):
    return _render(
        request,
        "reports/lista.html",
        "Nämndrapport",
        {"table": overview_table(request), "form": form, "masked": request_scope(request).masked},
        status=status,
    )


@reports_required(PAGE)
def ny(request):
    """Open (or go to) the draft of a month for a förvaltning or the city."""
    if not rights(request).may_open_some:
        raise PermissionDenied
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = _new_form(request, request.POST)
    if form is None or not form.is_valid():
        return _render_list(request, form, status=400)
    report, created = MonthlyReport.objects.get_or_create(
        month=form.cleaned_month(), unit_id=form.cleaned_data["unit"], defaults={"created_by": request.user}
    )
    if created:
        messages.success(request, "Utkastet är skapat.")
    return redirect("reports:detalj", report_id=report.pk)


# ---------------------------------------------------------------- one report


def readable_report(request, report_id: int) -> MonthlyReport:
    """The report if the user may read it; 404 otherwise (a draft is not there for the nämnd)."""
    report = get_object_or_404(MonthlyReport, pk=report_id)
    if not rights(request).may_read(report):
        raise Http404("Rapporten finns inte eller ligger utanför din behörighet.")
    return report


def report_document(report: MonthlyReport) -> dict:
    try:
        return docs.document(report)
    except ValueError as exc:  # the unit is gone from the imported organisation
        raise Http404(str(exc)) from exc


def report_context(request, report: MonthlyReport, doc: dict, bound: dict | None = None) -> dict:
    r = rights(request)
    masked = r.masked(report.unit_id)
    sections = P.target_miss_sections(doc, masked)
    editable = r.may_edit(report)
    for section in sections:
        analysis = section["analysis"]
        section["form"] = (
            (bound or {}).get(section["kpi"]) or AnalysisForm(
                initial={"cause": analysis.get("cause", ""), "actions": analysis.get("actions", "")},
                prefix=section["kpi"],
            )
            if editable
            else None
        )
    return {
        "report": report,
        "doc": doc,
        "month_label": P.month_label(doc["month"]),
        "level_label": P.LEVEL_TEXT.get(doc["unit"]["level"], ""),
        "masked": masked,
        "mask_note": MASK_NOTE.strip(),
        "summary": P.summary_table(doc, masked),
        "sections": sections,
        "charts": [s["chart"] for s in sections if s["chart"]],
        "editable": editable,
        "may_finalize": r.may_finalize(report),
        "missing": docs.missing_analyses(doc),
        "downloads": [
            (label, reverse("reports:export", kwargs={"report_id": report.pk, "table": "rapport", "fmt": fmt}))
            for fmt, label in DOWNLOADS
        ],
    }


@reports_required(PAGE)
def detalj(request, report_id: int):
    report = readable_report(request, report_id)
    doc = report_document(report)
    title = f"Nämndrapport {P.month_label(doc['month'])} – {doc['unit']['name']}"
    return _render(request, "reports/detalj.html", title, report_context(request, report, doc))


def _editable_report(request, report_id: int, allowed) -> MonthlyReport:
    report = readable_report(request, report_id)
    if not allowed(rights(request), report):
        raise PermissionDenied
    return report


@reports_required(PAGE)
def analyser(request, report_id: int):
    """Save the analyses of every target miss from the one form of the page (a draft only; text
    masked for personnummer). One form, so nothing typed in one section is lost when another is
    saved; on an error the page is shown again with everything as typed. Only the analyses whose
    text changed are stored (and get the saving user as author)."""
    report = _editable_report(request, report_id, lambda r, rep: r.may_edit(rep))
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    doc = report_document(report)
    forms_ = {d["kpi"]: AnalysisForm(request.POST, prefix=d["kpi"]) for d in doc["target_misses"]}
    if not all(form.is_valid() for form in forms_.values()):
        messages.error(request, f"Analyserna sparades inte: högst {TEXT_MAX} tecken per fält. Texten finns kvar nedan.")
        context = report_context(request, report, doc, bound=forms_)
        title = f"Nämndrapport {P.month_label(doc['month'])} – {doc['unit']['name']}"
        return _render(request, "reports/detalj.html", title, context, status=400)
    stored = doc.get("analyses", {})
    saved = 0
    for kpi_id, form in forms_.items():
        cause, actions = form.cleaned_data["cause"].strip(), form.cleaned_data["actions"].strip()
        before = stored.get(kpi_id, {})
        if (cause, actions) != (before.get("cause", ""), before.get("actions", "")):
            docs.save_analysis(report, kpi_id, cause, actions, request.user)
            saved += 1
    messages.success(request, f"Analyserna är sparade ({saved} ändrade)." if saved else "Inga analyser var ändrade.")
    return redirect(reverse("reports:detalj", kwargs={"report_id": report.pk}) + "#avvikelser")


def _ask_before_finalizing(request, report: MonthlyReport):
    """Say what fastställ freezes, and what is still missing, before it is done."""
    doc = report_document(report)
    missing = docs.missing_analyses(doc)
    frozen = [
        f"{len(doc['figures'])} nyckeltal för {P.month_label(doc['month'])}, med värden och mål som de är nu "
        "– en senare inläsning eller ett ändrat mål ändrar inte rapporten",
        f"{len(doc['target_misses'])} avvikelser med sina analyser (orsak och åtgärder) – de kan inte längre ändras",
        "rapporten visas för nämnden",
    ]
    if missing:  # no button that would only be refused: say what is missing
        frozen.append("Analys saknas för: " + ", ".join(missing) + " – rapporten kan inte fastställas förrän den finns.")
    return confirmation(
        request,
        title=f"Fastställa nämndrapporten {P.month_label(doc['month'])} – {doc['unit']['name']}?",
        question="Fastställ går inte att ångra. Det här låses:",
        frozen=frozen,
        confirm_label="" if missing else "Ja, fastställ rapporten",
        cancel_url=reverse("reports:detalj", kwargs={"report_id": report.pk}),
        current=PAGE,
    )


@reports_required(PAGE)
def faststall(request, report_id: int):
    """Fastställ: refused while a target miss lacks its analysis; then the report is frozen."""
    report = _editable_report(request, report_id, lambda r, rep: r.may_finalize(rep))
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not confirmed(request):
        return _ask_before_finalizing(request, report)
    try:
        docs.finalize(report, request.user)
    except docs.NotReady as exc:
        messages.error(request, f"Rapporten kan inte fastställas: {exc}.")
    else:
        messages.success(request, "Rapporten är fastställd. Siffrorna och analyserna är nu låsta.")
    return redirect("reports:detalj", report_id=report.pk)


@reports_required(PAGE)
def export(request, report_id: int, table: str, fmt: str):
    """`ladda-ner/rapport.pdf` and `ladda-ner/rapport.xlsx`: the report as the reader sees it."""
    if table != "rapport" or fmt not in ("pdf", "xlsx"):
        raise Http404("Det finns ingen sådan nedladdning.")
    report = readable_report(request, report_id)
    doc = report_document(report)
    masked = rights(request).masked(report.unit_id)
    name = ascii_filename(f"namndrapport-{doc['unit']['id']}-{doc['month'][:7]}")
    if fmt == "pdf":
        context = report_context(request, report, doc)
        body, content_type = exports.to_pdf(context), downloads.PDF_TYPE
    else:
        tables = [P.summary_table(doc, masked), P.target_misses_table(doc, masked)]
        body, content_type = exports.to_xlsx(tables), downloads.XLSX_TYPE
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
