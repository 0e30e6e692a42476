"""The error pages (403, 404, 500): Swedish, in the page frame, with a way back.

Why it exists: Django's own error pages are English and bare ("403 Forbidden"), a dead end for
a user who followed an old link. These keep the menu (403, 404) so the user can go on; the 500
page uses no database and no user (the fault may be there) and links to the start page.
"""

from __future__ import annotations

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from egenkontroll.web.menu import menu

TEMPLATE = "pages/fel.html"


def _menu_or_nothing(request) -> list[dict]:
    try:
        return menu(request) if request.user.is_authenticated else []
    except Exception:  # noqa: BLE001 - an error page must render even when the menu cannot
        return []


def forbidden(request, exception=None):
    return render(request, TEMPLATE, {
        "page_title": "Ingen behörighet",
        "code": 403,
        "text": "Din roll ger inte tillgång till den här sidan eller uppgiften. Behöver du den i ditt arbete, "
                "kontakta den som administrerar Egenkontroll i din kommun.",
        "nav": _menu_or_nothing(request),
    }, status=403)


def not_found(request, exception=None):
    return render(request, TEMPLATE, {
        "page_title": "Sidan finns inte",
        "code": 404,
        "text": "Sidan eller uppgiften finns inte, eller ligger utanför det du har behörighet att se. "
                "Kontrollera adressen eller gå vidare via menyn.",
        "nav": _menu_or_nothing(request),
    }, status=404)


def server_error(request):
    """Rendered without the request: no user, no menu, no database."""
    html = loader.get_template(TEMPLATE).render({
        "page_title": "Något gick fel",
        "code": 500,
        "text": "Ett oväntat fel inträffade och har loggats. Försök igen om en stund; kvarstår felet, "
                "kontakta den som administrerar Egenkontroll i din kommun.",
    })
    return HttpResponseServerError(html)
