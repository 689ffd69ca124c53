"""Request and response shapes of the ticket API."""
from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hotline.endpoints import AREA_RULE, PAGE_SIZE_MAX, Cursor, Moment, SafeStr, clean_text
from hotline.errors import ApiError
from models.enums import Channel, RequesterType, Status, Urgency

PHONE_PATTERN = r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}|[0-9]{7,8}|400-?[0-9]{3}-?[0-9]{4})?$"
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{7,8}|400-?\d{3}-?\d{4})$")
ID_RE = re.compile(r"^\d{17}[\dXx]$")
CREDIT_CODE_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


CREDIT_PATTERN = r"^([0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10})?$"


def check_credit_code(requester: "Requester", field: str = "requester.credit_code") -> None:
    """422 when a well-formed credit code's check character is wrong: a code that cannot exist.

    The format is the schema's pattern; the check character (GB 32100-2015) is not expressible
    as one, so it is checked here, like an unknown area code.
    """
    if requester.credit_code and not credit_code_valid(requester.credit_code):
        raise ApiError(422, "统一社会信用代码无效", [{"field": field, "message": "校验码不符"}])


def credit_code_valid(code: str) -> bool:
    """Check a unified social credit code (GB 32100-2015), including its check character."""
    if not CREDIT_CODE_RE.match(code):
        return False
    total = sum(_CREDIT_ALPHABET.index(c) * w for c, w in zip(code[:17], _CREDIT_WEIGHTS))
    return _CREDIT_ALPHABET[(31 - total % 31) % 31] == code[17]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class Requester(Strict):
    # an enterprise request names the enterprise (stated in the document as well as checked)
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "if": {"properties": {"type": {"const": "enterprise"}}, "required": ["type"]},
        "then": {"required": ["org"], "properties": {"org": {"type": "string", "minLength": 1}}}})

    type: RequesterType = RequesterType.CITIZEN
    name: str = Field("", max_length=100)
    phone: str = Field("", max_length=20, pattern=PHONE_PATTERN)
    id_number: str = Field("", max_length=18, pattern=r"^([0-9]{17}[0-9Xx])?$")
    org: str = Field("", max_length=200, description="企业名称（企业诉求必填）")
    credit_code: str = Field("", max_length=18, pattern=CREDIT_PATTERN,
                             description="统一社会信用代码（18 位，末位为校验码；校验码不符返回 422）")

    @field_validator("name", "org", "phone", "id_number", "credit_code")
    @classmethod
    def _clean(cls, v: str) -> str:
        return clean_text(v)

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str) -> str:
        if v and not PHONE_RE.match(v):
            raise ValueError("电话号码格式无效")
        return v

    @field_validator("id_number")
    @classmethod
    def _id(cls, v: str) -> str:
        if v and not ID_RE.match(v):
            raise ValueError("身份证号格式无效")
        return v.upper()

    @field_validator("credit_code")
    @classmethod
    def _credit(cls, v: str) -> str:
        return v.upper()

    @model_validator(mode="after")
    def _enterprise(self) -> "Requester":
        if self.type == RequesterType.ENTERPRISE and not self.org:
            raise ValueError("企业诉求须填写企业名称（org）")
        return self


class TicketIn(Strict):
    """A request registered by an agent or a channel (统一接收登记)."""

    channel: Channel
    requester: Requester = Field(default_factory=Requester)
    title: str = Field("", max_length=200)
    content: str = Field(..., min_length=1, max_length=5000)
    address: str = Field("", max_length=500)
    area_code: str | None = Field(None, pattern=r"^[0-9]{6}([0-9]{3}([0-9]{3})?)?$",
                                  description="事发地行政区划代码：字符串，6、9 或 12 位数字（如 \"320682\"），不接受数字类型")
    urgency: Urgency = Urgency.NORMAL
    confidential: bool = Field(False, description="诉求人要求保密：布尔值 true / false")
    answer_on_call: bool = Field(False, description="咨询类来电由话务员当场答复：登记后留在热线（待分拣，不派单），"
                                                    "再以「直接答复」或「转办/告知」办结")

    @field_validator("title", "content", "address")
    @classmethod
    def _clean(cls, v: str) -> str:
        return clean_text(v)

    @field_validator("content")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v:
            raise ValueError("不能为空")
        return v


