"""Django app configuration for `egenkontroll.access`."""

from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "egenkontroll.access"
    label = "access"
    verbose_name = "Behörigheter och åtkomstlogg"
    default_auto_field = "django.db.models.BigAutoField"
