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
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, ValidationError, WithJsonSchema

from models.enums import Role
from hotline.errors import ApiError, json_syntax_message, validation_error

# Values the database can hold: keyset cursors fit bigint, dates stay in a sane window.
Cursor = Annotated[int, Field(ge=1, le=2**63 - 1)]
YEAR_MIN, YEAR_MAX = 2000, 2099
PAGE_SIZE_MAX = 200  # the most rows one page of a list answers


def _in_years(value):
    if value is not None and not YEAR_MIN <= value.year <= YEAR_MAX:
        raise ValueError(f"年份须在 {YEAR_MIN}–{YEAR_MAX} 之间")
    return value


YEARS_PATTERN = "^20[0-9]{2}-"  # YEAR_MIN..YEAR_MAX, as the document states it
Day = Annotated[date, AfterValidator(_in_years),
                WithJsonSchema({"type": "string", "format": "date", "pattern": YEARS_PATTERN})]
Moment = Annotated[datetime, AfterValidator(_in_years),
                   WithJsonSchema({"type": "string", "format": "date-time", "pattern": YEARS_PATTERN})]

# The one text rule of every request string (body fields, query parameters), stated in the OpenAPI
# document as a pattern: control characters other than tab and line breaks are refused;
# bidirectional controls (U+202A-202E, U+2066-2069) are removed, so no text reads backwards;
# surrounding whitespace is trimmed, and a required text must keep a visible character.
CONTROL_CHARS = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f"
BIDI_CHARS = "\\u202a-\\u202e\\u2066-\\u2069"
CONTROL_RE = re.compile(f"[{CONTROL_CHARS}]")
BIDI_RE = re.compile(f"[{BIDI_CHARS}]")
TEXT_PATTERN = f"^[^{CONTROL_CHARS}]*$"
NONBLANK_PATTERN = f"^[^{CONTROL_CHARS}]*[^\\s{CONTROL_CHARS}{BIDI_CHARS}][^{CONTROL_CHARS}]*$"


def clean_text(value: str) -> str:
    """Refuse control characters, drop bidirectional controls, trim whitespace."""
    if CONTROL_RE.search(value):
        raise ValueError("包含无效的控制字符")
    return BIDI_RE.sub("", value).strip()


def _clean_any(value):
    return clean_text(value) if isinstance(value, str) else value


# Free-text filters and identifiers: cleaned before their length is checked.
SafeStr = Annotated[str, BeforeValidator(_clean_any)]


def _whole_number(value):
    return int(value) if isinstance(value, float) and value.is_integer() else value


# A JSON integer: 5 and 5.0 are the same number in JSON; "5" and true are not numbers.
WholeInt = Annotated[int, BeforeValidator(_whole_number)]
# An id inside a list (constraints before the validator, or the JSON schema shows `ge` instead of `minimum`).
IdItem = Annotated[int, Field(ge=1, le=2**63 - 1), BeforeValidator(_whole_number)]


# The one rule of an `area` filter, shown with every list and report that takes one (hotline.scope.report_area).
AREA_RULE = "督办人员只能指定本辖区及其下级地区（辖区以外返回 403）；未知代码返回 422；不指定时督办人员为本辖区"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Precheck = Callable[[web.Request], Awaitable[web.StreamResponse | None]]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class BodyReader:
    """Reads an endpoint's body instead of request.read() (uploads: streamed to a file, hotline.attachments).

    read: an early answer (a refusal) or None, the body then being where the handler looks for it;
    discard: undoes what read left behind, after the handler (or after a refusal further on)."""

    read: Callable[[web.Request], Awaitable[web.StreamResponse | None]]
    discard: Callable[[web.Request], None]

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
    # Reads the body in place of request.read(), within upload_timeout (binary uploads; OpenAPI: octet-stream).
    reader: BodyReader | None = None

    @property
    def name(self) -> str:
        parts = re.findall(r"[A-Za-z0-9_]+", self.path)
        return ".".join([self.method.lower(), *(_route_part(p) for p in parts)])


def _route_part(part: str) -> str:
    """aiohttp route names are identifiers: no leading digit (…/110/…), no keyword (…/return)."""
    if part[0].isdigit():
        return f"n{part}"
    return part + "_" if keyword.iskeyword(part) else part


JSON_TYPES = ("application/json",)


def _json_content_type(request: web.Request) -> None:
    """415 for a body declared as something other than JSON (a body without Content-Type is read as JSON)."""
    if "Content-Type" not in request.headers:
        return
    ctype = request.content_type.lower()
    if ctype not in JSON_TYPES and not (ctype.startswith("application/") and ctype.endswith("+json")):
        raise ApiError(415, "不支持的内容类型", [{"field": "Content-Type",
                                                 "message": f"请求体须为 application/json，收到 {ctype[:100]}"}])


async def read_text(request: web.Request, max_bytes: int) -> str:
    """The request body as text, with clear errors for type, size, encoding and emptiness."""
    _json_content_type(request)
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
    return text


def json_syntax_error(text: str) -> ApiError:
    """Why text is not JSON the service takes, in Chinese, with the line and column."""
    try:
        json.loads(text)
    except RecursionError:
        pass
    except ValueError as exc:
        return ApiError(400, "请求体不是有效的 JSON", [{"field": "body", "message": json_syntax_message(exc)}])
    return ApiError(400, "JSON 嵌套过深", [{"field": "body", "message": "嵌套层级过多"}])


async def parse_body(request: web.Request, model: type[M], max_bytes: int = 64 * 1024) -> M:
    """Validate the JSON body against model, strictly: true/false for booleans, numbers for numbers,
    strings for strings (no "yes", 1 or "0" for a boolean); 4xx with field details when it does not fit."""
    text = await read_text(request, max_bytes)
    try:
        return model.model_validate_json(text, strict=True)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        if any(e["type"] == "json_invalid" for e in errors):
            raise json_syntax_error(text) from None
        if any(e["type"] == "model_type" and not e["loc"] for e in errors):
            raise ApiError(422, "请求体应为 JSON 对象", [{"field": "body", "message": "应为对象"}]) from None
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
