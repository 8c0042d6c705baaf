"""Django's Redis cache, made to degrade when Redis does not answer (issue 15; ASVS 16.5.2 / 16.5.3).

Every read answers a miss and every write is skipped while Redis is down (posc/outage.py: logged
once, skipped for a while, never raised), so the cached_db session engine reads and writes its
database row, which is the durable copy already: signing in, signing out and every page work
through an outage. A key whose write or delete was skipped may still hold an older value in Redis
(a session signed out during the outage, ASVS 7.4.1): it is deleted from Redis before anything is
read from it again.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from .outage import REDIS_ERRORS, outage, redis_address


class FallbackRedisCacheClient(RedisCacheClient):
    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        # One state per Redis, shared by every thread's client of it; the name carries no password.
        self._outage = outage("cache at " + ", ".join(redis_address(server) for server in servers))

    def _guard(self, operation, args, *, fallback=None, writes=(), force=False):
        """``operation`` (RedisCacheClient's) unless Redis is being skipped; ``fallback`` when it
        does not answer, and the keys it ``writes`` remembered as stale."""
        state = self._outage
        if state.skipped() and not force:
            state.skip(writes)
            return fallback
        forgotten = state.stale_keys()
        try:
            if forgotten:
                RedisCacheClient.delete_many(self, list(forgotten))
            result = operation(self, *args)
        except REDIS_ERRORS as error:
            state.failed(error, writes)
            return fallback
        state.answered(forgotten)
        return result

    def get(self, key, default):
        return self._guard(RedisCacheClient.get, (key, default), fallback=default)

    def get_many(self, keys):
        return self._guard(RedisCacheClient.get_many, (keys,), fallback={})

    def has_key(self, key):
        return self._guard(RedisCacheClient.has_key, (key,), fallback=False)

    def add(self, key, value, timeout):
        return self._guard(RedisCacheClient.add, (key, value, timeout), fallback=False, writes=(key,))

    def set(self, key, value, timeout):
        return self._guard(RedisCacheClient.set, (key, value, timeout), writes=(key,))

    def set_many(self, data, timeout):
        return self._guard(RedisCacheClient.set_many, (data, timeout), writes=tuple(data))

    def touch(self, key, timeout):
        return self._guard(RedisCacheClient.touch, (key, timeout), fallback=False, writes=(key,))

    def delete(self, key):
        return self._guard(RedisCacheClient.delete, (key,), fallback=False, writes=(key,))

    def delete_many(self, keys):
        return self._guard(RedisCacheClient.delete_many, (keys,), writes=tuple(keys))

    def incr(self, key, delta):
        # A counter Redis cannot reach is a missing one (Django's incr raises ValueError for that).
        result = self._guard(RedisCacheClient.incr, (key, delta), fallback=ValueError, writes=(key,))
        if result is ValueError:
            raise ValueError(f"Key '{key}' not found (Redis does not answer).")
        return result

    def clear(self):
        return self._guard(RedisCacheClient.clear, (), fallback=False)

    def ping(self) -> bool:
        """For the health endpoint: ask Redis now, even while it is being skipped."""
        return self._guard(FallbackRedisCacheClient._ping, (), fallback=False, force=True)

    def _ping(self) -> bool:
        return bool(self.get_client(write=True).ping())


class FallbackRedisCache(RedisCache):
    """RedisCache whose client degrades; set as BACKEND with LOCATION and OPTIONS as RedisCache's."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = FallbackRedisCacheClient

    def ping(self) -> bool:
        return self._cache.ping()
