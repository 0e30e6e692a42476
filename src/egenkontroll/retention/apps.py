from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "egenkontroll.retention"
    label = "retention"
    verbose_name = "Gallring"
