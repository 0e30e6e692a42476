"""API v1 under /api/v1/ (namespace `api`); the version is in the path, so v2 can stand beside it."""

from django.urls import path

from egenkontroll.api import views

app_name = "api"
urlpatterns = [
    path("", views.index, name="index"),
    path("openapi.json", views.openapi, name="openapi"),
    path("enheter", views.units, name="enheter"),
    path("nyckeltal", views.catalogue, name="nyckeltal"),
    path("nyckeltal/varden", views.figure_values, name="nyckeltal-varden"),
    path("arbetslista/antal", views.worklist_counts, name="arbetslista-antal"),
    path("arbetslista", views.worklist, name="arbetslista"),
]
