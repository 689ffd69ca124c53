"""Request shapes of the dispute desk API (responses are plain JSON objects)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from hotline.endpoints import Cursor, Day, Moment, WholeInt, _whole_number
from hotline.tickets.schemas import ID_RE, PHONE_PATTERN, PHONE_RE, Strict, clean_text
from models.enums import RiskLevel

AREA = r"^[0-9]{6}([0-9]{3}([0-9]{3})?)?$"
ORG_CODE_PATTERN = r"^[0-9A-Za-z_\-]+$"
OrgCode = Annotated[str, Field(min_length=1, max_length=64, pattern=ORG_CODE_PATTERN)]
ID_PATTERN = r"^([0-9]{17}[0-9Xx])?$"
# constraints before the whole-number validator, so the document states them (minimum, maximum) inside the union
TicketId = Annotated[int, Field(ge=1, le=2**63 - 1), BeforeValidator(_whole_number)]


class _Text(Strict):
    # Text fields only: a validator on a date or time field would hand strict parsing a Python str.
    @field_validator("summary", "address", "name", "phone", "id_number", "reason", "text", "place", "mediator",
                     "minutes", "terms", "note", "court_ref", "court_case_no", "outcome", "idempotency_key",
                     "dispute_type", mode="before", check_fields=False)
    @classmethod
    def _clean(cls, v):
        return clean_text(v) if isinstance(v, str) else v

    @field_validator("amount", mode="after", check_fields=False)
    @classmethod
    def _money(cls, v):
        """Amounts are stored as numeric(14, 2): to the fen, exactly."""
        return None if v is None else Decimal(str(round(v, 2)))


class PartyIn(_Text):
    """申请人 / 被申请人 / 第三人."""

    role: Literal["applicant", "respondent", "third"]
    kind: Literal["person", "org"] = "person"
    name: str = Field(..., min_length=1, max_length=100)
    phone: str = Field("", max_length=20, pattern=PHONE_PATTERN)
    id_number: str = Field("", max_length=18, pattern=ID_PATTERN)

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
            raise ValueError("身份证号码格式无效")
        return v.upper()


class CaseIn(_Text):
    """登记纠纷: from a 12345 ticket, a walk-in or a grid worker's patrol (排查)."""

    # the cross-field rule, stated in the document as well as checked (_source_fields)
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, json_schema_extra={"allOf": [
        {"if": {"properties": {"source": {"const": "ticket"}}, "required": ["source"]},
         "then": {"required": ["ticket_id"],
                  "properties": {"ticket_id": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}}}},
        {"if": {"properties": {"source": {"enum": ["walk_in", "patrol"]}}, "required": ["source"]},
         "then": {"required": ["summary"],
                  "properties": {"summary": {"type": "string", "minLength": 1, "maxLength": 5000}}}}]})

    source: Literal["ticket", "walk_in", "patrol"]
    ticket_id: TicketId | None = Field(None, description="来源工单（source=ticket 时必填）")
    summary: str | None = Field(None, min_length=1, max_length=5000, description="纠纷情况（来访、排查时必填；工单来源可省略）")
    address: str = Field("", max_length=500)
    area_code: str | None = Field(None, pattern=AREA)
    dispute_type: str | None = Field(None, max_length=32, pattern=r"^[a-z_]+$", description="纠纷类型编码，省略则自动识别")
    amount: float | None = Field(None, ge=0, le=999_999_999_999, description="争议金额（元）")
    people: WholeInt = Field(2, ge=1, le=100000, description="涉及人数")
    parties: list[PartyIn] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _source_fields(self):
        if self.source == "ticket" and self.ticket_id is None:
            raise ValueError("工单来源须提供 ticket_id")
        if self.source != "ticket" and not self.summary:
            raise ValueError("须填写纠纷情况 summary")
        return self


class CourtCaseIn(_Text):
    """诉前委派: the court hands a dispute to mediation before filing; one case per referral number."""

    court_ref: str = Field(..., min_length=1, max_length=64, pattern=r"^[0-9A-Za-z（）()\-_\u4e00-\u9fff]+$",
                           description="法院委派编号（同一编号只建一案）")
    summary: str = Field(..., min_length=1, max_length=5000)
    address: str = Field("", max_length=500)
    area_code: str | None = Field(None, pattern=AREA)
    dispute_type: str | None = Field(None, max_length=32, pattern=r"^[a-z_]+$")
    amount: float | None = Field(None, ge=0, le=999_999_999_999, description="争议金额（元）")
    people: WholeInt = Field(2, ge=1, le=100000)
    parties: list[PartyIn] = Field(default_factory=list, max_length=50)


class Reason(_Text):
    reason: str = Field("", max_length=1000)


class RequiredReason(_Text):
    reason: str = Field(..., min_length=1, max_length=1000)


class NoteIn(_Text):
    text: str = Field(..., min_length=1, max_length=5000)


class RiskIn(_Text):
    """风险研判确认: a person confirms or changes the scored level."""

    level: RiskLevel
    reason: str = Field("", max_length=1000)
    turned_violent: bool = Field(False, description="纠纷已转化为暴力警情（计入风险评估召回率）")


