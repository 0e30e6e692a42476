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
]
