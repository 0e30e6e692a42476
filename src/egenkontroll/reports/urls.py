"""URLs of the committee report, under /rapport/, namespace `reports` (downloads as on every page:
`ladda-ner/<table>.<format>`, here `ladda-ner/rapport.pdf` and `ladda-ner/rapport.xlsx`)."""

from django.urls import path

from egenkontroll.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.lista, name="lista"),
    path("ny/", views.ny, name="ny"),
    path("<int:report_id>/", views.detalj, name="detalj"),
    path("<int:report_id>/analyser/", views.analyser, name="analyser"),
    path("<int:report_id>/faststall/", views.faststall, name="faststall"),
    path("<int:report_id>/ladda-ner/<slug:table>.<slug:fmt>", views.export, name="export"),
]
