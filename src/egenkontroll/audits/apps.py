"""Django app configuration for `egenkontroll.audits` (kvalitetsgranskning, pages under /granskning/)."""

from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "egenkontroll.audits"
    label = "audits"
    verbose_name = "Kvalitetsgranskning"
    default_auto_field = "django.db.models.BigAutoField"
