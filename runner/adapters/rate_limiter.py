"""A requests-per-minute limit shared by every process that uses the same Redis and key.

`limits`' moving window (a Lua script over a Redis list of timestamps) admits a request only
if fewer than `per_minute` were admitted in the last 60 seconds, atomically, so any number of
runners - and the bot, if it uses the same key - never exceed the limit together. A 429 from the
API sets one shared "blocked until" key, so a quota reset told to one process holds for all.
"""

import time
from collections.abc import Callable

import redis
from limits import RateLimitItemPerMinute
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

KEY_PREFIX = "ratelimit"
# Sleep in short steps so a shared block set by another process is noticed promptly.
_MAX_NAP_SECONDS = 1.0


class RedisRateLimiter:
    def __init__(
        self,
        redis_url: str,
        name: str,
        per_minute: int,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # Our own pool: it understands unix:// URLs (the embedded Redis) and keeps raw replies,
        # which the library's scripts expect.
        pool = redis.ConnectionPool.from_url(redis_url)
        self._redis = redis.Redis(connection_pool=pool)
        storage = RedisStorage("redis://", connection_pool=pool, key_prefix=KEY_PREFIX)
        self._limiter = MovingWindowRateLimiter(storage)
        self._item = RateLimitItemPerMinute(per_minute)
        self._name = name
        self._blocked_key = f"{KEY_PREFIX}:{name}:blocked_until"
        self._clock = clock
        self._sleep = sleep

    @property
    def window_key(self) -> str:
        """The Redis list holding the window, for operators and for the bot to share."""
        return f"{KEY_PREFIX}:{self._item.key_for(self._name)}"

    def acquire(self, timeout_seconds: float) -> bool:
        deadline = self._clock() + timeout_seconds
        while True:
            now = self._clock()
            wait = self._blocked_for(now)
            if wait <= 0:
                if self._limiter.hit(self._item, self._name):
                    return True
                reset_at, _ = self._limiter.get_window_stats(self._item, self._name)
                wait = max(reset_at - now, 0.01)
            if now + wait > deadline:
                return False
            self._sleep(min(wait, _MAX_NAP_SECONDS))

    def block_for(self, seconds: float) -> None:
        until = self._clock() + seconds
        current = self._redis.get(self._blocked_key)
        # A longer block set by someone else stays; the tiny race here only shortens nothing.
        if current is None or float(current) < until:
            self._redis.set(self._blocked_key, f"{until:.3f}", px=max(int(seconds * 1000), 1))

    def _blocked_for(self, now: float) -> float:
        value = self._redis.get(self._blocked_key)
        return float(value) - now if value is not None else 0.0

    def close(self) -> None:
        self._redis.close()
