"""Importera svar: the answers of an audit done on paper or in Excel, into this audit's protocols.

Why it exists: see `audits.answer_import`. The page is person-level (it writes answers about
single cases): only auditors whose reach holds a district of the audit may use it; every case
whose answers were stored is written to the access log, and each row the user may not review
is rejected like any other bad row. The file is read in memory, limited in size and rows
(`core.audit_answers`); its values are never logged.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from egenkontroll.access.scoping import person_level, record_cases, request_scope
from egenkontroll.audits.answer_import import import_answers
from egenkontroll.audits.views.common import audit_or_404, render_audit_page, rights, template_of, unit_names
from egenkontroll.core.audit_answers import (
    COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    AnswerFileError,
    read_answer_bytes,
)
from egenkontroll.pages.tables import Column, Table

MAX_REJECTS_SHOWN = 500


class AnswerFileForm(forms.Form):
    file = forms.FileField(label="Svarsfil (.csv eller .xlsx)")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(f"Filen är för stor (högst {MAX_FILE_BYTES // (1024 * 1024)} MB).")
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError("Använd en .csv- eller .xlsx-fil.")
        return upload


def _rejects_table(rejects) -> Table:
    table = Table(
        id="avvisade",
        caption="Avvisade rader",
        columns=[Column("row", "Rad", "int"), Column("column", "Kolumn", "id"), Column("value", "Värde"),
                 Column("reason", "Skäl")],
        note=" Personnummer i filen visas dolda. Rätta raderna och importera filen igen: svar som redan finns ersätts.",
    )
    for row, column, value, reason in rejects[:MAX_REJECTS_SHOWN]:
        table.add({"row": row, "column": column, "value": value or "", "reason": reason})
    return table


@person_level(page="granskning-import")
def importera(request, audit_id: int):
    audit = audit_or_404(audit_id)
    r = rights(request)
    if not any(r.audits_unit(d) for d in audit.district_ids):
        raise PermissionDenied
    template = template_of(audit)
    names = unit_names(audit.district_ids)
    form, outcome, status = AnswerFileForm(), None, 200
    if audit.closed_at is not None:
        messages.error(request, "Granskningen är avslutad: svar kan inte importeras.")
    elif request.method == "POST":
        form = AnswerFileForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                answer_file = read_answer_bytes(upload.read(), upload.name)
            except AnswerFileError as exc:
                form.add_error("file", str(exc))
            else:
                result = import_answers(request.user, request_scope(request), audit, template, answer_file, r, names)
                record_cases(request, result.cases)
                if result.closed:
                    messages.error(request, "Granskningen avslutades innan svaren sparades. Ingenting ändrades.")
                    status = 409
                else:
                    messages.success(request, f"{result.answers} svar i {len(result.cases)} ärenden importerades; "
                                              f"{len(result.rejects)} rader avvisades.")
                outcome = {"result": result, "rejects": _rejects_table(result.rejects) if result.rejects else None}
        if form.errors:
            status = 400
    return render_audit_page(
        request, "audits/importera.html", f"Importera svar – {audit.title}",
        {"audit": audit, "template": template, "form": form, "outcome": outcome, "columns": ", ".join(COLUMNS),
         "max_rows": MAX_ROWS, "max_mb": MAX_FILE_BYTES // (1024 * 1024),
         "back": reverse("audits:detalj", kwargs={"audit_id": audit.pk}),
         "questions": [(q.id, q.short) for q in template.questions]},
        status=status,
    )
