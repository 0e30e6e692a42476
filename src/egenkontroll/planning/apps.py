"""Django app configuration for `egenkontroll.planning` (the surge planning page under /planering/)."""

from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "egenkontroll.planning"
    label = "planning"
    verbose_name = "Planering"
