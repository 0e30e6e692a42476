"""URLs of the pages and their downloads (`<page>/ladda-ner/<table>.<csv|xlsx>`), namespace `overview`."""

from django.urls import path

from egenkontroll.overview.views import (
    arbetslista,
    arende,
    datakvalitet,
    flode,
    handlaggare,
    markera,
    nyckeltal,
    oversikt,
    start,
)

app_name = "overview"

DOWNLOAD = "ladda-ner/<slug:table>.<slug:fmt>"
# Case ids are the case system's strings and may hold "/" (e.g. "IFO/2024/0017"): `path:`, not `str:`.

urlpatterns = [
    path("", start.start, name="start"),
    path("oversikt/", oversikt.oversikt, name="oversikt"),
    path(f"oversikt/{DOWNLOAD}", oversikt.oversikt_export, name="oversikt_export"),
    path("oversikt/underlag/", oversikt.underlag, name="underlag"),
    path(f"oversikt/underlag/{DOWNLOAD}", oversikt.underlag_export, name="underlag_export"),
    path("arbetslista/", arbetslista.arbetslista, name="arbetslista"),
    path(f"arbetslista/{DOWNLOAD}", arbetslista.arbetslista_export, name="arbetslista_export"),
    # markera before the case page: a case id may hold "/" (path:), and would swallow the rest
    path("arende/<path:case_id>/markera/<slug:rule>/<str:trigger_event_id>/", markera.markera, name="markera"),
    path("arende/<path:case_id>/", arende.arende, name="arende"),
    path(f"arende/<path:case_id>/{DOWNLOAD}", arende.arende_export, name="arende_export"),
    path("datakvalitet/", datakvalitet.datakvalitet, name="datakvalitet"),
    path(f"datakvalitet/{DOWNLOAD}", datakvalitet.datakvalitet_export, name="datakvalitet_export"),
    path("flode/", flode.flode, name="flode"),
    path(f"flode/{DOWNLOAD}", flode.flode_export, name="flode_export"),
    path("handlaggare/", handlaggare.handlaggare, name="handlaggare"),
    path(f"handlaggare/{DOWNLOAD}", handlaggare.handlaggare_export, name="handlaggare_export"),
    path("nyckeltal/", nyckeltal.nyckeltal, name="nyckeltal"),
    path(f"nyckeltal/{DOWNLOAD}", nyckeltal.nyckeltal_export, name="nyckeltal_export"),
    path("nyckeltal/<slug:kpi_id>/", nyckeltal.nyckeltal_detalj, name="nyckeltal_detalj"),
    path(f"nyckeltal/<slug:kpi_id>/{DOWNLOAD}", nyckeltal.nyckeltal_detalj_export, name="nyckeltal_detalj_export"),
]
