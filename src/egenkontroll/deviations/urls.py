"""URLs of the deviation pages (avvikelser och lex Sarah), under /avvikelser/, namespace `deviations`."""

from django.urls import path

from egenkontroll.deviations.views import detalj, lista

app_name = "deviations"

urlpatterns = [
    path("", lista.lista, name="lista"),
    path("ny/", lista.ny, name="ny"),
    path("ladda-ner/<slug:table>.<slug:fmt>", lista.export, name="export"),
    path("<int:deviation_id>/", detalj.detalj, name="detalj"),
    path("<int:deviation_id>/status/", detalj.status, name="status"),
    path("<int:deviation_id>/utredning/", detalj.utredning, name="utredning"),
    path("<int:deviation_id>/atgard/", detalj.atgard, name="atgard"),
    path("<int:deviation_id>/atgard/<int:action_id>/", detalj.atgard_status, name="atgard-status"),
]
