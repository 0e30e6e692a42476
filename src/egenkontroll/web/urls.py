"""URL configuration: one include per app."""

from django.urls import include, path

urlpatterns: list = [
    path("", include("egenkontroll.access.urls")),
    path("", include("egenkontroll.signin.urls")),
    path("", include("egenkontroll.overview.urls")),
    path("granskning/", include("egenkontroll.audits.urls")),
    path("rapport/", include("egenkontroll.reports.urls")),
    path("planering/", include("egenkontroll.planning.urls")),
    path("avvikelser/", include("egenkontroll.deviations.urls")),
    path("importer/", include("egenkontroll.cases.urls")),
    path("api/v1/", include("egenkontroll.api.urls")),
]

# Swedish error pages in the page frame (web/errors.py); used when DEBUG is off.
handler403 = "egenkontroll.web.errors.forbidden"
handler404 = "egenkontroll.web.errors.not_found"
handler500 = "egenkontroll.web.errors.server_error"
