"""The overview Django app: the server-rendered pages of Egenkontroll."""

from django.apps import AppConfig


class OverviewConfig(AppConfig):
    name = "egenkontroll.overview"
    label = "overview"
    verbose_name = "Översikt"
