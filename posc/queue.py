"""Asking a Celery worker to do something soon, by the task's name.

A module that writes a row a task will process (a notification, a report) asks for the task by
name, so it never imports the tasks module that imports it back (no import cycles). The row is the
durable request: when the broker is down the ask is only logged, and the periodic sweep finds the
row later (DESIGN: nothing is lost when Redis is down).
"""

import logging

logger = logging.getLogger(__name__)


def task_send(name: str, *args) -> bool:
    """Queue the registered task ``name``; False (logged) when the broker cannot be reached."""
    from posc.celery import app

    try:
        # app.tasks finalizes the app (autodiscovery), so the task is known in the web process too,
        # and apply_async honours task_always_eager (in-process runs without Redis). ignore_result:
        # nobody waits, and asking the result store (also Redis) first would hold the request ~20 s
        # in reconnect retries when Redis is down.
        app.tasks[name].apply_async(args, ignore_result=True)
    except Exception:  # noqa: BLE001 - a broker outage must never fail the request that caused it
        logger.warning("Task %s left for its periodic sweep.", name, exc_info=True)
        return False
    return True
