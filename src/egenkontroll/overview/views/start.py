"""The start page: a caseworker lands on their work list, other roles on the overview.

Why it exists: the issue makes the work list a caseworker's default landing page; managers,
controllers and the nämnd start from the figures, an administrator without such a role on user
administration. A user with no role at all is told so instead of meeting a refusal.
"""

from __future__ import annotations

from django.shortcuts import redirect, render

from egenkontroll.access.scoping import request_scope
from egenkontroll.pages.frame import nav


def start(request):
    scope = request_scope(request)
    if scope.caseworker_id and scope.person_level:
        return redirect("overview:arbetslista")
    if scope.has_figures:
        return redirect("overview:oversikt")
    if scope.person_level:
        return redirect("overview:arbetslista")
    if scope.is_admin:
        return redirect("access:anvandare")
    return render(request, "overview/start.html", {"page_title": "Egenkontroll", "nav": nav(request, "")})
