"""What the portal's parts answer, for operators and load balancers (issue 15; ASVS 16.5.2).

The database is the one thing the portal cannot work without; Redis (the sessions cache, the Celery
broker) it works without, degraded (posc/outage.py). Nothing here names a host, a user or a key.
"""

from django.core.cache import caches
from django.db import DatabaseError, connection

from .cache import FallbackRedisCache
from .queue import broker_ping


def _state(answered: bool | None) -> str:
    return {True: "up", False: "down", None: "not used"}[answered]


def database_ping() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        return False


def cache_ping() -> bool | None:
    """Do the Redis caches answer now? None when no cache is in Redis."""
    redis_caches = [caches[alias] for alias in caches.settings]
    redis_caches = [cache for cache in redis_caches if isinstance(cache, FallbackRedisCache)]
    return all(cache.ping() for cache in redis_caches) if redis_caches else None


def readiness() -> dict:
    """{"status": "ok" | "degraded" | "down", "database", "cache", "broker", "redis": "up" | "down" | ...}"""
    report = {"database": _state(database_ping()), "cache": _state(cache_ping()), "broker": _state(broker_ping())}
    used = [report[part] for part in ("cache", "broker") if report[part] != "not used"]
    report["redis"] = ("down" if "down" in used else "up") if used else "not used"
    if report["database"] == "down":
        report["status"] = "down"
    else:
        report["status"] = "degraded" if report["redis"] == "down" else "ok"
    return report
