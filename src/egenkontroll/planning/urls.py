"""URLs of the planning page, under /planering/, namespace `planning` (downloads as on every page:
`ladda-ner/<table>.<csv|xlsx>`, with the scenario in the same query string; the whole scenario
as `ladda-ner/scenario.<pdf|xlsx>`)."""

from django.urls import path

from egenkontroll.planning import views

app_name = "planning"

urlpatterns = [
    path("", views.planering, name="planering"),
    path("spara/", views.spara, name="spara"),
    path("ladda-ner/scenario.<slug:fmt>", views.scenario_export, name="scenario"),
    path("ladda-ner/<slug:table>.<slug:fmt>", views.export, name="export"),
]
