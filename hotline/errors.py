"""One JSON error shape for every failure: {"message": ..., "details": [...]}."""
from __future__ import annotations

import logging

from aiohttp import web
from pydantic import ValidationError

from hotline import jsoncodec

log = logging.getLogger(__name__)


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


def validation_error(exc: ValidationError, where: str = "body") -> ApiError:
    """Turn a pydantic ValidationError into a 422 with one detail per field (where: body or query)."""
    details = [
        {"field": ".".join(str(p) for p in e["loc"]) or where, "message": _detail_message(e), "type": e["type"]}
        for e in exc.errors(include_url=False)
    ]
    return ApiError(422, "请求参数校验失败", details)


CLIENT_CLOSED = 499  # "client closed request", as nginx logs it: not a server error, never a 5xx


def client_aborted(request: web.Request, during: str = "request") -> web.Response:
    """One log line for a client that hung up, and a response nobody will read (the access log's status)."""
    log.info("client aborted during %s: %s %s from %s", during, request.method, request.path, request.remote)
    return web.Response(status=CLIENT_CLOSED, reason="Client Closed Request")
