"""Django app configuration for `egenkontroll.access`: connects the login-throttling signals and checks."""

from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "egenkontroll.access"
    label = "access"
    verbose_name = "Behörigheter och åtkomstlogg"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from egenkontroll.access import checks, throttle  # noqa: F401  (registers the deploy checks)

        user_login_failed.connect(throttle.record_failure, dispatch_uid="egk_login_failed")
        user_logged_in.connect(throttle.clear_failures, dispatch_uid="egk_logged_in")
