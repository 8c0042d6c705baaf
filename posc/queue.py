"""Asking a Celery worker to do something soon, by the task's name.

A module that writes a row a task will process (a notification, a report) asks for the task by
name, so it never imports the tasks module that imports it back (no import cycles). The row is the
durable request: when the broker is down the ask is only logged, and the periodic sweep finds the
row later (DESIGN: nothing is lost when Redis is down).
"""

import logging

from django.conf import settings

from .outage import REDIS_ERRORS, outage, redis_address

logger = logging.getLogger(__name__)

# Issue 15: a publish to a dead broker is tried once more, briefly, then left for the sweep (the
# connection itself gives up after CELERY_BROKER_CONNECTION_TIMEOUT).
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1}


def _broker(app):
    return outage("broker at " + redis_address(app.conf.broker_url))


def task_send(name: str, *args) -> bool:
    """Queue the registered task ``name``; False (logged) when the broker cannot be reached.

    Never raises (ASVS 16.5.3; DESIGN: a request never fails because the broker is unreachable):
    once the broker has not answered, it is skipped for POSC_REDIS_RETRY_SECONDS (posc/outage.py),
    so the requests of an outage do not each wait for it."""
    from posc.celery import app

    eager = app.conf.task_always_eager  # no broker at all: an error is the task's own
    broker = None if eager else _broker(app)
    if broker is not None and broker.skipped():
        logger.info("Task %s left for its periodic sweep (the broker does not answer).", name)
        return False
    try:
        # app.tasks finalizes the app (autodiscovery), so the task is known in the web process too,
        # and apply_async honours task_always_eager (in-process runs without Redis). ignore_result:
        # nobody waits, and asking the result store (also Redis) first would hold the request ~20 s
        # in reconnect retries when Redis is down.
        app.tasks[name].apply_async(args, ignore_result=True, retry_policy=PUBLISH_RETRY_POLICY)
    except REDIS_ERRORS as error:
        if broker is None:
            logger.warning("Task %s left for its periodic sweep.", name, exc_info=True)
        else:
            broker.failed(error)  # logged once per outage
            logger.info("Task %s left for its periodic sweep (the broker does not answer).", name)
        return False
    except Exception:  # noqa: BLE001 - a failing task must never fail the request that caused it
        logger.warning("Task %s left for its periodic sweep.", name, exc_info=True)
        return False
    if broker is not None:
        broker.answered()
    return True


def broker_ping() -> bool | None:
    """For the health endpoint: does the broker answer now? None when there is none (in-process)."""
    from posc.celery import app

    if app.conf.task_always_eager:
        return None
    broker = _broker(app)
    try:
        # A pooled connection: a probe every few seconds does not open a new one each time.
        with app.pool.acquire(block=True, timeout=settings.POSC_REDIS_TIMEOUT_SECONDS) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=settings.POSC_REDIS_TIMEOUT_SECONDS)
            connection.default_channel.client.ping()
    except REDIS_ERRORS as error:
        broker.failed(error)
        return False
    broker.answered()
    return True
