from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The audit trail (the ground: records, chain, who reads what) and, above it, its three parts:
    reviews, compliance and the trail screens (audit/reviews, audit/compliance, audit/trail)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "audit"

    def ready(self):
        from django.db.models.signals import post_migrate

        from .roles import grant_after_migrate

        # Once per migrate (sent with this app as sender), after every app's migrations ran.
        post_migrate.connect(grant_after_migrate, sender=self, dispatch_uid="audit.roles.grant_after_migrate")
        # Celery's autodiscovery reads <app>.tasks only; the parts keep their tasks beside them.
        from .compliance import tasks as compliance_tasks  # noqa: F401
        from .reviews import fonts  # noqa: F401 - registers the check of the PDF's fonts
        from .reviews import tasks as review_tasks  # noqa: F401
