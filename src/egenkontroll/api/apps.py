from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "egenkontroll.api"
    label = "api"
    verbose_name = "Öppet API"
