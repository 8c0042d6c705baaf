"""Redis may be down: the portal goes on without it (issue 15; ASVS 16.5.2 / 16.5.3, "fails
securely" and "degrades gracefully"; DESIGN: "a request never fails because the broker is
unreachable").

An ``Outage`` is one process's view of one Redis use (the sessions cache, the Celery broker): after
a connection error or a timeout it is skipped for ``POSC_REDIS_RETRY_SECONDS``, so each request does
not pay the connect timeout again (a small circuit breaker), and the outage is logged once when it
starts, every ten minutes while it lasts, and once when Redis answers again, never per request.
"""

import logging
import threading
import time
from urllib.parse import urlsplit

import redis.exceptions
from django.conf import settings
from kombu.exceptions import OperationalError as KombuOperationalError

logger = logging.getLogger(__name__)

# What "Redis does not answer" looks like to redis-py (a refused or hung connection, a server that
# is loading, read-only after a failover, out of memory, or no Redis at all) and to kombu (which wraps
# them): the database holds the durable copy, so any of these degrades rather than fails.
REDIS_ERRORS = (redis.exceptions.RedisError, KombuOperationalError, OSError)
REMIND_SECONDS = 600
# A cache key whose write was skipped may hold an older value in Redis; at most this many are kept
# to be deleted when Redis is back (beyond that they end with their cache timeout).
STALE_KEYS_MAX = 50_000


class Outage:
    """A Redis use's state in this process: answering, or down (and when to try again)."""

    def __init__(self, name: str):
        self.name = name
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._reminded_at = 0.0
        self._stale: set[str] = set()

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def skipped(self) -> bool:
        """True while Redis is known to be down and it is not yet time to try it again."""
        return time.monotonic() < self._retry_at

    def failed(self, error: BaseException, stale_keys=()) -> None:
        now = time.monotonic()
        with self._lock:
            self._retry_at = now + settings.POSC_REDIS_RETRY_SECONDS
            self._remember(stale_keys)
            if self._down_since is None:
                self._down_since = self._reminded_at = now
                logger.error(
                    "Redis (%s) does not answer; going on without it, trying again every %s s: %s",
                    self.name,
                    settings.POSC_REDIS_RETRY_SECONDS,
                    error,
                )
            elif now - self._reminded_at >= REMIND_SECONDS:
                self._reminded_at = now
                logger.error(
                    "Redis (%s) still does not answer after %.0f s: %s", self.name, now - self._down_since, error
                )

    def skip(self, stale_keys=()) -> None:
        """A use skipped while down: remember the keys it would have written."""
        with self._lock:
            self._remember(stale_keys)

    def stale_keys(self) -> frozenset[str]:
        if not self._stale:  # the usual case, asked on every cache call: no lock
            return frozenset()
        with self._lock:
            return frozenset(self._stale)

    def answered(self, forgotten=frozenset()) -> None:
        """Redis answered; ``forgotten``: the stale keys just deleted from it."""
        if self._down_since is None and not self._stale:
            return
        with self._lock:
            self._stale -= forgotten
            if self._down_since is not None:
                logger.warning("Redis (%s) answers again after %.0f s.", self.name, time.monotonic() - self._down_since)
            self._down_since = None
            self._retry_at = 0.0

    def _remember(self, keys) -> None:
        if len(self._stale) < STALE_KEYS_MAX:
            self._stale.update(keys)


def redis_address(url: str) -> str:
    """host:port/db of a Redis URL, without its user or password (for logs and the health page)."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 6379}{parts.path or '/0'}"


_outages: dict[str, Outage] = {}
_outages_lock = threading.Lock()


def outage(name: str) -> Outage:
    """The one Outage of ``name`` in this process."""
    with _outages_lock:
        return _outages.setdefault(name, Outage(name))


def outages_reset() -> None:
    """Forget every outage (tests that stop a Redis of their own)."""
    with _outages_lock:
        _outages.clear()
