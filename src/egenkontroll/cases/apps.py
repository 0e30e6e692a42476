from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "egenkontroll.cases"
    verbose_name = "Ärenden"
