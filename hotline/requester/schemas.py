"""Request and response shapes of the requester's status lookup."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class LookupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_no: str = Field(..., min_length=1, max_length=32, description="工单号（16 位数字）")
    code: str = Field(..., min_length=1, max_length=16, description="查询码（登记时告知诉求人的 6 位字母数字）")


class LookupReply(BaseModel):
    resolution: str
    replied_at: datetime


class LookupOut(BaseModel):
    """What a requester may see of a ticket: no names, phone numbers, addresses or request text."""

    ticket_no: str
    status: str
    status_label: str
    category: str | None
    unit_name: str | None
    received_at: datetime
    reply_by: datetime | None
    deadline_provisional: bool
    reply: LookupReply | None


class SmsOutboxQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: str | None = Field(None, pattern="^(pending|sent|failed|skipped)$",
                              description="pending 待发送 / sent 已发送 / failed 发送失败 / skipped 无需发送")
    ticket_id: int | None = Field(None, ge=1, le=2**63 - 1)
    limit: int = Field(100, ge=1, le=500)
