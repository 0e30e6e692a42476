"""Avsluta granskning: close an audit when its protocols are done, or open it again.

Why it exists: the results reported to the committee must not change after they were reported,
so a closed audit's protocols can no longer be saved (the protocol page shows them read-only);
findings stay open to follow-up, since that work outlives the audit. An auditor who reaches
every district of the audit closes it, or opens it again to correct a protocol. Who closed it
and when is stored. A protocol save locks the audit row and re-checks the status inside its
transaction (`protokoll._save`), and the close is one UPDATE of that row, so a save racing a
close either lands before it or not at all. Closing asks first (a confirmation page saying what
is locked; the POST is repeated with bekraftat=ja), so a stray click freezes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from egenkontroll.access.scoping import aggregate
from egenkontroll.audits.models import Audit
from egenkontroll.audits.views.common import audit_or_404, rights
from egenkontroll.pages.frame import confirmation, confirmed

STATUSES = ("avslutad", "pagaende")


def may_close_audit(request, audit: Audit) -> bool:
    """Auditors whose reach covers every district of the audit."""
    right = rights(request)
    return right.is_auditor and all(right.audits_unit(d) for d in audit.district_ids)


@aggregate(page="granskning")
def audit_status(request, audit_id: int):
    audit = audit_or_404(audit_id)
    if not may_close_audit(request, audit):
        raise PermissionDenied
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    status = request.POST.get("status")
    if status not in STATUSES:
        return HttpResponseBadRequest(
            "Okänd status: skicka status=avslutad eller status=pagaende.", content_type="text/plain; charset=utf-8"
        )
    closing = status == "avslutad"
    if closing and audit.closed_at is None and not confirmed(request):
        return _ask_before_closing(request, audit)
    # One conditional UPDATE: it takes the row lock a protocol save waits on, and closing an
    # audit that is already closed keeps who closed it first.
    Audit.objects.filter(pk=audit.pk, closed_at__isnull=closing).update(
        closed_at=timezone.now() if closing else None, closed_by=request.user if closing else None,
    )
    messages.success(
        request,
        "Granskningen är avslutad: protokollen kan inte längre ändras." if closing
        else "Granskningen är öppnad igen: protokollen kan ändras.",
    )
    return redirect("audits:detalj", audit_id=audit.pk)


def _ask_before_closing(request, audit: Audit):
    """Say what closing freezes before it is done (the results may then be reported to the nämnd)."""
    cases = audit.cases.all()
    done = sum(1 for c in cases if c.complete)
    total = len(cases)
    return confirmation(
        request,
        title=f"Avsluta granskningen {audit.title}?",
        question="När granskningen avslutas låses protokollen. Det här låses:",
        frozen=[
            f"{total} protokoll ({done} klara, {total - done} ej klara) – svaren kan inte längre ändras",
            "resultaten per kvalitetsområde och stadsdel, som de då redovisas",
            "vem som avslutade granskningen och när",
        ],
        confirm_label="Ja, avsluta granskningen",
        cancel_url=reverse("audits:detalj", kwargs={"audit_id": audit.pk}),
        current="granskning",
        hidden=[("status", "avslutad")],
    )
