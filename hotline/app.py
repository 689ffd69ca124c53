"""The application factory: every resource opened and closed in one place."""
from __future__ import annotations

import logging

import redis.asyncio as aioredis
from aiohttp import web

from hotline import db, keys, limits
from hotline.auth import TokenCache, authenticate, require_role
from hotline.endpoints import Endpoint
from hotline.errors import error_middleware
from hotline.notify import Notifier
from hotline.settings import Settings
from hotline.tickets.writer import IntakeWriter

log = logging.getLogger(__name__)


def all_endpoints() -> list[Endpoint]:
    """The route table of the whole service."""
    from hotline import system_views
    from hotline.admin import views as admin
    from hotline.callbacks import views as callbacks
    from hotline.escalation import views as escalation
    from hotline.linkage import views as linkage
    from hotline.tickets import views as tickets
    from hotline.workflow import views as workflow

    return [*system_views.ROUTES, *tickets.ROUTES, *workflow.ROUTES, *linkage.ROUTES,
            *escalation.ROUTES, *callbacks.ROUTES, *admin.ROUTES]


def open_redis(settings: Settings) -> aioredis.Redis:
    """A Valkey/Redis client with short timeouts, so an outage degrades instead of hanging."""
    opts = dict(socket_timeout=1.0, socket_connect_timeout=1.0, decode_responses=True)
    if settings.redis_cluster:
        from redis.asyncio.cluster import RedisCluster

        return RedisCluster.from_url(settings.redis_url, **opts)
    return aioredis.from_url(settings.redis_url, health_check_interval=10, **opts)


async def postgres_ctx(app: web.Application):
    settings = app[keys.SETTINGS]
    app[keys.POOL] = await db.create_pool(settings.database_url, min_size=settings.pool_min,
                                          max_size=settings.pool_max)
    app[keys.WRITER] = IntakeWriter(app[keys.POOL])
    yield
    await app[keys.POOL].close()


async def redis_ctx(app: web.Application):
    app[keys.REDIS] = open_redis(app[keys.SETTINGS])
    app[keys.NOTIFIER] = Notifier(app[keys.REDIS])
    app[limits.COUNTER] = limits.RateCounter(app[keys.REDIS])
    yield
    await app[keys.REDIS].aclose()


@web.middleware
async def auth_middleware(request: web.Request, handler):
    """Check the token and role the route table asks for."""
    route = request.match_info.route
    ep = request.app[keys.ENDPOINTS].get(route.name) if route is not None else None
    if ep is not None and ep.roles is not None:
        principal = await authenticate(request, request.app[keys.POOL], request.app[keys.TOKENS])
        require_role(principal, ep.roles)
        request[keys.PRINCIPAL] = principal
    return await handler(request)


def create_app(settings: Settings) -> web.Application:
    """Build the service; settings must carry database_url and redis_url."""
    if not settings.database_url or not settings.redis_url:
        raise ValueError("create_app needs database_url and redis_url (see hotline.infra)")
    app = web.Application(middlewares=[error_middleware, limits.shed_middleware, limits.rate_limit_middleware,
                                       auth_middleware], client_max_size=settings.max_body_bytes)
    limits.install(app)
    app[keys.SETTINGS] = settings
    app[keys.TOKENS] = TokenCache()
    endpoints = all_endpoints()
    app[keys.ENDPOINTS] = {ep.name: ep for ep in endpoints}
    for ep in endpoints:
        app.router.add_route(ep.method, ep.path, ep.handler, name=ep.name)
    from hotline.escalation.scheduler import scheduler_ctx
    from hotline.linkage.worker import delivery_ctx
    from hotline.pipeline import pipeline_ctx

    app.cleanup_ctx.extend([postgres_ctx, redis_ctx, pipeline_ctx, delivery_ctx, scheduler_ctx])
    return app
