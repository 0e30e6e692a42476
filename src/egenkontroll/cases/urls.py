"""The import page (`cases` namespace): runs, their rejects as downloads."""

from django.urls import path

from egenkontroll.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.importer, name="importer"),
    path("<int:run_id>/avvisade.<slug:fmt>", views.rejects_download, name="avvisade"),
]
