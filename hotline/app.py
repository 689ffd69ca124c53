"""The application factory: middlewares, the route table (hotline.routes) and every resource in one place."""
from __future__ import annotations

from aiohttp import web

from hotline import admission, keys
from hotline.auth import TokenCache
from hotline.middleware import auth_middleware, error_middleware
from hotline.resources import candidates_ctx, pipeline_ctx, postgres_ctx, redis_ctx
from hotline.revocation import revocation_ctx
from hotline.routes import all_endpoints
from hotline.settings import Settings


ACCESS_LOG_FORMAT = '%a "%r" %s %b %Tfs'


def server_options(settings: Settings) -> dict:
    """How the HTTP server itself runs (web.run_app / AppRunner keyword arguments).

    aiohttp closes a connection that has not sent a complete request head within keepalive_timeout
    (on a new connection too), so it doubles as the header timeout against slowloris clients.
    """
    return {"access_log_format": ACCESS_LOG_FORMAT, "keepalive_timeout": settings.header_timeout_seconds}


def create_app(settings: Settings) -> web.Application:
    """Build the service; settings must carry database_url and redis_url."""
    if not settings.database_url or not settings.redis_url:
        raise ValueError("create_app needs database_url and redis_url (see hotline.infra)")
    app = web.Application(middlewares=[error_middleware, admission.client_limit_middleware, auth_middleware,
                                       admission.rate_limit_middleware, admission.body_middleware,
                                       admission.shed_middleware], client_max_size=settings.max_body_bytes)
    app[keys.SETTINGS] = settings
    admission.install(app)
    app[keys.TOKENS] = TokenCache()
    endpoints = all_endpoints()
    app[keys.ENDPOINTS] = {ep.name: ep for ep in endpoints}
    for ep in endpoints:
        app.router.add_route(ep.method, ep.path, ep.handler, name=ep.name)
    from hotline.disputes.court import delivery_ctx as court_ctx
    from hotline.escalation.scheduler import scheduler_ctx
    from hotline.linkage.worker import delivery_ctx
    from hotline.requester.sms_worker import sms_ctx

    from hotline.admin.choice import follow_ctx
    from hotline.attachments.storage import stores_ctx

    app.cleanup_ctx.extend([postgres_ctx, revocation_ctx, redis_ctx, pipeline_ctx, candidates_ctx, stores_ctx,
                            follow_ctx, delivery_ctx, sms_ctx, court_ctx, scheduler_ctx])
    return app
