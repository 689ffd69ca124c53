"""Protection under surges (话务激增): shed load before falling over, and rate-limit each token.

Load shedding counts requests in flight in this process; beyond the limit new
requests get 503 with Retry-After at once, so accepted ones still finish fast.
Rate limits are per token per minute in Valkey (shared by all processes); when
Valkey is down each process falls back to its own in-memory window. The hits of
concurrent requests are counted in one pipeline, one command per token.
"""
from __future__ import annotations

import logging
import time
from collections import Counter

from aiohttp import web
from redis.exceptions import RedisError

from hotline import keys
from hotline.batching import Batcher
from hotline.errors import ApiError

log = logging.getLogger(__name__)

EXEMPT = ("/health", "/ready")


class LocalWindow:
    """A per-process fixed one-minute window, used while Valkey is unavailable."""

    def __init__(self) -> None:
        self.window = 0
        self.counts: dict[str, int] = {}

    def hit(self, key: str) -> int:
        window = int(time.time() // 60)
        if window != self.window:
            self.window, self.counts = window, {}
        self.counts[key] = self.counts.get(key, 0) + 1
        return self.counts[key]


# INCRBY, and set the expiry when the window's key is new: one atomic command per token and batch.
COUNT_HITS = """
local n = redis.call('INCRBY', KEYS[1], ARGV[2])
if n == tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""


class RateCounter:
    """Requests per token in the current minute, counted in Valkey across processes."""

    def __init__(self, redis) -> None:
        self.redis = redis
        self.local = LocalWindow()
        self.batcher: Batcher[str, int] = Batcher(self._count, max_batch=256)

    async def hit(self, key: str) -> int:
        """This request's number within its token's current minute."""
        return await self.batcher.submit(key)

    async def _count(self, keys: list[str]) -> list[int]:
        """Count a batch of hits: each caller gets its own place in its token's count."""
        window = int(time.time() // 60)
        per_key = Counter(keys)
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for key, n in per_key.items():
                    pipe.eval(COUNT_HITS, 1, f"hotline:rate:{key}:{window}", 120, n)
                totals = dict(zip(per_key, map(int, await pipe.execute())))
        except (RedisError, OSError):
            return [self.local.hit(key) for key in keys]
        seen: Counter = Counter()
        places = []
        for key in keys:
            seen[key] += 1
            places.append(totals[key] - per_key[key] + seen[key])
        return places


COUNTER = web.AppKey("rate_counter", RateCounter)
INFLIGHT = web.AppKey("inflight", list)


@web.middleware
async def shed_middleware(request: web.Request, handler):
    """503 + Retry-After when too many requests are already in flight here."""
    if request.path in EXEMPT:
        return await handler(request)
    inflight = request.app[INFLIGHT]
    if inflight[0] >= request.app[keys.SETTINGS].max_inflight:
        return ApiError(503, "话务繁忙，请稍后重试", headers={"Retry-After": "1"}).response()
    inflight[0] += 1
    try:
        return await handler(request)
    finally:
        inflight[0] -= 1


@web.middleware
async def rate_limit_middleware(request: web.Request, handler):
    """429 + Retry-After when one token exceeds its requests per minute (runs after authentication)."""
    limit = request.app[keys.SETTINGS].rate_limit_per_minute
    principal = request.get(keys.PRINCIPAL)
    if principal is None or limit <= 0:
        return await handler(request)
    count = await request.app[COUNTER].hit(f"token:{principal.token_id}")
    if count > limit:
        retry = str(60 - int(time.time()) % 60)
        return ApiError(429, "请求过于频繁，请稍后重试", [{"field": "Authorization", "message": f"每分钟最多 {limit} 次"}],
                        headers={"Retry-After": retry}).response()
    return await handler(request)


def install(app: web.Application) -> None:
    """Per-process state of the shedding middleware; the rate counter is made when Valkey opens."""
    app[INFLIGHT] = [0]
