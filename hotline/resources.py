"""The service's shared resources, each opened on start-up and closed on cleanup (aiohttp cleanup contexts)."""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import redis.asyncio as aioredis
from aiohttp import web

from hotline import db, keys, limits, pipeline, replica
from hotline.breaker import Breaker
from hotline.notify import Notifier
from hotline.settings import Settings
from hotline.tickets.writer import IntakeWriter

log = logging.getLogger(__name__)


def open_redis(settings: Settings) -> aioredis.Redis:
    """A Valkey/Redis client with short timeouts, so an outage degrades instead of hanging."""
    opts = dict(socket_timeout=1.0, socket_connect_timeout=1.0, decode_responses=True)
    if settings.redis_cluster:
        from redis.asyncio.cluster import RedisCluster

        return RedisCluster.from_url(settings.redis_url, **opts)
    return aioredis.from_url(settings.redis_url, health_check_interval=10, **opts)


async def _sync_calendar(pool) -> None:
    """Recompute provisional deadlines if the holiday data grew since the last start (a package upgrade)."""
    import asyncpg

    from hotline.escalation import calendar_sync

    try:
        await calendar_sync.sync(pool)
    except (asyncpg.UndefinedTableError, OSError, ValueError) as exc:  # not migrated yet, unreadable file
        log.warning("holiday calendar not synchronised at start-up: %s", exc)


async def postgres_ctx(app: web.Application):
    settings = app[keys.SETTINGS]
    app[keys.POOL] = await db.create_pool(settings.database_url, min_size=settings.pool_min,
                                          max_size=settings.pool_max)
    app[keys.WRITER] = IntakeWriter(app[keys.POOL])
    await _sync_calendar(app[keys.POOL])
    async with replica.watched(app):  # DATABASE_REPLICA_URL: the lag-tolerant reports' replica
        yield
    await app[keys.POOL].close()


async def redis_ctx(app: web.Application):
    settings = app[keys.SETTINGS]
    app[keys.REDIS] = open_redis(settings)
    # one breaker for the request path's Valkey calls: notifications and rate counts see the same server
    app[keys.BREAKER] = Breaker(app[keys.REDIS].ping, timeout=settings.valkey_timeout_seconds,
                                threshold=settings.valkey_breaker_failures,
                                cooldown=settings.valkey_breaker_cooldown_seconds)
    app[keys.NOTIFIER] = Notifier(app[keys.REDIS], app[keys.BREAKER])
    app[limits.COUNTER] = limits.RateLimiter(app[keys.REDIS], app[keys.BREAKER])
    yield
    await app[keys.REDIS].aclose()


async def pipeline_ctx(app: web.Application):
    """Load models at start-up, off the loop; shut the executor down at cleanup."""
    settings = app[keys.SETTINGS]
    executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="models")
    app[keys.REFERENCE] = await pipeline.load(app[keys.POOL], settings.model_dir, settings.home_province, executor)
    yield
    executor.shutdown(wait=False, cancel_futures=True)


async def candidates_ctx(app: web.Application):
    """Intake's candidates: warm the recent-ticket memory, then keep it fresh (off with intake_candidates=False)."""
    import asyncio

    from hotline import wallclock
    from hotline.duplicates.intake import IntakeCandidates

    if not app[keys.SETTINGS].intake_candidates:
        yield
        return
    finder = IntakeCandidates(app[keys.POOL])
    await finder.warm(wallclock.now(app))
    app[keys.CANDIDATES] = finder
    stop = asyncio.Event()
    task = asyncio.create_task(finder.run(stop))
    yield
    stop.set()
    await task
