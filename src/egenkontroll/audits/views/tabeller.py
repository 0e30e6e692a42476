"""Tabeller: the audit's results as the city's inspectors print them, as page, PDF and workbook.

Why it exists: the nämnd's annual report has one table per theme — questions × districts, n in
the header, "ja" per cell, a Total, sub-n for questions asked only of some cases — and the
inspectors will only move to Egenkontroll if it prints the same (`core.audit_tables`). The
cells are exact counts, often small; so these tables are shown only to viewers whose figure
scope covers every district of the audit (`rights.exact_counts`). Everyone else — the nämnd
always — keeps the masked results of the audit page (`audits.masking`), unchanged.
"""

from __future__ import annotations

import polars as pl
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse

from egenkontroll.access.scoping import aggregate
from egenkontroll.audits.tables import answers_frame
from egenkontroll.audits.views.common import audit_or_404, render_audit_page, rights, template_of, unit_names
from egenkontroll.core.audit_render import printed, workbook
from egenkontroll.core.audit_tables import layout
from egenkontroll.pages import downloads
from egenkontroll.pages.downloads import ascii_filename
from egenkontroll.pages.tables import Column, Table


def _layout(audit, template):
    """The stored answers in the seed's layout, districts by name; questions nobody answered left out.

    Unanswered cells are kept (null), so n counts every sampled case, answered or not.
    """
    names = unit_names(audit.district_ids)
    frame = answers_frame(audit, template)
    asked = frame.filter(pl.col("answer").is_not_null())["question_id"].unique()
    answers = frame.filter(pl.col("question_id").is_in(asked.implode())).select(
        "case_id", "gender", pl.col("question_id").alias("criterion"),
        pl.col("district_id").replace(names).alias("district"), "answer",
    )
    return layout(answers, template)


def _tables(audit, template) -> list[Table]:
    out = []
    for i, p in enumerate(printed(_layout(audit, template))):
        table = Table(id=f"tabell-{i + 1}", caption=p.title,
                      columns=[Column(f"c{j}", h) for j, h in enumerate(p.header)],
                      note=" " + " ".join(p.notes) if p.notes else "")
        for row in p.rows:
            table.add({f"c{j}": v for j, v in enumerate(row)})
        out.append(table)
    return out


def _exact_or_403(request, audit) -> None:
    if not rights(request).exact_counts(audit.district_ids):
        raise PermissionDenied("Tabellerna med antal per distrikt visas bara för den som ser exakta antal.")


@aggregate(page="granskning")
def tabeller(request, audit_id: int):
    audit = audit_or_404(audit_id)
    template = template_of(audit)
    exact = rights(request).exact_counts(audit.district_ids)
    return render_audit_page(
        request, "audits/tabeller.html", f"Tabeller – {audit.title}",
        {"audit": audit, "template": template, "exact": exact, "tables": _tables(audit, template) if exact else [],
         "pdf": reverse("audits:tabeller-fil", kwargs={"audit_id": audit.pk, "fmt": "pdf"}),
         "xlsx": reverse("audits:tabeller-fil", kwargs={"audit_id": audit.pk, "fmt": "xlsx"}),
         "back": reverse("audits:detalj", kwargs={"audit_id": audit.pk})},
    )


@aggregate(page="granskning")
def tabeller_fil(request, audit_id: int, fmt: str):
    """The same tables as a PDF (WeasyPrint, nothing fetched) or a workbook."""
    audit = audit_or_404(audit_id)
    if fmt not in ("pdf", "xlsx"):
        raise Http404("Tabellerna finns som pdf och xlsx.")
    _exact_or_403(request, audit)
    template = template_of(audit)
    name = ascii_filename(f"granskning-{audit.pk}-tabeller")
    if fmt == "xlsx":
        body, content_type = workbook({audit.template_id: _layout(audit, template)}), downloads.XLSX_TYPE
    else:
        html = render_to_string("audits/tabeller_pdf.html", {"audit": audit, "template": template,
                                                              "tables": _tables(audit, template)})
        body, content_type = downloads.to_pdf(html), downloads.PDF_TYPE
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
