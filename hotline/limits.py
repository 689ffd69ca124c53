"""Rate limits as token buckets in Valkey, shared by every worker (one Lua script, batched per loop tick).

A bucket holds up to `per_minute` requests and refills continuously at per_minute / 60 a second,
so a client can never get more than one minute's allowance plus the refill within any stretch of
time: no double burst across a minute boundary, as fixed windows allowed. The script reads the
clock of Valkey itself (TIME), so workers with skewed clocks share one view. The takes of
concurrent requests go out in one pipeline, one script call per bucket; when Valkey is down or
slow (a short timeout and a circuit breaker, hotline.breaker) each process falls back to buckets
of its own.
"""
from __future__ import annotations

import math
import time
from collections import Counter

from aiohttp import web
from redis.exceptions import RedisError

from hotline.batching import Batcher
from hotline.breaker import Breaker

PREFIX = "hotline:bucket:"

# KEYS[1] the bucket; ARGV[1] requests to take, ARGV[2] capacity (= refill per minute).
# Returns {granted, milliseconds until the next request would be granted (0 when all were)}.
TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n, cap = tonumber(ARGV[1]), tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(b[1]), tonumber(b[2])
if tokens == nil or at == nil then tokens, at = cap, now end
tokens = math.min(cap, tokens + math.max(0, now - at) * cap / 60000)
local granted = math.min(n, math.floor(tokens))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((cap - tokens) * 60000 / cap) + 1000)
local wait = 0
if granted < n then wait = math.ceil((1 - tokens) * 60000 / cap) end
return {granted, wait}
"""


class LocalBuckets:
    """The same buckets in this process only, used while Valkey is unavailable."""

    def __init__(self) -> None:
        self.buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str, n: int, cap: int) -> tuple[int, int]:
        now = time.monotonic()
        if len(self.buckets) > 100_000:
            self.buckets.clear()
        tokens, at = self.buckets.get(key, (cap, now))
        tokens = min(cap, tokens + (now - at) * cap / 60)
        granted = min(n, math.floor(tokens))
        tokens -= granted
        self.buckets[key] = (tokens, now)
        wait = 0 if granted == n else math.ceil((1 - tokens) * 60_000 / cap)
        return granted, wait


class RateLimiter:
    """take(key, per_minute): 0 when the request may go on, else the seconds to wait (Retry-After)."""

    def __init__(self, redis, breaker: Breaker | None = None) -> None:
        self.redis = redis
        self.breaker = breaker or Breaker()
        self.local = LocalBuckets()
        self.batcher: Batcher[tuple[str, int], int] = Batcher(self._take_many, max_batch=256)

    async def take(self, key: str, per_minute: int) -> int:
        return await self.batcher.submit((key, per_minute))

    async def _take_many(self, items: list[tuple[str, int]]) -> list[int]:
        """One script call per bucket for a batch; the first `granted` callers of a bucket go on."""
        wanted = Counter(items)

        async def take() -> list:
            async with self.redis.pipeline(transaction=False) as pipe:
                for (key, cap), n in wanted.items():
                    pipe.eval(TAKE, 1, PREFIX + key, n, cap)
                return await pipe.execute()

        try:
            replies = await self.breaker.call(take)
            outcome = {item: (int(r[0]), int(r[1])) for item, r in zip(wanted, replies)}
        except (RedisError, OSError):
            outcome = {(key, cap): self.local.take(key, n, cap) for (key, cap), n in wanted.items()}
        seen: Counter = Counter()
        waits = []
        for item in items:
            seen[item] += 1
            granted, wait_ms = outcome[item]
            waits.append(0 if seen[item] <= granted else max(1, math.ceil(wait_ms / 1000)))
        return waits


COUNTER = web.AppKey("rate_limiter", RateLimiter)