class AssignIn(_Text):
    """分派: automatic by area, type and tier, or the organisations named (lead first)."""

    org_codes: list[OrgCode] = Field(default_factory=list, max_length=10, description="调解组织编码，第一个为牵头（不重复）",
                                     json_schema_extra={"uniqueItems": True})
    reason: str = Field("", max_length=1000)

    @field_validator("org_codes")
    @classmethod
    def _codes(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("调解组织重复")
        return v


class SessionIn(_Text):
    """安排调解: when, where, who attends."""

    scheduled_at: Moment
    place: str = Field("", max_length=200)
    attendees: list[str] = Field(default_factory=list, max_length=50)
    mediator: str = Field("", max_length=100, description="主持调解员")

    @field_validator("attendees")
    @classmethod
    def _attendees(cls, v: list[str]) -> list[str]:
        return [clean_text(a)[:100] for a in v]


class MinutesIn(_Text):
    """调解笔录 of a session."""

    session_id: WholeInt = Field(..., ge=1, le=2**63 - 1)
    minutes: str = Field(..., min_length=1, max_length=20000)
    held_at: Moment | None = None


class SettleIn(_Text):
    """调解成功: the agreement's terms and the date by which it is to be performed."""

    terms: str = Field(..., min_length=1, max_length=20000)
    amount: float | None = Field(None, ge=0, le=999_999_999_999, description="争议金额（元）")
    perform_by: Day
    request_confirmation: bool = Field(False, description="同时申请司法确认")


class ReviewIn(_Text):
    """重大纠纷调解协议合法性审查."""

    approve: bool
    note: str = Field("", max_length=1000)


class FailIn(_Text):
    """调解不成, with the way out."""

    way_out: Literal["litigation", "arbitration", "admin_review", "petition", "none"]
    reason: str = Field(..., min_length=1, max_length=1000)
    refer_court: bool = Field(False, description="诉调对接：同时移送法院（way_out=litigation）")


class FollowUpIn(_Text):
    """回访: was the agreement performed?"""

    performed: Literal["yes", "partly", "no"]
    note: str = Field("", max_length=1000)


class DivisionItem(_Text):
    """One line of a 会办's division of work: the unit and its task."""

    unit: str = Field(..., min_length=1, max_length=500)
    task: str = Field("", max_length=500)


class MeetingIn(_Text):
    """会办: a joint meeting of several units with a date, minutes and a division of work."""

    scheduled_at: Moment
    place: str = Field("", max_length=200)
    attendees: list[str] = Field(..., min_length=1, max_length=50)
    division: list[DivisionItem] = Field(default_factory=list, max_length=50, description="分工：单位与任务")
    minutes: str = Field("", max_length=20000)

    @field_validator("attendees")
    @classmethod
    def _attendees(cls, v: list[str]) -> list[str]:
        return [clean_text(a)[:100] for a in v]


class CourtReferralIn(_Text):
    reason: str = Field("", max_length=1000)


class CourtCallbackIn(_Text):
    """The court's platform reports back: accepted (立案/受理) or concluded (with the outcome)."""

    idempotency_key: str = Field(..., min_length=1, max_length=200, pattern=r"^[0-9A-Za-z:_\-]+$")
    state: Literal["accepted", "concluded"]
    court_case_no: str = Field("", max_length=100)
    outcome: str = Field("", max_length=2000)


class CaseQuery(Strict):
    status: str | None = Field(None, pattern=r"^(open|new|accepted|assigned|mediating|reviewing|settled|failed|"
                                             r"terminated|closed)$")
    risk: RiskLevel | None = None
    area: str | None = Field(None, pattern=AREA)
    listed: bool | None = None
    after: Cursor | None = None
    limit: int = Field(50, ge=1, le=200)


class OrgQuery(Strict):
    area: str | None = Field(None, pattern=AREA)
    tier: Literal["community", "town", "county", "city"] | None = None
    dispute_type: str | None = Field(None, max_length=32, pattern=r"^[a-z_]+$")
    limit: int = Field(200, ge=1, le=1000)


class ScoreIn(_Text):
    """Score a description without opening a case."""

    text: str = Field(..., min_length=1, max_length=5000)
    people: WholeInt = Field(2, ge=1, le=100000)
    repeat_calls: WholeInt = Field(0, ge=0, le=1000)


class ReportQuery(Strict):
    """The disputes report: cases registered in a day range (inclusive, Beijing days)."""

    from_: Day | None = Field(None, alias="from", description="起始日期（含），默认 to 前 29 天")
    to: Day | None = Field(None, description="截止日期（含），默认今天")
    by: Literal["org", "area", "type", "tier", "month"] = Field("area", description="分组：调解组织/地区/类型/层级/月份")
    area: str | None = Field(None, pattern=AREA, description="地区（含下级）")

    @field_validator("to")
    @classmethod
    def _order(cls, to, info: ValidationInfo):
        frm = info.data.get("from_")
        if frm and to and frm > to:
            raise ValueError("不能早于 from")
        return to


class OutboxQuery(Strict):
    state: Literal["pending", "delivered", "accepted", "concluded", "failed"] | None = None
    limit: int = Field(100, ge=1, le=500)


def as_date(v: date | datetime) -> date:
    return v.date() if isinstance(v, datetime) else v
