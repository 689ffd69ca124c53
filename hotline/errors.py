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


_DATE = "日期格式无效，应为 YYYY-MM-DD"
_TIME = "时间格式无效，应为 ISO 8601（如 2026-12-01T09:30:00+08:00）"
_PYDANTIC_MESSAGES = {
    "missing": "必填字段",
    "extra_forbidden": "未知字段",
    "string_type": "应为字符串",
    "string_unicode": "应为有效的 Unicode 字符串",
    "bool_type": "应为布尔值（true 或 false）",
    "bool_parsing": "应为布尔值（true 或 false）",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "int_parsing_size": "数值超出范围",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "finite_number": "应为有限数值",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "list_type": "应为数组",
    "none_required": "应为 null",
    "date_type": _DATE,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "datetime_type": _TIME,
    "datetime_parsing": _TIME,
    "datetime_from_date_parsing": _TIME,
    "datetime_object_invalid": _TIME,
    "timezone_naive": "时间不应带时区",
    "timezone_aware": "时间须带时区",
    "json_invalid": "JSON 格式无效",
    "json_type": "应为 JSON 字符串",
    "recursion_loop": "嵌套层级过多",
    "string_pattern_mismatch": "格式无效",
    "is_instance_of": "类型无效",
    "union_tag_invalid": "类型无效",
}
# pydantic's comparison errors -> Chinese, with the bound from the error's context
_BOUNDS = {"greater_than_equal": ("ge", "不能小于 {}"), "less_than_equal": ("le", "不能大于 {}"),
           "greater_than": ("gt", "须大于 {}"), "less_than": ("lt", "须小于 {}")}


def _choices(expected) -> str:
    """pydantic's "'a', 'b' or 'c'" as 「a、b、c」."""
    text = str(expected or "")
    return "、".join(p.strip().strip("'") for p in text.replace(" or ", ", ").split(",") if p.strip())


def _detail_message(err: dict) -> str:
    """The Chinese message for one pydantic error (never pydantic's own English text)."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "string_too_long":
        return f"长度不能超过 {ctx.get('max_length')} 个字符"
    if kind == "string_too_short":
        return "不能为空" if ctx.get("min_length") == 1 else f"长度不能少于 {ctx.get('min_length')} 个字符"
    if kind == "too_long":
        return f"最多 {ctx.get('max_length')} 项"
    if kind == "too_short":
        return f"至少 {ctx.get('min_length')} 项"
    if kind in ("enum", "literal_error"):
        return f"取值无效，可选值：{_choices(ctx.get('expected'))}"
    if kind in _BOUNDS:
        key, text = _BOUNDS[kind]
        return text.format(ctx.get(key))
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error") or "取值无效")
    return _PYDANTIC_MESSAGES.get(kind, "取值无效")


# json.JSONDecodeError's messages (their start) -> Chinese
_JSON_MESSAGES = (
    ("Expecting value", "此处应为一个值"),
    ("Expecting property name", "属性名须为双引号括起的字符串"),
    ("Expecting ',' delimiter", "缺少逗号"),
    ("Expecting ':' delimiter", "缺少冒号"),
    ("Unterminated string", "字符串没有结束引号"),
    ("Invalid control character", "字符串中有未转义的控制字符"),
    ("Invalid \\escape", "无效的转义序列"),
    ("Invalid \\uXXXX escape", "无效的 \\u 转义"),
    ("Extra data", "JSON 值之后还有多余内容"),
)


def json_syntax_message(exc: ValueError) -> str:
    """A JSON decoder error in Chinese, with where it happened."""
    msg = getattr(exc, "msg", str(exc))
    text = next((zh for en, zh in _JSON_MESSAGES if msg.startswith(en)), "语法错误")
    line, col = getattr(exc, "lineno", None), getattr(exc, "colno", None)
    return f"第 {line} 行第 {col} 列：{text}" if line is not None else text


# aiohttp's own HTTP errors (reasons in English) -> Chinese
HTTP_MESSAGES = {400: "请求无效", 401: "未认证", 403: "无权访问", 404: "资源不存在", 405: "不支持的请求方法",
                 406: "无法提供所要求的格式", 408: "请求超时", 411: "缺少 Content-Length", 413: "请求体过大",
                 414: "请求地址过长", 415: "不支持的内容类型", 429: "请求过于频繁", 431: "请求头过大"}


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
