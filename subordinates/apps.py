from django.apps import AppConfig


class SubordinatesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "subordinates"
