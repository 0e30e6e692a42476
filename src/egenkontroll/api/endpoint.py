"""One decorator for every API endpoint: method, parameters, the token, the scope, the log, the reply.

Why one place: each endpoint then says only what it answers. Every call is authenticated by a
service-account token (`Authorization: Bearer egk_…`), checked against the same scope as the
web pages (figures: every role with figures, the nämnd masked; rows: person-level roles only),
written to the access log, and answered as JSON, or as problem+json with a Swedish reason.
"""

from __future__ import annotations

import functools
import json

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.utils import timezone

from egenkontroll.access.scoping import log_access, scope_for
from egenkontroll.api import problems
from egenkontroll.api.models import ApiToken, digest

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
MAX_TOKEN_LENGTH = 200
LAST_USED_EVERY = 60  # seconds: a busy BI refresh does not write the token row on every call


def _token_user(request):
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_LENGTH:
        raise problems.Problem(401, "Ange en API-nyckel: Authorization: Bearer <nyckel>.")
    row = ApiToken.objects.select_related("user").filter(token_hash=digest(token.strip())).first()
    if row is None or not row.active:
        raise problems.Problem(401, "API-nyckeln är okänd, återkallad eller har gått ut.")
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > LAST_USED_EVERY:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


def paging(request) -> tuple[int, int]:
    """`limit` (1–1000, default 100) and `offset` (0–) from the query string."""
    try:
        limit = int(request.GET.get("limit", DEFAULT_LIMIT))
        offset = int(request.GET.get("offset", 0))
    except ValueError:
        raise problems.Problem(400, "limit och offset ska vara heltal.") from None
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise problems.Problem(400, f"limit ska vara 1–{MAX_LIMIT} och offset 0 eller mer.")
    return limit, offset


def page_of(request, rows: list, limit: int, offset: int, total: int | None = None) -> dict:
    """The envelope of a paged list and where the next page is; with `total`, `rows` is the page."""
    if total is None:
        total, rows = len(rows), rows[offset:offset + limit]
    following = None
    if offset + limit < total:
        query = request.GET.copy()
        query["offset"], query["limit"] = str(offset + limit), str(limit)
        following = f"{request.path}?{query.urlencode()}"
    return {"data": rows, "paging": {"offset": offset, "limit": limit, "total": total, "next": following}}


def endpoint(kind: str, page: str, params: tuple[str, ...] = ()):
    """`kind`: public (no token), aggregate (roles with figures) or person_level (case rows)."""

    def decorate(view):
        @login_not_required
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method not in ("GET", "HEAD"):
                return problems.response(405, "API:et går bara att läsa (GET).", request.path)
            unknown = sorted(set(request.GET) - set(params))
            if unknown:
                return problems.response(400, f"okända parametrar: {', '.join(unknown)[:200]}", request.path)
            try:
                if kind != "public":
                    request.user = _token_user(request)
                    request.scope = scope = scope_for(request.user)
                    allowed = scope.person_level if kind == "person_level" else scope.has_figures
                    if not allowed:
                        log_access(request, action="denied", page=f"api:{page}", detail="API-anrop utan behörighet")
                        raise problems.Problem(403, "Kontot bakom nyckeln saknar behörighet till detta.")
                body, case_ids = view(request, *args, **kwargs)
            except problems.Problem as problem:
                return problems.response(problem.status, problem.detail, request.path)
            reply = HttpResponse(json.dumps(body, ensure_ascii=False, default=str),
                                 content_type="application/json; charset=utf-8")
            reply["Cache-Control"] = "no-store" if kind == "person_level" else "private, max-age=0"
            if kind != "public":
                action = "export" if kind == "person_level" else "list"
                log_access(request, action=action, page=f"api:{page}", case_ids=case_ids,
                           detail=f"API: {request.get_full_path()[:300]}")
            return reply

        wrapped.egk_access = ("api_" + kind, page)
        return wrapped

    return decorate
