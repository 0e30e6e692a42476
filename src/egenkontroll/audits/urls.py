"""URLs of the audit pages (kvalitetsgranskning), under /granskning/, namespace `audits`."""

from django.urls import path

from egenkontroll.audits.views import detalj, fynd, importera, lista, protokoll, status, tabeller

app_name = "audits"

urlpatterns = [
    path("", lista.lista, name="lista"),
    path("ny/", lista.ny, name="ny"),
    path("<int:audit_id>/", detalj.detalj, name="detalj"),
    path("<int:audit_id>/status/", status.audit_status, name="status"),
    path("<int:audit_id>/arende/<path:case_id>/", protokoll.protokoll, name="protokoll"),
    path("<int:audit_id>/fynd/", fynd.fynd, name="fynd"),
    path("<int:audit_id>/fynd/<int:finding_id>/", fynd.fynd_status, name="fynd-status"),
    path("<int:audit_id>/ladda-ner/<slug:table>.<slug:fmt>", detalj.export, name="export"),
    path("<int:audit_id>/importera/", importera.importera, name="importera"),
    path("<int:audit_id>/tabeller/", tabeller.tabeller, name="tabeller"),
    path("<int:audit_id>/tabeller.<slug:fmt>", tabeller.tabeller_fil, name="tabeller-fil"),
]
