"""Errors as `application/problem+json` (RFC 9457), in Swedish, never with data in them."""

from __future__ import annotations

import json

from django.http import HttpResponse

TITLES = {
    400: "Felaktig fråga", 401: "Inloggning krävs", 403: "Behörighet saknas", 404: "Finns inte",
    405: "Metoden stöds inte", 500: "Internt fel",
}


class Problem(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def response(status: int, detail: str, instance: str = "") -> HttpResponse:
    body = {"type": "about:blank", "title": TITLES.get(status, "Fel"), "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    reply = HttpResponse(json.dumps(body, ensure_ascii=False), status=status,
                         content_type="application/problem+json; charset=utf-8")
    if status == 401:
        reply["WWW-Authenticate"] = 'Bearer realm="egenkontroll"'
    reply["Cache-Control"] = "no-store"
    return reply
