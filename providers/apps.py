from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "providers"

    def ready(self):
        # Register the delivery task in every process, not only the worker (whose autodiscovery
        # imports tasks modules): the web process asks for it by name (posc.queue.task_send).
        from . import tasks  # noqa: F401
