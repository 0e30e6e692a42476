"""What the audit pages share: the user's rights, the page frame, templates and names of units."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render

from egenkontroll.access.scoping import request_scope
from egenkontroll.audits.frozen_template import template_from_json
from egenkontroll.audits.models import Audit
from egenkontroll.audits.rights import AuditRights, rights_for
from egenkontroll.cases.models import OrgUnit
from egenkontroll.core.audits import Template
from egenkontroll.overview.views.common import DOWNLOAD_LABELS, ROLE_LABELS, nav


def rights(request) -> AuditRights:
    cached = getattr(request, "egk_audit_rights", None)
    if cached is None:
        cached = request.egk_audit_rights = rights_for(request_scope(request))
    return cached


def audit_or_404(audit_id: int) -> Audit:
    return get_object_or_404(Audit, pk=audit_id)


def template_of(audit: Audit) -> Template:
    """The template as stored with the audit: later changes to the templates file do not reach it."""
    return template_from_json(audit.template_snapshot)


def unit_names(unit_ids) -> dict[str, str]:
    ids = sorted({u for u in unit_ids if u})
    return dict(OrgUnit.objects.filter(unit_id__in=ids).values_list("unit_id", "name"))


def render_audit_page(request, template: str, title: str, context: dict, status: int = 200):
    scope = request_scope(request)
    return render(
        request,
        template,
        {
            **context,
            "page_title": title,
            "nav": nav(request, "granskning"),
            "role_labels": ", ".join(ROLE_LABELS.get(r, r) for r in sorted(scope.roles)),
        },
        status=status,
    )


def download_links(url_for) -> list[tuple[str, str]]:
    return [(label, url_for(fmt)) for fmt, label in DOWNLOAD_LABELS]
