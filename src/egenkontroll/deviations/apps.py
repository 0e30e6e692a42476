"""Django app configuration for `egenkontroll.deviations` (avvikelser och lex Sarah, pages under /avvikelser/)."""

from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class DeviationsConfig(AppConfig):
    name = "egenkontroll.deviations"
    label = "deviations"
    verbose_name = "Avvikelser och lex Sarah"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Refuse to start with a broken rules file (EGK_DEVIATION_RULES_FILE) rather than fail on a page."""
        from egenkontroll.core.deviation_rules import DeviationRulesError, load_rules

        try:
            load_rules()
        except DeviationRulesError as exc:
            raise ImproperlyConfigured(str(exc)) from None
