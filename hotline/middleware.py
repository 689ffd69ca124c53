"""The middlewares every request passes: one JSON error shape, then the route table's role check.

(Rate limits, slow bodies and load shedding are in hotline.admission.)
"""
from __future__ import annotations

import asyncio
import logging

import asyncpg
from aiohttp import web
from pydantic import ValidationError

from hotline import admission, keys
from hotline.auth import authenticate, require_role
from hotline.errors import HTTP_MESSAGES, ApiError, client_aborted, validation_error

log = logging.getLogger(__name__)


# Errors that mean PostgreSQL is unreachable or restarting: the client may retry.
UNAVAILABLE = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.InterfaceError,
    asyncpg.AdminShutdownError,
    asyncpg.exceptions._base.InternalClientError,  # a connection broken mid-operation
    ConnectionError,
    OSError,
    asyncio.TimeoutError,
)



def _client_gone(request: web.Request) -> bool:
    """True once the client's connection is lost (reading the rest of its body then fails)."""
    return request.transport is None or request.transport.is_closing()


async def _expire_pool(request: web.Request) -> None:
    """Drop pooled connections after a database failure so the next request reconnects."""
    pool = request.app.get(keys.POOL)
    if pool is not None:
        await pool.expire_connections()


@web.middleware
async def error_middleware(request: web.Request, handler):
    """Answer every error in the one JSON shape; log the unexpected once."""
    try:
        return await handler(request)
    except ApiError as exc:
        return exc.response()
    except ValidationError as exc:
        return validation_error(exc).response()
    except web.HTTPRequestEntityTooLarge:
        return ApiError(413, "请求体过大", [{"field": "body", "message": "超过大小上限"}]).response()
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = HTTP_MESSAGES.get(exc.status, "请求无效" if exc.status < 500 else "服务暂时不可用")
        return ApiError(exc.status, message, headers={k: v for k, v in exc.headers.items()
                                                       if k.lower() in ("allow", "retry-after")}).response()
    except asyncpg.DataError as exc:  # a value PostgreSQL cannot hold (out of range, bad characters)
        log.info("rejected value on %s %s: %s", request.method, request.path, type(exc).__name__)
        return ApiError(422, "参数值无效或超出范围",
                        [{"field": "query", "message": "含有无法存储的字符或超出范围的数值"}]).response()
    except UNAVAILABLE as exc:
        if isinstance(exc, ConnectionError) and _client_gone(request):
            return client_aborted(request)  # the caller hung up; the database is fine
        log.warning("backend unavailable on %s %s: %s", request.method, request.path, type(exc).__name__)
        await _expire_pool(request)
        return ApiError(503, "服务暂时不可用，请稍后重试", headers={"Retry-After": "2"}).response()
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return ApiError(500, "服务内部错误").response()



@web.middleware
async def auth_middleware(request: web.Request, handler):
    """Check the token and role the route table asks for."""
    route = request.match_info.route
    ep = request.app[keys.ENDPOINTS].get(route.name) if route is not None else None
    if ep is not None and ep.roles is not None:
        try:
            principal = await authenticate(request, request.app[keys.POOL], request.app[keys.TOKENS])
        except ApiError as exc:
            if exc.status == 401:
                await admission.auth_failed(request)  # 429 instead, once this client failed too often
            raise
        require_role(principal, ep.roles)
        request[keys.PRINCIPAL] = principal
    return await handler(request)
