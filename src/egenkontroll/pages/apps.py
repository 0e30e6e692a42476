"""The pages Django app: the frame every other app's pages build on (templates, static files, `tal`)."""

from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "egenkontroll.pages"
    label = "pages"
    verbose_name = "Sidramen"
