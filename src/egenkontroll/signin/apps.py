"""Django app configuration for `egenkontroll.signin`."""

from django.apps import AppConfig


class SigninConfig(AppConfig):
    name = "egenkontroll.signin"
    label = "signin"
    verbose_name = "Inloggning"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from egenkontroll.signin import checks  # noqa: F401  (registers the start-up checks)
