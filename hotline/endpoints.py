"""The route table: every endpoint with its roles, shapes and summary.

The same table registers routes, drives the role check, builds the OpenAPI
document and generates the authorization test matrix.
"""
from __future__ import annotations

import json
import keyword
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Awaitable, Callable, TypeVar

from aiohttp import web
from pydantic import AfterValidator, BaseModel, Field, ValidationError

from models.enums import Role
from hotline.errors import ApiError, validation_error

# Values the database can hold: keyset cursors fit bigint, dates stay in a sane window.
Cursor = Annotated[int, Field(ge=1, le=2**63 - 1)]
YEAR_MIN, YEAR_MAX = 2000, 2099
PAGE_SIZE_MAX = 200  # the most rows one page of a list answers


def _in_years(value):
    if value is not None and not YEAR_MIN <= value.year <= YEAR_MAX:
        raise ValueError(f"年份须在 {YEAR_MIN}–{YEAR_MAX} 之间")
    return value


Day = Annotated[date, AfterValidator(_in_years)]
Moment = Annotated[datetime, AfterValidator(_in_years)]
# Free-text filters and identifiers: PostgreSQL text cannot hold NUL.
SafeStr = Annotated[str, AfterValidator(lambda v: _no_nul(v))]


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("包含无效字符")
    return value


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Precheck = Callable[[web.Request], Awaitable[web.StreamResponse | None]]
M = TypeVar("M", bound=BaseModel)

@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    summary: str
    roles: frozenset[Role] | None = None  # None: public (no token)
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    tag: str = "tickets"
    # Which scope test applies (for the authorization matrix): "none", "list" or "ticket"
    scope: str = "none"
    extra_responses: dict = field(default_factory=dict)  # status -> {"description": ...}
    media_type: str = "application/json"
    # A long-lived response (server-sent events): counted in stream slots, not request slots.
    stream: bool = False
    # Runs before the body is read (public endpoints: is the link real?); an early answer or None.
    precheck: Precheck | None = None

    @property
    def name(self) -> str:
        parts = re.findall(r"[A-Za-z0-9_]+", self.path)
        return ".".join([self.method.lower(), *(_route_part(p) for p in parts)])


def _route_part(part: str) -> str:
    """aiohttp route names are identifiers: no leading digit (…/110/…), no keyword (…/return)."""
    if part[0].isdigit():
        return f"n{part}"
    return part + "_" if keyword.iskeyword(part) else part


async def read_json(request: web.Request, max_bytes: int) -> object:
    """The request body as JSON, with clear errors for size, encoding and syntax."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise ApiError(413, "请求体过大", [{"field": "body", "message": f"不能超过 {max_bytes} 字节"}])
    raw = await request.read()
    if len(raw) > max_bytes:
        raise ApiError(413, "请求体过大", [{"field": "body", "message": f"不能超过 {max_bytes} 字节"}])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "请求体不是有效的 UTF-8 编码",
                       [{"field": "body", "message": f"第 {exc.start} 字节处编码无效"}]) from None
    if not text.strip():
        raise ApiError(400, "请求体为空", [{"field": "body", "message": "需要 JSON 对象"}])
    try:
        return json.loads(text)
    except RecursionError:
        raise ApiError(400, "JSON 嵌套过深", [{"field": "body", "message": "嵌套层级过多"}]) from None
    except ValueError as exc:
        raise ApiError(400, "请求体不是有效的 JSON", [{"field": "body", "message": str(exc)}]) from None


async def parse_body(request: web.Request, model: type[M], max_bytes: int = 64 * 1024) -> M:
    """Validate the JSON body against model; 4xx with field details when it does not fit."""
    data = await read_json(request, max_bytes)
    if not isinstance(data, dict):
        raise ApiError(422, "请求体应为 JSON 对象", [{"field": "body", "message": "应为对象"}])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from None


def parse_query(request: web.Request, model: type[M]) -> M:
    """Validate query parameters against model."""
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        raise validation_error(exc, "query") from None


def parse_id(raw: str, field_name: str = "id") -> int:
    """A positive integer path id, or 404 (ids that are not numbers match nothing)."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise ApiError(404, "资源不存在", [{"field": field_name, "message": "无效的编号"}])
    return int(raw)
