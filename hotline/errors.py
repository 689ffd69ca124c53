"""One JSON error shape for every failure: {"message": ..., "details": [...]}."""
from __future__ import annotations

import asyncio
import logging

import asyncpg

from aiohttp import web
from pydantic import ValidationError

from hotline import jsoncodec

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


class ApiError(Exception):
    """An error answered to the client with a status, a message and field details."""

    def __init__(self, status: int, message: str, details: list[dict] | None = None, *,
                 headers: dict | None = None, extra: dict | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details or []
        self.headers = headers or {}
        self.extra = extra or {}

    def response(self) -> web.Response:
        body = {"message": self.message, "details": self.details, **self.extra}
        return json_response(body, status=self.status, headers=self.headers)


def json_response(data, *, status: int = 200, headers: dict | None = None) -> web.Response:
    """A JSON response that keeps Chinese text readable (no \\u escapes)."""
    return web.Response(body=jsoncodec.dumps_bytes(data), status=status, content_type="application/json",
                        charset="utf-8", headers=headers)


_PYDANTIC_MESSAGES = {
    "missing": "必填字段",
    "extra_forbidden": "未知字段",
    "string_type": "应为字符串",
    "bool_type": "应为布尔值",
    "bool_parsing": "应为布尔值",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "float_type": "应为数字",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "list_type": "应为数组",
    "datetime_parsing": "时间格式无效，应为 ISO 8601",
    "datetime_type": "时间格式无效，应为 ISO 8601",
}


def _detail_message(err: dict) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "string_too_long":
        return f"长度不能超过 {ctx.get('max_length')} 个字符"
    if kind == "string_too_short":
        return "不能为空" if ctx.get("min_length") == 1 else f"长度不能少于 {ctx.get('min_length')} 个字符"
    if kind == "enum":
        return f"取值无效，可选值：{ctx.get('expected')}"
    if kind == "string_pattern_mismatch":
        return "格式无效"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"超出允许范围（{err.get('msg')}）"
    if kind == "value_error":
        return str(ctx.get("error") or err.get("msg"))
    return _PYDANTIC_MESSAGES.get(kind, err.get("msg", "无效"))


def validation_error(exc: ValidationError) -> ApiError:
    """Turn a pydantic ValidationError into a 422 with one detail per field."""
    details = [
        {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": _detail_message(e), "type": e["type"]}
        for e in exc.errors(include_url=False)
    ]
    return ApiError(422, "请求参数校验失败", details)


def _client_gone(request: web.Request) -> bool:
    """True once the client's connection is lost (reading the rest of its body then fails)."""
    return request.transport is None or request.transport.is_closing()


async def _expire_pool(request: web.Request) -> None:
    """Drop pooled connections after a database failure so the next request reconnects."""
    from hotline import keys

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
        message = {404: "资源不存在", 405: "不支持的请求方法"}.get(exc.status, exc.reason)
        return ApiError(exc.status, message, headers={k: v for k, v in exc.headers.items()
                                                       if k.lower() in ("allow", "retry-after")}).response()
    except asyncpg.DataError as exc:  # a value PostgreSQL cannot hold (out of range, bad characters)
        log.info("rejected value on %s %s: %s", request.method, request.path, type(exc).__name__)
        return ApiError(422, "参数值无效或超出范围", [{"field": "query", "message": type(exc).__name__}]).response()
    except UNAVAILABLE as exc:
        if isinstance(exc, ConnectionError) and _client_gone(request):
            raise  # the caller hung up (aiohttp drops this quietly); the database is fine
        log.warning("backend unavailable on %s %s: %s", request.method, request.path, type(exc).__name__)
        await _expire_pool(request)
        return ApiError(503, "服务暂时不可用，请稍后重试", headers={"Retry-After": "2"}).response()
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return ApiError(500, "服务内部错误").response()
