"""Django app configuration for `egenkontroll.reports` (the committee report, pages under /rapport/)."""

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "egenkontroll.reports"
    label = "reports"
    verbose_name = "Nämndrapport"
    default_auto_field = "django.db.models.BigAutoField"
