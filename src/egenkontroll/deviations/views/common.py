"""What the deviation pages share: the rules, the user's rights, the page frame, access-logged lookups."""

from __future__ import annotations

import functools

from django.core.exceptions import PermissionDenied
from django.http import Http404

from egenkontroll.access.scoping import log_access, request_scope
from egenkontroll.core.deviation_rules import DeviationRules, load_rules
from egenkontroll.deviations.models import Deviation
from egenkontroll.deviations.rights import DeviationRights, rights_for
from egenkontroll.pages.frame import download_links, render_app_page, unit_names  # noqa: F401  (re-exported to the views)

PAGE = "avvikelse"


def rules() -> DeviationRules:
    return load_rules()


def rights(request) -> DeviationRights:
    cached = getattr(request, "egk_deviation_rights", None)
    if cached is None:
        cached = request.egk_deviation_rights = rights_for(request_scope(request))
    return cached


def deviation_view(view):
    """A page about one deviation: person-level roles only (403, logged as denied, for others);
    a deviation the user may not read is 404 and logged as denied."""

    @functools.wraps(view)
    def wrapped(request, deviation_id: int, *args, **kwargs):
        if not rights(request).person_level:
            log_access(request, action="denied", page=PAGE, detail="saknar behörighet till avvikelser")
            raise PermissionDenied
        try:
            return view(request, deviation_id, *args, **kwargs)
        except Http404:
            log_access(request, action="denied", page=PAGE, detail=f"avvikelse id {deviation_id} utanför behörigheten")
            raise

    wrapped.egk_access = ("person_level", PAGE)
    return wrapped


def visible_or_404(request, deviation_id: int) -> Deviation:
    deviation = rights(request).visible(Deviation.objects.filter(pk=deviation_id)).first()
    if deviation is None:
        raise Http404("Avvikelsen finns inte eller ligger utanför din behörighet.")
    return deviation


def render_deviation_page(request, template: str, title: str, context: dict, status: int = 200):
    return render_app_page(request, template, title, context, "avvikelser", status)
