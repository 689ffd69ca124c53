"""Protection under surges (话务激增): shed load before falling over, and rate-limit each token.

Load shedding counts requests in flight in this process; beyond the limit new
requests get 503 with Retry-After at once, so accepted ones still finish fast.
Rate limits are per token per minute in Valkey (shared by all processes); when
Valkey is down each process falls back to its own in-memory window.
"""
from __future__ import annotations

import logging
import time

from aiohttp import web
from redis.exceptions import RedisError

from hotline import keys
from hotline.auth import bearer, hash_token
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


# INCR, and set the expiry when the window's key is new: one atomic command per request.
COUNT_HIT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""


async def count_hit(app: web.Application, key: str) -> int:
    """Requests by this token in the current minute, across processes when Valkey is up."""
    window = int(time.time() // 60)
    try:
        return int(await app[COUNTER](keys=[f"hotline:rate:{key}:{window}"], args=[120]))
    except (RedisError, OSError):
        return app[LOCAL].hit(key)


LOCAL = web.AppKey("rate_local", LocalWindow)
COUNTER = web.AppKey("rate_counter", object)
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
    """429 + Retry-After when one token exceeds its requests per minute."""
    limit = request.app[keys.SETTINGS].rate_limit_per_minute
    secret = bearer(request)
    if not secret or limit <= 0 or request.path in EXEMPT:
        return await handler(request)
    count = await count_hit(request.app, hash_token(secret).hex()[:32])
    if count > limit:
        retry = str(60 - int(time.time()) % 60)
        return ApiError(429, "请求过于频繁，请稍后重试", [{"field": "Authorization", "message": f"每分钟最多 {limit} 次"}],
                        headers={"Retry-After": retry}).response()
    return await handler(request)


def install(app: web.Application) -> None:
    """Per-process state of the middlewares; the Valkey counter script is bound when Valkey opens."""
    app[LOCAL] = LocalWindow()
    app[INFLIGHT] = [0]