class TicketQuery(Strict):
    status: Status | None = None
    area: str | None = Field(None, pattern=r"^[0-9]{6,12}$", description="地区（含下级）。" + AREA_RULE)
    unit: SafeStr | None = Field(None, max_length=64)
    category: SafeStr | None = Field(None, max_length=64)
    created_from: Moment | None = None
    created_to: Moment | None = None
    after: Cursor | None = Field(None, description="keyset cursor: the last id of the previous page")
    limit: int = Field(50, ge=1, le=PAGE_SIZE_MAX)


class RequesterOut(BaseModel):
    type: RequesterType
    type_label: str
    name: str
    phone: str
    id_number: str
    org: str
    credit_code: str


class CandidateReason(BaseModel):
    code: str = Field(..., description="same_caller（同一来电号码）、same_place（同一区县同类别）、similar_text（内容相近）")
    label: str
    score: float | None = Field(None, description="内容相近的程度（0–1）")


class CandidateOut(BaseModel):
    """An open or recently closed ticket probably about the same matter, with the reasons."""

    id: int
    ticket_no: str
    title: str
    status: Status
    status_label: str
    created_at: str
    closed_at: str | None
    area_code: str | None
    category: str | None
    caller: dict
    repeat_calls: int
    reasons: list[CandidateReason]


class GroupedOut(BaseModel):
    lead_id: int
    lead_ticket_no: str
    surge_id: int
    reason: str
    status: Status


class TicketOut(BaseModel):
    id: int
    ticket_no: str
    channel: Channel
    channel_label: str
    requester: RequesterOut
    title: str
    content: str
    address: str
    area_code: str | None
    province_code: str | None
    city_code: str | None
    county_code: str | None
    urgency: Urgency
    urgency_label: str
    status: Status
    status_label: str
    category: str | None
    category_confidence: float | None
    model_version: str | None
    disposition: str | None
    disposition_label: str | None
    split_reasons: list[str]
    split_review: bool
    police_incident_no: str | None
    triage_reason: str
    tier: str | None
    sign_by: datetime | None
    reply_by: datetime | None
    deadline_provisional: bool = Field(description="时限按暂定节假日日历计算（国务院调休通知尚未发布），正式数据到达后自动重算")
    unit: dict | None
    confidential: bool
    created_at: datetime
    updated_at: datetime
    lookup_code: str | None = Field(None, description="查询码（仅登记时返回，告知诉求人；凭工单号和查询码查询办理进度）")
    candidates: list[CandidateOut] | None = Field(None, description="疑似同一诉求的工单（仅登记时返回，附理由；可追加、并单或关联）")
    grouped: GroupedOut | None = Field(None, description="话务激增期间自动归并到的主工单（仅登记时返回；可撤销并单）")
    suggestions: list[dict] = Field(default_factory=list, description="热线百科推荐条目（仅登记时返回；按诉求内容与地区，"
                                                                      "超出时间预算时为空）")


class ReplyOut(BaseModel):
    """The unit's answer (办结回复), as the agent reads it before calling back."""

    resolution: str
    claimed_solved: bool | None
    replied_at: datetime


class NoteOut(BaseModel):
    id: int
    at: datetime
    actor_role: str | None
    text: str
    unit_id: int | None
    unit_name: str | None
    unit_role: str | None


class ExtensionOut(BaseModel):
    id: int
    days: int
    reason: str
    state: str
    state_label: str
    requested_at: datetime
    decided_at: datetime | None
    note: str
    unit_id: int
    unit_name: str


class TicketDetail(TicketOut):
    """One ticket with its reply, process notes and extension requests."""

    reply: ReplyOut | None
    notes: list[NoteOut]
    extensions: list[ExtensionOut]


class TicketPage(BaseModel):
    items: list[TicketOut]
    next_after: int | None


class EventOut(BaseModel):
    """One row of a ticket's audit trail."""

    id: int
    at: datetime
    action: str
    actor_role: str | None
    from_status: str | None
    to_status: str | None
    reason: str
    data: dict


class HistoryOut(BaseModel):
    ticket_id: int
    events: list[EventOut]
