"""Who gets in, and when: per-client and per-token rate limits, slow bodies, load shedding, stream slots.

The middlewares run in this order (hotline.app):
  client_limit   public routes: a bucket per client address; any route: clients that keep failing
                 authentication are answered 429 here, before any token lookup
  auth           (hotline.middleware) a failed lookup takes from the client's failure bucket
  rate_limit     a bucket per token (after authentication: unknown tokens create no buckets)
  body           the route's precheck (public links, uploads' scope), then the whole body within
                 body_timeout, or an upload streamed to a file by the route's reader within upload_timeout
  shed           503 beyond max_inflight requests in progress in this process; streams are
                 counted apart (StreamSlots), so neither slow bodies nor open event streams hold
                 the slots that normal requests need.
Clients are told apart by their address as the service sees it (request.remote).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter

from aiohttp import web

from hotline import keys
from hotline.errors import ApiError, client_aborted
from hotline.limits import COUNTER

log = logging.getLogger(__name__)

EXEMPT = ("/health", "/ready")
INFLIGHT = web.AppKey("inflight", list)
BLOCKED = web.AppKey("blocked_clients", dict)  # client address -> monotonic time its 429s end


def too_many(message: str, retry: int, field: str, detail: str) -> ApiError:
    return ApiError(429, message, [{"field": field, "message": detail}], headers={"Retry-After": str(retry)})


def _endpoint(request: web.Request):
    route = request.match_info.route
    return request.app[keys.ENDPOINTS].get(route.name) if route is not None else None


def _blocked_for(request: web.Request) -> int:
    """Seconds this client stays refused after too many failed authentications (0: not refused)."""
    blocked = request.app[BLOCKED]
    until = blocked.get(request.remote)
    if until is None:
        return 0
    left = until - time.monotonic()
    if left <= 0:
        del blocked[request.remote]
        return 0
    return max(1, int(left + 0.999))


@web.middleware
async def client_limit_middleware(request: web.Request, handler):
    """Refuse clients blocked for failed authentication; limit public routes per client address."""
    if request.path in EXEMPT:
        return await handler(request)
    retry = _blocked_for(request)
    if retry:
        raise too_many("认证失败次数过多，请稍后重试", retry, "Authorization", "来自该地址的无效令牌过多")
    ep = _endpoint(request)
    settings = request.app[keys.SETTINGS]
    if (ep is None or ep.roles is None) and settings.public_rate_per_minute > 0:
        retry = await request.app[COUNTER].take(f"public:{request.remote}", settings.public_rate_per_minute)
        if retry:
            raise too_many("请求过于频繁，请稍后重试", retry, "client",
                           f"每个地址每分钟最多 {settings.public_rate_per_minute} 次")
    return await handler(request)


async def auth_failed(request: web.Request) -> None:
    """Count a failed authentication against the client; 429 (and a local block) once it has too many."""
    per_minute = request.app[keys.SETTINGS].auth_fail_per_minute
    if per_minute <= 0:
        return
    retry = await request.app[COUNTER].take(f"authfail:{request.remote}", per_minute)
    if retry:
        blocked = request.app[BLOCKED]
        if len(blocked) > 100_000:
            blocked.clear()
        blocked[request.remote] = time.monotonic() + retry
        log.info("client %s refused for %ss after repeated failed authentication", request.remote, retry)
        raise too_many("认证失败次数过多，请稍后重试", retry, "Authorization", "来自该地址的无效令牌过多")


@web.middleware
async def rate_limit_middleware(request: web.Request, handler):
    """429 + Retry-After when one token exceeds its requests per minute (runs after authentication)."""
    per_minute = request.app[keys.SETTINGS].rate_limit_per_minute
    principal = request.get(keys.PRINCIPAL)
    if principal is None or per_minute <= 0:
        return await handler(request)
    retry = await request.app[COUNTER].take(f"token:{principal.token_id}", per_minute)
    if retry:
        raise too_many("请求过于频繁，请稍后重试", retry, "Authorization", f"每分钟最多 {per_minute} 次")
    return await handler(request)


@web.middleware
async def body_middleware(request: web.Request, handler):
    """Read the whole body before the handler (and its request slot) runs, within body_timeout.

    A route's precheck runs first, so a made-up survey link or an upload to a ticket out of scope is
    refused without reading a byte; an upload's own reader (Endpoint.reader) streams its body to a file.
    """
    if request.can_read_body:
        ep = _endpoint(request)
        if ep is not None and ep.precheck is not None:
            early = await ep.precheck(request)
            if early is not None:
                return early
        reader = ep.reader if ep is not None else None
        if reader is not None:
            return await _read_with(reader, request, handler)
        try:
            async with asyncio.timeout(request.app[keys.SETTINGS].body_timeout_seconds):
                await request.read()
        except TimeoutError:
            return _body_late(request)
        except ConnectionError:
            return client_aborted(request, "body")
    return await handler(request)


def _body_late(request: web.Request) -> web.Response:
    log.info("body not received in time: %s %s from %s", request.method, request.path, request.remote)
    resp = ApiError(408, "请求体接收超时", [{"field": "body", "message": "请在规定时间内发送完整请求"}]).response()
    resp.force_close()
    return resp


async def _read_with(reader, request: web.Request, handler):
    """An endpoint's own body reader (uploads, streamed to a file) within upload_timeout; its leftovers
    are discarded once the handler is done, or if the request is refused further on (503)."""
    try:
        try:
            async with asyncio.timeout(request.app[keys.SETTINGS].upload_timeout_seconds):
                early = await reader.read(request)
        except TimeoutError:
            return _body_late(request)
        except ConnectionError:
            return client_aborted(request, "body")
        if early is not None:
            return early
        return await handler(request)
    finally:
        reader.discard(request)


@web.middleware
async def shed_middleware(request: web.Request, handler):
    """503 + Retry-After when too many requests are already in flight here (event streams excepted)."""
    if request.path in EXEMPT:
        return await handler(request)
    ep = _endpoint(request)
    if ep is not None and ep.stream:
        return await handler(request)
    inflight = request.app[INFLIGHT]
    if inflight[0] >= request.app[keys.SETTINGS].max_inflight:
        return ApiError(503, "话务繁忙，请稍后重试", headers={"Retry-After": "1"}).response()
    inflight[0] += 1
    try:
        return await handler(request)
    finally:
        inflight[0] -= 1


class StreamSlots:
    """Open event streams in this process: at most max_streams, and max_streams_per_token per token."""

    def __init__(self, total: int, per_token: int) -> None:
        self.total, self.per_token = total, per_token
        self.open: Counter = Counter()
        self.count = 0

    @contextlib.contextmanager
    def slot(self, token_id: int):
        """Hold a slot for the stream's life; 429 when the token or the process has too many open."""
        if self.open[token_id] >= self.per_token:
            raise too_many("实时推送连接过多", 5, "Authorization", f"每个令牌最多同时打开 {self.per_token} 个推送连接")
        if self.count >= self.total:
            raise too_many("实时推送连接已满，请稍后重试", 5, "stream", f"本进程最多 {self.total} 个推送连接")
        self.open[token_id] += 1
        self.count += 1
        try:
            yield
        finally:
            self.count -= 1
            self.open[token_id] -= 1
            if self.open[token_id] <= 0:
                del self.open[token_id]


STREAMS = web.AppKey("stream_slots", StreamSlots)


def install(app: web.Application) -> None:
    """Per-process state of the admission middlewares (the rate limiter is made when Valkey opens)."""
    settings = app[keys.SETTINGS]
    app[INFLIGHT] = [0]
    app[BLOCKED] = {}
    app[STREAMS] = StreamSlots(settings.max_streams, settings.max_streams_per_token)


MIDDLEWARES = (client_limit_middleware, rate_limit_middleware, body_middleware, shed_middleware)
