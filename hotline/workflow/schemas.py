"""Request and response shapes of the handling workflow API."""
from __future__ import annotations

from datetime import datetime

from hotline.endpoints import PAGE_SIZE_MAX, Cursor, IdItem, SafeStr, WholeInt
from pydantic import BaseModel, Field, field_validator

from hotline.tickets.schemas import Strict, clean_text
from models.enums import Status, Tier, Urgency

UNIT_CODE = Field(None, min_length=1, max_length=64, description="承办单位编码，如 320682-urban_mgmt")


class _Text(Strict):
    @field_validator("reason", "text", "resolution", "note", "category", "unit_code", "category_class",
                     mode="before", check_fields=False)
    @classmethod
    def _clean(cls, v):
        return clean_text(v) if isinstance(v, str) else v


class Reason(_Text):
    """An optional reason, recorded in the ticket's history."""

    reason: str = Field("", max_length=1000)


class RequiredReason(_Text):
    reason: str = Field(..., min_length=1, max_length=1000)


class DispatchIn(_Text):
    """派单: the agent picks the category; the catalogue (or the operator) picks the unit."""

    category: str = Field(..., min_length=1, max_length=64, description="事项分类编码或中文名称")
    area_code: str | None = Field(None, pattern=r"^[0-9]{6}([0-9]{3}([0-9]{3})?)?$",
                                  description="事发地（工单缺少或需更正时）")
    unit_code: str | None = UNIT_CODE
    support_codes: list[SafeStr] = Field(default_factory=list, max_length=10, description="指定协办单位编码")
    tier: Tier | None = Field(None, description="人工指定派单层级")
    category_class: str | None = Field(None, max_length=32, description="时限类别：consult/simple/ordinary/complex")
    reason: str = Field("", max_length=1000)


class RedispatchIn(_Text):
    """改派: to a unit by code, or by category/tier through the catalogue."""

    unit_code: str | None = UNIT_CODE
    category: str | None = Field(None, min_length=1, max_length=64)
    tier: Tier | None = None
    support_codes: list[SafeStr] = Field(default_factory=list, max_length=10)
    reason: str = Field(..., min_length=1, max_length=1000)


class NoteIn(_Text):
    text: str = Field(..., min_length=1, max_length=5000)


class ReturnIn(_Text):
    """退单; contest=true is 派单异议 and goes to a supervisor."""

    reason: str = Field(..., min_length=1, max_length=1000)
    contest: bool = False


class ExtensionIn(_Text):
    days: WholeInt = Field(..., ge=1, le=60, description="申请延期的工作日数")
    reason: str = Field(..., min_length=1, max_length=1000)


class ExtensionDecisionIn(_Text):
    approve: bool
    note: str = Field("", max_length=1000)


class ReplyIn(_Text):
    """办结: the unit's answer to the requester."""

    resolution: str = Field(..., min_length=1, max_length=5000)
    claimed_solved: bool
    evidence: list[IdItem] = Field(
        default_factory=list, max_length=20,
        description="办理佐证：本单位已上传到该工单的附件编号（POST /tickets/{id}/attachments），随回复一并记录")


class QueueQuery(Strict):
    after: Cursor | None = Field(None, description="键集分页：上一页最后一条的 id")
    limit: int = Field(50, ge=1, le=PAGE_SIZE_MAX)


class ReturnQueueQuery(QueueQuery):
    queue: str = Field("supervisor_review", pattern="^(supervisor_review|dispatch)$",
                       description="supervisor_review：派单异议待审核；dispatch：退回热线待重新派单")


class InboxQuery(Strict):
    limit: int = Field(50, ge=1, le=PAGE_SIZE_MAX, description="每组最多条数")


class TransitionOut(BaseModel):
    """The ticket after an action."""

    ticket_id: int
    action: str
    action_label: str
    from_status: Status
    status: Status
    status_label: str
    unit: dict | None
    sign_by: datetime | None
    reply_by: datetime | None
    deadline_provisional: bool
    paused: bool
    allowed_actions: list[str]
    data: dict


class TicketBrief(BaseModel):
    id: int
    ticket_no: str
    title: str
    status: Status
    status_label: str
    urgency: Urgency
    category: str | None
    area_code: str | None
    unit: dict | None
    dispatched_at: datetime | None
    sign_by: datetime | None
    reply_by: datetime | None
    deadline_provisional: bool
    paused: bool
    triage_reason: str


class InboxOut(BaseModel):
    unit_id: int
    to_sign: list[TicketBrief]
    in_progress: list[TicketBrief]
    due_soon: list[TicketBrief]
    supporting: list[TicketBrief]


class UnitRef(BaseModel):
    id: int | None = None
    code: str
    name: str


class ReturnOut(BaseModel):
    id: int
    reason: str
    contest: bool
    at: datetime
    unit: UnitRef


class ExtensionOut(BaseModel):
    id: int
    days: int
    reason: str
    requested_at: datetime
    already_granted_days: int
    unit: UnitRef


class QueueItem(BaseModel):
    """One queue entry: the ticket, with the return or extension request waiting for a decision."""

    id: int = Field(description="工单、退单或延期申请的编号（分页游标）")
    ticket: TicketBrief
    return_: ReturnOut | None = Field(None, alias="return")
    extension: ExtensionOut | None = None


class QueuePage(BaseModel):
    items: list[QueueItem]
    next_after: int | None
