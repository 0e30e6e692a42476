"""The main menu, derived from the rights the views themselves check.

Why it exists: pages a role may open were reachable only by typing the URL (/sok/, the log
follow-up, user administration). Each menu entry names a URL; whether a user sees it is asked
of that URL's view (`egk_may`, set by the access decorators in access/scoping.py), so the
menu and the views cannot drift: a page the view lets a user open is in that user's menu.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, resolve, reverse

from egenkontroll.access.scoping import request_scope

# (URL name, label, the `current` key the page's view passes), in menu order.
MENU = (
    ("overview:arbetslista", "Arbetslista", "arbetslista"),
    ("overview:datakvalitet", "Datakvalitet", "datakvalitet"),  # the marks of the work list, per unit
    ("access:sok", "Sök ärende", "sok"),
    ("overview:oversikt", "Översikt", "oversikt"),
    ("overview:flode", "Flöde", "flode"),
    ("overview:handlaggare", "Handläggare", "handlaggare"),
    ("overview:nyckeltal", "Nyckeltal", "nyckeltal"),
    ("audits:lista", "Granskning", "granskning"),
    ("reports:lista", "Nämndrapport", "rapport"),
    ("planning:planering", "Planering", "planering"),
    ("deviations:lista", "Avvikelser", "avvikelser"),
    ("access:logguppfoljning", "Logguppföljning", "logguppfoljning"),
    ("cases:importer", "Importer", "importer"),
    ("access:anvandare", "Användare och roller", "anvandare"),
)


def may_open(scope, url: str) -> bool:
    """Whether the view behind `url` lets this scope in (the view's own check)."""
    check = getattr(resolve(url).func, "egk_may", None)
    if check is None:
        raise LookupError(f"{url}: vyn saknar behörighetskontroll (egk_may) och kan inte stå i menyn")
    return check(scope)


def menu(request, current: str = "") -> list[dict]:
    """The menu entries this user may open; `current` (or the path) marks the page shown."""
    scope = request_scope(request)
    items = []
    for name, label, key in MENU:
        try:
            url = reverse(name)
        except NoReverseMatch:  # an app that is not installed, or a page not in this build
            continue
        if may_open(scope, url):
            items.append({"label": label, "url": url, "current": key == current or request.path == url})
    return items
