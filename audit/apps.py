from django.apps import AppConfig


class AuditConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "audit"

    def ready(self):
        # Celery's autodiscovery reads tasks.py; the review tasks live beside it.
        from . import review_tasks  # noqa: F401
