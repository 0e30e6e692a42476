"""What the audit pages share: the user's rights, the page frame, templates and names of units."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from egenkontroll.access.scoping import request_scope
from egenkontroll.audits.frozen_template import template_from_json
from egenkontroll.audits.models import Audit
from egenkontroll.audits.rights import AuditRights, rights_for
from egenkontroll.core.audits import Template
from egenkontroll.pages.frame import download_links, render_app_page, unit_names  # noqa: F401  (re-exported to the views)


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


def render_audit_page(request, template: str, title: str, context: dict, status: int = 200):
    return render_app_page(request, template, title, context, "granskning", status)
