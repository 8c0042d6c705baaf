from celery import shared_task

from . import notifications


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notifications_deliver() -> int:
    return notifications.notifications_deliver()
